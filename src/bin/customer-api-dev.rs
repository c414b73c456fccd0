//! The customer API as a local HTTP server (`make dev`, the clients' and contract checks'
//! API): the same settings, client, app and router as the `customer-api` function
//! (`isp_crm::startup`), served by axum on `BIND_ADDR` with a multi-threaded runtime. Never
//! deployed. `customer-api-dev --version` prints the name and version and exits.

use isp_crm::config::Settings;
use isp_crm::process;
use std::process::ExitCode;

fn main() -> ExitCode {
    if process::asks_for_version() {
        println!("{} {}", env!("CARGO_BIN_NAME"), env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    run()
}

#[tokio::main]
async fn run() -> ExitCode {
    let Some((settings, router)) = isp_crm::startup::from_env().await else {
        return ExitCode::FAILURE;
    };
    match serve(router, &settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped");
            ExitCode::FAILURE
        }
    }
}

async fn serve(router: axum::Router, settings: &Settings) -> std::io::Result<()> {
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
        .await
}
