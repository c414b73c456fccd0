//! The customer domain: typed values parsed at the edge, scope rules, the list request and
//! an ISP's time zone.
//! Knows nothing of HTTP or DynamoDB.

pub mod audit;
pub mod credentials;
pub mod customer;
pub mod entity;
pub mod error;
pub mod event;
pub mod fields;
pub mod idempotency;
pub mod ids;
pub mod list;
pub mod paging;
pub mod scope;
pub mod service;
pub mod signup;
pub mod tenancy;
pub mod text;
pub mod webhook;
pub mod zone;

pub use error::{DomainError, Invalid};
pub use fields::Fields;
