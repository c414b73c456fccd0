//! The list: which index serves a request (the plan), and walking it.
//!
//! | scope / filter            | source                                         |
//! |---------------------------|------------------------------------------------|
//! | `customerid`              | GetItem on the table, then scope + filters     |
//! | reseller (given/implied)  | `by-reseller` index, partition = resellerid    |
//! | ISP (given/implied)       | `by-isp` index, partition = ispid              |
//! | admin, no ISP or reseller | `by-isp` of every ISP, merged by id            |
//!
//! Every source is sorted by id, so an id-sorted page reads offset + limit matching items
//! and stops. Other sort fields read every match in scope and sort in memory.
//! The remaining filters are applied to each item read; none of this scans the table.

use super::{App, AppError};
use crate::domain::Fields;
use crate::domain::customer::Customer;
use crate::domain::ids::{CustomerId, ResellerId};
use crate::domain::list::{Filters, ListRequest, SortField, SortOrder};
use crate::domain::scope::{Caller, ListScope, Narrowing};
use crate::store::customers::IndexKey;
use crate::store::keys::CustomerIndex;
use aws_sdk_dynamodb::types::AttributeValue;

#[derive(Debug, Clone, PartialEq)]
pub enum ListOutcome {
    Rows(Vec<Customer>),
    Count(u64),
}

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Nothing,
    One(CustomerId, ListScope),
    Index(IndexKey),
    EveryIsp,
}

fn plan(scope: ListScope, filters: &Filters) -> Source {
    // Services arrive in a later issue: until then no customer has one to match.
    if filters.serviceid.is_some() || filters.username.is_some() {
        return Source::Nothing;
    }
    match (scope, filters.customerid) {
        (ListScope::Nothing, _) => Source::Nothing,
        (scope, Some(id)) => Source::One(id, scope),
        (ListScope::Reseller(r), None) => Source::Index(reseller_key(r)),
        (ListScope::Isp(isp), None) => Source::Index(IndexKey::isp(isp)),
        (ListScope::All, None) => Source::EveryIsp,
    }
}

fn reseller_key(r: ResellerId) -> IndexKey {
    IndexKey::whole(
        CustomerIndex::ByReseller,
        AttributeValue::N(r.get().to_string()),
    )
}

fn in_scope(scope: ListScope, c: &Customer) -> bool {
    match scope {
        ListScope::All => true,
        ListScope::Isp(isp) => c.ispid == isp,
        ListScope::Reseller(r) => c.resellerid == r,
        ListScope::Nothing => false,
    }
}

/// The sort key of a row; ties are broken by id so that pages never overlap or skip.
fn sort_key(sort: SortField, c: &Customer) -> (String, CustomerId) {
    let key = match sort {
        SortField::Id => String::new(),
        SortField::Name => c.name.to_lowercase(),
        SortField::Mobile => c.mobile.clone(),
        SortField::Email => c.email.to_lowercase(),
    };
    (key, c.id)
}

/// How many items to ask DynamoDB for when `wanted` more matches are needed: exactly that
/// many when every item matches, more when filters are applied to what is read.
fn page_size(wanted: Option<usize>, filtered: bool) -> Option<i32> {
    let wanted = wanted?;
    let n = if filtered {
        (wanted * 4).clamp(50, 1000)
    } else {
        wanted.max(1)
    };
    i32::try_from(n).ok()
}

