//! Tenant webhooks' delivery log: one item per attempt in the claims table, kept for
//! `WEBHOOK_LOG_DAYS` (TTL on `expires_at`), listed per endpoint newest first through the
//! sparse index `hooks-by-owner`, partition `log|<endpoint>` (`keys::webhook`).

use super::keys::{SEP, webhook};
use super::{Item, Store, StoreError, capacity, conditional_write, s};
use crate::domain::webhook::SendRequest;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use serde::{Deserialize, Serialize};

/// One attempt, as stored (besides its keys and expiry) and as `webhook/deliveries` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptEntry {
    pub webhookid: String,
    /// The `webhook-id` sent.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1 for the first attempt of a message (or of a replay).
    pub attempt: u32,
    /// RFC 3339 UTC, seconds.
    pub at: String,
    /// `delivered`, `retrying`, `failed` (a final answer or a refused address), `gave_up`
    /// (no attempt left), `disabled` (the endpoint was disabled by this failure).
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The start of the receiver's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

/// A page of an endpoint's attempts: (sort key, entry, still within its window), and
/// whether more follow.
#[derive(Debug, Default)]
pub struct AttemptPage {
    pub entries: Vec<(String, AttemptEntry, bool)>,
    pub more: bool,
}

impl Store {
    /// Logs one attempt, kept until `expires_at` (epoch seconds). `at_micros`: the attempt's
    /// time with microseconds (its order in the log).
    pub async fn log_webhook_attempt(
        &self,
        e: &AttemptEntry,
        at_micros: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let key = format!("{at_micros}{SEP}{:08x}", rand::random::<u32>());
        let mut item: Item =
            serde_dynamo::to_item(e).map_err(|e| StoreError::Other(format!("attempt: {e}")))?;
        let (_, (pk, sk)) = webhook::INDEX;
        item.insert("claim".into(), s(webhook::attempt(&e.webhookid, &key)));
        item.insert(pk.into(), s(webhook::log_of(&e.webhookid)));
        item.insert(sk.into(), s(key));
        item.insert(
            "expires_at".into(),
            AttributeValue::N(expires_at.to_string()),
        );
        conditional_write(
            self.client
                .put_item()
                .table_name(&self.tables.claims)
                .set_item(Some(item))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await,
        )
        .map(|_| ())
    }

    /// An endpoint's attempts, newest first, before sort key `before`.
    pub async fn webhook_attempts(
        &self,
        endpoint: &str,
        before: Option<&str>,
        limit: i32,
        now: i64,
    ) -> Result<AttemptPage, StoreError> {
        let sk = webhook::INDEX.1.1;
        let out = self
            .claims_newest_first(webhook::INDEX, s(webhook::log_of(endpoint)), before, limit)
            .await?;
        let mut page = AttemptPage {
            more: out.more,
            ..AttemptPage::default()
        };
        for item in out.items {
            let live = match item.get("expires_at") {
                Some(AttributeValue::N(v)) => v.parse::<i64>().map_or(true, |e| e > now),
                _ => true,
            };
            let key = item
                .get(sk)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .ok_or_else(|| StoreError::Corrupt("attempt without its key".into()))?;
            let entry: AttemptEntry = serde_dynamo::from_item(item)
                .map_err(|e| StoreError::Corrupt(format!("attempt: {e}")))?;
            page.entries.push((key, entry, live));
        }
        Ok(page)
    }

    /// Keeps a message's body for replays, until `expires_at` (with its log).
    pub async fn keep_webhook_message(
        &self,
        endpoint: &str,
        msg: &str,
        event_type: &str,
        body: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        conditional_write(
            self.client
                .put_item()
                .table_name(&self.tables.claims)
                .item("claim", s(webhook::message(endpoint, msg)))
                .item("type", s(event_type))
                .item("body", s(body))
                .item("expires_at", AttributeValue::N(expires_at.to_string()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await,
        )
        .map(|_| ())
    }

    /// A kept message: its event type and body.
    pub async fn webhook_message(
        &self,
        endpoint: &str,
        msg: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.claims)
            .key("claim", s(webhook::message(endpoint, msg)))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(capacity::Kind::Read, out.consumed_capacity());
        let Some(item) = out.item else {
            return Ok(None);
        };
        let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
        match (text("type"), text("body")) {
            (Some(t), Some(b)) => Ok(Some((t, b))),
            _ => Err(StoreError::Corrupt(
                "kept webhook message without its body".into(),
            )),
        }
    }

    /// The distinct messages attempted since `since` (RFC 3339), oldest first, at most
    /// `limit`; and the time of the first one left out, if any.
    pub async fn webhook_messages_since(
        &self,
        endpoint: &str,
        since: &str,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>), StoreError> {
        let (index, (pk, sk)) = webhook::INDEX;
        let mut found: Vec<String> = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.tables.claims)
                .index_name(index)
                .key_condition_expression("#pk = :pk AND #sk >= :since")
                .expression_attribute_names("#pk", pk)
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":pk", s(webhook::log_of(endpoint)))
                .expression_attribute_values(":since", s(since))
                .set_exclusive_start_key(start)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await?;
            capacity::record(capacity::Kind::Read, out.consumed_capacity());
            for item in out.items.unwrap_or_default() {
                let Some(id) = item.get("id").and_then(|v| v.as_s().ok()) else {
                    continue;
                };
                if found.iter().any(|f| f == id) {
                    continue;
                }
                if found.len() == limit {
                    let at = item.get("at").and_then(|v| v.as_s().ok()).cloned();
                    return Ok((found, at));
                }
                found.push(id.clone());
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok((found, None));
            }
        }
    }

    /// Writes a request for the sender (the claims table's stream carries it there); it
    /// expires after a day.
    pub async fn request_webhook_send(
        &self,
        r: &SendRequest,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut item: Item =
            serde_dynamo::to_item(r).map_err(|e| StoreError::Other(format!("request: {e}")))?;
        item.insert(
            "claim".into(),
            s(webhook::request(&r.endpoint, rand::random())),
        );
        item.insert(
            "expires_at".into(),
            AttributeValue::N(expires_at.to_string()),
        );
        conditional_write(
            self.client
                .put_item()
                .table_name(&self.tables.claims)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(claim)")
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await,
        )
        .map(|_| ())
    }
}

/// Whether a claim key is a request for the sender (`request_webhook_send`).
pub fn is_send_request(claim: &str) -> bool {
    claim.starts_with(webhook::REQUEST_PREFIX)
}
