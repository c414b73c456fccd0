//! The service list. Which index serves which request:
//!
//! | the request has                         | index         | key condition               |
//! |-----------------------------------------|---------------|-----------------------------|
//! | `serviceid`                             | the table     | GetItem                     |
//! | `customerid`                            | `by-customer` | the customer                |
//! | `username` starting with text, or sort by username | `by-username` | begins_with `<prefix>` (ISP) |
//! | anything else, reseller scope           | `by-reseller` | the reseller                |
//! | anything else, ISP scope                | `by-isp`      | the ISP                     |
//!
//! `status` and the rest of a `username` pattern are checked on each row. In a reseller
//! scope `by-username` (partitioned by ISP) keeps the reseller's rows with a filter. An
//! admin without `ispid` gets one walk per ISP, merged. Offsets are walked (at most
//! `MAX_OFFSET` rows); a walk in the requested order stops once the page is full.

use super::budget::Budget;
use super::list::page_size;
use super::planner::Part;
use super::{App, AppError};
use crate::domain::ids::{CustomerId, ResellerId};
use crate::domain::list::SortOrder;
use crate::domain::list::{Filters, Pattern};
use crate::domain::scope::{Caller, ListScope};
use crate::domain::service::{Service, ServiceListRequest, ServiceSort};
use crate::domain::{Fields, Invalid};
use crate::store::keys::{self, ServiceIndex};
use crate::store::records::ServiceItem;
use crate::store::services::ServiceKey;

/// The customer list's `username` reads at most this many services per ISP (pages of
/// `CANDIDATE_PAGE`) and keeps at most `MAX_CANDIDATES` customers, which it then reads
/// whole: a pattern broader than that is refused rather than silently expensive.
const CANDIDATE_PAGE: i32 = 1000;
const CANDIDATE_PAGES: usize = 5;
const MAX_CANDIDATES: usize = 1000;
/// What a page of services is sized by, before the budget sees its real units.
const SERVICE_BYTES: u64 = 300;

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

/// A service list's answer: a page, or a count.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceListOutcome {
    Rows(Vec<Service>),
    Count(u64),
}

/// A row and its order key: the 16-digit id, or the username sort key.
struct Row {
    key: String,
    service: Service,
}

fn row_of(item: ServiceItem, sort: ServiceSort) -> Row {
    let key = match sort {
        ServiceSort::Id => format!("{:016}", item.id.get()),
        ServiceSort::Username => item.username_key.clone(),
    };
    Row {
        key,
        service: Service::from(item),
    }
}

/// One walk: an index key, the reseller to keep, and whether it yields the requested order.
struct Walk {
    key: ServiceKey,
    reseller: Option<ResellerId>,
    ordered: bool,
}

/// The `by-username` key prefix a pattern allows: `<name>\x01` for an exact name (so
/// `john` does not read `johnny`), the text before the first `%` otherwise.
fn username_prefix(pattern: &Pattern) -> Option<String> {
    let prefix = crate::domain::service::Username::fold(pattern.prefix());
    match pattern.is_exact() {
        true => Some(keys::exact_prefix(&prefix)),
        false => Some(prefix).filter(|p| !p.is_empty()),
    }
}

fn plan(part: Part, req: &ServiceListRequest) -> Walk {
    let (isp, reseller) = (part.isp(), part.reseller());
    let prefix = req.username.as_ref().and_then(username_prefix);
    if prefix.is_some() || req.sort == ServiceSort::Username {
        return Walk {
            key: ServiceKey {
                index: ServiceIndex::ByUsername,
                partition: isp.get(),
                prefix,
            },
            reseller,
            ordered: req.sort == ServiceSort::Username,
        };
    }
    let key = match reseller {
        Some(r) => ServiceKey {
            index: ServiceIndex::ByReseller,
            partition: r.get(),
            prefix: None,
        },
        None => ServiceKey {
            index: ServiceIndex::ByIsp,
            partition: isp.get(),
            prefix: None,
        },
    };
    Walk {
        key,
        reseller: None,
        ordered: req.sort == ServiceSort::Id,
    }
}

