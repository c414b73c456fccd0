//! `crm-admin`'s moving in and out: CSV (and JSON) import of customers and services with
//! every row checked before anything is written, resumable by a journal; export by cursor
//! pages. Knows nothing of HTTP; writes through `store` as the API does, so counts,
//! counters and username claims stay right.

pub mod cells;
mod check;
pub mod customers;
pub mod export;
pub mod import;
pub mod journal;
pub mod kind;
pub mod options;
pub mod services;
pub mod source;
mod write;

use crate::domain::Invalid;
use crate::store::StoreError;
use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The file cannot be read as asked (missing, not a file, no header, bad encoding...).
    #[error("{0}")]
    File(String),
    /// Rows were refused and `--skip-invalid` was not given: nothing was written.
    #[error(
        "{0} rows refused: nothing was written (fix them, or --skip-invalid to import the rest)"
    )]
    Refused(usize),
    /// The journal next to the file forbids or does not allow what was asked.
    #[error("{0}")]
    Journal(String),
    /// A row refused while writing (a race with the API since the checks), without
    /// `--skip-invalid`: the rows before it are written, and `--resume` continues.
    #[error("{0}; the rows before it are written: fix it, then --resume")]
    Stopped(Problem),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing {0}")]
    Output(String),
}

impl From<csv::Error> for TransferError {
    fn from(e: csv::Error) -> Self {
        Self::Output(e.to_string())
    }
}

impl From<std::io::Error> for TransferError {
    fn from(e: std::io::Error) -> Self {
        Self::Output(e.to_string())
    }
}

/// Why a row cannot be imported: its line, the field, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl Problem {
    pub fn new(line: u64, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            line,
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn invalid(line: u64, e: Invalid) -> Self {
        Self::new(line, e.param, e.rule)
    }

    /// Several problems of one row: the first field, and every `field: rule` after it.
    pub fn all(line: u64, problems: &[Invalid]) -> Self {
        let Some((first, rest)) = problems.split_first() else {
            return Self::new(line, "row", "refused");
        };
        let mut reason = first.rule.clone();
        for p in rest {
            reason.push_str(&format!("; {p}"));
        }
        Self::new(line, first.param, reason)
    }

    /// The reason column of a rejects file.
    pub fn reason(&self) -> String {
        format!("{}: {}", self.field, self.reason)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}
