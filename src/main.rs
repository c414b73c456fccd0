//! The customer API: under AWS Lambda (`AWS_LAMBDA_RUNTIME_API` set) through lambda_http,
//! elsewhere as a plain HTTP server. Clients and settings are built once, before the first request.
//! `customer-api --version` prints the name and version and exits.

use isp_crm::app::App;
use isp_crm::config::Settings;
use isp_crm::process;
use isp_crm::store::{self, Store};
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    if process::asks_for_version() {
        println!("{} {}", env!("CARGO_BIN_NAME"), env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    match process::runtime() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("customer-api: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    isp_crm::telemetry::init();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "bad configuration");
            return ExitCode::FAILURE;
        }
    };
    let client = match store::client::api_client(
        settings.endpoint.as_deref(),
        settings.tls_roots,
        &settings.dynamodb,
    ) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "bad configuration");
            return ExitCode::FAILURE;
        }
    };
    let store = Store::new(client, settings.tables.clone());
    if settings.cursor_secret.is_none() && process::under_lambda() {
        tracing::warn!(
            "CURSOR_SECRET is not set: list cursors work only on the instance that issued them"
        );
    }
    if settings.form_secret_key.is_none() && process::under_lambda() {
        tracing::warn!(
            "FORM_SECRET_KEY is not set: form keys' signing secrets can be neither set nor checked"
        );
    }
    let app = match App::new(store, &settings) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "start-up failed");
            return ExitCode::FAILURE;
        }
    };
    let router = isp_crm::http::router(Arc::new(app));

    let outcome = if process::under_lambda() {
        lambda_http::run(router).await
    } else {
        serve(router, &settings).await
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped");
            ExitCode::FAILURE
        }
    }
}

async fn serve(router: axum::Router, settings: &Settings) -> Result<(), lambda_http::Error> {
    let listener = tokio::net::TcpListener::bind(settings.bind).await?;
    tracing::info!(
        url = %format!("http://{}", listener.local_addr()?),
        dynamodb = settings.endpoint.as_deref().unwrap_or("aws"),
        "listening"
    );
    // The peer address: form keys' per-source limits (app::limits).
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
