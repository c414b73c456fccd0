use crate::domain::{DomainError, Invalid};
use crate::store::StoreError;

/// Why a use case failed. The HTTP layer maps each variant to a status code in one place.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Missing credentials, unknown user or wrong key: one answer for all three.
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("userid: this user, or its ISP or reseller, is disabled")]
    Disabled,
    /// The caller's role does not allow the operation at all (a form key's reads).
    #[error("{0}")]
    NotAllowed(&'static str),
    /// A limit on the caller's creates is reached (form keys): 429 with `Retry-After`.
    #[error("{message}")]
    RateLimited { retry_after: u64, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        Self::Domain(e.into())
    }
}

impl From<crate::domain::credentials::RandomError> for AppError {
    fn from(e: crate::domain::credentials::RandomError) -> Self {
        Self::Internal(e.to_string())
    }
}
