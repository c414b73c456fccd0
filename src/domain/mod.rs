//! The customer domain: typed values parsed at the edge, scope rules and the list request.
//! Knows nothing of HTTP or DynamoDB.

pub mod credentials;
pub mod customer;
pub mod error;
pub mod fields;
pub mod idempotency;
pub mod ids;
pub mod list;
pub mod scope;
pub mod service;
pub mod tenancy;
pub mod text;

pub use error::{DomainError, Invalid};
pub use fields::Fields;
