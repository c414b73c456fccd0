//! A customer's history (`customer/history`): one item of the claims table per change of the
//! customer or of one of its services, put in the change's own transaction (never lagging,
//! never missing, no stream function), kept for `HISTORY_DAYS` (TTL on `expires_at`).
//!
//! An item holds who (`by`, `role`), when (`at`), what (`kind`, `serviceid`) and, for a
//! create or an update, the changed fields' old and new values: only the fields callers
//! write (`Input::Required | Defaulted | Optional`), never an id, a derived key, an audit
//! field, a claim or a password hash (a password change is named, without values). An
//! erase keeps the entries' ids, kinds and times and drops every value (`scrub_history`).

use super::keys::{claim, history};
use super::patch::Patch;
use super::records::{CustomerItem, ServiceItem};
use super::{Item, Store, StoreError, capacity, n, s};
use crate::domain::entity::Field;
use crate::domain::ids::{CustomerId, IspId, ResellerId, ServiceId};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, TransactWriteItem};
use serde::{Deserialize, Serialize};

mod changes;
mod seal;
use changes::text;
pub use changes::{AsRead, FieldChange, as_read, created, updated};
pub use seal::HistorySeal;

/// Who writes a change, when, and until when its entry is kept: the app's half of an entry.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// RFC 3339 UTC, seconds (as `updated_at`).
    pub at: String,
    /// The caller's userid (`crm-admin` for the operator CLI): never its key.
    pub by: String,
    pub role: &'static str,
    pub expires_at: i64,
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Created,
    Updated,
    Deleted,
    Restored,
    ServiceCreated,
    ServiceUpdated,
    ServiceDeleted,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
            Self::Restored => "restored",
            Self::ServiceCreated => "service_created",
            Self::ServiceUpdated => "service_updated",
            Self::ServiceDeleted => "service_deleted",
        }
    }
}

/// One entry, as stored (besides its keys and expiry) and as `customer/history` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub customerid: CustomerId,
    pub ispid: IspId,
    pub resellerid: ResellerId,
    pub kind: String,
    pub at: String,
    pub by: String,
    pub role: String,
    #[serde(default)]
    pub serviceid: Option<ServiceId>,
    #[serde(default)]
    pub changes: Vec<FieldChange>,
    /// Set by an erase, which removed every value.
    #[serde(default)]
    pub erased_at: Option<String>,
    /// The changes' values as stored: sealed under the customer's history key
    /// (`history/seal.rs`); never shown.
    #[serde(default, skip_serializing)]
    pub sealed_values: Option<String>,
    /// Its values were sealed under a key that is gone with the customer's data (a final
    /// delete, or the end of its restore window): who, when and which fields stay. Shown,
    /// never stored.
    #[serde(default)]
    pub values_gone: bool,
}

/// A random tail for an entry's sort key.
fn tail() -> u32 {
    rand::random()
}

/// Now with microseconds, so that entries of one second keep their order.
fn micros() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The record an entry describes, and its customer's key when the entry holds values.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub customerid: CustomerId,
    pub ispid: IspId,
    pub resellerid: ResellerId,
    pub serviceid: Option<ServiceId>,
    pub seal: Option<&'a HistorySeal>,
}

impl<'a> Subject<'a> {
    pub fn customer(c: &CustomerItem) -> Self {
        Self {
            customerid: c.id,
            ispid: c.ispid,
            resellerid: c.resellerid,
            serviceid: None,
            seal: None,
        }
    }

    pub fn service(s: &ServiceItem) -> Self {
        Self {
            customerid: s.customerid,
            ispid: s.ispid,
            resellerid: s.resellerid,
            serviceid: Some(s.id),
            seal: None,
        }
    }

    /// The entry's values are sealed under `seal`.
    pub fn sealed(self, seal: Option<&'a HistorySeal>) -> Self {
        Self { seal, ..self }
    }
}

fn entry_of(mut item: Item) -> Result<HistoryEntry, StoreError> {
    let (_, (pk, _)) = history::BY_CUSTOMER;
    let id = item
        .remove(pk)
        .ok_or_else(|| StoreError::Corrupt("history entry without its customer".into()))?;
    for attr in ["claim", history::SORT, "expires_at"] {
        item.remove(attr);
    }
    item.insert("customerid".into(), id);
    Ok(serde_dynamo::from_item(item)?)
}

