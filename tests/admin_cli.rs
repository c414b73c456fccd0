//! The crm-admin binary against the test DynamoDB API.

mod common;

use std::process::{Command, Output};

fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").expect("DYNAMODB_ENDPOINT: run with `make test`")
}

fn prefix() -> String {
    format!(
        "cli{}-{}-",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

fn admin(prefix: &str, args: &[&str]) -> Output {
    common::crm_admin(prefix, args)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "crm-admin failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn fails_with(out: &Output, text: &str) {
    assert!(!out.status.success(), "expected a failure");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(text), "stderr {err:?} should mention {text:?}");
}

#[test]
fn operator_workflow() {
    let p = prefix();
    let out = admin(&p, &["tables", "create"]);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    for short in ["customers", "users", "isps", "resellers", "counters"] {
        assert!(err.contains(&format!("{p}{short}: created")), "{err}");
    }
    let again = admin(&p, &["tables", "create"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains(&format!("{p}customers: exists")));

    fails_with(
        &admin(
            &p,
            &[
                "reseller", "create", "--isp", "1", "--id", "1", "--name", "R",
            ],
        ),
        "ISP 1 does not exist",
    );
    ok(&admin(
        &p,
        &["isp", "create", "--id", "1", "--name", "ISP One"],
    ));
    fails_with(
        &admin(&p, &["isp", "create", "--id", "1", "--name", "Again"]),
        "ISP 1 already exists",
    );
    ok(&admin(
        &p,
        &[
            "reseller", "create", "--isp", "1", "--id", "4", "--name", "R",
        ],
    ));

    let key = ok(&admin(
        &p,
        &[
            "user", "create", "--userid", "5", "--role", "isp", "--isp", "1",
        ],
    ));
    assert_eq!(key.len(), 50);
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{key}"
    );
    let kept = "0f9895fb407c83e5ea128082098b47681aa75d6944576423c4";
    assert_eq!(
        ok(&admin(
            &p,
            &[
                "user",
                "create",
                "--userid",
                "6",
                "--role",
                "reseller",
                "--reseller",
                "4",
                "--api-key",
                kept
            ]
        )),
        kept
    );
    fails_with(
        &admin(
            &p,
            &[
                "user",
                "create",
                "--userid",
                "7",
                "--role",
                "reseller",
                "--reseller",
                "4",
                "--isp",
                "2",
            ],
        ),
        "belongs to ISP 1",
    );
    fails_with(
        &admin(&p, &["user", "create", "--userid", "8", "--role", "isp"]),
        "needs an ISP (--isp)",
    );
    fails_with(
        &admin(
            &p,
            &[
                "user",
                "create",
                "--userid",
                "8",
                "--role",
                "admin",
                "--api-key",
                "short",
            ],
        ),
        "32 to 128",
    );
    fails_with(
        &admin(&p, &["user", "create", "--userid", "0", "--role", "admin"]),
        "positive whole number",
    );

    let rotated = ok(&admin(&p, &["user", "rotate-key", "--userid", "5"]));
    assert_eq!(rotated.len(), 50);
    assert_ne!(rotated, key);
    ok(&admin(&p, &["user", "disable", "--userid", "5"]));
    ok(&admin(&p, &["user", "enable", "--userid", "5"]));
    fails_with(
        &admin(&p, &["user", "disable", "--userid", "99"]),
        "user 99 does not exist",
    );
}

#[test]
fn help_is_everywhere() {
    for args in [
        vec!["--help"],
        vec!["user", "--help"],
        vec!["user", "create", "--help"],
        vec!["tables", "create", "--help"],
        vec!["isp", "update", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_crm-admin"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn imports_keep_counts_and_counters_verify_and_rebuild_them() {
    let p = prefix();
    ok(&admin(&p, &["tables", "create"]));
    ok(&admin(&p, &["isp", "create", "--id", "1", "--name", "ISP"]));
    for r in ["4", "5"] {
        ok(&admin(
            &p,
            &["reseller", "create", "--isp", "1", "--id", r, "--name", "R"],
        ));
    }
    let rows: Vec<String> = (1..=5)
        .map(|i| {
            format!(
                r#"{{"id": {}, "ispid": 1, "resellerid": {}, "type": "Individual", "name": "Imported {i}",
                   "mobile": "98765{i:05}", "email": "i{i}@example.com", "zipcode": "403001",
                   "state": "Goa", "city": "Panaji", "street": "1 Road"}}"#,
                900 + i,
                if i <= 3 { 4 } else { 5 }
            )
        })
        .collect();
    let file = std::env::temp_dir().join(format!("{p}import.json"));
    std::fs::write(&file, format!("[{}]", rows.join(","))).unwrap();
    ok(&admin(
        &p,
        &["customer", "import", "--file", file.to_str().unwrap()],
    ));
    let _ = std::fs::remove_file(&file);
    // The import counted its customers: nothing to repair. Checked: the ISP's and each
    // reseller's total, type and customers by day of creation (9), the ISP's and each
    // reseller's number in Goa, Panaji and 403001 (9), and of each name in the ISP and in
    // its reseller (10).
    let out = admin(&p, &["counters", "verify"]);
    ok(&out);
    let checked = "28 counts checked, 0 differ";
    assert!(String::from_utf8_lossy(&out.stderr).contains(checked));

    // A count that went wrong (written by hand here) is found, and rebuilt from the index.
    let put = Command::new(".venv/bin/python")
        .args(["-c", PUT_WRONG_COUNT, &endpoint(), &format!("{p}counts")])
        .status();
    assert!(
        put.is_ok_and(|s| s.success()),
        "could not write a wrong count (moto's venv: run with `make test`)"
    );
    let out = admin(&p, &["counters", "verify", "--isp", "1"]);
    fails_with(&out, "counts differ");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "isp|1|city|Panaji r5: kept 0, index holds 2\nreseller|4|name|imported 1 customers: \
         kept 3, index holds 1\nreseller|5 customers: kept 42, index holds 2"
    );
    let out = admin(&p, &["counters", "rebuild"]);
    assert_eq!(
        ok(&out),
        "isp|1|city|Panaji r5: 0 -> 2\nreseller|4|name|imported 1 customers: 3 -> 1\n\
         reseller|5 customers: 42 -> 2"
    );
    // The rebuilt name item is back in the names index (verify reads it there).
    let out = admin(&p, &["counters", "verify"]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains(checked));
}

