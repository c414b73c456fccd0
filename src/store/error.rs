use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use std::fmt::Debug;

/// Failures of the storage layer. Their texts go to logs, never to clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB throttled the request (on-demand limits, or a hot partition).
    #[error("storage throttled: {0}")]
    Throttled(String),
    /// DynamoDB could not be reached, did not answer in time, or failed (a 5xx that
    /// outlived the retries, with or without an error code or a JSON body).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Other writers kept the items busy (transaction conflicts, a transaction still in
    /// progress) until the request's retries were spent.
    #[error("storage busy: {0}")]
    Busy(String),
    /// A record did not have the shape this code writes.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Other(String),
}

/// The DynamoDB error code of a failed call, if the service answered.
pub(crate) fn code_of<E, R>(err: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

impl<E> From<SdkError<E, HttpResponse>> for StoreError
where
    E: ProvideErrorMetadata + Debug + std::error::Error + 'static,
{
    fn from(err: SdkError<E, HttpResponse>) -> Self {
        let detail = || format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err));
        if let Some(refusal) = super::retries::budget_refusal(&err) {
            // A retry refused after a throttled attempt is still throttling (429).
            return match refusal.after_throttle {
                true => Self::Throttled(detail()),
                false => Self::Busy(detail()),
            };
        }
        let server_error = err
            .raw_response()
            .is_some_and(|r| r.status().is_server_error());
        match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Self::Unavailable(detail()),
            SdkError::ServiceError(_) => match code_of(&err) {
                Some(code) if super::retries::THROTTLING_CODES.contains(&code) => {
                    Self::Throttled(detail())
                }
                Some("TransactionInProgressException" | "TransactionConflictException") => {
                    Self::Busy(detail())
                }
                Some("InternalServerError" | "ServiceUnavailable") => Self::Unavailable(detail()),
                _ if server_error => Self::Unavailable(detail()),
                _ => Self::Other(detail()),
            },
            // An answer the SDK could not read (an HTML 500 from a proxy or an emulator).
            SdkError::ResponseError(_) if server_error => Self::Unavailable(detail()),
            _ => Self::Other(detail()),
        }
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(err: serde_dynamo::Error) -> Self {
        Self::Corrupt(err.to_string())
    }
}
