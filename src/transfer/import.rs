//! The import of one file, in two passes. Pass 1 checks every row (fields, references,
//! ids and usernames in use, duplicates within the file) and reports each bad one; unless
//! `skip_invalid`, one bad row means nothing is written. Pass 2 gives the rows without an id
//! a block of ids, writes the rows in transactions of [`BATCH`], and keeps the journal.

use super::TransferError;
use super::check::check_all;
use super::journal::{Journal, file_digest};
use super::kind::Kind;
use super::options::{ImportOptions, Progress, Summary};
use super::source::Source;
use super::write::{Batch, flush};
use crate::store::Store;
use crate::store::bulk::BATCH;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn save(journal: &Journal, path: Option<&Path>) -> Result<(), TransferError> {
    match path {
        Some(p) => journal.save(p),
        None => Ok(()),
    }
}

/// Imports `source` (read from `path`, which keeps the journal) with `kind`.
pub async fn import<K: Kind>(
    store: &Store,
    source: &Source,
    path: Option<&Path>,
    mut kind: K,
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> Result<Summary, TransferError> {
    let started = Instant::now();
    if opts.rejects.is_some() && !source.is_csv() {
        return Err(TransferError::File(
            "--rejects writes CSV: it needs a CSV file".into(),
        ));
    }
    let missing: Vec<&str> = kind
        .required()
        .into_iter()
        .filter(|f| !source.has_field(f))
        .collect();
    if !missing.is_empty() {
        return Err(TransferError::File(format!(
            "no column for {} (name a column so, or --map OLD=NEW)",
            missing.join(", ")
        )));
    }
    let unknown = source.unknown_columns(K::FIELDS);
    if !unknown.is_empty() {
        progress.warn(&format!("ignored columns: {}", unknown.join(", ")));
    }

    // A file gets a journal next to it; text given in memory (tests, the seed) does not.
    let journal_path = path.map(Journal::path_for);
    let earlier = match &journal_path {
        Some(j) => Journal::load(j)?,
        None => None,
    };
    let digest = match path {
        Some(p) => file_digest(p)?,
        None => String::new(),
    };
    let shown = journal_path
        .as_deref()
        .map_or_else(String::new, |p| p.display().to_string());
    match (&earlier, opts.resume && !opts.check_only) {
        _ if opts.check_only => {}
        (Some(j), false) if j.done => {
            return Err(TransferError::Journal(format!(
                "this file was imported already ({shown}): delete that journal to import it again"
            )));
        }
        (Some(_), false) => {
            return Err(TransferError::Journal(format!(
                "an import of this file was interrupted ({shown}): --resume to continue it"
            )));
        }
        (None, true) => {
            return Err(TransferError::Journal(format!(
                "nothing to resume: no journal {shown}"
            )));
        }
        (Some(j), true) if j.file_sha256 != digest || j.kind != K::NAME => {
            return Err(TransferError::Journal(format!(
                "{shown} is of another file or kind: the file changed since the import began"
            )));
        }
        _ => {}
    }

    let checked = check_all(store, source, &mut kind, progress).await?;
    if opts.check_only {
        return Ok(Summary {
            rows: checked.rows,
            rejected: checked.bad.len() as u64,
            elapsed: started.elapsed(),
            ..Summary::default()
        });
    }
    if !checked.bad.is_empty() && !opts.skip_invalid {
        return Err(TransferError::Refused(checked.bad.len()));
    }

    let mut journal = match earlier {
        Some(j) => j,
        None => {
            if let (false, Some(max)) = (opts.keep_counter, checked.max_kept) {
                store.raise_ids(K::SEQUENCE, max).await?;
            }
            let first_id = match checked.without_id {
                0 => 0,
                n => store.take_ids(K::SEQUENCE, n).await?,
            };
            let j = Journal {
                kind: K::NAME.to_owned(),
                file_sha256: digest,
                first_id,
                block: checked.without_id,
                rows_done: 0,
                done: false,
            };
            save(&j, journal_path.as_deref())?;
            j
        }
    };

    let mut rejects = match &opts.rejects {
        None => None,
        Some(p) => {
            let mut file = std::fs::File::create(p)?;
            // A byte-order mark, so that Excel reads the file as UTF-8.
            std::io::Write::write_all(&mut file, "\u{feff}".as_bytes())?;
            let mut w = csv::WriterBuilder::new()
                .delimiter(source.delimiter())
                .from_writer(file);
            let mut header = source.header().to_vec();
            header.push("reason".into());
            w.write_record(&header)?;
            Some(w)
        }
    };
    let mut id_map: Option<csv::Writer<std::fs::File>> = None;
    let id_map_path = path.map(|path| {
        let mut p = path.as_os_str().to_owned();
        p.push(".ids.csv");
        PathBuf::from(p)
    });

    let mut summary = Summary {
        rows: checked.rows,
        ..Summary::default()
    };
    progress.start(checked.rows);
    let mut next_block = journal.first_id;
    let mut batch = Batch {
        lines: Vec::with_capacity(BATCH),
        items: Vec::with_capacity(BATCH),
    };
    let mut written_here = 0u64;
    for (index, row) in source.rows()?.enumerate() {
        let row = row?;
        let index = index as u64;
        let id = match row.fields.get("id") {
            Some(_) => None,
            None => {
                next_block += 1;
                Some(next_block - 1)
            }
        };
        if let Some(p) = checked.bad.get(&row.line) {
            if let Some(w) = rejects.as_mut() {
                let mut cells = row.cells.clone();
                cells.resize(source.header().len(), String::new());
                cells.push(p.reason());
                w.write_record(&cells)?;
            }
            summary.rejected += 1;
            progress.advance(1);
            continue;
        }
        let item = kind
            .item(&row, id.unwrap_or_default())
            .map_err(TransferError::Stopped)?;
        if let (Some(old), Some(map_path)) = (K::old_id(&row), &id_map_path) {
            let w = match id_map.as_mut() {
                Some(w) => w,
                None => {
                    let mut w = csv::Writer::from_path(map_path)?;
                    w.write_record(["old_id", "id"])?;
                    id_map.insert(w)
                }
            };
            w.write_record([old, K::id_of(&item).to_string()])?;
        }
        if index < journal.rows_done {
            summary.skipped += 1;
            progress.advance(1);
            continue;
        }
        batch.lines.push(row.line);
        batch.items.push(item);
        if batch.items.len() == BATCH {
            written_here += flush(store, &kind, &mut batch, opts, &mut summary, progress).await?;
            journal.rows_done = index + 1;
            save(&journal, journal_path.as_deref())?;
            if opts.stop_after.is_some_and(|n| written_here >= n) {
                summary.interrupted = true;
                break;
            }
        }
    }
    if !summary.interrupted {
        flush(store, &kind, &mut batch, opts, &mut summary, progress).await?;
        journal.rows_done = checked.rows;
        journal.done = true;
        save(&journal, journal_path.as_deref())?;
    }
    progress.finish();
    if let Some(mut w) = rejects {
        w.flush()?;
    }
    if let Some(mut w) = id_map {
        w.flush()?;
        summary.id_map = id_map_path;
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}
