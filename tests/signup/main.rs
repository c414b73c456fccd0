//! Signup form tools connected directly (issue #20), through HTTP on moto: each tool's
//! documented delivery (fixtures.rs) posted to `customer/create` with a form key set up
//! for it by `user/update`: created, replayed, signed / unsigned / tampered, missing and
//! invalid answers, wrong types, extra answers, Unicode names, multi-choice answers, empty
//! optional answers; and the setup's own rules.

#[path = "../common/mod.rs"]
mod common;
mod cost;
mod fixtures;
mod properties;

use common::*;
use fixtures::*;
use isp_crm::domain::signup::{Profile, SigningSecret};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One delivery's answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub replayed: bool,
    pub body: Value,
}

impl Answer {
    fn id(&self) -> u64 {
        assert_eq!(self.status, StatusCode::OK, "{self:?}");
        self.body["result"].as_u64().unwrap()
    }

    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// POSTs `body` as the form tool does: credentials in the URL (all a tool lets one set).
pub async fn deliver(
    app: &TestApp,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> Answer {
    let url = format!(
        "{}/api/customer/create?userid={FORM_USER}&api_key={}",
        app.url,
        app.key(FORM_USER)
    );
    let mut req = app
        .http
        .post(url)
        .header("content-type", content_type)
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let replayed = resp.headers().get("idempotent-replayed").is_some();
    let body = resp.json().await.expect("JSON answer");
    Answer {
        status,
        replayed,
        body,
    }
}

/// Sets the form key's setup as its ISP's user; returns the reply.
pub async fn set_up(app: &TestApp, params: &[(&str, &str)]) -> Reply {
    let target = FORM_USER.to_string();
    let mut all = vec![("target_userid", target.as_str())];
    all.extend_from_slice(params);
    app.call(ISP1_USER, "user/update", &all).await
}

#[tokio::test]
async fn typeform_deliveries_create_once_signed_and_named() {
    let app = spawn_app().await;
    let r = set_up(
        &app,
        &[
            ("form_profile", "typeform"),
            ("form_map", TYPEFORM_MAP),
            ("signing_secret", "generate"),
        ],
    )
    .await;
    assert_eq!(r.result(), "done");
    let secret = r.body["signing_secret"].as_str().unwrap().to_owned();
    let secret = SigningSecret::parse("s", &secret).unwrap();
    let body = typeform().to_string();
    let sig = secret.sign(Profile::Typeform, body.as_bytes());

    // Unsigned and tampered: 401, nothing written.
    let a = deliver(&app, "application/json", body.clone(), &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");
    assert!(a.error().contains("Typeform-Signature"), "{a:?}");
    let tampered = body.replace("Asha", "Eve");
    let a = deliver(
        &app,
        "application/json",
        tampered,
        &[("typeform-signature", &sig)],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");
    assert_eq!(app.customer_count().await, 0);

    // Signed: created, the map applied (join, constant, number, multi-choice, choice).
    let a = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("typeform-signature", &sig)],
    )
    .await;
    let id = a.id();
    assert!(!a.replayed);
    assert_eq!(
        app.stored_attr(id, "name").await.as_deref(),
        Some("Asha Naik")
    );
    assert_eq!(
        app.stored_attr(id, "type").await.as_deref(),
        Some("Individual")
    );
    assert_eq!(
        app.stored_attr(id, "zipcode").await.as_deref(),
        Some("403001")
    );
    assert_eq!(app.stored_attr(id, "state").await.as_deref(), Some("Goa"));
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("Fibre 100, IPTV")
    );
    assert_eq!(
        app.stored_attr(id, "mobile").await.as_deref(),
        Some("+919876543210")
    );
    // An empty optional answer (no dob) is absent; the unmapped yes/no is ignored.
    assert_eq!(app.stored_attr(id, "dob").await, None);

    // Re-delivered: the same id, nothing written.
    let again = deliver(
        &app,
        "application/json",
        body,
        &[("typeform-signature", &sig)],
    )
    .await;
    assert_eq!((again.id(), again.replayed), (id, true));
    assert_eq!(app.customer_count().await, 1);
}

#[tokio::test]
async fn typeform_refusals_name_both_fields_and_write_nothing() {
    let app = spawn_app().await;
    set_up(
        &app,
        &[("form_profile", "typeform"), ("form_map", TYPEFORM_MAP)],
    )
    .await
    .result();
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = typeform();
        edit(&mut v);
        v.to_string()
    };
    let answers = |v: &mut Value| {
        v["form_response"]["answers"]
            .as_array_mut()
            .unwrap()
            .clone()
    };
    let cases: Vec<(String, &str)> = vec![
        // Missing: the email answer left out.
        (
            with(&|v| {
                let kept: Vec<Value> = answers(v)
                    .into_iter()
                    .filter(|a| a["field"]["ref"] != "work_email")
                    .collect();
                v["form_response"]["answers"] = Value::Array(kept);
            }),
            "email (Typeform ref \"work_email\"): is required",
        ),
        // Invalid.
        (
            with(&|v| v["form_response"]["answers"][2]["email"] = json!("not-an-address")),
            "email (Typeform ref \"work_email\"): ",
        ),
        // Wrong type: an object where text belongs.
        (
            with(&|v| v["form_response"]["answers"][5]["text"] = json!({"x": 1})),
            "city (Typeform ref \"city\"): must be text, a number, a yes/no or a choice, not an object",
        ),
        // Not Typeform's shape at all.
        (
            json!({"hello": "world"}).to_string(),
            "body: not a Typeform delivery",
        ),
    ];
    for (body, expected) in cases {
        let a = deliver(&app, "application/json", body, &[]).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{a:?}");
        assert!(a.error().starts_with(expected), "{expected}: {a:?}");
    }
    // The size limit is unchanged.
    let big = with(&|v| v["form_response"]["hidden"]["pad"] = json!("x".repeat(70_000)));
    let a = deliver(&app, "application/json", big, &[]).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{a:?}");
    assert_eq!(app.customer_count().await, 0);

