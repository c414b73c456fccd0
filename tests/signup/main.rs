//! Signup form tools connected directly (issue #20), through HTTP on moto: each tool's
//! documented delivery (fixtures.rs) posted to `customer/create` with a form key set up
//! for it by `user/update`: created, replayed, signed / unsigned / tampered, missing and
//! invalid answers, wrong types, extra answers, Unicode names, multi-choice answers, empty
//! optional answers; and the setup's own rules.

#[path = "../common/mod.rs"]
mod common;
mod cost;
mod damaged;
mod fixtures;
mod order;
mod properties;
mod replays;
mod setup;
mod tools;

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
    deliver_to(app, FORM_USER, content_type, body, headers).await
}

/// `deliver` to form key `user`.
pub async fn deliver_to(
    app: &TestApp,
    user: u64,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> Answer {
    let url = format!(
        "{}/api/customer/create?userid={user}&api_key={}",
        app.url,
        app.key(user)
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
    set_up_key(app, FORM_USER, params).await
}

/// `set_up` of form key `user`.
pub async fn set_up_key(app: &TestApp, user: u64, params: &[(&str, &str)]) -> Reply {
    let target = user.to_string();
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
