//! One JSON log line per request, with the DynamoDB calls and units it consumed.
//! Never logs parameters: they carry API keys and personal data.

use super::metrics;
use crate::domain::ids::UserId;
use crate::store::capacity;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Instant;

/// Where per-request metrics go: the EMF namespace, or `None` for no metrics.
#[derive(Debug, Clone)]
pub struct MetricsSink(pub Option<Arc<str>>);

pub async fn log(State(sink): State<MetricsSink>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let (response, usage) = capacity::measure(next.run(req)).await;
    tracing::info!(
        method = %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        userid = response.extensions().get::<UserId>().map(|u| u.get()),
        ddb_calls = usage.calls,
        read_units = usage.read_units,
        write_units = usage.write_units,
        computed_read_units = usage.computed_read_units,
        "request"
    );
    if let Some(namespace) = &sink.0 {
        let doc = metrics::document(
            namespace,
            metrics::route_of(&path),
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0,
            &usage,
            jiff::Timestamp::now().as_millisecond(),
        );
        metrics::emit(&doc);
    }
    response
}
