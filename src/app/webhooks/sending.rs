//! What an endpoint was sent, and sending it more: the delivery log (`webhook/deliveries`),
//! a test event (`webhook/test`) and replays (`webhook/replay`). The last two are requests
//! the claims table's stream carries to webhook-delivery: the API links no SQS.

use super::super::cursor::fingerprint;
use super::super::{App, AppError};
use crate::domain::scope::Caller;
use crate::domain::webhook::{self, MAX_REPLAY, SendRequest};
use crate::domain::{DomainError, Fields, Invalid, tenancy};
use crate::store::webhook_log::AttemptEntry;
use crate::store::webhooks::EndpointItem;
use serde::Serialize;

/// What `webhook/replay` queued: how many messages, and where to go on from when it was
/// cut at `MAX_REPLAY`.
#[derive(Debug, Serialize)]
pub struct Replayed {
    pub replayed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_since: Option<String>,
}

#[derive(Debug)]
pub struct AttemptsPage {
    pub rows: Vec<AttemptEntry>,
    pub next: Option<String>,
}

impl App {
    /// An endpoint's delivery log, newest attempt first, a page at a time.
    pub async fn webhook_deliveries(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<AttemptsPage, AppError> {
        let e = self.endpoint_of(caller, f).await?;
        let limit = usize::try_from(tenancy::PAGING.parse(f)?.limit).unwrap_or(10);
        let fp = fingerprint(&format!("webhook/deliveries|{}|{}", caller.userid, e.id));
        let before = f
            .optional("cursor")
            .map(|c| self.cursors.open(c, &fp))
            .transpose()?;
        let ask = i32::try_from(limit + 1).unwrap_or(i32::MAX);
        let mut page = self
            .store
            .webhook_attempts(&e.id, before.as_deref(), ask, self.epoch())
            .await?;
        let more = page.more || page.entries.len() > limit;
        page.entries.truncate(limit);
        let (rows, next) = self.cursors.kept_page(&fp, page.entries, more);
        Ok(AttemptsPage { rows, next })
    }

    /// An enabled endpoint of the caller's, for a test or a replay (a disabled one would
    /// drop them).
    async fn enabled_endpoint(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<EndpointItem, AppError> {
        let e = self.endpoint_of(caller, f).await?;
        if !e.enabled {
            return Err(DomainError::Conflict(
                "webhookid: the endpoint is disabled; enable it first".into(),
            )
            .into());
        }
        Ok(e)
    }

    async fn request_send(&self, r: &SendRequest) -> Result<(), AppError> {
        Ok(self
            .store
            .request_webhook_send(r, self.epoch() + 86_400)
            .await?)
    }

    /// Sends the endpoint a `Webhook Test` event (through the sender, as any delivery); its
    /// `webhook-id`.
    pub async fn webhook_test(&self, caller: &Caller, f: &impl Fields) -> Result<String, AppError> {
        let e = self.enabled_endpoint(caller, f).await?;
        let id = format!("msg_test_{}", &webhook::new_id()?[3..]);
        self.request_send(&SendRequest {
            endpoint: e.id,
            kind: "test".into(),
            messages: vec![id.clone()],
        })
        .await?;
        Ok(id)
    }

    /// Sends logged messages again, with their `webhook-id` and body: one (`message`), or
    /// every one attempted since a time (`since`), at most `MAX_REPLAY` a request.
    pub async fn webhook_replay(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<Replayed, AppError> {
        let e = self.enabled_endpoint(caller, f).await?;
        let message = f.optional("message");
        let since = f.parse_opt("since", |p, v| {
            v.parse::<jiff::Timestamp>()
                .map_err(|_| Invalid::new(p, "must be an RFC 3339 time, e.g. 2026-12-07T10:00:00Z"))
        })?;
        let (messages, next_since) = match (message, since) {
            (Some(m), None) => match self.store.webhook_message(&e.id, m).await? {
                Some(_) => (vec![m.to_owned()], None),
                None => return Err(DomainError::NotFound("message").into()),
            },
            (None, Some(since)) => {
                let from = since.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
                self.store
                    .webhook_messages_since(&e.id, &from, MAX_REPLAY)
                    .await?
            }
            _ => {
                return Err(
                    Invalid::new("message", "give one of message (a webhook-id) or since").into(),
                );
            }
        };
        if !messages.is_empty() {
            self.request_send(&SendRequest {
                endpoint: e.id,
                kind: "replay".into(),
                messages: messages.clone(),
            })
            .await?;
        }
        Ok(Replayed {
            replayed: messages.len(),
            next_since,
        })
    }
}
