//! Faults between the app and DynamoDB: a proxy of our own in front of moto throttles,
//! fails (with and without an error code or a JSON body), loses replies after the write
//! committed, answers slower than the attempt timeout, and cancels transactions with
//! `TransactionConflict` or `TransactionInProgressException` (moto raises neither itself).
//! Every answer must be the envelope with a documented status, retried deliveries with one
//! `Idempotency-Key` must make one record, and the data must stay whole.

mod common;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// 400 `ThrottlingException` (or `ProvisionedThroughputExceededException`).
    Throttle,
    /// 500 with an HTML body and no error code.
    Html500,
    /// The request reaches moto and commits; the reply is lost (500 without a body).
    LostReply,
    /// The request commits; its reply comes after the attempt timeout.
    Slow,
    /// `TransactWriteItems` only: cancelled with `TransactionConflict` reasons.
    Conflict,
    /// `TransactWriteItems` only: `TransactionInProgressException`.
    InProgress,
}

struct Proxy {
    moto: String,
    http: reqwest::Client,
    /// Each fault with its probability; the rest goes through untouched.
    faults: Mutex<Vec<(Fault, f64)>>,
    rng: Mutex<StdRng>,
    calls: AtomicU32,
    slow: Duration,
}

fn amz_error(status: StatusCode, kind: &str, extra: Value) -> Response {
    let mut body =
        json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": kind});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    (
        status,
        [("content-type", "application/x-amz-json-1.0")],
        body.to_string(),
    )
        .into_response()
}

async fn forward(proxy: &Proxy, headers: &HeaderMap, body: Bytes) -> Response {
    forward_to_moto(&proxy.http, &proxy.moto, headers, body).await
}

async fn handle(State(proxy): State<Arc<Proxy>>, headers: HeaderMap, body: Bytes) -> Response {
    proxy.calls.fetch_add(1, Ordering::SeqCst);
    let op = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit('.').next())
        .unwrap_or_default()
        .to_owned();
    let fault = {
        let faults = proxy.faults.lock().unwrap().clone();
        let mut rng = proxy.rng.lock().unwrap();
        let roll: f64 = rng.random();
        let mut acc = 0.0;
        faults.into_iter().find(|(f, p)| {
            let applies =
                !matches!(f, Fault::Conflict | Fault::InProgress) || op == "TransactWriteItems";
            acc += if applies { *p } else { 0.0 };
            applies && roll < acc
        })
    };
    match fault.map(|(f, _)| f) {
        None => forward(&proxy, &headers, body).await,
        Some(Fault::Throttle) => {
            let kind = match op.len() % 2 {
                0 => "ThrottlingException",
                _ => "ProvisionedThroughputExceededException",
            };
            amz_error(StatusCode::BAD_REQUEST, kind, json!({}))
        }
        Some(Fault::Html500) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "text/html")],
            "<html><body>Internal Server Error</body></html>",
        )
            .into_response(),
        Some(Fault::LostReply) => {
            let _ = forward(&proxy, &headers, body).await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some(Fault::Slow) => {
            let reply = forward(&proxy, &headers, body).await;
            tokio::time::sleep(proxy.slow).await;
            reply
        }
        Some(Fault::Conflict) => {
            let items = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["TransactItems"].as_array().map(Vec::len))
                .unwrap_or(1);
            let reasons: Vec<Value> = (0..items)
                .map(|i| match i {
                    0 => json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}),
                    _ => json!({"Code": "None"}),
                })
                .collect();
            amz_error(
                StatusCode::BAD_REQUEST,
                "TransactionCanceledException",
                json!({"CancellationReasons": reasons}),
            )
        }
        Some(Fault::InProgress) => amz_error(
            StatusCode::BAD_REQUEST,
            "TransactionInProgressException",
            json!({}),
        ),
    }
}

/// Starts a proxy to the tests' moto with `faults`, returning it and its URL.
async fn proxy(faults: Vec<(Fault, f64)>, seed: u64, slow: Duration) -> (Arc<Proxy>, String) {
    let proxy = Arc::new(Proxy {
        moto: std::env::var("DYNAMODB_ENDPOINT").expect("make test sets it"),
        http: reqwest::Client::new(),
        faults: Mutex::new(faults),
        rng: Mutex::new(StdRng::seed_from_u64(seed)),
        calls: AtomicU32::new(0),
        slow,
    });
    let router = axum::Router::new()
        .fallback(axum::routing::post(handle))
        .with_state(proxy.clone());
    (proxy, serve_on_loopback(router).await)
}

/// A customer create in reseller 1 named `name`.
fn create_fields(name: &str) -> Vec<(&'static str, String)> {
    let mut fields = customer_fields();
    fields.retain(|(k, _)| *k != "name");
    fields.push(("name", name.to_owned()));
    fields.push(("resellerid", "1".to_owned()));
    fields
}

