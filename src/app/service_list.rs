//! The service list. Which access pattern (`store::plan::ServiceQuery`) serves which request:
//!
//! | the request has                                    | reads                            |
//! |----------------------------------------------------|----------------------------------|
//! | `serviceid`                                        | the one service                  |
//! | `customerid`                                       | `customer`: the customer's       |
//! | `username` starting with text, or sort by username | `username_pattern` / `by_username` |
//! | anything else                                      | `scope`: the ISP's or reseller's |
//!
//! `status` and the rest of a `username` pattern are checked on each row. In a reseller
//! scope the username order (kept per ISP) keeps the reseller's rows with a filter. An
//! admin without `ispid` gets one walk per ISP, merged. Offsets are walked (at most
//! `MAX_OFFSET` rows); a walk in the requested order stops once the page is full.

use super::list::page_size;
use super::planner::Part;
use super::{App, AppError};
use crate::domain::Fields;
use crate::domain::list::SortOrder;
use crate::domain::scope::Caller;
use crate::domain::service::{Service, ServiceListRequest, ServiceSort};
use crate::store::plan::{ServiceQuery, service_order_key};
use crate::store::records::ServiceItem;

/// A service list's answer: a page, or a count.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceListOutcome {
    Rows(Vec<Service>),
    Count(u64),
}

/// A row and its order key (`store::plan::service_order_key`).
struct Row {
    key: String,
    service: Service,
}

fn row_of(item: ServiceItem, sort: ServiceSort) -> Row {
    Row {
        key: service_order_key(&item, sort),
        service: Service::from(item),
    }
}

/// One walk: a query, and whether it yields the requested order.
struct Walk {
    query: ServiceQuery,
    ordered: bool,
}

fn plan(part: Part, req: &ServiceListRequest) -> Walk {
    let by_pattern = req
        .username
        .as_ref()
        .and_then(|p| ServiceQuery::username_pattern(part, p));
    if by_pattern.is_some() || req.sort == ServiceSort::Username {
        return Walk {
            query: by_pattern.unwrap_or_else(|| ServiceQuery::by_username(part)),
            ordered: req.sort == ServiceSort::Username,
        };
    }
    Walk {
        query: ServiceQuery::scope(part),
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
            self.walk_services(
                &Walk {
                    query: ServiceQuery::customer(customer),
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
                .query_services(&walk.query, forward, page, start)
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
}
