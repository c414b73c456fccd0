//! Per-request accounting of DynamoDB calls and consumed capacity units.
//!
//! The HTTP layer opens a scope around each request; every store call adds what DynamoDB
//! reports (`ReturnConsumedCapacity=TOTAL`). Outside a scope (the admin CLI) nothing is counted.

use aws_sdk_dynamodb::types::ConsumedCapacity;
use std::cell::Cell;

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Usage {
    pub calls: u32,
    pub read_units: f64,
    pub write_units: f64,
}

tokio::task_local! {
    static USAGE: Cell<Usage>;
}

/// Runs `fut` while counting the DynamoDB usage it causes, and returns both.
pub async fn measure<F: Future>(fut: F) -> (F::Output, Usage) {
    USAGE
        .scope(Cell::new(Usage::default()), async move {
            let out = fut.await;
            (out, USAGE.with(Cell::get))
        })
        .await
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Read,
    Write,
}

/// Records one DynamoDB call and the capacity it reports.
pub fn record<'a>(kind: Kind, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>) {
    let units: f64 = consumed
        .into_iter()
        .filter_map(|c| c.capacity_units())
        .sum();
    let _ = USAGE.try_with(|cell| {
        let mut u = cell.get();
        u.calls += 1;
        match kind {
            Kind::Read => u.read_units += units,
            Kind::Write => u.write_units += units,
        }
        cell.set(u);
    });
}
