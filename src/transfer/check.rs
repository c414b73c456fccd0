//! Pass 1 of an import: every row checked, in chunks that share their reads, before
//! anything is written.

use super::kind::Kind;
use super::options::Progress;
use super::source::Source;
use super::{Problem, TransferError};
use crate::store::Store;
use std::collections::{HashMap, HashSet};

/// Rows checked together (one BatchGetItem of their references).
const CHECK_CHUNK: usize = 100;

/// What pass 1 learnt of the file.
pub(super) struct Checked {
    pub(super) rows: u64,
    pub(super) without_id: u64,
    pub(super) max_kept: Option<u64>,
    /// Refused rows by line.
    pub(super) bad: HashMap<u64, Problem>,
}

pub(super) async fn check_all<K: Kind>(
    store: &Store,
    source: &Source,
    kind: &mut K,
    progress: &dyn Progress,
) -> Result<Checked, TransferError> {
    let mut checked = Checked {
        rows: 0,
        without_id: 0,
        max_kept: None,
        bad: HashMap::new(),
    };
    let mut kept = HashSet::new();
    let mut chunk = Vec::with_capacity(CHECK_CHUNK);
    let mut rows = source.rows()?.peekable();
    while let Some(row) = rows.next() {
        chunk.push(row?);
        if chunk.len() < CHECK_CHUNK && rows.peek().is_some() {
            continue;
        }
        let results = kind.check(store, &chunk).await?;
        for (row, result) in chunk.drain(..).zip(results) {
            checked.rows += 1;
            let result = match result {
                Ok(Some(id)) if !kept.insert(id) => Err(Problem::new(
                    row.line,
                    "id",
                    format!("{id} appears twice in the file"),
                )),
                other => other,
            };
            match result {
                Ok(Some(id)) => checked.max_kept = checked.max_kept.max(Some(id)),
                Ok(None) => checked.without_id += 1,
                Err(p) => {
                    // A refused row without an id still takes one from the block, so the
                    // ids of the others never depend on which rows were refused.
                    if !row.fields.contains_key("id") {
                        checked.without_id += 1;
                    }
                    progress.problem(&p);
                    checked.bad.insert(row.line, p);
                }
            }
        }
    }
    Ok(checked)
}
