//! The list: narrow the scope, plan each part (`planner.rs`), walk, merge and page.
//!
//! Rows carry an order key (see `store::plan::order_key`), so parts merge and pages resume by
//! comparing strings. An ordered walk stops after the rows the page needs (plus one, to know
//! whether there is a next page); an unordered one reads every match and sorts in memory.
//! Indexes that do not hold items yield ids and the few values they carry; only the rows of
//! the page (or the candidates whose entry cannot decide a remaining filter) are then read
//! whole. Every read counts against the request's read
//! budget (`budget.rs`); a walk cut by it either refuses the request or, with `cursor`,
//! ends a short page at its frontier. `created_from`/`created_upto` are days in the zone of
//! the ISP whose partition (or customer) is read (`zones.rs`).

mod count;
mod services;
mod usernames;
mod walk;

use super::budget::Budget;
use super::cursor::{self, Fingerprint, fingerprint};
use super::planner::{self, Part, Plan};
use super::zones::Zoned;
use super::{App, AppError};
use crate::domain::customer::Customer;
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::list::{Filters, ListRequest, Pattern, SortField, SortOrder};
use crate::domain::scope::{Caller, ListScope, Narrowing};
use crate::domain::{Fields, Invalid};
use crate::store::capacity;
use crate::store::counts::CountOf;
use crate::store::offsets;
use crate::store::plan::{id_order_key, order_key};
use crate::store::records::CustomerItem;
use services::{Selected, Then};

#[derive(Debug, Clone, PartialEq)]
pub enum ListOutcome {
    /// A page, and the cursor of the next one (absent on the last page).
    Rows {
        rows: Vec<Customer>,
        next: Option<String>,
    },
    Count(u64),
    /// `deleted=1`: restorable copies, newest deletion first (`deleted.rs`).
    Deleted {
        rows: Vec<crate::domain::customer::DeletedCustomer>,
        next: Option<String>,
    },
}

/// One part's plan, and the filters of its ISP that its rows must pass.
pub(super) struct Planned<'a> {
    plan: Plan,
    filters: &'a Filters,
}

/// Where a page's rows come from.
pub(super) enum Source<'a> {
    /// Each part's plan, walked.
    Plans,
    /// Rows already found (the customers of a `serviceid` or `username`).
    Rows(Vec<Row>),
    /// A `username` pattern too broad to collect: each part's services in customer order.
    Usernames(&'a Pattern),
}

/// One row of a walk: its order key and, once read, the customer.
pub(super) struct Row {
    id: CustomerId,
    key: String,
    customer: Option<Customer>,
}

fn row_of(item: CustomerItem, sort: SortField) -> Row {
    let key = order_key(&item, sort);
    Row {
        id: item.id,
        key,
        customer: Some(Customer::from(item)),
    }
}

/// A row known by its id alone, in id order.
pub(super) fn id_row(id: CustomerId) -> Row {
    Row {
        id,
        key: id_order_key(id),
        customer: None,
    }
}

/// From how many rows skipped an offset in id order is counted on ids (~15 bytes an entry)
/// rather than walked over whole customers (~600): 20 of those are 1.5 read units, the ids'
/// Query 0.5 and one more call.
const SKIP_ON_IDS_FROM: u32 = 20;

/// What a walk reads for each entry it examines, as DynamoDB charges it: the entry, and
/// where the entry (of an index that does not hold items) cannot decide or order the row,
/// the record too (a BatchGetItem's 0.5 unit, what 4 KB of a Query costs).
fn walked_bytes(plan: &Plan) -> u64 {
    let record = match plan.needs_records() && !plan.query.holds_items() {
        true => 4096,
        false => 0,
    };
    plan.query.entry_bytes() + record
}

/// How many entries to ask DynamoDB for when `wanted` more rows are needed: exactly that
/// many when every entry is a row, more when a filter rejects some.
pub(super) fn page_size(wanted: Option<usize>, filtered: bool) -> Option<i32> {
    let wanted = wanted?;
    let n = if filtered {
        wanted.saturating_mul(2).clamp(20, 200)
    } else {
        wanted.clamp(1, 1000)
    };
    i32::try_from(n).ok()
}

