//! A form key's setup: checked when set, who may set it, listed without the secret, and
//! crm-admin's `user form`.

use super::fixtures::*;
use super::{deliver, set_up};
use crate::common::*;
use isp_crm::domain::signup::{Profile, SigningSecret};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn setups_are_checked_when_set_and_listed_without_the_secret() {
    let app = spawn_app().await;
    let refused = [
        (vec![("form_profile", "typeform")], "form_map: is required"),
        (
            vec![
                ("form_profile", "typeform"),
                ("form_map", r#"{"colour": "a"}"#),
            ],
            "form_map: colour: not a customer field",
        ),
        (
            vec![
                ("form_profile", "typeform"),
                ("form_map", r#"{"name": "a"}"#),
            ],
            "form_map: type: a required customer field needs a source or a constant",
        ),
        (
            vec![
                ("form_profile", "jotform"),
                ("form_map", JOTFORM_MAP),
                ("signing_secret", "generate"),
            ],
            "signing_secret: this profile's tool does not sign",
        ),
        (vec![("form_profile", "formstack")], "form_profile: must be"),
        (
            vec![
                ("form_profile", "tally"),
                ("form_map", TALLY_MAP),
                ("signing_secret", "short"),
            ],
            "signing_secret: must be 16 to 256",
        ),
    ];
    for (params, expected) in refused {
        let r = set_up(&app, &params).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{params:?}: {r:?}");
        assert!(r.error().starts_with(expected), "{expected}: {r:?}");
    }
    // Not a form key; another ISP's form key; a form key itself.
    let r = app
        .call(
            ISP1_USER,
            "user/update",
            &[("target_userid", "7"), ("form_profile", "fields")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
    let r = app
        .call(
            ISP2_USER,
            "user/update",
            &[("target_userid", "20"), ("form_profile", "fields")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");
    let r = app
        .call(
            FORM_USER,
            "user/update",
            &[("target_userid", "20"), ("form_profile", "fields")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");

    // Its reseller's user may set it; the list shows the setup, never the secret.
    let r = app
        .call(
            RESELLER1_USER,
            "user/update",
            &[
                ("target_userid", "20"),
                ("form_profile", "tally"),
                ("form_map", TALLY_MAP),
                ("signing_secret", "generate"),
            ],
        )
        .await;
    let secret = r.body["signing_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    let list = app.call(ISP1_USER, "user/list", &[("role", "form")]).await;
    let row = list.result().as_array().unwrap()[0].clone();
    assert_eq!(row["form_profile"], "tally");
    assert_eq!(row["form_map"]["name"], "Full name");
    assert_eq!(row["signing_secret"], true);
    assert!(!list.body.to_string().contains(&secret));
    let stored = app
        .store
        .get_user(isp_crm::domain::ids::UserId(FORM_USER))
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.form_secret.unwrap().contains(&secret),
        "sealed at rest"
    );
    // Changing the map keeps the secret.
    set_up(&app, &[("form_profile", "tally"), ("form_map", TALLY_MAP)])
        .await
        .result();
    let list = app.call(ISP1_USER, "user/list", &[("role", "form")]).await;
    assert_eq!(list.result()[0]["signing_secret"], true);
    // Other roles have no profile.
    let list = app
        .call(ISP1_USER, "user/list", &[("role", "reseller")])
        .await;
    assert_eq!(list.result()[0]["form_profile"], Value::Null);
}

#[tokio::test]
async fn crm_admin_sets_a_form_key_up() {
    let app = spawn_app().await;
    let out = crm_admin_with_key(
        &app.prefix(),
        &[
            "user",
            "form",
            "--userid",
            "20",
            "--profile",
            "typeform",
            "--map",
            TYPEFORM_MAP,
            "--signing-secret",
            "generate",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let secret = SigningSecret::parse("s", &secret).unwrap();
    let body = typeform().to_string();
    let sig = secret.sign(Profile::Typeform, body.as_bytes());
    let a = deliver(
        &app,
        "application/json",
        body,
        &[("typeform-signature", &sig)],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{a:?}");
    let out = crm_admin_with_key(
        &app.prefix(),
        &[
            "user",
            "form",
            "--userid",
            "20",
            "--profile",
            "typeform",
            "--map",
            "{}",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("form_map"),
        "{out:?}"
    );
}

/// crm-admin with the tests' FORM_SECRET_KEY (the one `spawn_app` gives the API).
fn crm_admin_with_key(prefix: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_crm-admin"))
        .args(args)
        .env(
            "DYNAMODB_ENDPOINT",
            std::env::var("DYNAMODB_ENDPOINT").unwrap(),
        )
        .env("TABLE_PREFIX", prefix)
        .env("FORM_SECRET_KEY", "test-form-secret-key")
        .env_remove("CUSTOMERS_TABLE")
        .output()
        .expect("run crm-admin")
}
