//! What an import is told (its options), what it reports while it runs (`Progress`) and
//! what it did (`Summary`): shared by both passes and the journal.

use super::Problem;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub skip_invalid: bool,
    /// Where to write the refused rows (the file's columns and a `reason`).
    pub rejects: Option<PathBuf>,
    pub resume: bool,
    /// Leave the id counter below kept ids (new records skip them as they meet them).
    pub keep_counter: bool,
    /// Stop after writing this many rows, as an interruption would (tests of `--resume`).
    pub stop_after: Option<u64>,
    /// Check every row and report, write nothing (no journal either).
    pub check_only: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub rows: u64,
    pub created: u64,
    /// Written by the run that `--resume` continued.
    pub skipped: u64,
    pub rejected: u64,
    pub elapsed: Duration,
    /// `<file>.ids.csv`: old ids beside the ids given, when rows had an `old_id`.
    pub id_map: Option<PathBuf>,
    /// Stopped by `stop_after` before the end.
    pub interrupted: bool,
}

/// What the operator sees while an import runs.
pub trait Progress {
    fn warn(&self, text: &str);
    /// A refused row, as pass 1 finds it.
    fn problem(&self, p: &Problem);
    /// Pass 2 starts: this many rows to go through.
    fn start(&self, rows: u64);
    fn advance(&self, rows: u64);
    fn finish(&self);
}

/// Progress that shows nothing and keeps the problems (imports from code: tests, the seed).
#[derive(Debug, Default)]
pub struct Quiet {
    pub problems: std::sync::Mutex<Vec<Problem>>,
}

impl Progress for Quiet {
    fn warn(&self, text: &str) {
        tracing::warn!("{text}");
    }
    fn problem(&self, p: &Problem) {
        if let Ok(mut v) = self.problems.lock() {
            v.push(p.clone());
        }
    }
    fn start(&self, _rows: u64) {}
    fn advance(&self, _rows: u64) {}
    fn finish(&self) {}
}