    // Extra answers and Unicode names: fine.
    let body = with(&|v| {
        v["form_response"]["token"] = json!("unicode-1");
        v["form_response"]["answers"][0]["text"] = json!("Zoë");
        v["form_response"]["answers"][1]["text"] = json!("Ñúñez 山田");
        let mut all = answers(v);
        all.push(json!({"type": "text", "text": "extra", "field": {"id": "X1", "type": "short_text", "ref": "unmapped"}}));
        v["form_response"]["answers"] = Value::Array(all);
    });
    let id = deliver(&app, "application/json", body, &[]).await.id();
    assert_eq!(
        app.stored_attr(id, "name").await.as_deref(),
        Some("Zoë Ñúñez 山田")
    );
}

#[tokio::test]
async fn tally_deliveries_are_signed_mapped_by_key_or_label_and_replayed() {
    let app = spawn_app().await;
    let secret = "tally-signing-secret-from-the-dashboard";
    let r = set_up(
        &app,
        &[
            ("form_profile", "tally"),
            ("form_map", TALLY_MAP),
            ("signing_secret", secret),
        ],
    )
    .await;
    assert_eq!(r.body["signing_secret"], secret, "shown once, when set");
    let secret = SigningSecret::parse("s", secret).unwrap();
    let body = tally().to_string();
    let sig = secret.sign(Profile::Tally, body.as_bytes());
    let a = deliver(&app, "application/json", body.clone(), &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");
    let a = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("tally-signature", "AAAA")],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");
    let a = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("Tally-Signature", &sig)],
    )
    .await;
    let id = a.id();
    assert_eq!(
        app.stored_attr(id, "name").await.as_deref(),
        Some("Ravi Kumar")
    );
    assert_eq!(
        app.stored_attr(id, "zipcode").await.as_deref(),
        Some("403601")
    );
    // Checkboxes: the chosen options' text, in order.
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("Fibre 100, IPTV")
    );
    // A null answer to an optional field: absent.
    assert_eq!(app.stored_attr(id, "uniqueid").await, None);
    let again = deliver(&app, "application/json", body, &[("tally-signature", &sig)]).await;
    assert_eq!((again.id(), again.replayed), (id, true));
    assert_eq!(app.customer_count().await, 1);
}

