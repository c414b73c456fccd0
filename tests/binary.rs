//! The API's binaries themselves. customer-api-dev, as `make dev` runs it: a local server that logs one JSON
//! line per request and, with METRICS=emf, one CloudWatch EMF line per request.

mod common;
use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[tokio::test]
async fn local_server_logs_requests_and_emits_emf_metrics() {
    // Tables and users from the harness; the binary serves them under the same prefix.
    let app = spawn_app().await;
    let prefix = app.prefix();
    let mut child = Command::new(env!("CARGO_BIN_EXE_customer-api-dev"))
        .env(
            "DYNAMODB_ENDPOINT",
            std::env::var("DYNAMODB_ENDPOINT").expect("make test sets it"),
        )
        .env("TABLE_PREFIX", &prefix)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("METRICS", "emf")
        .env("METRICS_NAMESPACE", "TestNamespace")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start customer-api");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let next = || {
        rx.recv_timeout(Duration::from_secs(20))
            .expect("a JSON line on stdout")
    };
    let listening = next();
    assert_eq!(listening["message"], "listening", "{listening}");
    let url = listening["url"].as_str().unwrap().to_owned();

    let body = format!("userid=5&api_key={SPEC_KEY}");
    let resp = reqwest::Client::new()
        .post(format!("{url}/api/customer/list"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let (mut log, mut emf) = (None, None);
    while log.is_none() || emf.is_none() {
        let line = next();
        if line.get("_aws").is_some() {
            emf = Some(line);
        } else if line["message"] == "request" {
            log = Some(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = log.unwrap();
    assert_eq!(log["path"], "/api/customer/list");
    assert_eq!(log["status"], 200);
    assert_eq!(log["userid"], 5);
    assert!(
        log["ddb_calls"].as_u64().unwrap() >= 2,
        "auth read + list query: {log}"
    );
    assert!(
        !log.to_string().contains(SPEC_KEY),
        "the key is never logged"
    );
    let emf = emf.unwrap();
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "TestNamespace"
    );
    assert_eq!(emf["Route"], "customer/list");
    assert_eq!(emf["DynamoDBCalls"], log["ddb_calls"]);
}

/// `--version` (and `-V`) print the binary's name and the crate version and exit 0, before any
/// configuration: no settings, no DynamoDB, not even AWS_LAMBDA_RUNTIME_API matters (under
/// Lambda, customer-api, change-events and webhook-delivery would wait for events; --version
/// must not).
#[test]
fn every_binary_prints_its_version() {
    for (name, exe) in [
        ("customer-api", env!("CARGO_BIN_EXE_customer-api")),
        ("customer-api-dev", env!("CARGO_BIN_EXE_customer-api-dev")),
        ("crm-admin", env!("CARGO_BIN_EXE_crm-admin")),
        ("change-events", env!("CARGO_BIN_EXE_change-events")),
        ("webhook-delivery", env!("CARGO_BIN_EXE_webhook-delivery")),
    ] {
        for flag in ["--version", "-V"] {
            let out = Command::new(exe)
                .arg(flag)
                .env_clear()
                .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
                .stdin(Stdio::null())
                .output()
                .expect("run the binary");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{name} {flag}: {out:?}");
            assert_eq!(
                stdout.trim(),
                format!("{name} {}", env!("CARGO_PKG_VERSION")),
                "{name} {flag}"
            );
            assert!(stdout.contains(env!("CARGO_PKG_VERSION")));
            assert!(
                out.stderr.is_empty(),
                "{name} {flag}: nothing logged: {out:?}"
            );
        }
    }
}

/// The function's binary runs under Lambda only (it links no HTTP server): started elsewhere
/// it says so, names the local server and exits 1, before reading any setting or connecting.
#[test]
fn customer_api_outside_lambda_names_the_local_server() {
    let out = Command::new(env!("CARGO_BIN_EXE_customer-api"))
        .env_clear()
        .env("BIND_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .output()
        .expect("run customer-api");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AWS_LAMBDA_RUNTIME_API"), "{stderr}");
    assert!(stderr.contains("customer-api-dev"), "{stderr}");
    assert!(out.stdout.is_empty(), "{out:?}");
}
