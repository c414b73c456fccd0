//! Customer API for ISPs.
//!
//! A request flows HTTP (`http`: parse, authenticate) → use case (`app`) → domain (`domain`:
//! validate, plan) → storage (`store`: keys, queries on DynamoDB).

pub mod admin;
pub mod app;
pub mod config;
pub mod domain;
pub mod http;
pub mod store;
pub mod telemetry;
