//! Every failure a client can see, and its status code: the one place that decides them.

use super::contract;
use super::params::RequestError;
use crate::app::AppError;
use crate::domain::DomainError;
use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(
        "no such route: POST /api/customer/* or /api/service/* (list, create, update, delete), \
         /api/isp/* or /api/reseller/* (list, create, update), /api/user/* (list, create, \
         rotate_key, disable, enable, update)"
    )]
    NoRoute,
    #[error("method not allowed: use POST")]
    Method,
    /// The request ran past `REQUEST_DEADLINE_MS`.
    #[error("deadline: the request took too long; retry shortly")]
    Deadline,
    /// The handler panicked (a bug): logged with the request id, answered as an envelope.
    #[error("internal error")]
    Panic,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::App(e) => match e {
                AppError::Domain(DomainError::Invalid(_) | DomainError::Payload(_)) => {
                    StatusCode::BAD_REQUEST
                }
                AppError::Domain(DomainError::OutOfScope(_)) => StatusCode::FORBIDDEN,
                AppError::Domain(DomainError::NotFound(_)) => StatusCode::NOT_FOUND,
                AppError::Domain(DomainError::Conflict(_)) => StatusCode::CONFLICT,
                AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                AppError::Disabled | AppError::NotAllowed(_) => StatusCode::FORBIDDEN,
                AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Store(StoreError::Throttled(_)) => StatusCode::TOO_MANY_REQUESTS,
                AppError::Store(StoreError::Unavailable(_) | StoreError::Busy(_)) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Request(e) => match e {
                RequestError::Duplicate(_)
                | RequestError::Malformed(_)
                | RequestError::NotFlat(_) => StatusCode::BAD_REQUEST,
                RequestError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                RequestError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            },
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::Method => StatusCode::METHOD_NOT_ALLOWED,
            Self::Deadline => StatusCode::SERVICE_UNAVAILABLE,
            Self::Panic => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The text the client sees. Storage and internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            Self::App(AppError::Store(StoreError::Throttled(_))) => {
                "throttled: retry shortly".into()
            }
            Self::App(AppError::Store(StoreError::Unavailable(_))) => {
                "storage unavailable: retry shortly".into()
            }
            Self::App(AppError::Store(StoreError::Busy(_))) => "storage busy: retry shortly".into(),
            Self::App(AppError::Store(_) | AppError::Internal(_)) => "internal error".into(),
            other => other.to_string(),
        }
    }
}

/// The envelope of every answer: `{"result": <value>, "error": null}` on success,
/// `{"result": null, "error": "<text>"}` on failure.
#[derive(Debug, Serialize)]
pub struct Envelope<T> {
    pub result: T,
    pub error: Option<String>,
    /// Only on an update with `reset_password=Y`: the new password, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal_password: Option<String>,
    /// Only on a list page that is not the last: the cursor of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Only on `user/create` and `user/rotate_key`: the new key, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Only on a `user/update` that set a form key's signing secret: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

/// Seconds a client should wait before retrying a 429 or 503.
pub const RETRY_AFTER_SECONDS: &str = "1";

pub fn failure(status: StatusCode, message: String) -> Response {
    let body = Envelope {
        result: (),
        error: Some(message),
        portal_password: None,
        next: None,
        api_key: None,
        signing_secret: None,
    };
    let mut response = (status, Json(body)).into_response();
    if contract::RETRY_AFTER_STATUSES.contains(&status.as_u16()) {
        response.headers_mut().insert(
            contract::RETRY_AFTER,
            axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // A 5xx is ours to fix: error. A 429 is a refusal, not a failure: a flood of them
        // (a spammer at a form key's limit) must not turn into error-log volume or trip
        // error-based alerting. DynamoDB throttling is worth a warning (its own alarm
        // watches it); a limit doing its job is info. Other 4xx show in the request's line.
        match &self {
            _ if status.is_server_error() => tracing::error!(error = %self, "request failed"),
            Self::App(AppError::RateLimited { .. }) => {
                tracing::info!(error = %self, "request refused by a limit");
            }
            _ if status == StatusCode::TOO_MANY_REQUESTS => {
                tracing::warn!(error = %self, "request throttled by DynamoDB");
            }
            _ => {}
        }
        let mut response = failure(status, self.public_message());
        // A limit knows when its window ends: say so rather than the generic second.
        if let Self::App(AppError::RateLimited { retry_after, .. }) = &self
            && let Ok(value) = axum::http::HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(contract::RETRY_AFTER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Invalid;

    #[test]
    fn internals_never_reach_the_client() {
        let e = ApiError::App(AppError::Store(StoreError::Other(
            "ResourceNotFoundException: table crm-x".into(),
        )));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.public_message(), "internal error");
        let e = ApiError::App(Invalid::new("mobile", "must be 6 to 15 digits").into());
        assert_eq!(
            (e.status(), e.public_message().as_str()),
            (StatusCode::BAD_REQUEST, "mobile: must be 6 to 15 digits")
        );
    }

    #[test]
    fn busy_storage_and_deadlines_say_when_to_retry() {
        for (e, status) in [
            (
                ApiError::App(AppError::Store(StoreError::Busy("conflicts".into()))),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                ApiError::App(AppError::Store(StoreError::Throttled("x".into()))),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            (ApiError::Deadline, StatusCode::SERVICE_UNAVAILABLE),
        ] {
            assert_eq!(e.status(), status);
            let response = e.into_response();
            assert_eq!(response.headers()["retry-after"], RETRY_AFTER_SECONDS);
        }
        let response = ApiError::Panic.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.headers().get("retry-after").is_none());
    }

    /// The log lines (as JSON) that answering `e` writes.
    fn logged(e: ApiError) -> Vec<serde_json::Value> {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || drop(e.into_response()));
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn refusals_are_not_logged_as_errors() {
        let level = |e| -> Vec<String> {
            logged(e)
                .iter()
                .map(|line| line["level"].as_str().unwrap().to_owned())
                .collect()
        };
        let limited = ApiError::App(AppError::RateLimited {
            retry_after: 30,
            message: "userid: this form key has made its 20 creates".into(),
        });
        assert_eq!(level(limited), ["INFO"]);
        let throttled = ApiError::App(AppError::Store(StoreError::Throttled("x".into())));
        assert_eq!(level(throttled), ["WARN"]);
        let refused = ApiError::App(AppError::Unauthenticated("userid/api_key: wrong"));
        assert!(level(refused).is_empty());
        let busy = ApiError::App(AppError::Store(StoreError::Busy("conflicts".into())));
        assert_eq!(level(busy), ["ERROR"]);
        assert_eq!(level(ApiError::Deadline), ["ERROR"]);
    }
}
