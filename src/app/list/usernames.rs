//! The page, in id order, of a `username` pattern too broad to collect in username order:
//! the part's services walked in customer order (`store::usernames`, ~80 bytes an entry),
//! each username checked, until the page's customers are found. It reads about a page
//! divided by the pattern's share of services, and is taken only past a share that keeps that
//! small (`services::BROAD_SHARE`).

use super::walk::Walk;
use super::{Row, id_row};
use crate::app::budget::{Budget, entries_for};
use crate::app::{App, AppError};
use crate::domain::ids::CustomerId;
use crate::domain::list::Pattern;
use crate::store::plan::{Part, id_order_key};
use crate::store::usernames::ENTRY_BYTES;

/// DynamoDB's own pages go up to 1 MB; no page asks for more entries than this.
const PAGE: u64 = 1000;

impl App {
    /// The first `want` customers of `part` after `after` (id order, descending with
    /// `desc`) with a service whose username matches `pattern`. When the budget, or the
    /// `share` of it this part may spend (an admin's ISPs each get theirs), runs out first:
    /// with `short_ok` the rows found and the frontier (the last customer whose services
    /// were all read), else refused.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn walk_usernames(
        &self,
        part: Part,
        pattern: &Pattern,
        after: Option<&str>,
        want: usize,
        desc: bool,
        budget: &Budget,
        share: f64,
        short_ok: bool,
    ) -> Result<Walk, AppError> {
        let (mut rows, mut start, mut spent) = (Vec::<Row>::new(), None, 0.0);
        // Pages from twice the rows still wanted, doubling while the pattern proves sparse.
        let mut asked = 2 * want as u64;
        // The last two customers seen: the one before the last has had all its services read.
        let (mut last, mut complete): (Option<CustomerId>, Option<CustomerId>) = (None, None);
        loop {
            let size = asked
                .min(entries_for(share - spent, ENTRY_BYTES))
                .clamp(1, PAGE);
            asked = asked.saturating_mul(2);
            let size = i32::try_from(size);
            let Some(page) = self
                .store
                .usernames_in_customer_order(part, after, desc, size.unwrap_or(1), start)
                .await?
            else {
                return Ok(Walk::ended(Vec::new(), None));
            };
            budget.spend(page.units);
            spent += page.units;
            for entry in page.items {
                if last != Some(entry.customerid) {
                    (complete, last) = (last, Some(entry.customerid));
                }
                let known = rows.last().is_some_and(|r| r.id == entry.customerid);
                if !known && pattern.matches(&entry.username) {
                    rows.push(id_row(entry.customerid));
                }
            }
            start = page.next;
            if start.is_none() || rows.len() >= want {
                return Ok(Walk::ended(rows, None));
            }
            if spent >= share || budget.exhausted() {
                // A short page must end past where it started, or its cursor would not move.
                let (true, Some(id)) = (short_ok, complete) else {
                    return Err(budget.refusal().into());
                };
                // The last customer may have more services past this page (rows are in its
                // order: it can only be the last row).
                if rows.last().map(|r| r.id) == last {
                    rows.pop();
                }
                return Ok(Walk::ended(rows, Some(id_order_key(id))));
            }
        }
    }
}
