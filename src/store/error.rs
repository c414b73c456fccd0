use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use std::fmt::Debug;

/// Failures of the storage layer. Their texts go to logs, never to clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB throttled the request (on-demand limits, or a hot partition).
    #[error("storage throttled: {0}")]
    Throttled(String),
    /// DynamoDB could not be reached or did not answer in time.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
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

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + Debug + std::error::Error + 'static,
    R: Debug,
{
    fn from(err: SdkError<E, R>) -> Self {
        let detail = || format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err));
        match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Self::Unavailable(detail()),
            SdkError::ServiceError(_) => match code_of(&err) {
                Some(
                    "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "LimitExceededException",
                ) => Self::Throttled(detail()),
                Some("InternalServerError" | "ServiceUnavailable") => Self::Unavailable(detail()),
                _ => Self::Other(detail()),
            },
            _ => Self::Other(detail()),
        }
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(err: serde_dynamo::Error) -> Self {
        Self::Corrupt(err.to_string())
    }
}
