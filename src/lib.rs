//! Customer API for ISPs.
//!
//! A request flows HTTP (`http`: parse, authenticate) → use case (`app`: orchestrate, plan
//! the list in `app/planner.rs`) → domain (`domain`: typed values, validation, scope rules)
//! → storage (`store`: keys, queries on DynamoDB). `admin` and `transfer` (import, export)
//! serve `crm-admin` only (its ISP, reseller and user commands call `app::tenancy`, the
//! API's own rules, as the platform admin); `events` turns the tables' stream records into change events (the
//! `change-events` binary); the API never calls it.

pub mod admin;
pub mod app;
pub mod config;
pub mod domain;
pub mod events;
pub mod http;
pub mod process;
pub mod sdk;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod transfer;
pub mod webhooks;
