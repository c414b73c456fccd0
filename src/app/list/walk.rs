//! Walks: reading one part's plan page by page, and an admin's parts (one per ISP) merged.

use super::{Planned, Row, page_size, row_of};
use crate::app::budget::Budget;
use crate::app::{App, AppError};
use crate::domain::ids::CustomerId;
use crate::domain::list::{ListRequest, SortOrder};
use crate::store::records::CustomerItem;
use std::collections::HashMap;

/// What a walk found: its rows; when the read budget cut it short, the order key of the
/// last entry it examined (every row up to there is among `rows`).
pub(super) struct Walk {
    pub rows: Vec<Row>,
    pub frontier: Option<String>,
    /// The order key of the last entry examined, matching or not: where the walk resumes.
    last: Option<String>,
    /// The plan's entries are all read.
    done: bool,
}

impl Walk {
    /// A walk that ended with these rows: all of them, or (`frontier`) those up to there.
    pub(super) fn ended(rows: Vec<Row>, frontier: Option<String>) -> Self {
        Self {
            rows,
            last: frontier.clone(),
            done: frontier.is_none(),
            frontier,
        }
    }
}

/// The rows asked of each part in an admin's first round: about its share of the page, at
/// least 3 (so few parts need a second round), at most the page.
fn first_round(want: usize, parts: usize) -> usize {
    want.div_ceil(parts.max(1))
        .saturating_add(1)
        .clamp(3.min(want), want)
}

