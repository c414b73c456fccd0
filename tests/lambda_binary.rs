//! The customer-api binary as Lambda runs it: `AWS_LAMBDA_RUNTIME_API` set, events from the
//! Runtime API (a minimal one here, on loopback), the DynamoDB client configured from the
//! environment alone, answers posted back. Two API Gateway (HTTP API, payload 2.0) events: a
//! form create (base64 body, as API Gateway sends forms) and a JSON service create. And the
//! events of a Lambda function URL (template parameter FunctionUrl): the same payload 2.0,
//! with routeKey `$default`, a `*.lambda-url.<region>.on.aws` domain and no stage in the path.

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use common::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

struct Runtime {
    events: Vec<String>,
    next: AtomicUsize,
    answers: mpsc::UnboundedSender<(String, Value)>,
}

async fn next(State(rt): State<Arc<Runtime>>) -> Response {
    let i = rt.next.fetch_add(1, Ordering::SeqCst);
    let Some(event) = rt.events.get(i) else {
        // Nothing more: hold the poll, as Lambda does while an instance is frozen.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    (
        [
            ("lambda-runtime-aws-request-id", format!("req-{i}")),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:test".to_owned(),
            ),
            ("content-type", "application/json".to_owned()),
        ],
        event.clone(),
    )
        .into_response()
}

async fn answer(
    State(rt): State<Arc<Runtime>>,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let _ = rt.answers.send((format!("{id}/{kind}"), value));
    StatusCode::ACCEPTED
}

fn event(path: &str, content_type: &str, body: String, base64: bool) -> String {
    let body = match base64 {
        true => base64::engine::general_purpose::STANDARD.encode(body),
        false => body,
    };
    json!({
        "version": "2.0",
        "routeKey": format!("POST {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": content_type,
            "x-userid": ISP1_USER.to_string(),
            "x-api-key": SPEC_KEY,
            "host": "abc123.execute-api.us-east-1.amazonaws.com"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "test"},
            "requestId": "test",
            "routeKey": format!("POST {path}"),
            "stage": "$default",
            "time": "27/Nov/2026:05:10:00 +0000",
            "timeEpoch": 1795756200000u64
        },
        "body": body,
        "isBase64Encoded": base64
    })
    .to_string()
}

/// A function URL's event (Lambda's "request payload", the HTTP API 2.0 shape): routeKey
/// `$default`, the URL's own domain, no API Gateway fields, an anonymous caller account.
/// `stage` is what Lambda sends today (`Some("$default")`, a placeholder) or `None` to leave
/// the field out; neither may put a stage in the path.
fn function_url_event(
    path: &str,
    headers: &[(&str, &str)],
    body: String,
    base64: bool,
    stage: Option<&str>,
) -> String {
    let domain = "abcdefg.lambda-url.us-east-1.on.aws";
    let body = match base64 {
        true => base64::engine::general_purpose::STANDARD.encode(body),
        false => body,
    };
    let mut all_headers = json!({
        "host": domain,
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-forwarded-for": "203.0.113.7",
        "x-amzn-trace-id": "Root=1-62ecd163-5f302e550dcde3b12402207d",
        "user-agent": "test"
    });
    for (name, value) in headers {
        all_headers[*name] = json!(value);
    }
    let mut context = json!({
        "accountId": "anonymous",
        "apiId": "abcdefg",
        "domainName": domain,
        "domainPrefix": "abcdefg",
        "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                 "sourceIp": "203.0.113.7", "userAgent": "test"},
        "requestId": "0a3b4c5d-1111-2222-3333-444455556666",
        "routeKey": "$default",
        "time": "27/Nov/2026:05:10:00 +0000",
        "timeEpoch": 1795756200000u64
    });
    if let Some(stage) = stage {
        context["stage"] = json!(stage);
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": all_headers,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": base64
    })
    .to_string()
}

/// Runs the customer-api binary as Lambda does, against `app`'s tables, with `events` queued on
/// a loopback Runtime API; returns the posted answers (`req-N/response` or `req-N/error` and
/// the body), one per event, in order.
async fn run_under_lambda(app: &TestApp, events: Vec<String>) -> Vec<(String, Value)> {
    let count = events.len();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let rt = Arc::new(Runtime {
        events,
        next: AtomicUsize::new(0),
        answers: tx,
    });
    let api = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
        .with_state(rt);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let runtime_api = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, api).await });

    let mut child = app
        .lambda_function(&runtime_api, "test")
        .spawn()
        .expect("start customer-api");

    let mut answers = Vec::new();
    for _ in 0..count {
        let got = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await;
        answers.push(
            got.expect("an answer in time")
                .expect("the runtime API is up"),
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    answers
}

/// The JSON envelope of an answered event (its body, base64 or not).
fn envelope(answer: &Value) -> Value {
    let body = answer["body"].as_str().expect("a text body");
    let body = match answer["isBase64Encoded"].as_bool() {
        Some(true) => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap(),
        )
        .unwrap(),
        _ => body.to_owned(),
    };
    serde_json::from_str(&body).unwrap()
}

/// The `result` of an answered event, after checking it is a 200 with the JSON envelope.
fn result(answer: &Value) -> Value {
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let envelope = envelope(answer);
    assert_eq!(envelope["error"], Value::Null, "{envelope}");
    envelope["result"].clone()
}

