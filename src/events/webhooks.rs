//! Tenant webhooks' fan-out: each event the bus accepted → one message per endpoint that
//! wants it on the delivery queue (webhook-delivery sends them). An ISP's endpoints are one
//! Query, kept `CACHE_TTL` per ISP in the warm instance: an endpoint created, changed or
//! deleted within it may miss or still get a message (the sender re-reads the endpoint
//! before each attempt, so a deleted or disabled one receives nothing).

use super::change::Entry;
use crate::domain::ids::{IspId, ResellerId};
use crate::domain::webhook::{Delivery, Endpoint, document, message_id};
use crate::store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a warm instance trusts an ISP's list of endpoints.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

type Cached = (Instant, Arc<Vec<Endpoint>>);

pub struct Fanout {
    store: Store,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    cache: Mutex<HashMap<IspId, Cached>>,
}

impl std::fmt::Debug for Fanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fanout")
            .field("queue_url", &self.queue_url)
            .finish_non_exhaustive()
    }
}

/// The ids of the event an entry carries, read back from its `detail`.
fn ids(entry: &Entry) -> Option<(String, IspId, Option<ResellerId>)> {
    let d: Value = serde_json::from_str(&entry.detail).ok()?;
    let event_id = d.get("event_id")?.as_str()?.to_owned();
    let isp = IspId(d.get("ispid")?.as_u64()?);
    let reseller = d.get("resellerid").and_then(Value::as_u64).map(ResellerId);
    Some((event_id, isp, reseller))
}

fn rfc3339(epoch: Option<i64>) -> String {
    epoch
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or_else(jiff::Timestamp::now)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Fanout {
    pub fn new(store: Store, sqs: aws_sdk_sqs::Client, queue_url: &str) -> Self {
        Self {
            store,
            sqs,
            queue_url: queue_url.to_owned(),
            cache: Mutex::default(),
        }
    }

    async fn endpoints(&self, isp: IspId) -> Result<Arc<Vec<Endpoint>>, String> {
        let cached = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(&isp).cloned())
            .filter(|(at, _)| at.elapsed() < CACHE_TTL);
        if let Some((_, list)) = cached {
            return Ok(list);
        }
        let list: Arc<Vec<Endpoint>> = Arc::new(
            self.store
                .webhooks_of(isp)
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .map(|e| e.public())
                .collect(),
        );
        if let Ok(mut c) = self.cache.lock() {
            c.insert(isp, (Instant::now(), list.clone()));
        }
        Ok(list)
    }

    /// Enqueues the messages of `published` (record index, event), in order. `Err`: the
    /// earliest record whose messages could not all be enqueued, and why (the mapping
    /// retries from it; its earlier messages are enqueued again: delivery is at least once).
    pub async fn fan_out(&self, published: &[(usize, Entry)]) -> Result<usize, (usize, String)> {
        let mut messages: Vec<(usize, String)> = Vec::new();
        for (i, entry) in published {
            let Some((event_id, isp, reseller)) = ids(entry) else {
                continue;
            };
            let endpoints = self.endpoints(isp).await.map_err(|e| (*i, e))?;
            let mut wanted = endpoints
                .iter()
                .filter(|e| e.wants(&entry.detail_type, isp, reseller))
                .peekable();
            if wanted.peek().is_none() {
                continue;
            }
            // One message id and body for every endpoint (the same event).
            let id = message_id(&event_id);
            let body = document(&id, &entry.detail_type, &rfc3339(entry.time), &entry.detail);
            for e in wanted {
                let d = Delivery {
                    endpoint: e.id.clone(),
                    id: id.clone(),
                    event_type: entry.detail_type.clone(),
                    body: body.clone(),
                };
                let text = serde_json::to_string(&d).map_err(|e| (*i, e.to_string()))?;
                messages.push((*i, text));
            }
        }
        crate::webhooks::enqueue(&self.sqs, &self.queue_url, &messages).await?;
        Ok(messages.len())
    }
}
