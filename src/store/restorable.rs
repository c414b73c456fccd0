//! Restorable deletes: a deleted customer's copy, kept in the claims table for
//! `RESTORE_DAYS` (TTL on `expires_at`), its restore and the list of copies.
//!
//! The copy is the customer item as it was, plus `claim` (`deleted|<id>`), `result` (the id),
//! `expires_at`, `deleted_at`, `deleted_by` and `deleted_key`, the sort key of the two sparse
//! indexes (`keys::deleted`). It is written in the delete's transaction and removed in the
//! restore's, so a customer is either live or restorable, never both.

use super::claims::{ClaimKey, NewClaim};
use super::conditions::{Condition, Conditional};
use super::counts::{Deltas, Tally};
use super::history::{Event, Stamp, Subject};
use super::keys::{claim, deleted};
use super::records::{CustomerItem, from_item, to_item};
use super::transact::{TxOutcome, put_new_id};
use super::{Item, Store, StoreError, capacity, n, s};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::scope::{Actor, Scope};
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnConsumedCapacity, TransactWriteItem,
};

/// What a delete keeps: the copy's expiry and who deleted it when.
#[derive(Debug, Clone)]
pub struct Keep {
    pub expires_at: i64,
    pub deleted_at: String,
    pub by: Actor,
}

/// A restorable copy, as `customer/list` with `deleted=1` shows it.
#[derive(Debug, Clone)]
pub struct DeletedCopy {
    pub customer: CustomerItem,
    pub deleted_at: String,
    pub deleted_by: Option<String>,
    pub expires_at: i64,
    /// Its `deleted_key`: where a next page resumes.
    pub key: String,
}

/// What a restore did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerRestore {
    Restored,
    /// No restorable copy in the caller's scope (never deleted, restored already, erased,
    /// or its window has passed).
    NotFound,
    /// The duplicate guard of its create is held by this customer, created meanwhile from
    /// the same request.
    GuardTaken(u64),
    /// The id is live again (a restore that raced this one won).
    Live,
    /// Another transaction on the same items was in flight: try again.
    Busy,
}

/// One part of the platform whose copies a list reads.
#[derive(Debug, Clone, Copy)]
pub enum CopyPart {
    Isp(IspId),
    Reseller(ResellerId),
}

fn number(item: &Item, attr: &str) -> Option<i64> {
    match item.get(attr) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

fn text(item: &Item, attr: &str) -> Option<String> {
    match item.get(attr) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

/// The copy an item of the claims table holds.
fn copy_of(mut item: Item) -> Result<DeletedCopy, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("deleted copy without {what}"));
    let expires_at = number(&item, "expires_at").ok_or_else(|| corrupt("expires_at"))?;
    let deleted_at = text(&item, "deleted_at").ok_or_else(|| corrupt("deleted_at"))?;
    let key = text(&item, deleted::SORT).ok_or_else(|| corrupt(deleted::SORT))?;
    let deleted_by = text(&item, "deleted_by");
    for attr in [
        "claim",
        "result",
        "expires_at",
        "deleted_at",
        "deleted_by",
        deleted::SORT,
    ] {
        item.remove(attr);
    }
    Ok(DeletedCopy {
        customer: from_item(item)?,
        deleted_at,
        deleted_by,
        expires_at,
        key,
    })
}

