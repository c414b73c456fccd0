//! Pass 2's writes: a batch of records in one transaction, retried without the records it
//! refused (and with back-off when DynamoDB throttles or transactions conflict).

use super::kind::Kind;
use super::options::{ImportOptions, Progress, Summary};
use super::{Problem, TransferError};
use crate::store::{Store, StoreError};

/// Attempts at one batch when DynamoDB throttles or a transaction conflicts; the SDK's own
/// retries come on top of each.
const WRITE_ATTEMPTS: u32 = 8;

/// A batch of records to write, with the line each came from.
pub(super) struct Batch<T> {
    pub(super) lines: Vec<u64>,
    pub(super) items: Vec<T>,
}

/// Writes a batch: a transaction with refused records writes nothing, so the others are
/// written again without them. Returns how many records it handled.
pub(super) async fn flush<K: Kind>(
    store: &Store,
    kind: &K,
    batch: &mut Batch<K::Item>,
    opts: &ImportOptions,
    summary: &mut Summary,
    progress: &dyn Progress,
) -> Result<u64, TransferError> {
    let handled = batch.items.len() as u64;
    let mut attempt = 0;
    while !batch.items.is_empty() {
        let refused = match kind.write(store, &batch.items).await {
            Ok(r) => r,
            Err(e @ (StoreError::Throttled(_) | StoreError::Busy(_)))
                if attempt + 1 < WRITE_ATTEMPTS =>
            {
                attempt += 1;
                progress.warn(&format!("{e}: trying again"));
                tokio::time::sleep(crate::store::backoff(attempt + 4)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if refused.is_empty() {
            summary.created += batch.items.len() as u64;
            progress.advance(batch.items.len() as u64);
            batch.lines.clear();
            batch.items.clear();
            break;
        }
        let mut out = Vec::with_capacity(refused.len());
        for (i, reason) in refused {
            let (Some(line), Some(item)) = (batch.lines.get(i), batch.items.get(i)) else {
                continue;
            };
            // Our own record: written by the run that --resume continues, or by an attempt
            // of this batch whose answer was lost (DynamoDB makes the SDK's retries of one
            // call idempotent, not a new call; moto not even those).
            if kind.stored(store, item).await? {
                match opts.resume {
                    true => summary.skipped += 1,
                    false => summary.created += 1,
                }
            } else {
                let p = Problem::new(*line, "record", reason);
                if !opts.skip_invalid {
                    return Err(TransferError::Stopped(p));
                }
                progress.problem(&p);
                summary.rejected += 1;
            }
            progress.advance(1);
            out.push(i);
        }
        remove_at(&mut batch.lines, &out);
        remove_at(&mut batch.items, &out);
    }
    Ok(handled)
}

fn remove_at<T>(v: &mut Vec<T>, positions: &[usize]) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        !positions.contains(&(i - 1))
    });
}
