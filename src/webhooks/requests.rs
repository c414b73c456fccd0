//! The API's requests for the sender (`webhook/test`, `webhook/replay`): items of the claims
//! table that its stream carries here (the mapping's filter passes only them). Each becomes
//! messages on the delivery queue, sent and retried as any other. The API itself never
//! links SQS.

use super::WebhookDelivery;
use crate::domain::audit::rfc3339_seconds;
use crate::domain::webhook::{Delivery, SendRequest, TEST_TYPE, document};
use crate::store::webhook_log::is_send_request;
use aws_lambda_events::dynamodb::Event;
use serde_json::json;

#[derive(serde::Deserialize)]
struct Claim {
    claim: String,
}

impl WebhookDelivery {
    /// Enqueues what a batch of the claims table's stream records asks for. `Err`: the
    /// mapping retries the batch (a message may then be sent twice: receivers de-duplicate).
    pub async fn handle_requests(&self, event: &Event) -> Result<usize, String> {
        let mut messages: Vec<(usize, String)> = Vec::new();
        for (i, record) in event.records.iter().enumerate() {
            let image = &record.change.new_image;
            let claim = serde_dynamo::from_item::<_, Claim>(image.clone())
                .ok()
                .map(|c| c.claim);
            if record.event_name != "INSERT" || !claim.as_deref().is_some_and(is_send_request) {
                continue;
            }
            let request: SendRequest = serde_dynamo::from_item(image.clone())
                .map_err(|e| format!("record {i}: not a send request: {e}"))?;
            for d in self.deliveries(&request).await? {
                messages.push((i, serde_json::to_string(&d).map_err(|e| e.to_string())?));
            }
        }
        super::enqueue(&self.sqs, &self.settings.queue_url, &messages)
            .await
            .map_err(|(i, why)| format!("record {i}: {why}"))?;
        Ok(messages.len())
    }

    /// The messages of one request: a test event, or the kept messages to send again (the
    /// same `webhook-id` and body).
    async fn deliveries(&self, r: &SendRequest) -> Result<Vec<Delivery>, String> {
        let Some(endpoint) = self
            .store
            .get_webhook(&r.endpoint)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for id in &r.messages {
            match r.kind.as_str() {
                "test" => {
                    let detail = json!({
                        "webhookid": endpoint.id,
                        "ispid": endpoint.ispid,
                        "resellerid": endpoint.resellerid,
                        "test": true,
                    });
                    let now = rfc3339_seconds(jiff::Timestamp::now());
                    out.push(Delivery {
                        endpoint: endpoint.id.clone(),
                        id: id.clone(),
                        event_type: TEST_TYPE.into(),
                        body: document(id, TEST_TYPE, &now, &detail.to_string()),
                    });
                }
                _ => match self
                    .store
                    .webhook_message(&endpoint.id, id)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    Some((event_type, body)) => out.push(Delivery {
                        endpoint: endpoint.id.clone(),
                        id: id.clone(),
                        event_type,
                        body,
                    }),
                    None => {
                        tracing::warn!(endpoint = %endpoint.id, id = %id, "replay: the message is no longer kept")
                    }
                },
            }
        }
        Ok(out)
    }
}
