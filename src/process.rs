//! What a binary knows of the process it runs in, before any setting is read: whether it
//! runs under AWS Lambda, whether it was asked for its version, and so which async runtime
//! it starts; and the exit status a function's runtime loop ends with.

/// Whether the binary was run as `NAME --version` (or `-V`): checked before any configuration
/// is read, runtime started or connection made. Lambda passes no arguments.
pub fn asks_for_version() -> bool {
    std::env::args_os()
        .skip(1)
        .any(|a| a == "--version" || a == "-V")
}

/// Whether this process runs inside AWS Lambda.
pub fn under_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// The async runtime of the function. An instance serves one invocation at a time, so a
/// current-thread runtime does (and starts without spawning a worker per core: part of every
/// cold start); the local server (`customer-api-dev`) keeps the multi-threaded one.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// The exit status of a function whose runtime loop ended: a failure is logged first.
pub fn exit_code<E: std::fmt::Display>(outcome: Result<(), E>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "runtime stopped");
            std::process::ExitCode::FAILURE
        }
    }
}