#[tokio::test]
async fn the_binary_serves_lambda_events_from_the_runtime_api() {
    let app = spawn_app().await;
    let form = "resellerid=1&type=Individual&name=Lambda+Form&mobile=12344444\
                &email=l%40example.com&zipcode=12345&state=Goa&city=Panaji&street=1+Road";
    // Events run one after the other: the second names customer 1, the first id of a fresh
    // stack, which the first creates.
    let events = vec![
        event(
            "/api/customer/create",
            "application/x-www-form-urlencoded",
            form.to_owned(),
            true,
        ),
        event(
            "/api/service/create",
            "application/json",
            json!({"customerid": 1, "username": "lambda.user", "plan": "50M"}).to_string(),
            false,
        ),
    ];
    let answers = run_under_lambda(&app, events).await;

    assert_eq!(answers[0].0, "req-0/response", "{answers:?}");
    let customer = result(&answers[0].1);
    assert_eq!(customer, 1, "the first id of a fresh stack");
    assert_eq!(
        app.stored_attr(1, "name").await.as_deref(),
        Some("Lambda Form")
    );
    assert_eq!(answers[1].0, "req-1/response", "{answers:?}");
    assert!(result(&answers[1].1).as_u64().is_some(), "{answers:?}");
    assert_eq!(app.count_items(&app.store.tables.services).await, 1);
}

#[tokio::test]
async fn the_binary_serves_function_url_events() {
    let app = spawn_app().await;
    let auth = format!("userid={ISP1_USER}&api_key={SPEC_KEY}");
    let form = format!(
        "{auth}&resellerid=1&type=Individual&name=Url+Form&mobile=12344444\
         &email=u%40example.com&zipcode=12345&state=Goa&city=Panaji&street=1+Road"
    );
    let user = ISP1_USER.to_string();
    let json_auth = [
        ("content-type", "application/json"),
        ("x-userid", user.as_str()),
        ("x-api-key", SPEC_KEY),
    ];
    let events = vec![
        // A form create with the credentials in the body, base64 as Lambda delivers forms.
        function_url_event(
            "/api/customer/create",
            &[("content-type", "application/x-www-form-urlencoded")],
            form,
            true,
            Some("$default"),
        ),
        // The list, as the function URL sends it today (stage "$default")...
        function_url_event(
            "/api/customer/list",
            &[("content-type", "application/x-www-form-urlencoded")],
            auth.clone(),
            true,
            Some("$default"),
        ),
        // ...and with no stage field at all; credentials in headers, a JSON body.
        function_url_event(
            "/api/customer/list",
            &json_auth,
            json!({"show_count": 1}).to_string(),
            false,
            None,
        ),
        // Unknown routes get the JSON envelope too (no API Gateway route in front).
        function_url_event("/api/nope", &json_auth, "{}".to_owned(), false, None),
    ];
    let answers = run_under_lambda(&app, events).await;

    for (i, (id, _)) in answers.iter().enumerate() {
        assert_eq!(id, &format!("req-{i}/response"), "{answers:?}");
    }
    assert_eq!(result(&answers[0].1), 1, "the first id of a fresh stack");
    let page = result(&answers[1].1);
    let page = page.as_array().expect("a list page");
    assert_eq!(page.len(), 1, "{page:?}");
    assert_eq!(page[0]["id"], 1, "{page:?}");
    assert_eq!(page[0]["name"], "Url Form", "{page:?}");
    assert_eq!(result(&answers[2].1), 1, "show_count");
    assert_eq!(answers[3].1["statusCode"], 404, "{answers:?}");
    let not_found = envelope(&answers[3].1);
    assert!(not_found["error"].is_string(), "{not_found}");
}

/// `DYNAMODB_PRECONNECT=true` opens the DynamoDB connection in init, before the first poll of
/// `/next`; without it init opens none. The endpoint is a relay to moto that counts the
/// connections it accepted; the count is read when the first `/next` arrives.
#[tokio::test]
async fn preconnect_opens_the_dynamodb_connection_before_the_first_poll() {
    let app = spawn_app().await;
    let moto = std::env::var("DYNAMODB_ENDPOINT").expect("DYNAMODB_ENDPOINT (infra/with-moto.sh)");
    let upstream = moto
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    for (preconnect, expected) in [("false", 0), ("true", 1)] {
        let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay_url = format!("http://{}", relay.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        let upstream = upstream.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = relay.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        let (tx, mut first_poll) = mpsc::unbounded_channel();
        let seen = accepted.clone();
        let api = Router::new().route(
            "/2018-06-01/runtime/invocation/next",
            get(move || {
                let _ = tx.send(seen.load(Ordering::SeqCst));
                std::future::pending::<Response>()
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let runtime_api = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, api).await });

        let mut child = app
            .lambda_function(&runtime_api, "test")
            .env("DYNAMODB_ENDPOINT", &relay_url)
            .env("DYNAMODB_PRECONNECT", preconnect)
            .spawn()
            .expect("start customer-api");
        let at_first_poll = tokio::time::timeout(Duration::from_secs(30), first_poll.recv()).await;
        let _ = child.kill();
        let _ = child.wait();
        let at_first_poll = at_first_poll
            .expect("a poll in time")
            .expect("the runtime API is up");
        assert_eq!(
            at_first_poll, expected,
            "DYNAMODB_PRECONNECT={preconnect}: connections to DynamoDB before the first /next"
        );
    }
}