fn as_params<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Short timeouts, so that slow replies time out quickly.
const FAST: [(&str, &str); 4] = [
    ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "300"),
    ("DYNAMODB_OPERATION_TIMEOUT_MS", "2000"),
    ("REQUEST_DEADLINE_MS", "4000"),
    ("AUTH_CACHE_SECONDS", "0"),
];

const DOCUMENTED: [u16; 9] = [200, 400, 401, 403, 404, 409, 429, 500, 503];

/// The status is documented, the body is the envelope, and 429/503 say when to retry.
async fn post(
    app: &TestApp,
    user: u64,
    route: &str,
    params: &[(&str, &str)],
    key: Option<&str>,
) -> (u16, Value) {
    let mut form: Vec<(String, String)> = vec![
        ("userid".into(), user.to_string()),
        ("api_key".into(), app.key(user).to_owned()),
    ];
    form.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let url = match route.contains('/') {
        true => format!("{}/api/{route}", app.url),
        false => format!("{}/api/customer/{route}", app.url),
    };
    let mut req = app.http.post(url).form(&form);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("an answer");
    let status = resp.status().as_u16();
    let retry_after = resp.headers().get("retry-after").is_some();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(
        DOCUMENTED.contains(&status),
        "undocumented status {status}: {body}"
    );
    assert_eq!(ct, "application/json", "{status}: not the envelope");
    assert!(
        body.get("result").is_some() && body.get("error").is_some(),
        "{status}: {body}"
    );
    if status == 429 || status == 503 {
        assert!(retry_after, "{status} without Retry-After: {body}");
    }
    (status, body)
}

/// Delivers one webhook until it is answered 200 (at most `tries` times); its result.
async fn deliver(
    app: &TestApp,
    route: &str,
    params: &[(&str, &str)],
    key: &str,
    tries: usize,
) -> Option<u64> {
    for _ in 0..tries {
        let (status, body) = post(app, ISP1_USER, route, params, Some(key)).await;
        if status == 200 {
            return body["result"].as_u64();
        }
        assert!(status == 429 || status == 503, "{status}: {body}");
    }
    None
}

async fn scan(
    app: &TestApp,
    table: &str,
) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let out = app
        .store
        .client
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap();
    out.items.unwrap_or_default()
}

fn num(item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, attr: &str) -> u64 {
    item.get(attr)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn retried_deliveries_under_faults_make_one_record_each_and_leave_the_data_whole() {
    let faults = vec![
        (Fault::Throttle, 0.08),
        (Fault::Html500, 0.06),
        (Fault::LostReply, 0.08),
        (Fault::Slow, 0.04),
        (Fault::Conflict, 0.10),
        (Fault::InProgress, 0.05),
    ];
    let (_proxy, url) = proxy(faults, 7, Duration::from_millis(600)).await;
    let app = spawn_app_via(Some(&url), &FAST).await;
    let mut customers = Vec::new();
    for i in 0..12 {
        let name = format!("Fault Customer {i}");
        let fields = create_fields(&name);
        let params = as_params(&fields);
        if let Some(id) = deliver(&app, "create", &params, &format!("cust-{i}"), 8).await {
            customers.push((name.clone(), id));
        }
    }
    assert!(
        customers.len() >= 8,
        "most deliveries got through: {customers:?}"
    );
    let mut services = 0;
    for (i, (_, id)) in customers.iter().enumerate().take(6) {
        let id = id.to_string();
        let username = format!("fault.user{i}");
        let params = [
            ("customerid", id.as_str()),
            ("username", username.as_str()),
            ("plan", "Fiber"),
        ];
        if deliver(&app, "service/create", &params, &format!("svc-{i}"), 8)
            .await
            .is_some()
        {
            services += 1;
        }
    }
    assert!(services >= 3, "{services} services");

    // Exactly one record per key, whatever was retried; checked without the proxy.
    let items = scan(&app, &app.store.tables.customers).await;
    for (name, id) in &customers {
        let same: Vec<u64> = items
            .iter()
            .filter(|c| c.get("name").and_then(|v| v.as_s().ok()) == Some(name))
            .map(|c| num(c, "id"))
            .collect();
        assert_eq!(same, vec![*id], "{name}: one customer, the one answered");
    }
    let ids: HashSet<u64> = items.iter().map(|c| num(c, "id")).collect();
    assert_eq!(ids.len(), items.len());
    // Service counts match the services; every username claim has its service and back.
    let svc = scan(&app, &app.store.tables.services).await;
    for c in &items {
        let owned = svc
            .iter()
            .filter(|s| num(s, "customerid") == num(c, "id"))
            .count() as u64;
        assert_eq!(num(c, "service_count"), owned, "customer {}", num(c, "id"));
    }
    let claims = scan(&app, &app.store.tables.claims).await;
    let username_claims: HashSet<u64> = claims
        .iter()
        .filter(|c| {
            c.get("claim")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|k| k.starts_with("username|"))
        })
        .map(|c| num(c, "result"))
        .collect();
    let service_ids: HashSet<u64> = svc.iter().map(|s| num(s, "id")).collect();
    assert_eq!(username_claims, service_ids, "claims and services agree");
    // The counts followed every committed create.
    let checks = isp_crm::admin::check_counts(&app.store, None)
        .await
        .unwrap();
    assert!(checks.iter().all(|c| c.agrees()), "{checks:?}");
}

