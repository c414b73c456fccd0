//! Test harness: `spawn_app()` starts the real router on a random port, on tables of its own
//! (a unique prefix) in the DynamoDB API that `make test` started (moto), with a seeded world:
//!
//! | user | role     | scope                        |
//! |------|----------|------------------------------|
//! | 1    | admin    | platform                     |
//! | 5    | isp      | ISP 1 (the spec's api_key)   |
//! | 6    | isp      | ISP 2                        |
//! | 7    | reseller | reseller 1 of ISP 1          |
//! | 8    | reseller | reseller 3 of ISP 2          |
//! | 9    | isp      | ISP 1, disabled              |
//! | 20   | form     | reseller 1 of ISP 1          |
//!
//! Resellers 1 and 2 belong to ISP 1, reseller 3 to ISP 2. A table-driven test whose rows
//! change that world gives each row a copy of its own (`World`, in world.rs).
//!
//! `app`: the app and its settings; `http`: calls and replies; `tables`: what the tables hold,
//! read directly; `proxy`: proxies in front of moto; `world`: the seeded world.
#![allow(dead_code)]

mod app;
mod http;
mod proxy;
mod tables;
mod world;

// Each test file uses some of these.
#[allow(unused_imports)]
pub use {app::*, http::*, proxy::*, tables::*, world::*};
