//! A batch of stream records → PutEvents calls, and the partial-batch answer.
//!
//! PutEvents takes at most 10 entries and 256 KB a call, and can refuse single entries
//! (`FailedEntryCount`). Refused entries are sent again, a bounded number of times; what is
//! still refused then fails its record. The event source mapping retries a batch from the
//! *lowest* sequence number it is told failed, so the answer names the earliest failed record
//! and the handler sends nothing after it (records after it come again anyway).

use super::EventsError;
use super::change::{Entity, Entry, SOURCE, entry_for};
use aws_lambda_events::dynamodb::Event;
use serde::Serialize;
use std::future::Future;
use std::time::{Duration, Instant};

/// Entries per PutEvents call (EventBridge's limit).
pub const MAX_ENTRIES: usize = 10;
/// Bytes per PutEvents call, below EventBridge's 256 KB (262,144) with room for framing.
pub const MAX_REQUEST_BYTES: usize = 250_000;
/// Attempts at an entry EventBridge refuses, or of a call that fails whole: the first and
/// two more, after these pauses.
pub const ATTEMPTS: usize = 3;
const PAUSES: [Duration; ATTEMPTS - 1] = [Duration::from_millis(100), Duration::from_millis(400)];
/// A chunk is not started with less time left than its attempts may take (3 × the client's
/// 5 s operation timeout and the pauses): its records are left to the mapping's retry.
pub const CHUNK_TIME: Duration = Duration::from_secs(16);

/// Where entries go: EventBridge, or a test's stand-in.
pub trait Sink {
    /// Puts `entries` (at most [`MAX_ENTRIES`]) in one call. For each entry in order: `None`
    /// when accepted, or why it was refused. `Err`: the call failed as a whole.
    fn put(
        &self,
        entries: &[&Entry],
    ) -> impl Future<Output = Result<Vec<Option<String>>, EventsError>> + Send;
}

/// Which table a record belongs to, from the table name in its `eventSourceARN`
/// (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTables {
    pub customers: String,
    pub services: String,
}

impl StreamTables {
    fn entity(&self, arn: Option<&str>) -> Result<Entity, EventsError> {
        let table = arn
            .and_then(|a| a.split_once(":table/"))
            .and_then(|(_, rest)| rest.split('/').next());
        match table {
            Some(t) if t == self.customers => Ok(Entity::Customer),
            Some(t) if t == self.services => Ok(Entity::Service),
            _ => Err(EventsError::UnknownSource(arn.unwrap_or("none").to_owned())),
        }
    }
}

/// The answer to the event source mapping (`ReportBatchItemFailures`):
/// `{"batchItemFailures":[{"itemIdentifier":"<sequence number>"}]}`, empty when all went out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

/// What one batch came to, for the log line and the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub records: usize,
    /// Events EventBridge accepted.
    pub sent: usize,
    /// Records before the failure that made no event (nothing public changed).
    pub unchanged: usize,
    /// The earliest failed record: its index in the batch and why.
    pub failed: Option<(usize, String)>,
    pub response: BatchResponse,
    /// The events the bus accepted, by record index, in record order (webhooks' fan-out).
    pub published: Vec<(usize, Entry)>,
}

/// Turns `event`'s records into events and puts them on the bus through `sink`, in record
/// order, stopping at the first record that fails. `deadline`: when the invocation ends.
pub async fn publish<S: Sink>(
    sink: &S,
    tables: &StreamTables,
    event: &Event,
    deadline: Option<Instant>,
) -> Result<Outcome, EventsError> {
    let records = &event.records;
    let mut out = Outcome {
        records: records.len(),
        ..Outcome::default()
    };
    // (record index, entry), in record order, up to the first record that cannot be read.
    let mut pending: Vec<(usize, Entry)> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let entry = tables
            .entity(record.event_source_arn.as_deref())
            .and_then(|entity| entry_for(entity, record))
            .and_then(|e| match e {
                Some(e) if e.size() > MAX_REQUEST_BYTES => Err(EventsError::TooLarge(e.size())),
                other => Ok(other),
            });
        match entry {
            Ok(Some(e)) => pending.push((i, e)),
            Ok(None) => {}
            Err(e) => {
                out.failed = Some((i, e.to_string()));
                break;
            }
        }
    }
    let readable = out.failed.as_ref().map_or(records.len(), |(i, _)| *i);

    let mut start = 0;
    while start < pending.len() {
        let end = chunk_end(&pending, start);
        let chunk = &pending[start..end];
        let first = chunk[0].0;
        if deadline.is_some_and(|d| d.saturating_duration_since(Instant::now()) < CHUNK_TIME) {
            out.failed = Some((first, "the invocation is about to time out".into()));
            break;
        }
        let entries: Vec<&Entry> = chunk.iter().map(|(_, e)| e).collect();
        let (accepted, refused) = send_chunk(sink, &entries).await;
        out.sent += accepted;
        if let Some((at, why)) = refused {
            out.failed = Some((chunk[at].0, why));
            break;
        }
        start = end;
    }
    let until = out.failed.as_ref().map_or(readable, |(i, _)| *i);
    out.unchanged = until - pending.iter().filter(|(i, _)| *i < until).count();
    out.published = pending.into_iter().filter(|(i, _)| *i < until).collect();

    if let Some((i, _)) = &out.failed {
        // No sequence number, no partial answer: fail the invocation, so the mapping retries
        // (and bisects) the whole batch.
        let seq = records[*i]
            .change
            .sequence_number
            .clone()
            .ok_or(EventsError::NoSequenceNumber(*i))?;
        out.response.batch_item_failures.push(ItemFailure {
            item_identifier: seq,
        });
    }
    Ok(out)
}

