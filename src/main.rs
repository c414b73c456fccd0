//! The customer API as an AWS Lambda function, through lambda_http. Clients and settings are
//! built once, before the first request. The same API as a local HTTP server is
//! `customer-api-dev` (`make dev`). `customer-api --version` prints the name and version and
//! exits.

use isp_crm::process;
use std::process::ExitCode;

fn main() -> ExitCode {
    if process::asks_for_version() {
        println!("{} {}", env!("CARGO_BIN_NAME"), env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if !process::under_lambda() {
        eprintln!(
            "customer-api: AWS_LAMBDA_RUNTIME_API is not set; this binary runs under AWS Lambda \
             only (the local server is customer-api-dev: make dev)"
        );
        return ExitCode::FAILURE;
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
    let Some((_, router)) = isp_crm::startup::from_env().await else {
        return ExitCode::FAILURE;
    };
    match lambda_http::run(router).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped");
            ExitCode::FAILURE
        }
    }
}