impl App {
    pub async fn list_services(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<ServiceListOutcome, AppError> {
        let req = ServiceListRequest::parse(f)?;
        let scope = self.list_scope(caller, req.ispid, req.resellerid).await?;
        let keep = |s: &Service| scope.permits(s.ispid, s.resellerid) && req.matches(s);

        let want = (req.offset + req.limit) as usize;
        let mut rows: Vec<Row> = if let Some(id) = req.serviceid {
            let found = self.store.get_service(id, false).await?;
            found
                .map(|s| row_of(s, req.sort))
                .filter(|r| keep(&r.service))
                .into_iter()
                .collect()
        } else if let Some(customer) = req.customerid {
            let key = ServiceKey {
                index: ServiceIndex::ByCustomer,
                partition: customer.get(),
                prefix: None,
            };
            self.walk_services(
                &Walk {
                    key,
                    reseller: None,
                    ordered: false,
                },
                &req,
                None,
                &keep,
            )
            .await?
        } else {
            let limit = (!req.show_count).then_some(want);
            let parts = self.parts(scope).await?;
            let walks = futures_util::future::try_join_all(parts.into_iter().map(|part| {
                let walk = plan(part, &req);
                let keep = &keep;
                let req = &req;
                async move { self.walk_services(&walk, req, limit, keep).await }
            }))
            .await?;
            walks.into_iter().flatten().collect()
        };
        if req.show_count {
            return Ok(ServiceListOutcome::Count(rows.len() as u64));
        }
        rows.sort_unstable_by(|a, b| match req.order {
            SortOrder::Asc => a.key.cmp(&b.key),
            SortOrder::Desc => b.key.cmp(&a.key),
        });
        Ok(ServiceListOutcome::Rows(
            rows.into_iter()
                .skip(req.offset as usize)
                .take(req.limit as usize)
                .map(|r| r.service)
                .collect(),
        ))
    }

    /// The rows of a walk that `keep` accepts: the first `want` in the requested order when
    /// the index yields that order, otherwise all of them.
    async fn walk_services(
        &self,
        walk: &Walk,
        req: &ServiceListRequest,
        want: Option<usize>,
        keep: &(impl Fn(&Service) -> bool + Sync),
    ) -> Result<Vec<Row>, AppError> {
        let want = want.filter(|_| walk.ordered);
        let forward = !walk.ordered || req.order == SortOrder::Asc;
        let mut rows = Vec::new();
        let mut start = None;
        loop {
            let page = page_size(want.map(|w| w.saturating_sub(rows.len())), false);
            let found = self
                .store
                .query_services(&walk.key, walk.reseller, forward, page, start)
                .await?;
            let next = found.next;
            rows.extend(
                found
                    .items
                    .into_iter()
                    .map(|s| row_of(s, req.sort))
                    .filter(|r| keep(&r.service)),
            );
            start = next;
            if start.is_none() || want.is_some_and(|w| rows.len() >= w) {
                return Ok(rows);
            }
        }
    }

    /// The customers that `serviceid`/`username` select, through their services (`None`
    /// when neither is given). `username` reads `by-username` of each ISP in scope.
    pub(super) async fn services_filter<C>(
        &self,
        scope: ListScope,
        f: &Filters<C>,
        budget: &Budget,
    ) -> Result<Option<Vec<CustomerId>>, AppError> {
        if f.serviceid.is_none() && f.username.is_none() {
            return Ok(None);
        }
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
                let (isp, reseller) = (part.isp(), part.reseller());
                let key = ServiceKey {
                    index: ServiceIndex::ByUsername,
                    partition: isp.get(),
                    prefix: username_prefix(pattern),
                };
                let mut start = None;
                for page in 1.. {
                    // Pages no larger than the budget pays for (services of ~SERVICE_BYTES).
                    let affordable = budget.entries_left(SERVICE_BYTES);
                    let size = CANDIDATE_PAGE.min(i32::try_from(affordable).unwrap_or(i32::MAX));
                    let found = self
                        .store
                        .query_services(&key, reseller, true, Some(size), start)
                        .await?;
                    budget.spend(found.units);
                    ids.extend(found.items.iter().filter(|s| keep(s)).map(|s| s.customerid));
                    start = found.next;
                    if start.is_none() {
                        break;
                    }
                    if page == CANDIDATE_PAGES || ids.len() > MAX_CANDIDATES {
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
        if ids.len() > MAX_CANDIDATES {
            return Err(too_broad());
        }
        // The candidates are then read whole, at least 0.5 unit each.
        if !budget.affords_records(ids.len()) {
            return Err(over_budget(budget));
        }
        Ok(Some(ids))
    }
}
