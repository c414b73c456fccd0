//! The same create sent every way a client or API Gateway may deliver it gives the same customer.

mod common;
use base64::Engine;
use common::*;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn form_body(app: &TestApp) -> String {
    let mut pairs = app.signed_form(ISP1_USER, &[("resellerid", "1")]);
    pairs.extend(
        customer_fields()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// An API Gateway HTTP API (payload 2.0) event, as Lambda receives it.
fn http_api_event(body: &str, base64: bool) -> String {
    let body = if base64 {
        base64::engine::general_purpose::STANDARD.encode(body)
    } else {
        body.to_owned()
    };
    json!({
        "version": "2.0",
        "routeKey": "POST /api/customer/create",
        "rawPath": "/api/customer/create",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "host": "abc123.execute-api.eu-west-1.amazonaws.com"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/api/customer/create",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0"
            },
            "requestId": "req-1",
            "routeKey": "POST /api/customer/create",
            "stage": "$default",
            "time": "27/Nov/2026:05:10:00 +0000",
            "timeEpoch": 1795756200000u64
        },
        "body": body,
        "isBase64Encoded": base64
    })
    .to_string()
}

/// Runs a Lambda event through lambda_http's decoding and the router, as under AWS.
async fn invoke(app: &TestApp, event: &str) -> Value {
    let req = lambda_http::request::from_str(event).expect("a valid API Gateway event");
    let resp = app.router.clone().oneshot(req).await.expect("router");
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

/// What a stored customer looks like to the list, without what differs between creates.
async fn view(app: &TestApp, id: u64) -> Value {
    let id = id.to_string();
    let reply = app.call(ISP1_USER, "list", &[("customerid", &id)]).await;
    let mut row = reply.result()[0].clone();
    for volatile in ["id", "created_at", "updated_at"] {
        row.as_object_mut().unwrap().remove(volatile);
    }
    row
}

#[tokio::test]
async fn form_base64_event_plain_event_json_and_multipart_agree() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let form = form_body(&app);

    let plain = app
        .raw(
            "create",
            Some("application/x-www-form-urlencoded"),
            form.clone(),
        )
        .await
        .id();
    let from_http_api = invoke(&app, &http_api_event(&form, true)).await;
    let from_sam_local = invoke(&app, &http_api_event(&form, false)).await;

    let mut json_body = serde_json::Map::new();
    json_body.insert("userid".into(), json!(ISP1_USER)); // a number, as JSON senders do
    json_body.insert("api_key".into(), json!(app.key(ISP1_USER)));
    json_body.insert("resellerid".into(), json!("1")); // a string: both work
    for (k, v) in customer_fields() {
        json_body.insert(k.into(), json!(v));
    }
    let from_json = app
        .raw(
            "create",
            Some("application/json"),
            Value::Object(json_body).to_string(),
        )
        .await
        .id();

    let mut multipart = reqwest::multipart::Form::new()
        .text("userid", ISP1_USER.to_string())
        .text("api_key", app.key(ISP1_USER).to_string())
        .text("resellerid", "1");
    for (k, v) in customer_fields() {
        multipart = multipart.text(k, v);
    }
    let resp = app
        .http
        .post(format!("{}/api/customer/create", app.url))
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    let from_multipart: Value = resp.json().await.unwrap();

    let ids = [
        plain,
        from_http_api["result"]
            .as_u64()
            .expect("base64 event created"),
        from_sam_local["result"]
            .as_u64()
            .expect("plain event created"),
        from_json,
        from_multipart["result"]
            .as_u64()
            .expect("multipart created"),
    ];
    let reference = view(&app, plain).await;
    assert_eq!(reference["name"], "Some Name");
    for id in ids {
        assert_eq!(view(&app, id).await, reference, "customer {id}");
    }
    let mut distinct = ids.to_vec();
    distinct.dedup();
    assert_eq!(distinct.len(), 5);
    assert_eq!(app.customer_count().await, 5);
}

#[tokio::test]
async fn lambda_events_reach_the_same_routes_and_errors() {
    let app = spawn_app().await;
    let mut event: Value = serde_json::from_str(&http_api_event("userid=5", true)).unwrap();
    event["rawPath"] = json!("/api/customer/unknown");
    event["requestContext"]["http"]["path"] = json!("/api/customer/unknown");
    let reply = invoke(&app, &event.to_string()).await;
    assert_eq!(reply["result"], Value::Null);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .starts_with("no such route"),
        "{reply}"
    );

    let reply = invoke(&app, &http_api_event("userid=5", true)).await;
    assert_eq!(reply["error"], "userid and api_key are required");
    assert_eq!(app.customer_count().await, 0);
}