/// Entries of a history as read, newest first, and what they cost.
#[derive(Debug, Default)]
pub struct HistoryPage {
    /// Each entry with its sort key (where a next page resumes) and whether it is within
    /// its window (TTL deletion lags: one past its `expires_at` may still be read).
    pub entries: Vec<(String, HistoryEntry, bool)>,
    /// More entries follow.
    pub more: bool,
    pub units: f64,
}

impl HistoryPage {
    /// Whether an entry's values wait for the customer's key.
    pub fn sealed(&self) -> bool {
        self.entries
            .iter()
            .any(|(_, e, _)| e.sealed_values.is_some())
    }

    /// Opens the entries' values with the key of their customer `id`, or, without one (it is
    /// gone with the customer's data), marks them gone.
    pub fn open(&mut self, id: CustomerId, seal: Option<&HistorySeal>) -> Result<(), StoreError> {
        for (key, entry, _) in &mut self.entries {
            let Some(sealed) = entry.sealed_values.take() else {
                continue;
            };
            match seal {
                Some(seal) => seal.open(&claim::history(id, key), &sealed, &mut entry.changes)?,
                None => entry.values_gone = true,
            }
        }
        Ok(())
    }
}

impl Store {
    /// An update's entry (the shown fields `patch` changes in the record `read`, old and
    /// new) and the condition that those fields are still as read, so the old values are
    /// exactly what the write replaces. The condition goes on the record's own write.
    pub(crate) fn history_update(
        &self,
        stamp: &Stamp,
        subject: Subject,
        event: Event,
        fields: &[Field],
        read: &Item,
        patch: &Patch,
    ) -> Result<(AsRead, TransactWriteItem), StoreError> {
        let same = as_read(fields, read, &patch.set, &patch.remove)?;
        let changes = updated(fields, read, &patch.set, &patch.remove);
        Ok((same, self.history_put(stamp, subject, event, changes)?))
    }

    /// The transaction item that records one change. Its values are sealed under the
    /// subject's key; changes with values and no key are a bug, refused.
    pub(crate) fn history_put(
        &self,
        stamp: &Stamp,
        subject: Subject,
        event: Event,
        changes: Vec<FieldChange>,
    ) -> Result<TransactWriteItem, StoreError> {
        let key = history::sort_key(&micros(), tail());
        let claim_key = claim::history(subject.customerid, &key);
        let sealed_values = match subject.seal {
            Some(seal) => seal.seal(&claim_key, &changes)?,
            None if !changes.iter().any(FieldChange::has_value) => None,
            None => {
                return Err(StoreError::Other(
                    "a history entry with values needs its customer's key".into(),
                ));
            }
        };
        let changes = match sealed_values {
            Some(_) => changes
                .into_iter()
                .map(|c| FieldChange {
                    old: None,
                    new: None,
                    ..c
                })
                .collect(),
            None => changes,
        };
        let entry = HistoryEntry {
            customerid: subject.customerid,
            ispid: subject.ispid,
            resellerid: subject.resellerid,
            kind: event.as_str().to_owned(),
            at: stamp.at.clone(),
            by: stamp.by.clone(),
            role: stamp.role.to_owned(),
            serviceid: subject.serviceid,
            changes,
            erased_at: None,
            sealed_values: None,
            values_gone: false,
        };
        let mut item: Item = serde_dynamo::to_item(&entry)?;
        for shown_only in ["customerid", "values_gone"] {
            item.remove(shown_only);
        }
        item.retain(|_, v| !matches!(v, AttributeValue::Null(_)));
        if let Some(sealed) = sealed_values {
            item.insert("sealed_values".into(), s(sealed));
        }
        let (_, (pk, sk)) = history::BY_CUSTOMER;
        item.insert("claim".into(), s(claim_key));
        item.insert(pk.into(), n(subject.customerid.get()));
        item.insert(sk.into(), s(key));
        item.insert(
            "expires_at".into(),
            n(u64::try_from(stamp.expires_at).unwrap_or(0)),
        );
        super::transact::put_new_claim(&self.tables.claims, item)
    }

    /// The key a customer's history values are sealed under, where it is kept: its record
    /// (an eventually consistent read, again strongly when missed) or its restorable copy
    /// within its window at `now`. `None` once the customer's data is gone.
    pub async fn history_seal_of(
        &self,
        id: CustomerId,
        now: i64,
    ) -> Result<Option<HistorySeal>, StoreError> {
        let mut key = self
            .get_customer(id)
            .await?
            .and_then(|c| c.history_seal_key);
        if key.is_none() {
            key = self
                .deleted_copy_any(id)
                .await?
                .filter(|c| c.expires_at > now)
                .and_then(|c| c.customer.history_seal_key);
        }
        if key.is_none() {
            // Created or restored a moment ago.
            key = self
                .get_customer_latest(id)
                .await?
                .and_then(|c| c.history_seal_key);
        }
        key.as_deref().map(HistorySeal::parse).transpose()
    }

