//! A local stand-in for API Gateway (HTTP API, payload 2.0) and the Lambda Runtime API, so the
//! customer-api binary runs as it does when deployed: through `lambda_http`, one event at a
//! time, with API Gateway's event shape (form bodies base64-encoded) and its answer mapped
//! back to HTTP. Used by `make dev-lambda` (examples/lambda_local/main.rs) and by
//! tests/lambda_local.rs; no Docker (docs/sam-local.md is the Docker way).
//!
//! Every path and method is passed to the function, as a `$default` route or a function URL
//! does: the router's own 404 and 405 answer, where the stack's explicit routes would have
//! API Gateway answer `{"message":"Not Found"}` itself.

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, mpsc, oneshot};

/// API Gateway's own limit on a request body (the function sees at most this).
const MAX_BODY: usize = 10 * 1024 * 1024;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

struct Invocation {
    event: String,
    answer: oneshot::Sender<Result<Value, String>>,
}

struct Shared {
    queue: Mutex<mpsc::Receiver<Invocation>>,
    sender: mpsc::Sender<Invocation>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Result<Value, String>>>>,
    ids: AtomicU64,
    timeout: Duration,
}

/// The two listeners' routers: the public HTTP side and the Runtime API the function polls.
pub fn routers(timeout: Duration) -> (Router, Router) {
    let (sender, queue) = mpsc::channel(64);
    let shared = Arc::new(Shared {
        queue: Mutex::new(queue),
        sender,
        waiting: Mutex::new(HashMap::new()),
        ids: AtomicU64::new(0),
        timeout,
    });
    let public = Router::new().fallback(invoke).with_state(shared.clone());
    let runtime = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(respond),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(shared);
    (public, runtime)
}

/// API Gateway's answer when the function fails or times out (its body, not the envelope).
fn gateway_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "message": message }))).into_response()
}

async fn invoke(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    };
    let event = event(&parts.method, &parts.uri, &parts.headers, &body);
    let (answer, answered) = oneshot::channel();
    if shared
        .sender
        .send(Invocation {
            event: event.to_string(),
            answer,
        })
        .await
        .is_err()
    {
        return gateway_error(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
    }
    match tokio::time::timeout(shared.timeout, answered).await {
        Ok(Ok(Ok(payload))) => response(&payload),
        Ok(Ok(Err(error))) => {
            eprintln!("lambda-local: the function failed: {error}");
            gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Ok(Err(_)) => gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        Err(_) => gateway_error(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
    }
}

/// The payload 2.0 event API Gateway's HTTP API sends for this request.
fn event(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Value {
    let mut joined: serde_json::Map<String, Value> = serde_json::Map::new();
    let mut cookies = Vec::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == "cookie" {
            cookies.extend(value.split("; ").map(|c| json!(c)));
            continue;
        }
        let entry = joined.entry(name.as_str().to_owned()).or_insert(json!(""));
        *entry = match entry.as_str() {
            Some("") | None => json!(value),
            Some(earlier) => json!(format!("{earlier},{value}")),
        };
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // API Gateway passes JSON and text as they are and base64-encodes everything else (forms
    // included): the shape lambda_http decodes in production.
    let text = content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || (content_type.starts_with("application/") && content_type.contains("+json"));
    let (body, base64) = match (body.is_empty(), text) {
        (true, _) => (Value::Null, false),
        (false, true) => (json!(String::from_utf8_lossy(body)), false),
        (false, false) => (json!(B64.encode(body)), true),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let path = uri.path();
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": uri.query().unwrap_or_default(),
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost"),
            "domainPrefix": "local",
            "http": {"method": method.as_str(), "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1",
                     "userAgent": headers.get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or_default()},
            "requestId": format!("local-{now}"),
            "routeKey": "$default",
            "stage": "$default",
            "time": "",
            "timeEpoch": now
        },
        "body": body,
        "isBase64Encoded": base64
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if let Some(query) = uri.query() {
        let mut params: serde_json::Map<String, Value> = serde_json::Map::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let entry = params.entry(k.into_owned()).or_insert(json!(""));
            *entry = match entry.as_str() {
                Some("") | None => json!(v),
                Some(earlier) => json!(format!("{earlier},{v}")),
            };
        }
        event["queryStringParameters"] = Value::Object(params);
    }
    event
}

/// The HTTP answer API Gateway makes of the function's payload 2.0 response.
fn response(payload: &Value) -> Response {
    let status = payload["statusCode"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = payload["body"].as_str().unwrap_or_default();
    let body = match payload["isBase64Encoded"].as_bool() {
        Some(true) => match B64.decode(text) {
            Ok(bytes) => Bytes::from(bytes),
            Err(_) => {
                return gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
        },
        _ => Bytes::from(text.to_owned()),
    };
    let mut answer = Response::new(Body::from(body));
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    let mut add = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(n, v);
        }
    };
    if let Some(map) = payload["headers"].as_object() {
        for (name, value) in map {
            add(name, value.as_str().unwrap_or_default());
        }
    }
    if let Some(map) = payload["multiValueHeaders"].as_object() {
        for (name, values) in map {
            for value in values.as_array().into_iter().flatten() {
                add(name, value.as_str().unwrap_or_default());
            }
        }
    }
    for cookie in payload["cookies"].as_array().into_iter().flatten() {
        add("set-cookie", cookie.as_str().unwrap_or_default());
    }
    answer
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    // One function instance: it polls again only after answering, so one event at a time.
    let Some(invocation) = shared.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let n = shared.ids.fetch_add(1, Ordering::SeqCst);
    let id = format!("local-{n}");
    shared
        .waiting
        .lock()
        .await
        .insert(id.clone(), invocation.answer);
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(shared.timeout)
        .as_millis();
    (
        [
            ("lambda-runtime-aws-request-id", id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:customer-api-local".to_owned(),
            ),
            ("content-type", "application/json".to_owned()),
        ],
        invocation.event,
    )
        .into_response()
}

async fn respond(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let payload = serde_json::from_slice(&body).map_err(|e| format!("not a JSON response: {e}"));
    match shared.waiting.lock().await.remove(&id) {
        Some(waiting) => {
            let _ = waiting.send(payload);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn fail(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let error = String::from_utf8_lossy(&body).into_owned();
    match shared.waiting.lock().await.remove(&id) {
        Some(waiting) => {
            let _ = waiting.send(Err(error));
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn init_error(body: Bytes) -> StatusCode {
    eprintln!(
        "lambda-local: the function failed to start: {}",
        String::from_utf8_lossy(&body)
    );
    StatusCode::ACCEPTED
}
