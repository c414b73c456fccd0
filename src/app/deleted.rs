//! `customer/list` with `deleted=1`: the restorable copies of deleted customers in the
//! caller's scope, newest deletion first, paged by `rows_limit` and `cursor` (the
//! `deleted_key` of a page's last row, sealed as every list cursor is). One Query of a
//! sparse index of the claims table per part (an admin without `ispid`: one per ISP).

use super::cursor::fingerprint;
use super::list::ListOutcome;
use super::{App, AppError};
use crate::domain::Invalid;
use crate::domain::customer::{Customer, DeletedCustomer};
use crate::domain::list::{Filters, ListRequest, SortField, SortOrder};
use crate::domain::scope::Caller;
use crate::store::plan::Part;
use crate::store::restorable::{CopyPart, DeletedCopy};

fn row_of(copy: DeletedCopy) -> DeletedCustomer {
    let until = jiff::Timestamp::from_second(copy.expires_at)
        .map(crate::domain::audit::rfc3339_seconds)
        .unwrap_or_default();
    DeletedCustomer {
        customer: Customer::from(copy.customer),
        deleted_at: copy.deleted_at,
        deleted_by: copy.deleted_by,
        restorable_until: until,
    }
}

impl App {
    pub(super) async fn list_deleted(
        &self,
        caller: &Caller,
        req: &ListRequest,
    ) -> Result<ListOutcome, AppError> {
        let plain = req.filters == Filters::default()
            && req.sort == SortField::Id
            && req.order == SortOrder::Asc
            && req.offset == 0
            && !req.show_count;
        if !plain {
            return Err(Invalid::new(
                "deleted",
                "lists restorable copies newest first, paged with rows_limit and cursor; \
                 it takes ispid and resellerid, and no other filter, sort, offset or count",
            )
            .into());
        }
        let scope = self.list_scope(caller, req.ispid, req.resellerid).await?;
        let fp = fingerprint(&format!("deleted|{}|{scope:?}", caller.userid));
        let before = match req.cursor.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => Some(self.cursors.open(token, &fp)?),
            None => None,
        };
        let limit = usize::try_from(req.limit).unwrap_or(10);
        let ask = i32::try_from(limit + 1).unwrap_or(i32::MAX);
        let parts: Vec<CopyPart> = self
            .parts(scope)
            .await?
            .into_iter()
            .map(|p| match p {
                Part::Isp(isp) => CopyPart::Isp(isp),
                Part::Reseller { reseller, .. } => CopyPart::Reseller(reseller),
            })
            .collect();
        let pages = futures_util::future::try_join_all(parts.into_iter().map(|part| {
            let before = before.as_deref();
            async move { self.store.deleted_page(part, before, ask).await }
        }))
        .await?;
        let mut copies: Vec<DeletedCopy> = pages.into_iter().flat_map(|(c, _)| c).collect();
        copies.sort_by(|a, b| b.key.cmp(&a.key));
        let more = copies.len() > limit;
        copies.truncate(limit);
        let next = match more {
            true => copies.last().map(|c| self.cursors.seal(&fp, &c.key)),
            false => None,
        };
        // Past its window a copy waits for TTL deletion (up to days): it is not listed, so
        // a page may be short; `next` still resumes after it.
        let now = self.epoch();
        let rows = copies
            .into_iter()
            .filter(|c| {
                c.expires_at > now && scope.permits(c.customer.ispid, c.customer.resellerid)
            })
            .map(row_of)
            .collect();
        Ok(ListOutcome::Deleted { rows, next })
    }
}
