//! What the fuzz targets share: a runtime for the async body parser, the Content-Types a
//! body is tried with, and the check that a refusal is a client error.

use isp_crm::domain::Invalid;
use isp_crm::http::{ApiError, RequestError};
use std::sync::OnceLock;

/// One runtime for every input: building one per input would be most of the time spent.
pub fn block_on<F: Future>(f: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread runtime")
        })
        .block_on(f)
}

/// The Content-Types senders use, and some they should not.
pub const CONTENT_TYPES: [&str; 8] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/vnd.api+json",
    "multipart/form-data; boundary=XyZ",
    "multipart/form-data",
    "text/plain",
    "application/json; charset=latin1",
    "multipart/form-data; boundary=\"a b\"",
];

/// A refused body or credential answers 4xx (never 5xx).
pub fn assert_client_error(e: RequestError) {
    let text = e.to_string();
    let status = ApiError::from(e).status();
    assert!(status.is_client_error(), "{status}: {text}");
    assert!(!text.trim().is_empty());
}

/// A refused value names its parameter and a rule (the client sees `param: rule`, 400).
pub fn assert_clear(e: &Invalid, param: &str) {
    assert_eq!(e.param, param);
    assert!(!e.rule.trim().is_empty(), "{param}: an empty rule");
}