impl Store {
    /// The transaction items a delete of `found` adds: its copy (when kept) and the release of
    /// its live duplicate-guard claim (a create of the same request is then a new customer,
    /// as before; a restore takes the claim back).
    pub(super) fn delete_extras(
        &self,
        found: &CustomerItem,
        keep: Option<&Keep>,
        now: i64,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = Vec::new();
        if let Some(keep) = keep {
            let mut item = to_item(found)?;
            item.insert("claim".into(), s(claim::deleted(found.id)));
            item.insert("result".into(), n(found.id.get()));
            item.insert(
                "expires_at".into(),
                n(u64::try_from(keep.expires_at).unwrap_or(0)),
            );
            item.insert("deleted_at".into(), s(keep.deleted_at.as_str()));
            item.insert("deleted_by".into(), s(keep.by.label()));
            item.insert(
                deleted::SORT.into(),
                s(deleted::sort_key(&keep.deleted_at, found.id)),
            );
            let put = Put::builder()
                .table_name(&self.tables.claims)
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        if let Some(key) = live_guard(found, now).filter(|k| claim::is_recent(k)) {
            let delete = Delete::builder()
                .table_name(&self.tables.claims)
                .key("claim", s(key))
                .condition_expression("attribute_not_exists(claim) OR #r = :owner")
                .expression_attribute_names("#r", "result")
                .expression_attribute_values(":owner", n(found.id.get()))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        Ok(items)
    }

    /// A customer's restorable copy, strongly consistent; `None` when there is none in
    /// `scope` or its window has passed at `now` (TTL deletion lags).
    pub async fn deleted_copy(
        &self,
        id: CustomerId,
        scope: &Scope,
        now: i64,
    ) -> Result<Option<DeletedCopy>, StoreError> {
        Ok(self.deleted_copy_any(id).await?.filter(|c| {
            c.expires_at > now && scope.permits(c.customer.ispid, c.customer.resellerid)
        }))
    }

    /// The copy as stored, whatever its scope and window (an export or an erase: what is
    /// held until TTL removes it).
    pub async fn deleted_copy_any(
        &self,
        id: CustomerId,
    ) -> Result<Option<DeletedCopy>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.claims)
            .key("claim", s(claim::deleted(id)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(capacity::Kind::Read, out.consumed_capacity());
        out.item.map(copy_of).transpose()
    }

    /// Brings a deleted customer back under its id, in one transaction: the customer (its
    /// `updated_at`/`updated_by` the restore's), the copy removed, its counts added back and
    /// its duplicate-guard claim taken again while it is live.
    pub async fn restore_customer(
        &self,
        id: CustomerId,
        scope: &Scope,
        now: i64,
        at: &str,
        by: Actor,
        history: Option<&Stamp>,
    ) -> Result<CustomerRestore, StoreError> {
        let Some(copy) = self.deleted_copy(id, scope, now).await? else {
            return Ok(match self.get_customer_latest(id).await? {
                Some(c) if scope.permits(c.ispid, c.resellerid) => CustomerRestore::Live,
                _ => CustomerRestore::NotFound,
            });
        };
        let mut customer = copy.customer;
        customer.audit.updated_at = Some(at.to_owned());
        customer.audit.updated_by = Some(by.label());
        customer.restored_at = Some(at.to_owned());
        let guard = live_guard(&customer, now)
            .filter(|k| claim::is_recent(k))
            .map(str::to_owned);
        let mut items = vec![put_new_id(&self.tables.customers, &customer)?];
        let delete = Delete::builder()
            .table_name(&self.tables.claims)
            .key("claim", s(claim::deleted(id)))
            .condition(Condition::within(scope).and(
                "expires_at > :now",
                vec![(":now", n(u64::try_from(now).unwrap_or(0)))],
            ))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        items.push(TransactWriteItem::builder().delete(delete).build());
        if let Some(key) = &guard {
            let fingerprint = key.rsplit('|').next().unwrap_or_default();
            let claim = NewClaim::guard(
                &ClaimKey::from_stored(key),
                id.get(),
                fingerprint,
                customer.guard_until.unwrap_or(now),
                None,
            );
            items.push(self.claim_put(&claim, now)?);
        }
        let mut deltas = Deltas::default();
        deltas.add(&Tally::of(&customer), 1);
        items.extend(self.count_updates(deltas)?);
        if let Some(stamp) = history {
            let subject = Subject::customer(&customer);
            items.push(self.history_put(stamp, subject, Event::Restored, Vec::new())?);
        }
        Ok(match self.transact(items).await? {
            TxOutcome::Written => CustomerRestore::Restored,
            o if o.failed(0) => CustomerRestore::Live,
            o if o.failed(1) => CustomerRestore::NotFound,
            o if o.failed(2) && guard.is_some() => {
                let key = guard.unwrap_or_default();
                match self.get_claim(&key, true).await? {
                    Some(c) if c.is_live(now) && c.result != id.get() => {
                        CustomerRestore::GuardTaken(c.result)
                    }
                    _ => CustomerRestore::Busy,
                }
            }
            _ => CustomerRestore::Busy,
        })
    }

    /// Up to `limit` copies of a part, newest deletion first, after the copy whose
    /// `deleted_key` is `before` (a page's last).
    pub async fn deleted_page(
        &self,
        part: CopyPart,
        before: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<DeletedCopy>, f64), StoreError> {
        let (index, partition) = match part {
            CopyPart::Isp(isp) => (deleted::BY_ISP, n(isp.get())),
            CopyPart::Reseller(reseller) => (deleted::BY_RESELLER, n(reseller.get())),
        };
        let out = self
            .claims_newest_first(index, partition, before, limit)
            .await?;
        let units = out.units;
        let copies = out
            .items
            .into_iter()
            .map(copy_of)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((copies, units))
    }
}

/// The customer's guard claim while it holds (`guard_until` after `now`).
fn live_guard(c: &CustomerItem, now: i64) -> Option<&str> {
    c.guard_claim
        .as_deref()
        .filter(|_| c.guard_until.is_some_and(|until| until > now))
}
