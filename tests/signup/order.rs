//! The documented order on `customer/create`: a body no profile could accept (invalid JSON,
//! malformed multipart, a name given twice) is 400 before authentication, for every caller;
//! only a JSON body that is not flat waits for the caller (a profiled key's tool sends one).

use super::fixtures::*;
use super::{deliver, set_up};
use crate::common::*;
use reqwest::StatusCode;

/// POSTs `body` with credentials in the query string and a wrong api_key.
async fn post_wrong_key(app: &TestApp, content_type: &str, body: &'static str) -> StatusCode {
    let url = format!(
        "{}/api/customer/create?userid={FORM_USER}&api_key={}",
        app.url,
        "f".repeat(app.key(FORM_USER).len())
    );
    app.http
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
        .status()
}

#[tokio::test]
async fn body_errors_no_profile_accepts_come_before_authentication() {
    let app = spawn_app().await;
    let bad = [
        ("application/json", r#"{"name": "x", "#),
        ("application/json", r#"{"a": {"b": 1}, "#),
        ("application/json", r#"{"a": {"b": 1}} trailing"#),
        ("application/json", r#"{"a": {"b": 1}, "a": 2}"#),
        ("application/json", r#"{"a": {"b": 1, "b": 2}}"#),
        ("application/x-www-form-urlencoded", "name=a&name=b"),
        ("multipart/form-data; boundary=XyZ", "--XyZ\r\nnot a part"),
        ("multipart/form-data", "--XyZ--"),
    ];
    for (ct, body) in bad {
        assert_eq!(
            post_wrong_key(&app, ct, body).await,
            StatusCode::BAD_REQUEST,
            "{ct}: {body}"
        );
    }
    // A nested body waits for the caller: a wrong key is 401.
    let nested = r#"{"a": {"b": 1}}"#;
    assert_eq!(
        post_wrong_key(&app, "application/json", nested).await,
        StatusCode::UNAUTHORIZED
    );

    // A profiled key refuses a duplicated name anywhere in its tool's JSON.
    set_up(
        &app,
        &[("form_profile", "typeform"), ("form_map", TYPEFORM_MAP)],
    )
    .await
    .result();
    let body = typeform().to_string();
    let twice = body.replacen(
        "\"form_response\":{",
        "\"form_response\":{\"token\":\"t1\",",
        1,
    );
    assert_ne!(twice, body);
    let a = deliver(&app, "application/json", twice, &[]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{a:?}");
    assert!(a.error().contains("given more than once"), "{a:?}");
    assert_eq!(app.customer_count().await, 0);
}
