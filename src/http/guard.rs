//! Every request runs under its deadline, with its retry budget, and with panics caught, so
//! that whatever happens the client gets the JSON envelope with a documented status: 503
//! with `Retry-After` past `REQUEST_DEADLINE_MS` (never API Gateway's bare 500 from a function
//! that ran out of time), 500 for a panic (logged with the request id).

use super::error::ApiError;
use crate::app::App;
use crate::store::retries;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use lambda_http::RequestExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let request_id = req.lambda_context_ref().map(|c| c.request_id.clone());
    let run = retries::scope(app.request_retries(), next.run(req));
    match tokio::time::timeout(app.request_deadline(), AssertUnwindSafe(run).catch_unwind()).await {
        Ok(Ok(response)) => response,
        Ok(Err(panic)) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id, panic = message, "request panicked");
            ApiError::Panic.into_response()
        }
        Err(_) => {
            tracing::error!(
                request_id,
                deadline_ms = app.request_deadline().as_millis() as u64,
                "request deadline passed"
            );
            ApiError::Deadline.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::store::{Store, Tables};
    use axum::body::Body;
    use axum::routing::post;
    use tower::ServiceExt;

    /// A router whose handlers misbehave, behind the guard of an app that never reaches
    /// DynamoDB (the client is built offline and never used).
    fn router() -> axum::Router {
        let settings = Settings::from_lookup(
            |k| (k == "REQUEST_DEADLINE_MS").then(|| "50".to_owned()),
            false,
        )
        .unwrap();
        let store = Store::offline(Tables::with_prefix("x-"));
        let app = Arc::new(App::new(store, &settings).unwrap());
        axum::Router::new()
            .route(
                "/panic",
                post(|| async {
                    if std::hint::black_box(true) {
                        panic!("a bug");
                    }
                    "unreachable"
                }),
            )
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }),
            )
            .route("/ok", post(|| async { "fine" }))
            .layer(axum::middleware::from_fn_with_state(app, guard))
    }

    async fn call(path: &str) -> (u16, Option<String>, serde_json::Value) {
        let req = axum::http::Request::post(path).body(Body::empty()).unwrap();
        let resp = router().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (
            status,
            retry,
            serde_json::from_slice(&bytes).unwrap_or_default(),
        )
    }

    #[tokio::test]
    async fn a_panic_is_a_500_envelope() {
        let (status, retry, body) = call("/panic").await;
        assert_eq!((status, retry), (500, None));
        assert_eq!(body["error"], "internal error");
        assert_eq!(body["result"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn past_the_deadline_is_a_503_envelope_with_retry_after() {
        let (status, retry, body) = call("/slow").await;
        assert_eq!((status, retry.as_deref()), (503, Some("1")));
        assert!(
            body["error"].as_str().unwrap().starts_with("deadline"),
            "{body}"
        );
        let (status, _, _) = call("/ok").await;
        assert_eq!(status, 200);
    }
}
