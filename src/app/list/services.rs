//! The customer list's `serviceid` and `username`: the customers they select, decided on
//! the services table first (`username` in the username order of each ISP in scope).

use crate::app::budget::{Budget, entries_for};
use crate::app::{App, AppError};
use crate::domain::Invalid;
use crate::domain::ids::CustomerId;
use crate::domain::list::{Filters, Pattern};
use crate::domain::scope::ListScope;
use crate::store::plan::ServiceQuery;
use crate::store::records::ServiceItem;
use crate::store::services::ITEM_BYTES;

/// The customer list's `username` reads at most this many services per ISP (pages of
/// `CANDIDATE_PAGE`) and keeps at most `MAX_CANDIDATES` customers, which it then reads
/// whole: a pattern broader than that is refused rather than silently expensive.
const CANDIDATE_PAGE: i32 = 1000;
const CANDIDATE_PAGES: usize = 5;
const MAX_CANDIDATES: usize = 1000;
/// A page in id order collects a pattern's services while they cost at most this share of
/// the read budget (at 256 units, ~900 services); past it the pattern matches so many that
/// walking the services in customer order finds the page sooner (`list/usernames.rs`: about
/// `want × services / matches` entries of ~80 bytes; for a page of 10 among 1,000,000
/// services at most ~12,000 entries, ~120 units). A broad pattern pays the share first.
const BROAD_SHARE: f64 = 0.125;

/// What the customer list does next with the customers a `serviceid`/`username` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Then {
    /// Reads them all whole (another filter or the order needs them): their number is capped.
    ReadAll,
    /// Counts them: only the budget bounds them.
    Count,
    /// Pages them in id order, reading only the page's: collected up to `BROAD_SHARE`.
    Page,
}

/// The customers a `serviceid`/`username` selects.
pub(super) enum Selected<'p> {
    /// Neither is given.
    Unfiltered,
    Ids(Vec<CustomerId>),
    /// For `Then::Page`, a pattern that matches more than `BROAD_SHARE` pays to collect.
    TooMany(&'p Pattern),
}

fn too_broad() -> AppError {
    Invalid::new(
        "username",
        "matches too many services: start the pattern with more text",
    )
    .into()
}

/// A `username` pattern whose services or customers the read budget cannot pay for: only
/// more text helps (its candidates are read before any page, so `cursor` would not).
fn over_budget(budget: &Budget) -> AppError {
    Invalid::new(
        "username",
        format!(
            "selects more than the read budget reads ({} read units, \
             LIST_READ_BUDGET_UNITS): start the pattern with more text",
            budget.limit_units()
        ),
    )
    .into()
}

impl App {
    /// The customers that `serviceid`/`username` select, through their services.
    /// `username` reads the username order of each ISP in scope, bounded as `then` says.
    pub(super) async fn services_filter<'f, C>(
        &self,
        scope: ListScope,
        f: &'f Filters<C>,
        budget: &Budget,
        then: Then,
    ) -> Result<Selected<'f>, AppError> {
        if f.serviceid.is_none() && f.username.is_none() {
            return Ok(Selected::Unfiltered);
        }
        let records = then == Then::ReadAll;
        let broad = BROAD_SHARE * budget.limit_units() as f64;
        let mut spent = 0.0;
        let keep = |s: &ServiceItem| {
            scope.permits(s.ispid, s.resellerid)
                && f.username.as_ref().is_none_or(|p| p.matches(&s.username))
        };
        let mut ids: Vec<CustomerId> = Vec::new();
        if let Some(id) = f.serviceid {
            ids.extend(
                self.store
                    .get_service(id, false)
                    .await?
                    .filter(keep)
                    .map(|s| s.customerid),
            );
        } else if let Some(pattern) = &f.username {
            for part in self.parts(scope).await? {
                let query = ServiceQuery::username_pattern(part, pattern)
                    .unwrap_or_else(|| ServiceQuery::by_username(part));
                let mut start = None;
                for page in 1.. {
                    // Pages no larger than the budget (for a page, its broad share) pays for,
                    // at services of ~ITEM_BYTES.
                    let affordable = match then {
                        Then::Page => entries_for(broad - spent, ITEM_BYTES),
                        _ => budget.entries_left(ITEM_BYTES),
                    };
                    let size = CANDIDATE_PAGE.min(i32::try_from(affordable).unwrap_or(i32::MAX));
                    let found = self
                        .store
                        .query_services(&query, true, Some(size), start)
                        .await?;
                    budget.spend(found.units);
                    spent += found.units;
                    ids.extend(found.items.iter().filter(|s| keep(s)).map(|s| s.customerid));
                    start = found.next;
                    if start.is_none() {
                        break;
                    }
                    if then == Then::Page && spent >= broad {
                        return Ok(Selected::TooMany(pattern));
                    }
                    if records && (page == CANDIDATE_PAGES || ids.len() > MAX_CANDIDATES) {
                        return Err(too_broad());
                    }
                    if budget.exhausted() {
                        return Err(over_budget(budget));
                    }
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if !records {
            return Ok(Selected::Ids(ids));
        }
        if ids.len() > MAX_CANDIDATES {
            return Err(too_broad());
        }
        // The candidates are then read whole, at least 0.5 unit each.
        if !budget.affords_records(ids.len()) {
            return Err(over_budget(budget));
        }
        Ok(Selected::Ids(ids))
    }
}
