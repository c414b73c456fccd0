//! webhook-delivery: sends tenant webhooks (docs/events.md#webhooks). Each SQS message is
//! one event for one endpoint (`domain::webhook::Delivery`, enqueued by change-events'
//! fan-out); an attempt that may succeed later (timeout, connection error, 429, 5xx) is
//! left on the queue, hidden until the next step of the schedule (`ChangeMessageVisibility`,
//! at most 12 h a step), and answered as a failed item; the queue's redrive policy moves a
//! message that keeps crashing the function to the dead-letter queue.
//!
//! The API binary never calls this module: it links neither SQS nor this HTTP client.

mod client;
mod requests;
mod send;

pub use client::{enqueue, sqs_client};
pub use send::{Attempt, MAX_REPLY, Outgoing, SendOptions, Verdict, attempt};

use crate::app::signup::sealed::SecretSeal;
use crate::app::webhooks::secret_aad;
use crate::config::{ConfigError, TlsRoots};
use crate::domain::webhook::{
    DISABLE_AFTER_SECONDS, Delivery, RETRY_SCHEDULE, WebhookSecret, parse_url,
};
use crate::store::Store;
use crate::store::webhook_log::AttemptEntry;
use crate::store::webhooks::EndpointItem;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use serde::Serialize;
use std::time::Duration;

/// The function's settings, from the environment.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// `WEBHOOK_QUEUE_URL`: the queue the messages come from (their retries stay on it).
    pub queue_url: String,
    /// `SQS_ENDPOINT`: unset means AWS (moto locally).
    pub sqs_endpoint: Option<String>,
    pub send: SendOptions,
    /// Seconds before each attempt (`WEBHOOK_RETRY_SCHEDULE`, for tests; default the
    /// Standard Webhooks schedule, `RETRY_SCHEDULE`).
    pub schedule: Vec<u32>,
    /// How long each attempt stays in the delivery log (`WEBHOOK_LOG_DAYS`, default 30).
    pub log_days: u32,
    pub tls_roots: TlsRoots,
}

fn millis(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match get(var).as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=60_000).contains(n))
            .ok_or(ConfigError {
                var,
                rule: "must be 1 to 60000 (milliseconds)".into(),
            }),
    }
}

impl DeliverySettings {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let queue_url = get("WEBHOOK_QUEUE_URL")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError {
                var: "WEBHOOK_QUEUE_URL",
                rule: "must name the delivery queue".into(),
            })?;
        let schedule = match get("WEBHOOK_RETRY_SCHEDULE").as_deref().map(str::trim) {
            None | Some("") => RETRY_SCHEDULE.to_vec(),
            Some(v) => v
                .split(',')
                .map(|s| s.trim().parse::<u32>().ok().filter(|n| *n <= 43_200))
                .collect::<Option<Vec<u32>>>()
                .filter(|s| !s.is_empty())
                .ok_or(ConfigError {
                    var: "WEBHOOK_RETRY_SCHEDULE",
                    rule: "must be seconds (0 to 43200), comma-separated".into(),
                })?,
        };
        Ok(Self {
            queue_url,
            sqs_endpoint: get("SQS_ENDPOINT")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            send: SendOptions {
                timeout: Duration::from_millis(millis(&get, "WEBHOOK_TIMEOUT_MS", 10_000)?),
                loopback: crate::config::webhook_loopback(get("WEBHOOK_ALLOW_HTTP_LOOPBACK"))?,
            },
            schedule,
            log_days: match get("WEBHOOK_LOG_DAYS").as_deref().map(str::trim) {
                None | Some("") => 30,
                Some(v) => v
                    .parse()
                    .ok()
                    .filter(|d| (1..=365).contains(d))
                    .ok_or(ConfigError {
                        var: "WEBHOOK_LOG_DAYS",
                        rule: "must be 1 to 365 (days)".into(),
                    })?,
            },
            tls_roots: crate::config::tls_roots(get("TLS_ROOTS"))?,
        })
    }
}