    /// The key of a customer whose record was read holding `stored`. A record without one
    /// (written before the history, or imported) is given one: a write that keeps a key
    /// already there, so concurrent first writes agree, then a read of the key it holds.
    /// `None`: no such customer.
    pub(crate) async fn history_seal_for(
        &self,
        id: CustomerId,
        stored: Option<&str>,
    ) -> Result<Option<HistorySeal>, StoreError> {
        if let Some(key) = stored {
            return HistorySeal::parse(key).map(Some);
        }
        let fresh = HistorySeal::generate()?;
        let req = self
            .client
            .update_item()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .update_expression("SET history_seal_key = if_not_exists(history_seal_key, :key)")
            .condition_expression("attribute_exists(id)")
            .expression_attribute_values(":key", s(fresh.as_str()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        if !super::send_conditional(|| req.clone().send()).await? {
            return Ok(None);
        }
        self.get_customer_latest(id)
            .await?
            .and_then(|c| c.history_seal_key)
            .as_deref()
            .map(HistorySeal::parse)
            .transpose()
    }

    /// Up to `limit` entries of a customer's history, newest first, after the entry whose
    /// sort key is `before` (a page's last). One Query of the sparse index.
    pub async fn history_page(
        &self,
        id: CustomerId,
        before: Option<&str>,
        limit: i32,
        now: i64,
    ) -> Result<HistoryPage, StoreError> {
        let sk = history::BY_CUSTOMER.1.1;
        let out = self
            .claims_newest_first(history::BY_CUSTOMER, n(id.get()), before, limit)
            .await?;
        let mut page = HistoryPage {
            units: out.units,
            more: out.more,
            ..HistoryPage::default()
        };
        for item in out.items {
            let live = match item.get("expires_at") {
                Some(AttributeValue::N(v)) => v.parse::<i64>().map_or(true, |e| e > now),
                _ => true,
            };
            let key = text(item.get(sk))
                .ok_or_else(|| StoreError::Corrupt("history entry without its key".into()))?;
            page.entries.push((key, entry_of(item)?, live));
        }
        Ok(page)
    }

    /// A customer's whole history, newest first, as stored (an export or an erase: what is
    /// held until TTL removes it).
    pub async fn history_all(&self, id: CustomerId) -> Result<HistoryPage, StoreError> {
        let mut all = HistoryPage::default();
        let mut before: Option<String> = None;
        loop {
            let page = self.history_page(id, before.as_deref(), 100, 0).await?;
            before = page.entries.last().map(|(k, _, _)| k.clone());
            all.units += page.units;
            all.entries.extend(page.entries);
            if !page.more || before.is_none() {
                return Ok(all);
            }
        }
    }

    /// Drops every value from a customer's history (an erase): ids, kinds, times, who and
    /// the changed fields' names stay. Each entry is rewritten on its own; an erase that
    /// stops half-way leaves its stubs, and its retry scrubs again (`erase.rs`).
    pub async fn scrub_history(&self, id: CustomerId, at: &str) -> Result<usize, StoreError> {
        let held = self.history_all(id).await?;
        let (_, (_, sk)) = history::BY_CUSTOMER;
        let mut scrubbed = 0;
        for (key, entry, _) in held.entries {
            if entry.erased_at.is_some() {
                continue;
            }
            let names: Vec<AttributeValue> = entry
                .changes
                .iter()
                .map(|c| AttributeValue::M(Item::from([("field".to_owned(), s(c.field.as_str()))])))
                .collect();
            let out = self
                .client
                .update_item()
                .table_name(&self.tables.claims)
                .key("claim", s(claim::history(id, &key)))
                .update_expression("SET changes = :names, erased_at = :at REMOVE sealed_values")
                .condition_expression("#sk = :key")
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":names", AttributeValue::L(names))
                .expression_attribute_values(":at", s(at))
                .expression_attribute_values(":key", s(key.as_str()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            match out {
                Ok(out) => {
                    capacity::record(capacity::Kind::Write, out.consumed_capacity());
                    scrubbed += 1;
                }
                // Gone meanwhile (TTL): nothing left to scrub.
                Err(e) if super::error::code_of(&e) == Some("ConditionalCheckFailedException") => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(scrubbed)
    }
}