impl App {
    /// Walks several ordered parts (an admin's list, one part per ISP) in rounds: first a
    /// few rows of each, then more only from the parts whose last row is still ahead of the
    /// page's last row, and from each only as many as it could still add to the page. So
    /// each ISP costs one small Query (0.5 unit) rather than a page of whole items, and at
    /// most a few parts a second one.
    pub(super) async fn walk_merged(
        &self,
        plans: &[Planned<'_>],
        req: &ListRequest,
        after: Option<&str>,
        want: usize,
        budget: &Budget,
        short_ok: bool,
    ) -> Result<Vec<Walk>, AppError> {
        let desc = req.order == SortOrder::Desc;
        let ahead = |k: &str, of: &str| if desc { k > of } else { k < of };
        let first = first_round(want, plans.len());
        let mut walks = futures_util::future::try_join_all(
            plans
                .iter()
                .map(|p| self.walk(p, req, after, Some(first), budget, short_ok)),
        )
        .await?;
        loop {
            let mut keys: Vec<&str> = walks
                .iter()
                .flat_map(|w| w.rows.iter().map(|r| r.key.as_str()))
                .collect();
            keys.sort_unstable_by(|a, b| if desc { b.cmp(a) } else { a.cmp(b) });
            // The page's last row so far; unknown while fewer rows than the page are found.
            let edge = keys.get(want.saturating_sub(1)).copied();
            let needy: Vec<(usize, String, usize)> = walks
                .iter()
                .enumerate()
                .filter(|(_, w)| !w.done && w.frontier.is_none())
                .filter_map(|(i, w)| {
                    let last = w.last.as_deref()?;
                    if edge.is_some_and(|e| !ahead(last, e)) {
                        return None;
                    }
                    let known = keys.iter().filter(|k| !ahead(last, k)).count();
                    Some((i, last.to_owned(), want.saturating_sub(known).max(1)))
                })
                .collect();
            if needy.is_empty() {
                return Ok(walks);
            }
            let more = futures_util::future::try_join_all(needy.iter().map(|(i, last, n)| {
                self.walk(&plans[*i], req, Some(last), Some(*n), budget, short_ok)
            }))
            .await?;
            for ((i, _, _), found) in needy.into_iter().zip(more) {
                let w = &mut walks[i];
                w.rows.extend(found.rows);
                w.last = found.last.or(w.last.take());
                w.frontier = found.frontier;
                w.done = found.done;
            }
        }
    }

    /// Reads the rows of one plan: for an ordered plan, the first `want` after `after`;
    /// otherwise every match. When the budget runs out first, an ordered walk that may stop
    /// (`short_ok`) returns what it found and its frontier; any other is refused.
    pub(super) async fn walk(
        &self,
        planned: &Planned<'_>,
        req: &ListRequest,
        after: Option<&str>,
        want: Option<usize>,
        budget: &Budget,
        short_ok: bool,
    ) -> Result<Walk, AppError> {
        let (plan, filters) = (&planned.plan, planned.filters);
        let wanted = want.filter(|_| plan.ordered);
        let forward = !plan.ordered || req.order == SortOrder::Asc;
        let mut start = after.and_then(|a| plan.start_after(a));
        let mut rows = Vec::new();
        // The order key of the last entry examined, matching or not.
        let mut examined: Option<String> = None;
        loop {
            let remaining = wanted.map(|w| w.saturating_sub(rows.len()));
            // No page may read much past the budget: DynamoDB's own pages go up to 1 MB.
            let affordable = match plan.needs_records() && !plan.query.holds_items() {
                true => budget.records_left(),
                false => budget.entries_left(plan.query.entry_bytes()),
            };
            let size = Some(
                page_size(remaining, plan.residual)
                    .unwrap_or(i32::MAX)
                    .min(i32::try_from(affordable).unwrap_or(i32::MAX)),
            );
            if plan.query.holds_items() {
                let page = self
                    .store
                    .query_customers(&plan.query, forward, size, start)
                    .await?;
                budget.spend(page.units);
                for item in page.items {
                    let row = row_of(item, req.sort);
                    examined = Some(row.key.clone());
                    if row.customer.as_ref().is_some_and(|c| filters.matches(c)) {
                        rows.push(row);
                    }
                }
                start = page.next;
            } else {
                let page = self
                    .store
                    .query_entries(&plan.query, forward, size, start)
                    .await?;
                budget.spend(page.units);
                let entries = page.entries;
                let keyed: Vec<_> = entries.iter().map(|e| plan.entry_order_key(e)).collect();
                if let Some(Some(key)) = keyed.last() {
                    examined = Some(key.clone());
                }
                // Where the entry says all, the record is read only if the row makes the
                // page; where a filter or the order needs it, it is read now.
                let mut undecided = Vec::new();
                for (entry, key) in entries.iter().zip(keyed) {
                    match (plan.entry_verdict(filters, entry), key) {
                        (Some(false), _) => {}
                        (Some(true), Some(key)) => rows.push(Row {
                            id: entry.id,
                            key,
                            customer: None,
                        }),
                        _ => undecided.push(entry.id),
                    }
                }
                if !undecided.is_empty() {
                    let mut found = self.customers_by_id(&undecided, budget).await?;
                    for id in undecided {
                        if let Some(row) = found.remove(&id).map(|item| row_of(item, req.sort))
                            && row.customer.as_ref().is_some_and(|c| filters.matches(c))
                        {
                            rows.push(row);
                        }
                    }
                }
                start = page.next;
            }
            let enough = wanted.is_some_and(|w| rows.len() >= w);
            if start.is_none() || enough {
                return Ok(Walk {
                    rows,
                    frontier: None,
                    last: examined,
                    done: start.is_none(),
                });
            }
            if budget.exhausted() {
                return match (short_ok && plan.ordered, examined) {
                    (true, Some(frontier)) => Ok(Walk {
                        rows,
                        frontier: Some(frontier.clone()),
                        last: Some(frontier),
                        done: false,
                    }),
                    _ => Err(budget.refusal().into()),
                };
            }
        }
    }

    pub(super) async fn customers_by_id(
        &self,
        ids: &[CustomerId],
        budget: &Budget,
    ) -> Result<HashMap<CustomerId, CustomerItem>, AppError> {
        let (items, units) = self.store.get_customers_sized(ids).await?;
        budget.spend(units);
        Ok(items.into_iter().map(|c| (c.id, c)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::first_round;

    #[test]
    fn the_first_round_asks_each_part_its_share_and_at_least_three() {
        assert_eq!(first_round(11, 1), 11);
        assert_eq!(first_round(11, 2), 7);
        assert_eq!(first_round(11, 10), 3);
        assert_eq!(first_round(11, 500), 3);
        assert_eq!(first_round(2, 5), 2);
        assert_eq!(first_round(101, 4), 27);
    }
}
