//! What both front doors of the API build before the first request: the DynamoDB client, the
//! app and its router. `customer-api` (src/main.rs) hands the router to lambda_http under AWS
//! Lambda; `customer-api-dev` (src/bin/customer-api-dev.rs, `make dev`) serves it over HTTP.
//! Two binaries so the function's links neither the HTTP server nor a multi-threaded runtime
//! (docs/performance.md, Size).

use crate::app::App;
use crate::config::Settings;
use crate::process::under_lambda;
use crate::store::{self, Store};
use std::sync::Arc;

/// Logging on, then the settings from the environment and the router over them; `None` after
/// logging why the API cannot start.
pub async fn from_env() -> Option<(Settings, axum::Router)> {
    crate::telemetry::init();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "bad configuration");
            return None;
        }
    };
    let router = router(&settings).await?;
    Some((settings, router))
}

/// The router over the app built from `settings`, the DynamoDB connection opened first with
/// `DYNAMODB_PRECONNECT=true`; `None` after logging why it cannot start.
pub async fn router(settings: &Settings) -> Option<axum::Router> {
    let client = match store::client::api_client(
        settings.endpoint.as_deref(),
        settings.tls_roots,
        &settings.dynamodb,
    ) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "bad configuration");
            return None;
        }
    };
    let store = Store::new(client, settings.tables.clone());
    if settings.dynamodb_preconnect {
        preconnect(&store).await;
    }
    if settings.cursor_secret.is_none() && under_lambda() {
        tracing::warn!(
            "CURSOR_SECRET is not set: list cursors work only on the instance that issued them"
        );
    }
    if settings.form_secret_key.is_none() && under_lambda() {
        tracing::warn!(
            "FORM_SECRET_KEY is not set: form keys' signing secrets can be neither set nor checked"
        );
    }
    match App::new(store, settings) {
        Ok(app) => Some(crate::http::router(Arc::new(app))),
        Err(e) => {
            tracing::error!(error = %e, "start-up failed");
            None
        }
    }
}

/// The connection opened in init; a failure is only logged (the first request connects again).
async fn preconnect(store: &Store) {
    let started = std::time::Instant::now();
    match store.preconnect().await {
        Ok(()) => tracing::info!(
            us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "DynamoDB connection opened in init"
        ),
        Err(e) => tracing::warn!(error = %e, "DynamoDB connection not opened in init"),
    }
}