#[tokio::test]
async fn total_throttling_or_conflicts_end_in_a_few_calls_with_retry_after() {
    let cases = [
        (Fault::Throttle, 429),
        (Fault::Conflict, 503),
        (Fault::InProgress, 503),
        (Fault::Html500, 503),
    ];
    for ((fault, want), warm) in cases.into_iter().flat_map(|c| [(c, true), (c, false)]) {
        let (proxy, url) = proxy(vec![], 1, Duration::ZERO).await;
        // Warm: the caller's key and reseller 1's ISP are cached. Cold: the request reads
        // both first (no auth cache, a fresh instance).
        let app = match warm {
            true => spawn_app_via(Some(&url), &FAST[..3]).await,
            false => spawn_app_via(Some(&url), &FAST).await,
        };
        if warm {
            let warm_up = create_fields("Warm Up");
            post(&app, ISP1_USER, "create", &as_params(&warm_up), None).await;
        }
        *proxy.faults.lock().unwrap() = vec![(fault, 1.0)];
        let before = proxy.calls.load(Ordering::SeqCst);
        let busy = create_fields("Always Busy");
        let params = as_params(&busy);
        let (status, body) = post(&app, ISP1_USER, "create", &params, Some("busy-key")).await;
        let calls = proxy.calls.load(Ordering::SeqCst) - before;
        let instance = if warm { "warm" } else { "cold" };
        eprintln!("{fault:?}, {instance}: {status} after {calls} DynamoDB calls");
        assert_eq!(status, want, "{fault:?}, {instance}: {body}");
        assert!(
            calls <= 6,
            "{fault:?}, {instance}: {calls} DynamoDB calls for one request"
        );
    }
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_503_envelope() {
    let (_proxy, url) = proxy(vec![(Fault::Slow, 1.0)], 1, Duration::from_millis(700)).await;
    let vars = [
        ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "2000"),
        ("DYNAMODB_OPERATION_TIMEOUT_MS", "5000"),
        ("REQUEST_DEADLINE_MS", "500"),
        ("AUTH_CACHE_SECONDS", "0"),
    ];
    let app = spawn_app_via(Some(&url), &vars).await;
    let started = std::time::Instant::now();
    let (status, body) = post(&app, ISP1_USER, "list", &[], None).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("deadline"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_import_under_lost_replies_throttling_and_conflicts_writes_each_row_once() {
    let app = spawn_app().await;
    let faults = vec![
        (Fault::LostReply, 0.2),
        (Fault::Throttle, 0.15),
        (Fault::Html500, 0.05),
        (Fault::Conflict, 0.15),
    ];
    let (proxy, url) = proxy(faults, 15, Duration::ZERO).await;
    let mut csv = "name,type,mobile,email,zipcode,state,city,street\n".to_owned();
    for i in 0..60 {
        csv.push_str(&format!(
            "Faulty {i:02},Individual,98760{i:05},f{i}@example.com,403001,Goa,Panaji,Road\n"
        ));
    }
    let file = std::env::temp_dir().join(format!("{}faulty.csv", app.prefix()));
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap().to_owned();
    // Off the runtime's thread: the proxy runs on it.
    let (prefix, file_arg) = (app.prefix(), path.clone());
    let out = tokio::task::spawn_blocking(move || {
        let args = ["customer", "import", "--file", &file_arg];
        let place = ["--isp", "1", "--reseller", "1"];
        crm_admin_via(&url, &prefix, &[&args[..], &place[..]].concat())
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    for suffix in ["", ".journal"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    assert!(out.status.success(), "{err}");
    assert!(err.contains("60 rows: created 60"), "{err}");
    assert!(proxy.calls.load(Ordering::SeqCst) > 10);
    // Each row once, whatever was retried; the counts agree with the index.
    let r = app
        .call(
            ISP1_USER,
            "list",
            &[("rows_limit", "100"), ("sort_field", "name")],
        )
        .await;
    let names: Vec<String> = r
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..60).map(|i| format!("Faulty {i:02}")).collect();
    assert_eq!(names, want);
    let verify = crm_admin(&app.prefix(), &["counters", "verify", "--isp", "1"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}