/// The end of the chunk that starts at `start`: at most [`MAX_ENTRIES`] entries and
/// [`MAX_REQUEST_BYTES`] (each entry alone is below it).
fn chunk_end(pending: &[(usize, Entry)], start: usize) -> usize {
    let mut bytes = 0;
    let mut end = start;
    while end < pending.len() && end - start < MAX_ENTRIES {
        let size = pending[end].1.size();
        if end > start && bytes + size > MAX_REQUEST_BYTES {
            break;
        }
        bytes += size;
        end += 1;
    }
    end
}

/// Sends one chunk, again for what was refused, [`ATTEMPTS`] times at most: how many entries
/// were accepted, and the earliest still refused with the reason (`None`: all accepted).
async fn send_chunk<S: Sink>(sink: &S, entries: &[&Entry]) -> (usize, Option<(usize, String)>) {
    let mut todo: Vec<usize> = (0..entries.len()).collect();
    let mut why = String::new();
    for attempt in 0..ATTEMPTS {
        if let Some(pause) = attempt.checked_sub(1).and_then(|i| PAUSES.get(i)) {
            tokio::time::sleep(*pause).await;
        }
        let batch: Vec<&Entry> = todo.iter().map(|&i| entries[i]).collect();
        match sink.put(&batch).await {
            Ok(results) if results.len() == todo.len() => {
                let mut still = Vec::new();
                for (&i, refused) in todo.iter().zip(results) {
                    if let Some(reason) = refused {
                        tracing::warn!(attempt, entry = i, reason = %reason, "PutEvents refused an entry");
                        why = reason;
                        still.push(i);
                    }
                }
                todo = still;
            }
            Ok(results) => {
                why = format!(
                    "PutEvents answered {} results for {} entries",
                    results.len(),
                    todo.len()
                );
                tracing::warn!(attempt, "{why}");
            }
            Err(e) => {
                why = e.to_string();
                tracing::warn!(attempt, error = %why, "PutEvents failed");
            }
        }
        if todo.is_empty() {
            return (entries.len(), None);
        }
    }
    (entries.len() - todo.len(), todo.first().map(|&i| (i, why)))
}

/// [`Sink`] of a real EventBridge client and bus.
#[derive(Debug, Clone)]
pub struct EventBridge {
    pub client: aws_sdk_eventbridge::Client,
    /// Name or ARN of the bus.
    pub bus: String,
}

impl Sink for EventBridge {
    async fn put(&self, entries: &[&Entry]) -> Result<Vec<Option<String>>, EventsError> {
        use aws_sdk_eventbridge::primitives::DateTime;
        use aws_sdk_eventbridge::types::PutEventsRequestEntry;
        let request: Vec<PutEventsRequestEntry> = entries
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(SOURCE)
                    .detail_type(&e.detail_type)
                    .detail(&e.detail)
                    .set_time(e.time.map(DateTime::from_secs))
                    .build()
            })
            .collect();
        let answer = self
            .client
            .put_events()
            .set_entries(Some(request))
            .send()
            .await
            .map_err(|e| {
                EventsError::PutEvents(
                    aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string(),
                )
            })?;
        Ok(answer
            .entries()
            .iter()
            .map(|r| {
                r.error_code()
                    .map(|code| format!("{code}: {}", r.error_message().unwrap_or_default()))
            })
            .collect())
    }
}
