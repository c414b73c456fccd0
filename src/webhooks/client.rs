//! The SQS client of change-events' fan-out and of webhook-delivery, built once per process
//! (the API's timeouts and retries, trusted roots as `TLS_ROOTS` says), and the batched
//! sends of messages to the delivery queue.

use crate::config::{ClientTuning, TlsRoots};
use aws_sdk_sqs::config::Builder;

pub async fn sqs_client(endpoint: Option<&str>, roots: TlsRoots) -> aws_sdk_sqs::Client {
    let tuning = ClientTuning::default();
    let shared = crate::sdk::local_loader(endpoint, roots).load().await;
    let config = Builder::from(&shared)
        .timeout_config(tuning.timeouts())
        .retry_config(tuning.retries())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// SendMessageBatch: 10 entries, and (kept below) 256 KB a call.
const BATCH: usize = 10;
const BATCH_BYTES: usize = 250_000;

/// Sends `messages` (a tag of the caller's, e.g. a record index, and a body) in batches, in
/// order. `Err`: the smallest tag of a message still refused after a second try, and why.
pub async fn enqueue(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[(usize, String)],
) -> Result<(), (usize, String)> {
    let mut start = 0;
    while start < messages.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < messages.len() && end - start < BATCH {
            if end > start && bytes + messages[end].1.len() > BATCH_BYTES {
                break;
            }
            bytes += messages[end].1.len();
            end += 1;
        }
        send(sqs, queue_url, &messages[start..end]).await?;
        start = end;
    }
    Ok(())
}

/// One SendMessageBatch, again once for what it refused.
async fn send(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    batch: &[(usize, String)],
) -> Result<(), (usize, String)> {
    use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
    let mut todo: Vec<usize> = (0..batch.len()).collect();
    let mut why = String::new();
    for _ in 0..2 {
        let entries = todo
            .iter()
            .map(|&k| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("m{k}"))
                    .message_body(&batch[k].1)
                    .build()
                    .map_err(|e| (batch[k].0, e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        match sqs
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(out) => {
                todo = out
                    .failed
                    .iter()
                    .filter_map(|f| f.id.strip_prefix('m').and_then(|k| k.parse().ok()))
                    .collect();
                if let Some(f) = out.failed.first() {
                    why = format!("SendMessageBatch refused: {}", f.code);
                }
            }
            Err(e) => why = aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
        }
        if todo.is_empty() {
            return Ok(());
        }
        tracing::warn!(left = todo.len(), reason = %why, "webhook messages not enqueued");
    }
    let first = todo.iter().map(|&k| batch[k].0).min().unwrap_or(batch[0].0);
    Err((first, why))
}
