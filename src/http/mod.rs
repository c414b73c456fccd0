//! HTTP: parse the body, authenticate, call the use case, answer with the JSON envelope.
//! The same router serves API Gateway (through lambda_http) and the local server.

mod access_log;
pub mod contract;
mod credentials;
mod delivery;
mod document;
mod error;
mod guard;
pub mod metrics;
mod page;
mod params;
mod pipeline;
mod routes;
mod tenancy;
mod web;
mod webhooks;

pub use access_log::MetricsSink;
pub use credentials::{Credentials, credentials};
pub use error::{ApiError, Envelope};
pub use params::{MAX_BODY_BYTES, Params, RequestError};
pub use routes::router;
