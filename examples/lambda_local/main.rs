//! `make dev-lambda`: the API on http://127.0.0.1:3000 (BIND_ADDR) through the Lambda path,
//! without Docker: this process plays API Gateway (HTTP API, payload 2.0) and the Lambda Runtime
//! API (gateway.rs), and runs target/debug/customer-api (CUSTOMER_API_BIN) as a function
//! instance with AWS_LAMBDA_RUNTIME_API pointing at it, so every request goes through
//! lambda_http as in production. The function inherits this environment (DYNAMODB_ENDPOINT,
//! TABLE_PREFIX, …). LAMBDA_TIMEOUT_SECONDS (default: REQUEST_DEADLINE_MS + 1 s, else the stack's 10 s)
//! bounds an invocation: past it the caller gets API Gateway's 503. Ctrl-C, SIGTERM or the function's exit stops it (and
//! the function).

mod gateway;

use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    let bind = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let binary = std::env::var("CUSTOMER_API_BIN")
        .unwrap_or_else(|_| "target/debug/customer-api".to_owned());
    // The function refuses to start unless its REQUEST_DEADLINE_MS ends 1 s before its Timeout:
    // without LAMBDA_TIMEOUT_SECONDS, a Timeout that fits the deadline set (infra/with-moto.sh
    // sets 120 s for moto), else the stack's 10 s.
    let deadline_ms: Option<u64> = std::env::var("REQUEST_DEADLINE_MS")
        .ok()
        .and_then(|s| s.parse().ok());
    let timeout = std::env::var("LAMBDA_TIMEOUT_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .or(deadline_ms.map(|ms| ms.div_ceil(1000) + 1))
        .unwrap_or(10);
    let (public, runtime) = gateway::routers(Duration::from_secs(timeout));
    let listeners = (
        tokio::net::TcpListener::bind(&bind).await,
        tokio::net::TcpListener::bind("127.0.0.1:0").await,
    );
    let (public_listener, runtime_listener) = match listeners {
        (Ok(p), Ok(r)) => (p, r),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("lambda-local: cannot listen on {bind}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime_api = match runtime_listener.local_addr() {
        Ok(a) => a.to_string(),
        Err(e) => {
            eprintln!("lambda-local: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio::spawn(async move { axum::serve(runtime_listener, runtime).await });
    let child = std::process::Command::new(&binary)
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "customer-api-local")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("FUNCTION_TIMEOUT_SECONDS", timeout.to_string())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lambda-local: cannot start {binary}: {e} (cargo build --bins first)");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "lambda-local: the API on http://{bind} through the Lambda path ({binary}, Runtime API {runtime_api})"
    );
    let exited = async {
        loop {
            match child.try_wait() {
                Ok(None) => tokio::time::sleep(Duration::from_millis(200)).await,
                status => return status,
            }
        }
    };
    let code = tokio::select! {
        served = axum::serve(public_listener, public) => {
            eprintln!("lambda-local: {served:?}");
            ExitCode::FAILURE
        }
        status = exited => {
            eprintln!("lambda-local: the function exited: {status:?}");
            ExitCode::FAILURE
        }
        _ = stopped() => ExitCode::SUCCESS,
    };
    let _ = child.kill();
    let _ = child.wait();
    code
}

/// Ctrl-C or SIGTERM (make dev's moto wrapper stopping): the function is stopped with this.
async fn stopped() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
