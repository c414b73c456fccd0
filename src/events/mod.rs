//! Change events: DynamoDB stream records of the customers and services tables → events on
//! an EventBridge bus (`Customer Created`, `Service Updated`, ...; docs/events.md).
//!
//! Nothing here knows HTTP or the API's use cases: the `change-events` binary
//! (src/bin/change-events.rs) hands each batch the event source mapping delivers to
//! [`ChangeEvents::handle`], and answers with the records that failed. The API binary never
//! calls into this module, so it does not link the EventBridge SDK.

mod change;
mod image;
mod publish;

pub use change::{Entity, Entry, SOURCE, entry_for};
pub use image::{CUSTOMER_FIELDS, SERVICE_FIELDS, is_secret_or_derived};
pub use publish::{
    ATTEMPTS, BatchResponse, CHUNK_TIME, EventBridge, ItemFailure, MAX_ENTRIES, MAX_REQUEST_BYTES,
    Outcome, Sink, StreamTables, publish,
};

use crate::config::{ClientTuning, ConfigError, TlsRoots, under_lambda};
use crate::store::Tables;
use crate::store::keys::DEV_PREFIX;
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

/// The consumer's settings, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsSettings {
    /// `EVENT_BUS_NAME`: name or ARN of the bus (required).
    pub bus: String,
    /// `EVENTS_ENDPOINT`: unset or empty means AWS (moto locally).
    pub endpoint: Option<String>,
    /// `CUSTOMERS_TABLE` / `SERVICES_TABLE` (else `TABLE_PREFIX` + the short names, as the API).
    pub tables: StreamTables,
    /// `TLS_ROOTS`: aws (default) or system, as the API (src/tls.rs).
    pub tls_roots: TlsRoots,
}

impl EventsSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bus = get("EVENT_BUS_NAME")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError {
                var: "EVENT_BUS_NAME",
                rule: "must name the event bus".into(),
            })?;
        let tls_roots = match get("TLS_ROOTS").as_deref().map(str::trim) {
            None | Some("" | "aws") => TlsRoots::Aws,
            Some("system") => TlsRoots::System,
            Some(_) => {
                return Err(ConfigError {
                    var: "TLS_ROOTS",
                    rule: "must be aws or system".into(),
                });
            }
        };
        let prefix = get("TABLE_PREFIX").unwrap_or_else(|| DEV_PREFIX.to_owned());
        let tables = Tables::from_lookup(&get, &prefix);
        Ok(Self {
            bus,
            endpoint: get("EVENTS_ENDPOINT")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            tables: StreamTables {
                customers: tables.customers,
                services: tables.services,
            },
            tls_roots,
        })
    }
}

/// The EventBridge client, built once per process with the API's timeouts and retries
/// (`ClientTuning`: attempt 2 s, operation 5 s, 3 attempts) and trusted roots. Under Lambda
/// the region and credentials come straight from the environment, as for the API's client.
pub async fn eventbridge_client(
    endpoint: Option<&str>,
    roots: TlsRoots,
) -> aws_sdk_eventbridge::Client {
    use aws_sdk_eventbridge::config::{BehaviorVersion, Builder, Region};
    let tuning = ClientTuning::default();
    let region = std::env::var("AWS_REGION")
        .ok()
        .filter(|r| !r.trim().is_empty());
    if under_lambda()
        && let Some(region) = region
    {
        let mut builder = Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .timeout_config(tuning.timeouts())
            .retry_config(tuning.retries())
            .region(Region::new(region))
            .credentials_provider(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            );
        if let Some(url) = endpoint {
            builder = builder.endpoint_url(url);
        }
        if roots == TlsRoots::Aws {
            match crate::tls::https_client_trusting(crate::tls::AWS_ROOTS) {
                Ok(client) => builder = builder.http_client(client),
                Err(e) => {
                    tracing::warn!(error = %e, "compiled-in roots refused; using the system's")
                }
            }
        }
        return aws_sdk_eventbridge::Client::from_conf(builder.build());
    }
    let shared = crate::config::shared_config(endpoint, roots).await;
    let config = Builder::from(&shared)
        .timeout_config(tuning.timeouts())
        .retry_config(tuning.retries())
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

/// The handler: one per process, built from a client made once.
#[derive(Debug, Clone)]
pub struct ChangeEvents {
    sink: EventBridge,
    tables: StreamTables,
}

impl ChangeEvents {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: &str, tables: StreamTables) -> Self {
        Self {
            sink: EventBridge {
                client,
                bus: bus.to_owned(),
            },
            tables,
        }
    }

    /// Publishes one batch of stream records; the answer names the earliest record that
    /// failed, if any (the mapping retries from there). `deadline`: the invocation's end.
    /// `Err` only when that record has no sequence number: the whole batch is then retried.
    pub async fn handle(
        &self,
        event: &Event,
        deadline: Option<Instant>,
    ) -> Result<BatchResponse, EventsError> {
        let out = publish(&self.sink, &self.tables, event, deadline).await?;
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
