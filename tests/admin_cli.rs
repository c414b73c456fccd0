//! The crm-admin binary against the test DynamoDB API.

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
    Command::new(env!("CARGO_BIN_EXE_crm-admin"))
        .args(args)
        .env("DYNAMODB_ENDPOINT", endpoint())
        .env("TABLE_PREFIX", prefix)
        .env_remove("CUSTOMERS_TABLE")
        .output()
        .expect("run crm-admin")
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
        "needs --isp",
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
