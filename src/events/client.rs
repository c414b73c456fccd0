//! The consumer's settings and its EventBridge client, built once per process.

use super::StreamTables;
use crate::config::{ClientTuning, ConfigError, TlsRoots};
use crate::process::under_lambda;
use crate::store::DEV_PREFIX;
use crate::store::Tables;
use aws_sdk_eventbridge::config::{BehaviorVersion, Builder, Region};

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
    /// `WEBHOOK_QUEUE_URL`: the tenant webhooks' delivery queue; unset: no fan-out.
    pub webhook_queue: Option<String>,
    /// `SQS_ENDPOINT`, `DYNAMODB_ENDPOINT`: unset means AWS (moto locally).
    pub sqs_endpoint: Option<String>,
    pub dynamodb_endpoint: Option<String>,
    /// Every table's name (the fan-out reads the endpoints in the claims table).
    pub all_tables: Tables,
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
        let tls_roots = crate::config::tls_roots(get("TLS_ROOTS"))?;
        let prefix = get("TABLE_PREFIX").unwrap_or_else(|| DEV_PREFIX.to_owned());
        let tables = Tables::from_lookup(&get, &prefix);
        let set = |var: &str| {
            get(var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Ok(Self {
            webhook_queue: set("WEBHOOK_QUEUE_URL"),
            sqs_endpoint: set("SQS_ENDPOINT"),
            dynamodb_endpoint: set("DYNAMODB_ENDPOINT"),
            all_tables: tables.clone(),
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
    let shared = crate::sdk::local_loader(endpoint, roots).load().await;
    let config = Builder::from(&shared)
        .timeout_config(tuning.timeouts())
        .retry_config(tuning.retries())
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}