#[tokio::test]
async fn jotform_multipart_deliveries_read_raw_request_parts() {
    let app = spawn_app().await;
    set_up(
        &app,
        &[("form_profile", "jotform"), ("form_map", JOTFORM_MAP)],
    )
    .await
    .result();
    let (ct, body) = jotform_body(&jotform_raw_request(), "6084250982513018472");
    let a = deliver(&app, &ct, body.clone(), &[]).await;
    let id = a.id();
    assert_eq!(app.stored_attr(id, "name").await.as_deref(), Some("Zoë"));
    assert_eq!(
        app.stored_attr(id, "surname").await.as_deref(),
        Some("D'Souza")
    );
    assert_eq!(
        app.stored_attr(id, "mobile").await.as_deref(),
        Some("9876543212")
    );
    assert_eq!(
        app.stored_attr(id, "zipcode").await.as_deref(),
        Some("403507")
    );
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("Fibre 300, IPTV")
    );
    assert_eq!(app.stored_attr(id, "uniqueid").await, None);
    let again = deliver(&app, &ct, body, &[]).await;
    assert_eq!((again.id(), again.replayed), (id, true));

    // A missing part and a wrong type, named with Jotform's field.
    let mut raw = jotform_raw_request();
    raw["q4_email"] = json!({"a": "b"});
    let (ct, body) = jotform_body(&raw, "6084250982513018473");
    let a = deliver(&app, &ct, body, &[]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{a:?}");
    assert!(
        a.error()
            .starts_with("email (Jotform field \"q4_email\"): must be"),
        "{a:?}"
    );
    let mut raw = jotform_raw_request();
    raw["q6_address"]["postal"] = json!("");
    let (ct, body) = jotform_body(&raw, "6084250982513018474");
    let a = deliver(&app, &ct, body, &[]).await;
    assert_eq!(
        (a.status, a.error()),
        (
            StatusCode::BAD_REQUEST,
            "zipcode (Jotform field \"q6_address[postal]\"): is required"
        )
    );
    assert_eq!(app.customer_count().await, 1);
}

#[tokio::test]
async fn fillout_and_json_deliveries() {
    let app = spawn_app_with(&[("AUTH_CACHE_SECONDS", "0")]).await;
    set_up(
        &app,
        &[("form_profile", "fillout"), ("form_map", FILLOUT_MAP)],
    )
    .await
    .result();
    let body = fillout().to_string();
    let id = deliver(&app, "application/json", body.clone(), &[])
        .await
        .id();
    assert_eq!(
        app.stored_attr(id, "name").await.as_deref(),
        Some("Meera Pai")
    );
    assert_eq!(
        app.stored_attr(id, "dob").await.as_deref(),
        Some("1990-01-31")
    );
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("Fibre 100, Static IP")
    );
    let again = deliver(&app, "application/json", body, &[]).await;
    assert_eq!((again.id(), again.replayed), (id, true));
    // Wrapped in `submission`, as some deliveries are: read the same.
    let mut wrapped =
        json!({"formId": "gHretr3UKYus", "formName": "Signup", "submission": fillout()});
    wrapped["submission"]["submissionId"] = json!("another-submission");
    let id2 = deliver(&app, "application/json", wrapped.to_string(), &[])
        .await
        .id();
    assert_ne!(id, id2);

    // json: pointers, the map's own idempotency key, an X-Signature.
    let r = set_up(
        &app,
        &[
            ("form_profile", "json"),
            ("form_map", JSON_MAP),
            ("signing_secret", "json-sender-secret-0001"),
        ],
    )
    .await;
    r.result();
    let secret = SigningSecret::parse("s", "json-sender-secret-0001").unwrap();
    let body = json_payload().to_string();
    let sig = secret.sign(Profile::Json, body.as_bytes());
    let a = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("x-signature", &sig)],
    )
    .await;
    let id = a.id();
    assert_eq!(
        app.stored_attr(id, "type").await.as_deref(),
        Some("Organisation")
    );
    assert_eq!(app.stored_attr(id, "surname").await.as_deref(), Some("Rao"));
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("web, fibre")
    );
    let again = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("x-signature", &sig)],
    )
    .await;
    assert_eq!((again.id(), again.replayed), (id, true));
    let a = deliver(&app, "application/json", body, &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");

    // Back to `fields`: nested JSON is today's 400 again, flat fields create.
    set_up(&app, &[("form_profile", "fields")]).await.result();
    let a = deliver(&app, "application/json", json_payload().to_string(), &[]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{a:?}");
    assert_eq!(app.create(FORM_USER, &[]).await.status, StatusCode::OK);
}

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