/// Puts 40 customers too many into shard 7 of reseller 5's count, loses its two customers
/// from Panaji, and counts two more `Imported 1` in reseller 4 (boto3, from moto's venv).
const PUT_WRONG_COUNT: &str = r#"
import sys, boto3
db = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
db.update_item(TableName=sys.argv[2], Key={"scope": {"S": "reseller|5"}, "shard": {"N": "7"}},
               UpdateExpression="ADD customers :d", ExpressionAttributeValues={":d": {"N": "40"}})
db.update_item(TableName=sys.argv[2], Key={"scope": {"S": "isp|1|city|Panaji"}, "shard": {"N": "5"}},
               UpdateExpression="ADD r5 :d", ExpressionAttributeValues={":d": {"N": "-2"}})
db.update_item(TableName=sys.argv[2], Key={"scope": {"S": "reseller|4|name|imported 1"}, "shard": {"N": "0"}},
               UpdateExpression="ADD customers :d", ExpressionAttributeValues={":d": {"N": "2"}})
"#;

/// `isp|reseller|user raise-ids` move the counters the tenancy routes take ids from (after a
/// point-in-time restore: docs/operations.md), and never move them down.
#[tokio::test]
async fn raise_ids_moves_the_counters_the_tenancy_routes_take_ids_from() {
    let app = common::spawn_app().await;
    let prefix = app.prefix();
    for (what, above) in [("isp", "40"), ("reseller", "700"), ("user", "9000")] {
        ok(&admin(&prefix, &[what, "raise-ids", "--above", above]));
        ok(&admin(&prefix, &[what, "raise-ids", "--above", "3"]));
    }
    let isp = app
        .call(common::ADMIN, "isp/create", &[("name", "Raised")])
        .await;
    assert_eq!(isp.id(), 41, "{isp:?}");
    let reseller = app
        .call(common::ISP1_USER, "reseller/create", &[("name", "Raised")])
        .await;
    assert_eq!(reseller.id(), 701, "{reseller:?}");
    let user = app
        .call(
            common::ISP1_USER,
            "user/create",
            &[("role", "form"), ("resellerid", "2")],
        )
        .await;
    assert_eq!(user.id(), 9001, "{user:?}");
}

/// `crm-admin webhook` manages endpoints by the API's rules as the platform admin: what it
/// creates the ISP's users see (never the secret), and its secret is sealed as the API's.
#[tokio::test]
async fn webhook_endpoints_made_by_crm_admin_are_the_apis() {
    let app = common::spawn_app().await;
    let prefix = app.prefix();
    let webhook = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_crm-admin"))
            .arg("webhook")
            .args(args)
            .env("DYNAMODB_ENDPOINT", endpoint())
            .env("TABLE_PREFIX", &prefix)
            .env("FORM_SECRET_KEY", "test-form-secret-key")
            .env_remove("CUSTOMERS_TABLE")
            .output()
            .expect("run crm-admin")
    };
    let url = "https://billing.example.net/hooks";
    let secret = ok(&webhook(&[
        "create",
        "--isp",
        "1",
        "--url",
        url,
        "--types",
        "Service Updated",
    ]));
    assert!(secret.starts_with("whsec_"), "{secret}");
    fails_with(
        &webhook(&["create", "--isp", "1", "--url", "https://10.1.2.3/"]),
        "url: must reach a public address",
    );
    let listed = app.call(common::ISP1_USER, "webhook/list", &[]).await;
    let row = listed.result()[0].clone();
    assert_eq!(row["url"], url);
    assert_eq!(row["types"], serde_json::json!(["Service Updated"]));
    assert!(!listed.body.to_string().contains(&secret));
    let id = row["id"].as_str().unwrap().to_owned();
    let lines = ok(&webhook(&["list", "--isp", "1"]));
    assert!(lines.contains(&id) && !lines.contains("whsec_"), "{lines}");
    assert!(ok(&webhook(&["list", "--isp", "2"])).is_empty());
    ok(&webhook(&["update", "--id", &id, "--enabled", "N"]));
    let rotated = ok(&webhook(&["rotate-secret", "--id", &id]));
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    ok(&webhook(&["delete", "--id", &id]));
    let listed = app.call(common::ISP1_USER, "webhook/list", &[]).await;
    assert_eq!(listed.result(), &serde_json::json!([]));
}