/// The answer to the event source mapping (`ReportBatchItemFailures`): the messages left
/// on the queue for a later attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsBatchResponse {
    pub batch_item_failures: Vec<SqsItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsItemFailure {
    pub item_identifier: String,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Done with: delivered, refused for good, out of attempts, or its endpoint is gone
    /// or disabled.
    Done(&'static str),
    /// Left on the queue, visible again after this many seconds.
    Later(u32),
}

/// The event, and the log line's `notice`, of an endpoint disabled after failing for days.
pub const WEBHOOK_DISABLED: &str = "Webhook Disabled";

/// The handler: one per process.
pub struct WebhookDelivery {
    store: Store,
    seal: SecretSeal,
    sqs: aws_sdk_sqs::Client,
    settings: DeliverySettings,
    /// Where a `Webhook Disabled` notice goes: the stack's event bus.
    notices: Option<(aws_sdk_eventbridge::Client, String)>,
}

impl WebhookDelivery {
    pub fn new(
        store: Store,
        seal: SecretSeal,
        sqs: aws_sdk_sqs::Client,
        settings: DeliverySettings,
    ) -> Self {
        Self {
            store,
            seal,
            sqs,
            settings,
            notices: None,
        }
    }

    /// Sends a `Webhook Disabled` event to `bus` when an endpoint is disabled.
    pub fn with_notices(mut self, client: aws_sdk_eventbridge::Client, bus: &str) -> Self {
        self.notices = Some((client, bus.to_owned()));
        self
    }

    /// The `Webhook Disabled` event on the bus (source `isp-crm`, ids and the reason, never
    /// the URL's secret parts or the signing secret). A notice that cannot be sent is logged
    /// (the log line's metric alarms either way); the endpoint stays disabled.
    async fn notify_disabled(&self, endpoint: &EndpointItem, reason: &str, at: &str) {
        let Some((client, bus)) = &self.notices else {
            return;
        };
        let detail = serde_json::json!({
            "webhookid": endpoint.id,
            "ispid": endpoint.ispid,
            "resellerid": endpoint.resellerid,
            "reason": reason,
            "disabled_at": at,
        });
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(bus)
            .source(crate::domain::event::SOURCE)
            .detail_type(WEBHOOK_DISABLED)
            .detail(detail.to_string())
            .build();
        let sent = client.put_events().entries(entry).send().await;
        let failed = match &sent {
            Ok(out) => out.failed_entry_count() > 0,
            Err(_) => true,
        };
        if failed {
            tracing::error!(endpoint = %endpoint.id, "the Webhook Disabled notice could not be sent to the bus");
        }
    }

    /// Handles a batch: every message at once (each attempt has its own timeout).
    pub async fn handle(&self, event: &SqsEvent) -> SqsBatchResponse {
        let outcomes =
            futures_util::future::join_all(event.records.iter().map(|m| self.one(m))).await;
        let mut response = SqsBatchResponse::default();
        for (m, outcome) in event.records.iter().zip(outcomes) {
            let failed = match outcome {
                Ok(Handled::Done(_)) => false,
                Ok(Handled::Later(delay)) => {
                    // Hidden until the next attempt is due; if this fails, the queue's own
                    // visibility timeout brings it back sooner, which is only early.
                    if let Some(receipt) = &m.receipt_handle {
                        let res = self
                            .sqs
                            .change_message_visibility()
                            .queue_url(&self.settings.queue_url)
                            .receipt_handle(receipt)
                            .visibility_timeout(i32::try_from(delay).unwrap_or(43_200))
                            .send()
                            .await;
                        if let Err(e) = res {
                            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "could not schedule the retry");
                        }
                    }
                    true
                }
                Err(e) => {
                    tracing::error!(message = ?m.message_id, error = %e, "delivery not handled: the queue retries it");
                    true
                }
            };
            if failed && let Some(id) = &m.message_id {
                response.batch_item_failures.push(SqsItemFailure {
                    item_identifier: id.clone(),
                });
            }
        }
        response
    }

    /// One message: `Err` when it could not be handled at all (storage unavailable, a
    /// malformed message): the mapping retries it, and the redrive policy ends in the DLQ.
    pub async fn one(&self, m: &SqsMessage) -> Result<Handled, String> {
        let d: Delivery = serde_json::from_str(m.body.as_deref().unwrap_or_default())
            .map_err(|e| format!("malformed message: {e}"))?;
        let attempt_no: usize = m
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let Some(endpoint) = self
            .store
            .get_webhook(&d.endpoint)
            .await
            .map_err(|e| e.to_string())?
        else {
            tracing::info!(endpoint = %d.endpoint, id = %d.id, "endpoint deleted: not sent");
            return Ok(Handled::Done("endpoint deleted"));
        };
        if !endpoint.enabled {
            tracing::info!(endpoint = %d.endpoint, id = %d.id, "endpoint disabled: not sent");
            return Ok(Handled::Done("endpoint disabled"));
        }
        let secret = self
            .seal
            .open_text(&secret_aad(&endpoint.id), &endpoint.secret)
            .ok()
            .and_then(|t| WebhookSecret::parse(&t))
            .ok_or_else(|| {
                format!(
                    "endpoint {}: its secret does not open (FORM_SECRET_KEY?)",
                    endpoint.id
                )
            })?;
        let now = jiff::Timestamp::now();
        let outcome = match parse_url("url", &endpoint.url, self.settings.send.loopback) {
            Ok(target) => {
                let msg = Outgoing {
                    id: &d.id,
                    timestamp: now.as_second(),
                    body: &d.body,
                    secret: &secret,
                };
                attempt(&target, &msg, &self.settings.send).await
            }
            Err(e) => Attempt {
                verdict: Verdict::Final,
                status: None,
                latency_ms: 0,
                error: Some(format!("refused: {e}")),
                reply: String::new(),
            },
        };
        tracing::info!(
            endpoint = %endpoint.id,
            id = %d.id,
            attempt = attempt_no,
            status = ?outcome.status,
            latency_ms = outcome.latency_ms,
            error = outcome.error.as_deref().unwrap_or(""),
            verdict = ?outcome.verdict,
            "webhook attempt"
        );
        let (handled, label) = self.decide(&endpoint, &outcome, attempt_no, now).await?;
        let entry = AttemptEntry {
            webhookid: endpoint.id.clone(),
            id: d.id.clone(),
            event_type: d.event_type.clone(),
            attempt: u32::try_from(attempt_no).unwrap_or(u32::MAX),
            at: crate::domain::audit::rfc3339_seconds(now),
            outcome: label.into(),
            status: outcome.status,
            latency_ms: outcome.latency_ms,
            error: outcome.error.clone(),
            reply: Some(outcome.reply.clone()).filter(|r| !r.is_empty()),
        };
        let micros = now.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let expires = now.as_second() + i64::from(self.settings.log_days) * 86_400;
        // The body is kept with the log, for replays: written once per message (again by a
        // replay's first attempt, which extends it).
        if attempt_no == 1
            && let Err(e) = self
                .store
                .keep_webhook_message(&endpoint.id, &d.id, &d.event_type, &d.body, expires)
                .await
        {
            tracing::warn!(endpoint = %endpoint.id, error = %e, "message not kept for replays");
        }
        // The log is for the tenant's eyes: a failed write loses a line, never a delivery.
        if let Err(e) = self
            .store
            .log_webhook_attempt(&entry, &micros, expires)
            .await
        {
            tracing::warn!(endpoint = %endpoint.id, error = %e, "attempt not logged");
        }
        Ok(handled)
    }

    /// What follows an attempt, and its outcome's name in the log.
    async fn decide(
        &self,
        endpoint: &EndpointItem,
        outcome: &Attempt,
        attempt_no: usize,
        now: jiff::Timestamp,
    ) -> Result<(Handled, &'static str), String> {
        match outcome.verdict {
            Verdict::Delivered => {
                if endpoint.failing_since.is_some() {
                    self.store
                        .webhook_succeeded(&endpoint.id)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok((Handled::Done("delivered"), "delivered"))
            }
            Verdict::Final => Ok((Handled::Done("refused"), "failed")),
            Verdict::Retry => {
                let at = crate::domain::audit::now();
                let since = self
                    .store
                    .webhook_failed(&endpoint.id, &at)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some(since) = since
                    && failing_too_long(&since, now)
                {
                    let reason =
                        format!("failing since {since}: disabled after 5 days without a success");
                    let disabled = self
                        .store
                        .disable_failing_webhook(&endpoint.id, &reason, &at)
                        .await
                        .map_err(|e| e.to_string())?;
                    if disabled {
                        tracing::warn!(endpoint = %endpoint.id, ispid = %endpoint.ispid, reason = %reason, notice = WEBHOOK_DISABLED, "webhook endpoint disabled");
                        self.notify_disabled(endpoint, &reason, &at).await;
                    }
                    return Ok((Handled::Done("endpoint disabled"), "disabled"));
                }
                match self.settings.schedule.get(attempt_no) {
                    Some(delay) => Ok((Handled::Later(*delay), "retrying")),
                    None => {
                        tracing::error!(endpoint = %endpoint.id, attempts = attempt_no, "webhook failed for good: replay it once the endpoint works");
                        Ok((Handled::Done("out of attempts"), "gave_up"))
                    }
                }
            }
        }
    }
}

/// Whether a failure streak that began at `since` (RFC 3339) has lasted past the limit.
fn failing_too_long(since: &str, now: jiff::Timestamp) -> bool {
    since
        .parse::<jiff::Timestamp>()
        .is_ok_and(|s| now.as_second() - s.as_second() >= DISABLE_AFTER_SECONDS)
}