impl App {
    pub async fn list_customers(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<ListOutcome, AppError> {
        let req = ListRequest::parse(f)?;
        if req.deleted {
            return self.list_deleted(caller, &req).await;
        }
        let scope = self.list_scope(caller, req.ispid, req.resellerid).await?;
        let budget = Budget::new(self.read_budget_units).counting(req.show_count);

        // With `username` or `serviceid` alone a service tells all: it carries its customer's
        // ISP and reseller (it never moves). A count is its customers; a page in id order
        // reads only its own rows' records.
        let services_alone = req.filters.customerid.is_none()
            && planner::kept_count(&Filters {
                username: None,
                serviceid: None,
                ..req.filters.clone()
            }) == Some(CountOf::All);
        let then = match (services_alone, req.show_count) {
            (true, true) => Then::Count,
            (true, false) if req.sort == SortField::Id => Then::Page,
            _ => Then::ReadAll,
        };
        let source = match self
            .services_filter(scope, &req.filters, &budget, then)
            .await?
        {
            Selected::Unfiltered => None,
            Selected::Ids(ids) if then == Then::Count => {
                return Ok(ListOutcome::Count(ids.len() as u64));
            }
            Selected::Ids(ids) if then == Then::Page => {
                Some(Source::Rows(ids.into_iter().map(id_row).collect()))
            }
            // Past what collecting them pays for, a walk in id order finds the page.
            Selected::TooMany(pattern) => Some(Source::Usernames(pattern)),
            // Another filter or the order needs every one of the customers whole: few
            // (`services::MAX_CANDIDATES`).
            Selected::Ids(ids) => {
                // The customers of the matching services: few, read by id and sorted here.
                let found: Vec<CustomerItem> = self
                    .customers_by_id(&ids, &budget)
                    .await?
                    .into_values()
                    .filter(|c| scope.permits(c.ispid, c.resellerid))
                    .collect();
                // Cursors bind the zones of the scope's ISPs, as for any list of that scope.
                let bound = match req.filters.created {
                    Some(_) => self.parts(scope).await?,
                    None => Vec::new(),
                };
                let mut zoned = self.zoned(&req.filters, &bound).await?;
                self.cover(&mut zoned, &req.filters, found.iter().map(|c| c.ispid))
                    .await?;
                let rows: Vec<Row> = found
                    .into_iter()
                    .map(|c| row_of(c, req.sort))
                    .filter(|r| r.customer.as_ref().is_some_and(|c| zoned.matches(c)))
                    .collect();
                return match req.show_count {
                    true => Ok(ListOutcome::Count(rows.len() as u64)),
                    false => {
                        let source = Source::Rows(rows);
                        self.page(caller, &req, &zoned, &[], source, &budget).await
                    }
                };
            }
        };
        if let Some(source) = source {
            let parts = match source {
                Source::Usernames(_) => self.parts(scope).await?,
                _ => Vec::new(),
            };
            let zoned = self.zoned(&req.filters, &[]).await?;
            return self
                .page(caller, &req, &zoned, &parts, source, &budget)
                .await;
        }

        if let Some(id) = req.filters.customerid {
            // One record at most: nothing to read when the answer is already known.
            let beyond_first = !req.show_count && (req.offset > 0 || req.cursor.is_some());
            let found = match scope == ListScope::Nothing || beyond_first {
                true => None,
                false => self.one(id, scope, &req).await?,
            };
            return Ok(match req.show_count {
                true => ListOutcome::Count(u64::from(found.is_some())),
                false => ListOutcome::Rows {
                    rows: found.into_iter().collect(),
                    next: None,
                },
            });
        }
        let parts = self.parts(scope).await?;
        if req.show_count
            && let Some(of) = planner::kept_count(&req.filters)
        {
            // A kept count needs no zone: a created range's days were counted in each
            // ISP's. An admin's parts (one per ISP) are read concurrently.
            let counts = futures_util::future::try_join_all(parts.iter().map(|part| {
                let (of, budget) = (&of, &budget);
                async move { self.kept(*part, of, budget).await }
            }))
            .await?;
            return Ok(ListOutcome::Count(counts.into_iter().sum()));
        }
        // Each part is one ISP's partition: its created range in that ISP's zone.
        let zoned = self.zoned(&req.filters, &parts).await?;
        if req.show_count {
            let counts = futures_util::future::try_join_all(parts.iter().map(|part| {
                let (zoned, req, budget) = (&zoned, &req, &budget);
                async move { self.count(*part, zoned.get(part.isp())?, req, budget).await }
            }))
            .await?;
            let total = counts.into_iter().sum();
            return Ok(ListOutcome::Count(total));
        }
        self.page(caller, &req, &zoned, &parts, Source::Plans, &budget)
            .await
    }

    /// The caller's scope narrowed by a list's `ispid`/`resellerid` (the reseller's ISP is
    /// read when the caller's scope does not already fix it).
    pub(super) async fn list_scope(
        &self,
        caller: &Caller,
        ispid: Option<IspId>,
        resellerid: Option<ResellerId>,
    ) -> Result<ListScope, AppError> {
        let narrowing = Narrowing::new(caller.scope, ispid, resellerid)?;
        let reseller_isp = match narrowing.reseller.filter(|_| narrowing.needs_lookup()) {
            Some(r) => self.reseller_isp(r).await?,
            None => None,
        };
        Ok(narrowing.confirm(reseller_isp)?)
    }

    /// The ISP partitions a list in `scope` reads: one, or (an admin's list) every ISP.
    pub(super) async fn parts(&self, scope: ListScope) -> Result<Vec<Part>, AppError> {
        Ok(match scope {
            ListScope::Nothing => Vec::new(),
            ListScope::Isp(isp) => vec![Part::Isp(isp)],
            ListScope::Reseller { isp, reseller } => vec![Part::Reseller { isp, reseller }],
            ListScope::All => self.isp_ids().await?.into_iter().map(Part::Isp).collect(),
        })
    }

    async fn one(
        &self,
        id: CustomerId,
        scope: ListScope,
        req: &ListRequest,
    ) -> Result<Option<Customer>, AppError> {
        let Some(found) = self
            .store
            .get_customer(id)
            .await?
            .filter(|c| scope.permits(c.ispid, c.resellerid))
            .map(Customer::from)
        else {
            return Ok(None);
        };
        // The created range in the zone of the customer's ISP.
        let mut zoned = self.zoned(&req.filters, &[]).await?;
        self.cover(&mut zoned, &req.filters, [found.ispid]).await?;
        Ok(Some(found).filter(|c| zoned.matches(c)))
    }

    /// `planner::plan`, except where a single filter's own index does not yield the sort's
    /// order (a created range or a name prefix in id order; a type, state, city, zipcode,
    /// range or prefix under another sort): that index reads every customer it matches to
    /// order them, while a walk in the sort's own order (`planner::plan_ordered`) reads about
    /// `want × N / M` candidates (M matches, N in the part) and checks the filter on each.
    /// The cheaper walk wins, so the page stays bounded however many match: at most about
    /// 2·√(want·N·a·b) bytes for candidates of a and b bytes. N is kept, and so is M for every
    /// filter but a prefix, whose matches are counted (from its name items, or on its index
    /// when its pattern says more) up to where the two walks cost the same (past it, the
    /// ordered walk is the cheaper).
    async fn plan_range(
        &self,
        part: Part,
        filters: &Filters,
        req: &ListRequest,
        want: usize,
        budget: &Budget,
    ) -> Result<Plan, AppError> {
        let plan = planner::plan(part, filters, req.sort);
        if plan.ordered {
            return Ok(plan);
        }
        let f = &req.filters;
        let counted = match planner::kept_count(f) {
            Some(CountOf::All) | None => None,
            Some(of) => Some(of),
        };
        let prefix_alone = plan.query.access_is_name_prefix()
            && f.created.is_none()
            && planner::kept_count(&Filters {
                name: None,
                ..f.clone()
            }) == Some(CountOf::All);
        if counted.is_none() && !prefix_alone {
            return Ok(plan);
        }
        let ordered = planner::plan_ordered(part, filters, req.sort);
        let (entry, candidate) = (walked_bytes(&plan), walked_bytes(&ordered));
        let in_part = self.kept(part, &CountOf::All, budget).await?;
        // Where the two walks cost the same: M entries against want·N/M candidates. A
        // prefix's matches are counted only up to there (past it, the ordered walk wins).
        let even = || {
            ((want as u64)
                .saturating_mul(in_part)
                .saturating_mul(candidate)
                / entry.max(1))
            .isqrt()
            .max(1)
        };
        let matches = match counted {
            Some(of) => {
                // A prefix's name items, read for no more than walking `even` entries costs.
                let cap = match of {
                    CountOf::Name { .. } => {
                        capacity::read_units(usize::try_from(even() * entry).unwrap_or(0))
                    }
                    _ => f64::INFINITY,
                };
                match self.kept_within(part, &of, budget, cap).await? {
                    Some(matches) => matches,
                    None => return Ok(ordered),
                }
            }
            None => {
                let walk = self.store.count_matching(&plan.query, Some(even())).await?;
                budget.spend(walk.units);
                match walk.complete {
                    true => walk.count,
                    false => return Ok(ordered),
                }
            }
        };
        let by_index = matches.saturating_mul(entry);
        let by_order = (want as u64)
            .saturating_mul(in_part / matches.max(1))
            .saturating_mul(candidate);
        Ok(if by_order < by_index { ordered } else { plan })
    }

    async fn page(
        &self,
        caller: &Caller,
        req: &ListRequest,
        zoned: &Zoned,
        parts: &[Part],
        source: Source<'_>,
        budget: &Budget,
    ) -> Result<ListOutcome, AppError> {
        let fp = query_fingerprint(caller, req, zoned.binding());
        // With a cursor (an empty one: the first page) pages may be short.
        let short_ok = req.cursor.is_some();
        let (mut after, mut skip) = (None, req.offset);
        if let Some(token) = &req.cursor {
            if req.offset != 0 {
                return Err(Invalid::new("rows_offset", "cannot be combined with cursor").into());
            }
            if !token.is_empty() {
                after = Some(self.cursors.open(token, &fp).map_err(|e| {
                    match e.rule == cursor::OTHER_QUERY && !zoned.binding().is_empty() {
                        true => Invalid::new("cursor", cursor::OTHER_QUERY_OR_ZONE),
                        false => e,
                    }
                })?);
            }
        } else if let Some((at, key)) = self.pages.nearest(&fp, req.offset) {
            after = Some(key);
            skip = req.offset - at;
        }
        // An offset in id order over every customer of one part is counted on its ids alone,
        // from the remembered position if any.
        if let [part] = parts
            && matches!(source, Source::Plans)
            && skip >= SKIP_ON_IDS_FROM
            && req.sort == SortField::Id
            && planner::kept_count(&req.filters) == Some(CountOf::All)
            && budget.entries_left(offsets::ENTRY_BYTES) >= u64::from(skip)
            && let Some(at) = self
                .store
                .id_at(*part, after.as_deref(), skip, req.order == SortOrder::Desc)
                .await?
        {
            budget.spend(at.units);
            let Some(key) = at.key else {
                // The part ends before the offset.
                return Ok(ListOutcome::Rows {
                    rows: Vec::new(),
                    next: None,
                });
            };
            (after, skip) = (Some(key), 0);
        }
        let skip = skip as usize;
        let limit = req.limit as usize;
        let want = skip + limit + 1;
        let desc = req.order == SortOrder::Desc;

        let (mut rows, frontier) = match source {
            Source::Rows(rows) => (rows, None),
            Source::Usernames(pattern) => {
                // One part after another, each with an even share of what is left.
                let mut walks = Vec::with_capacity(parts.len());
                for (i, part) in parts.iter().enumerate() {
                    let share = budget.units_left() / (parts.len() - i) as f64;
                    let after = after.as_deref();
                    let walk = self
                        .walk_usernames(*part, pattern, after, want, desc, budget, share, short_ok);
                    walks.push(walk.await?);
                }
                nearest_frontier(walks, desc)
            }
            Source::Plans => {
                // An admin's parts (one per ISP) are planned concurrently.
                let plans = futures_util::future::try_join_all(parts.iter().map(|part| async {
                    let filters = zoned.get(part.isp())?;
                    let plan = match short_ok {
                        true => planner::plan_ordered(*part, filters, req.sort),
                        false => self.plan_range(*part, filters, req, want, budget).await?,
                    };
                    Ok::<_, AppError>(Planned { plan, filters })
                }))
                .await?;
                // Several ISPs' pages of whole items: read in rounds, a few rows of each first (keys-only
                // entries cost 0.5 unit a Query however few, so those are read a page at once).
                let rounds = plans.len() > 1
                    && plans
                        .iter()
                        .all(|p| p.plan.ordered && p.plan.query.holds_items());
                let walks = match rounds {
                    true => {
                        self.walk_merged(&plans, req, after.as_deref(), want, budget, short_ok)
                            .await?
                    }
                    false => {
                        futures_util::future::try_join_all(plans.iter().map(|planned| {
                            self.walk(planned, req, after.as_deref(), Some(want), budget, short_ok)
                        }))
                        .await?
                    }
                };
                nearest_frontier(walks, desc)
            }
        };
        rows.retain(|r| {
            let k = r.key.as_str();
            let past_after = after
                .as_deref()
                .is_none_or(|a| if desc { k < a } else { k > a });
            let known = frontier
                .as_deref()
                .is_none_or(|f| if desc { k >= f } else { k <= f });
            past_after && known
        });
        rows.sort_unstable_by(|a, b| {
            if desc {
                b.key.cmp(&a.key)
            } else {
                a.key.cmp(&b.key)
            }
        });
        let more = rows.len() > skip + limit;
        let mut page: Vec<Row> = rows.into_iter().skip(skip).take(limit).collect();
        self.fill(&mut page, budget).await?;

        let last = page.last().map(|r| r.key.clone());
        if let (Some(key), None) = (&last, &req.cursor) {
            // The page holds at most 100 rows: the sum stays far below u32::MAX.
            let reached = req.offset.saturating_add(page.len() as u32);
            self.pages.remember(fp, reached, key.clone());
        }
        // A full page continues after its last row; a page cut short by the budget after
        // the frontier (the rows up to it are all on this page).
        let resume = match more {
            true => last,
            false => frontier,
        };
        let next = resume.map(|key| self.cursors.seal(&fp, &key));
        Ok(ListOutcome::Rows {
            rows: page.into_iter().filter_map(|r| r.customer).collect(),
            next,
        })
    }

    /// Reads the records of page rows known so far only by their index entry.
    async fn fill(&self, page: &mut Vec<Row>, budget: &Budget) -> Result<(), AppError> {
        let missing: Vec<_> = page
            .iter()
            .filter(|r| r.customer.is_none())
            .map(|r| r.id)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut found = self.customers_by_id(&missing, budget).await?;
        for row in page.iter_mut().filter(|r| r.customer.is_none()) {
            row.customer = found.remove(&row.id).map(Customer::from);
        }
        // A row deleted between the index read and this one is left out.
        page.retain(|r| r.customer.is_some());
        Ok(())
    }
}

/// The rows of several walks, and where the budget cut any short, the nearest frontier:
/// it bounds what is known.
fn nearest_frontier(walks: Vec<walk::Walk>, desc: bool) -> (Vec<Row>, Option<String>) {
    let frontier = walks
        .iter()
        .filter_map(|w| w.frontier.clone())
        .reduce(|a, b| if desc { a.max(b) } else { a.min(b) });
    (walks.into_iter().flat_map(|w| w.rows).collect(), frontier)
}

/// Binds cursors and cached page positions to the caller and to everything that decides the
/// rows and their order (not to limit or offset). With a created range, also to the instants
/// each ISP's zone made of the days: after a zone change (or a time-zone database update that
/// moves them) an old cursor is refused rather than paging through other hours.
fn query_fingerprint(caller: &Caller, req: &ListRequest, zones: &str) -> Fingerprint {
    let mut canonical = format!(
        "v1|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        caller.userid, caller.scope, req.ispid, req.resellerid, req.filters, req.sort, req.order
    );
    if !zones.is_empty() {
        canonical.push_str("|zones ");
        canonical.push_str(zones);
    }
    fingerprint(&canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_reads_only_what_is_needed_when_unfiltered() {
        assert_eq!(page_size(Some(11), false), Some(11));
        assert_eq!(page_size(Some(11), true), Some(22));
        assert_eq!(page_size(None, false), None);
        assert_eq!(page_size(Some(usize::MAX), true), Some(200));
        assert_eq!(page_size(Some(usize::MAX), false), Some(1000));
    }
}
