//! Change events: DynamoDB stream records of the customers and services tables → events on
//! an EventBridge bus (`Customer Created`, `Service Updated`, ...; docs/events.md).
//!
//! Nothing here knows HTTP or the API's use cases: the `change-events` binary
//! (src/bin/change-events.rs) hands each batch the event source mapping delivers to
//! [`ChangeEvents::handle`], and answers with the records that failed. The API binary never
//! calls into this module, so it does not link the EventBridge SDK.

mod change;
mod client;
mod erased;
mod image;
mod publish;
mod webhooks;

pub use change::{Entity, Entry, SOURCE, entry_for};
pub use client::{EventsSettings, eventbridge_client};
pub use image::{CUSTOMER_FIELDS, SERVICE_FIELDS, is_secret_or_derived};
pub use publish::{
    ATTEMPTS, BatchResponse, CHUNK_TIME, EventBridge, ItemFailure, MAX_ENTRIES, MAX_REQUEST_BYTES,
    Outcome, Sink, StreamTables, publish,
};
pub use webhooks::{CACHE_TTL, Fanout};

use aws_lambda_events::dynamodb::Event;
use std::time::Instant;

/// Everything that can go wrong with one record or one PutEvents call.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("record: {field}: {why}")]
    Malformed { field: String, why: String },
    #[error("record from a stream of no known table: {0}")]
    UnknownSource(String),
    #[error("event of {0} bytes: over PutEvents' limit")]
    TooLarge(usize),
    #[error("PutEvents: {0}")]
    PutEvents(String),
    #[error("record {0} of the batch failed and has no sequence number to report")]
    NoSequenceNumber(usize),
}

/// The handler: one per process, built from a client made once.
#[derive(Debug, Clone)]
pub struct ChangeEvents {
    sink: EventBridge,
    tables: StreamTables,
    /// Tenant webhooks' fan-out, when the stack has a delivery queue (`WEBHOOK_QUEUE_URL`).
    webhooks: Option<std::sync::Arc<Fanout>>,
}

impl ChangeEvents {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: &str, tables: StreamTables) -> Self {
        Self {
            sink: EventBridge {
                client,
                bus: bus.to_owned(),
            },
            tables,
            webhooks: None,
        }
    }

    /// Also fans each published event out to the tenants' webhook endpoints.
    pub fn with_webhooks(mut self, fanout: Fanout) -> Self {
        self.webhooks = Some(std::sync::Arc::new(fanout));
        self
    }

    /// Publishes one batch of stream records; the answer names the earliest record that
    /// failed, if any (the mapping retries from there). `deadline`: the invocation's end.
    /// `Err` only when that record has no sequence number: the whole batch is then retried.
    pub async fn handle(
        &self,
        event: &Event,
        deadline: Option<Instant>,
    ) -> Result<BatchResponse, EventsError> {
        let mut out = publish(&self.sink, &self.tables, event, deadline).await?;
        if let Some(fanout) = &self.webhooks {
            match fanout.fan_out(&out.published).await {
                Ok(n) if n > 0 => tracing::info!(messages = n, "webhooks enqueued"),
                Ok(_) => {}
                Err((i, why)) => {
                    tracing::error!(record = i, reason = %why, "webhook fan-out failed");
                    // The earlier failure stands; else the answer names this record.
                    if out.failed.as_ref().is_none_or(|(f, _)| i < *f) {
                        let seq = event.records[i]
                            .change
                            .sequence_number
                            .clone()
                            .ok_or(EventsError::NoSequenceNumber(i))?;
                        out.failed = Some((i, why));
                        out.response.batch_item_failures = vec![ItemFailure {
                            item_identifier: seq,
                        }];
                    }
                }
            }
        }
        match &out.failed {
            None => tracing::info!(
                records = out.records,
                sent = out.sent,
                unchanged = out.unchanged,
                "batch published"
            ),
            Some((index, why)) => tracing::error!(
                records = out.records,
                sent = out.sent,
                unchanged = out.unchanged,
                failed_index = index,
                failed_sequence = out
                    .response
                    .batch_item_failures
                    .first()
                    .map_or("", |f| f.item_identifier.as_str()),
                reason = %why,
                "batch partly failed: the mapping retries from the failed record"
            ),
        }
        Ok(out.response)
    }
}

#[cfg(test)]
mod tests;