impl App {
    pub async fn list_customers(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<ListOutcome, AppError> {
        let req = ListRequest::parse(f, &self.time_zone)?;
        let narrowing = Narrowing::new(caller.scope, req.ispid, req.resellerid)?;
        let reseller_isp = match narrowing.reseller.filter(|_| narrowing.needs_lookup()) {
            Some(r) => self.reseller_isp(r).await?,
            None => None,
        };
        let scope = narrowing.confirm(reseller_isp)?;
        let source = plan(scope, &req.filters);
        let filtered = req.filters
            != Filters {
                customerid: req.filters.customerid,
                ..Filters::default()
            };

        if req.show_count {
            return self
                .count(&source, &req.filters, filtered)
                .await
                .map(ListOutcome::Count);
        }
        let forward = req.order == SortOrder::Asc;
        // An id-sorted page needs only the first offset + limit matches of an id-ordered source.
        let wanted = (req.sort == SortField::Id).then(|| req.offset as usize + req.limit as usize);
        let mut rows = self
            .collect(&source, &req.filters, filtered, forward, wanted)
            .await?;
        rows.sort_by_cached_key(|c| sort_key(req.sort, c));
        if !forward {
            rows.reverse();
        }
        Ok(ListOutcome::Rows(
            rows.into_iter()
                .skip(req.offset as usize)
                .take(req.limit as usize)
                .collect(),
        ))
    }

    async fn count(
        &self,
        source: &Source,
        filters: &Filters,
        filtered: bool,
    ) -> Result<u64, AppError> {
        match source {
            Source::Index(key) if !filtered => Ok(self.store.count_customers(key).await?),
            Source::EveryIsp if !filtered => {
                let mut total = 0;
                for isp in self.store.isp_ids().await? {
                    total += self.store.count_customers(&IndexKey::isp(isp)).await?;
                }
                Ok(total)
            }
            _ => Ok(self
                .collect(source, filters, filtered, true, None)
                .await?
                .len() as u64),
        }
    }

    /// Reads matching items of `source` in id order (descending if `!forward`), stopping
    /// once `wanted` matches are in hand (`None`: all of them).
    async fn collect(
        &self,
        source: &Source,
        filters: &Filters,
        filtered: bool,
        forward: bool,
        wanted: Option<usize>,
    ) -> Result<Vec<Customer>, AppError> {
        match source {
            Source::Nothing => Ok(Vec::new()),
            Source::One(id, scope) => Ok(self
                .store
                .get_customer(*id)
                .await?
                .map(Customer::from)
                .filter(|c| in_scope(*scope, c) && filters.matches(c))
                .into_iter()
                .collect()),
            Source::Index(key) => self.walk(key, filters, filtered, forward, wanted).await,
            Source::EveryIsp => {
                let mut all = Vec::new();
                for isp in self.store.isp_ids().await? {
                    all.extend(
                        self.walk(&IndexKey::isp(isp), filters, filtered, forward, wanted)
                            .await?,
                    );
                }
                Ok(all)
            }
        }
    }

    async fn walk(
        &self,
        key: &IndexKey,
        filters: &Filters,
        filtered: bool,
        forward: bool,
        wanted: Option<usize>,
    ) -> Result<Vec<Customer>, AppError> {
        let mut rows = Vec::new();
        let mut start = None;
        loop {
            let remaining = wanted.map(|w| w.saturating_sub(rows.len()));
            if remaining == Some(0) {
                return Ok(rows);
            }
            let page = self
                .store
                .query_customers(key, forward, page_size(remaining, filtered), start)
                .await?;
            rows.extend(
                page.items
                    .into_iter()
                    .map(Customer::from)
                    .filter(|c| filters.matches(c)),
            );
            start = page.next;
            if start.is_none() {
                if let Some(w) = wanted {
                    rows.truncate(w);
                }
                return Ok(rows);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::IspId;

    #[test]
    fn plans_never_scan_the_table() {
        let f = Filters::default();
        assert_eq!(
            plan(ListScope::Isp(IspId(1)), &f),
            Source::Index(IndexKey::isp(IspId(1)))
        );
        assert_eq!(
            plan(ListScope::Reseller(ResellerId(2)), &f),
            Source::Index(reseller_key(ResellerId(2)))
        );
        assert_eq!(plan(ListScope::All, &f), Source::EveryIsp);
        assert_eq!(plan(ListScope::Nothing, &f), Source::Nothing);
        let by_id = Filters {
            customerid: Some(CustomerId(7)),
            ..Filters::default()
        };
        assert_eq!(
            plan(ListScope::Isp(IspId(1)), &by_id),
            Source::One(CustomerId(7), ListScope::Isp(IspId(1)))
        );
        let by_service = Filters {
            serviceid: Some(3),
            ..Filters::default()
        };
        assert_eq!(plan(ListScope::All, &by_service), Source::Nothing);
    }

    #[test]
    fn page_size_reads_only_what_is_needed_when_unfiltered() {
        assert_eq!(page_size(Some(10), false), Some(10));
        assert_eq!(page_size(Some(10), true), Some(50));
        assert_eq!(page_size(None, false), None);
    }
}
