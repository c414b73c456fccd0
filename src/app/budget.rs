//! The read budget of one list request: what it may read from DynamoDB, in read units by
//! DynamoDB's rules (eventually consistent: 0.5 per 4 KB of a Query page, at least 0.5 per
//! item read by id). `LIST_READ_BUDGET_UNITS`, default 256 (≈ 2 MB of index data).
//!
//! Plans an index serves in order read about a page and never come near it; the budget
//! bounds the rest (ranges, filters no index decides, another sort than the index's, counts
//! of those). Over budget, a request without `cursor` is refused (400, naming narrower
//! queries) rather than answered with a silently short page; a request with `cursor` gets
//! the rows found so far and a `next` that resumes where the walk stopped.

use crate::domain::Invalid;
use std::sync::atomic::{AtomicU64, Ordering};

/// Read units are multiples of 0.5: they are kept as whole half-units.
pub struct Budget {
    limit_halves: u64,
    used_halves: AtomicU64,
    /// A count (`show_count=1`): its refusal cannot suggest short pages.
    counting: bool,
}

fn halves(units: f64) -> u64 {
    // Units are sums of halves; round up anything finer.
    (units * 2.0).ceil().max(0.0) as u64
}

/// How many index entries of `entry_bytes` each `units` pay for (at least one).
pub fn entries_for(units: f64, entry_bytes: u64) -> u64 {
    (halves(units) * 4096 / entry_bytes.max(1)).max(1)
}

impl Budget {
    pub fn new(units: u32) -> Self {
        Self {
            limit_halves: u64::from(units) * 2,
            used_halves: AtomicU64::new(0),
            counting: false,
        }
    }

    /// The budget of a count rather than of a page.
    pub fn counting(mut self, counting: bool) -> Self {
        self.counting = counting;
        self
    }

    /// Counts a read that has been made.
    pub fn spend(&self, units: f64) {
        self.used_halves.fetch_add(halves(units), Ordering::Relaxed);
    }

    pub fn exhausted(&self) -> bool {
        self.used_halves.load(Ordering::Relaxed) >= self.limit_halves
    }

    /// How many index entries of `entry_bytes` each the rest of the budget pays for (at least
    /// one, so that every walk makes progress).
    pub fn entries_left(&self, entry_bytes: u64) -> u64 {
        entries_for(self.units_left(), entry_bytes)
    }

    /// How many records read by id (BatchGetItem: at least 0.5 unit each) the rest of the
    /// budget pays for (at least one).
    pub fn records_left(&self) -> u64 {
        self.limit_halves
            .saturating_sub(self.used_halves.load(Ordering::Relaxed))
            .max(1)
    }

    /// What is left of the budget, in read units.
    pub fn units_left(&self) -> f64 {
        let left = self
            .limit_halves
            .saturating_sub(self.used_halves.load(Ordering::Relaxed));
        left as f64 / 2.0
    }

    /// The budget, in read units.
    pub fn limit_units(&self) -> u64 {
        self.limit_halves / 2
    }

    /// Whether reading `n` more records by id stays within the budget.
    pub fn affords_records(&self, n: usize) -> bool {
        let left = self
            .limit_halves
            .saturating_sub(self.used_halves.load(Ordering::Relaxed));
        u64::try_from(n).is_ok_and(|n| n <= left)
    }

    /// The refusal of a request that would read more than the budget: it names the
    /// narrower requests that would do (a count cannot be paged, so no `cursor` for it).
    pub fn refusal(&self) -> Invalid {
        const NARROWER: &str = "a filter an index serves (mobile, email, an exact name or one \
                                that starts with text, zipcode, city, state, type, serviceid, \
                                an exact username, a shorter created_from/created_upto range)";
        let units = self.limit_halves / 2;
        Invalid::new(
            "query",
            match self.counting {
                true => format!(
                    "counting this would read more than {units} read units \
                     (LIST_READ_BUDGET_UNITS): count with {NARROWER} instead"
                ),
                false => format!(
                    "would read more than {units} read units (LIST_READ_BUDGET_UNITS): narrow \
                     it with {NARROWER}, sort by the filter's own order, or send cursor (empty \
                     for the first page) to get pages that may be short"
                ),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_in_half_units_and_tells_what_is_left() {
        let b = Budget::new(2);
        assert!(!b.exhausted());
        assert_eq!(b.entries_left(100), 4 * 4096 / 100);
        assert_eq!(b.records_left(), 4);
        assert_eq!(b.units_left(), 2.0);
        b.spend(1.5);
        assert_eq!(b.units_left(), 0.5);
        assert!(!b.exhausted());
        b.spend(0.5);
        assert!(b.exhausted());
        assert_eq!(b.entries_left(100), 1, "a walk always makes progress");
        assert_eq!(b.records_left(), 1);
        assert!(b.refusal().to_string().contains("cursor"));
        let count = Budget::new(2).counting(true);
        assert!(!count.refusal().to_string().contains("cursor"));
        assert!(count.refusal().to_string().contains("zipcode"));
        assert!(count.affords_records(4) && !count.affords_records(5));
    }
}
