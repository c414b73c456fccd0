//! Customer records: conditional writes that enforce scope, and index queries.

use super::capacity::{self, Kind};
use super::claims::NewClaim;
use super::conditions::{Condition, Conditional};
use super::counts::{Deltas, Tally};
use super::history::{self, Event, HistorySeal, Stamp, Subject};
use super::limits::WindowCount;
use super::patch::Patch;
use super::plan::{CustomerQuery, Page, Resume};
pub use super::query::{IndexEntry, IndexKey, SortCond};
use super::records::{CustomerItem, to_item};
use super::restorable::Keep;
use super::transact::{TxOutcome, put_new_id};
use super::{Item, Store, StoreError, n, send_conditional};
use crate::domain::customer;
use crate::domain::ids::CustomerId;
use crate::domain::scope::Scope;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, ReturnConsumedCapacity, Select, TransactWriteItem, Update,
};

/// The count changes of creating (`sign` 1) or deleting (-1) a customer.
fn counted(c: &CustomerItem, sign: i64) -> Deltas {
    let mut d = Deltas::default();
    d.add(&Tally::of(c), sign);
    d
}

/// One page of a keys-only index and where the next page starts.
#[derive(Debug, Default)]
pub struct Entries {
    pub entries: Vec<IndexEntry>,
    pub next: Option<Resume>,
    /// Its read units by DynamoDB's rules (what the read budget counts).
    pub units: f64,
}

/// A count of the entries under a key, and what it walked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountWalk {
    pub count: u64,
    /// Entries walked (charged like reads of them).
    pub walked: u64,
    /// Read units, at `CustomerIndex::entry_bytes` an entry walked.
    pub units: f64,
    /// `false`: stopped at the entry limit with entries left.
    pub complete: bool,
}

/// What a customer insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerInsert {
    Written,
    /// The id is in use (an allocated id never is; checked, not assumed).
    IdTaken,
    /// A claim (idempotency key, recent create) is held by another record.
    ClaimTaken,
    /// The limit at this index of the insert's `limits` is full.
    LimitReached(usize),
    /// Another transaction on the same items was in flight.
    Conflict,
}

/// What a customer update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerWrite {
    Written,
    /// No such customer in the caller's scope.
    NotFound,
    /// Another write changed a counted field (or was in flight) meanwhile: try again.
    Busy,
}

/// What a customer delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerDelete {
    Deleted,
    /// No such customer in the caller's scope.
    NotFound,
    /// Refused: the customer still has this many services.
    HasServices(u64),
    /// A transaction on the same customer was in flight: try again.
    Busy,
}

impl Store {
    /// Inserts a new customer together with `claims` (idempotency key, recent-create
    /// fingerprint), the `limits` it counts against and its counts, all or nothing.
    pub async fn insert_customer_claiming(
        &self,
        customer: &CustomerItem,
        claims: &[NewClaim],
        limits: &[WindowCount],
        now: i64,
        history: Option<&Stamp>,
    ) -> Result<CustomerInsert, StoreError> {
        // A recorded create keeps the key its history's values are sealed under.
        let seal = match (history, customer.history_seal_key.as_deref()) {
            (None, _) => None,
            (Some(_), Some(key)) => Some(HistorySeal::parse(key)?),
            (Some(_), None) => Some(HistorySeal::generate()?),
        };
        let keyed;
        let customer = match &seal {
            Some(seal) if customer.history_seal_key.is_none() => {
                keyed = CustomerItem {
                    history_seal_key: Some(seal.as_str().to_owned()),
                    ..customer.clone()
                };
                &keyed
            }
            _ => customer,
        };
        let mut items = vec![put_new_id(&self.tables.customers, customer)?];
        for claim in claims {
            items.push(self.claim_put(claim, now)?);
        }
        for limit in limits {
            items.push(self.window_take(limit)?);
        }
        items.extend(self.count_updates(counted(customer, 1))?);
        if let Some(stamp) = history {
            let shown = history::created(customer::FIELDS, &to_item(customer)?);
            let subject = Subject::customer(customer);
            let subject = subject.sealed(seal.as_ref());
            items.push(self.history_put(stamp, subject, Event::Created, shown)?);
        }
        // Positions: 0 the customer, then the claims, then the limits (the counts and the
        // history entry, last, never refuse).
        let first_limit = 1 + claims.len();
        Ok(match self.transact(items).await? {
            TxOutcome::Written => CustomerInsert::Written,
            o if o.failed(0) => CustomerInsert::IdTaken,
            o if (1..first_limit).any(|i| o.failed(i)) => CustomerInsert::ClaimTaken,
            o if (0..limits.len()).any(|i| o.failed(first_limit + i)) => {
                let full = (0..limits.len())
                    .find(|i| o.failed(first_limit + i))
                    .unwrap_or_default();
                CustomerInsert::LimitReached(full)
            }
            _ => CustomerInsert::Conflict,
        })
    }

    pub async fn next_customer_id(&self) -> Result<CustomerId, StoreError> {
        self.next_id(super::sequences::Sequence::Customer)
            .await
            .map(CustomerId)
    }

    pub async fn get_customer(&self, id: CustomerId) -> Result<Option<CustomerItem>, StoreError> {
        self.get_by_key(&self.tables.customers, "id", id.get())
            .await
    }

    /// A strongly consistent read: sees a customer created a moment ago (a webhook that
    /// creates a customer and then its service).
    pub async fn get_customer_latest(
        &self,
        id: CustomerId,
    ) -> Result<Option<CustomerItem>, StoreError> {
        self.read_by_key(&self.tables.customers, "id", n(id.get()), true)
            .await
    }

    /// Applies `patch` to a customer within `scope`. A patch that sets a counted field
    /// (type, state, city, zipcode, name), or that `history` records, reads the record first
    /// (strongly consistent) and writes in one transaction its counts' moves and its history
    /// entry, on condition that the fields it counts and changes are still as read: `Busy` if
    /// another write changed them meanwhile (read again and retry). Otherwise one write.
    pub async fn update_customer(
        &self,
        id: CustomerId,
        scope: &Scope,
        patch: &Patch,
        history: Option<&Stamp>,
    ) -> Result<CustomerWrite, StoreError> {
        let (expr, names, values) = patch.expression();
        let counts = patch
            .set
            .iter()
            .any(|(attr, _)| Tally::ATTRS.contains(attr));
        if counts || history.is_some() {
            return self.update_read(id, scope, patch, counts, history).await;
        }
        let mut req = self
            .client
            .update_item()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .update_expression(expr)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .condition(Condition::within(scope));
        for (placeholder, attr) in names {
            req = req.expression_attribute_names(placeholder, attr);
        }
        for (placeholder, value) in values {
            req = req.expression_attribute_values(placeholder, value);
        }
        Ok(match send_conditional(|| req.clone().send()).await? {
            true => CustomerWrite::Written,
            false => CustomerWrite::NotFound,
        })
    }

    /// `update_customer` of a patch that may move counts or is recorded in the history.
    async fn update_read(
        &self,
        id: CustomerId,
        scope: &Scope,
        patch: &Patch,
        counts: bool,
        history: Option<&Stamp>,
    ) -> Result<CustomerWrite, StoreError> {
        let Some(found) = self
            .get_customer_latest(id)
            .await?
            .filter(|c| scope.permits(c.ispid, c.resellerid))
        else {
            return Ok(CustomerWrite::NotFound);
        };
        let old = Tally::of(&found);
        let (expr, names, values) = patch.expression();
        let mut condition = Condition::within(scope);
        let mut moves = Deltas::default();
        if counts {
            moves = Deltas::moved(&old, &old.patched(patch));
            condition = condition.and_also(old.condition());
        }
        let mut entry = None;
        if let Some(stamp) = history {
            let Some(seal) = self
                .history_seal_for(id, found.history_seal_key.as_deref())
                .await?
            else {
                return Ok(CustomerWrite::NotFound);
            };
            let subject = Subject::customer(&found).sealed(Some(&seal));
            let read = to_item(&found)?;
            let (same, put) = self.history_update(
                stamp,
                subject,
                Event::Updated,
                customer::FIELDS,
                &read,
                patch,
            )?;
            condition = condition.and_also(same);
            entry = Some(put);
        }
        let mut update = Update::builder()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .update_expression(expr)
            .condition(condition);
        for (placeholder, attr) in names {
            update = update.expression_attribute_names(placeholder, attr);
        }
        for (placeholder, value) in values {
            update = update.expression_attribute_values(placeholder, value);
        }
        let update = update
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        items.extend(self.count_updates(moves)?);
        items.extend(entry);
        match self.transact(items).await? {
            TxOutcome::Written => {
                if counts && old.renamed(&old.patched(patch)) {
                    self.drop_empty_names(&old).await;
                }
                Ok(CustomerWrite::Written)
            }
            // Another transaction on its items was in flight: try again, no read to tell.
            TxOutcome::Refused { failed, .. } if failed.is_empty() => Ok(CustomerWrite::Busy),
            TxOutcome::Refused { .. } => Ok(match self.get_customer_latest(id).await? {
                Some(c) if scope.permits(c.ispid, c.resellerid) => CustomerWrite::Busy,
                _ => CustomerWrite::NotFound,
            }),
        }
    }

    /// Deletes a customer within `scope` that has no services, and its counts, in one
    /// transaction. The record is read first (strongly consistent) for the counts it is part
    /// of; when the delete's condition refuses, it is read again to tell "not found" from
    /// "has services".
    ///
    /// With `keep`, a restorable copy is written in the same transaction (`restorable.rs`),
    /// and either way a live duplicate-guard claim of its create is released.
    pub async fn delete_customer(
        &self,
        id: CustomerId,
        scope: &Scope,
        keep: Option<&Keep>,
        now: i64,
        history: Option<&Stamp>,
    ) -> Result<CustomerDelete, StoreError> {
        let Some(found) = self
            .get_customer_latest(id)
            .await?
            .filter(|c| scope.permits(c.ispid, c.resellerid))
        else {
            return Ok(CustomerDelete::NotFound);
        };
        // No services, and counted as read: a move meanwhile (a rename, say) refuses it.
        let condition = Condition::within(scope)
            .and(
                "attribute_not_exists(service_count) OR service_count = :zero",
                vec![(":zero", n(0))],
            )
            .and_also(Tally::of(&found).condition());
        let delete = Delete::builder()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .condition(condition)
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut items = vec![TransactWriteItem::builder().delete(delete).build()];
        items.extend(self.delete_extras(&found, keep, now)?);
        items.extend(self.count_updates(counted(&found, -1))?);
        if let Some(stamp) = history {
            let subject = Subject::customer(&found);
            items.push(self.history_put(stamp, subject, Event::Deleted, Vec::new())?);
        }
        match self.transact(items).await? {
            TxOutcome::Written => {
                self.drop_empty_names(&Tally::of(&found)).await;
                Ok(CustomerDelete::Deleted)
            }
            TxOutcome::Refused { failed, .. } if failed.contains(&0) => {
                Ok(match self.get_customer_latest(id).await? {
                    Some(c) if scope.permits(c.ispid, c.resellerid) => {
                        CustomerDelete::HasServices(c.service_count.unwrap_or(0))
                    }
                    _ => CustomerDelete::NotFound,
                })
            }
            // Another transaction on the customer (a service create) was in flight.
            TxOutcome::Refused { .. } => Ok(CustomerDelete::Busy),
        }
    }

    fn query_builder(
        &self,
        key: &IndexKey,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.index_query(
            &self.tables.customers,
            key.index.name(),
            key.index.key_attrs(),
            key.partition.clone(),
            &key.sort,
        )
    }

    /// One Query page, with its cost accounted.
    async fn query_page(
        &self,
        key: &IndexKey,
        forward: bool,
        limit: Option<i32>,
        start: Option<Resume>,
    ) -> Result<aws_sdk_dynamodb::operation::query::QueryOutput, StoreError> {
        let out = self
            .query_builder(key)
            .scan_index_forward(forward)
            .set_limit(limit)
            .set_exclusive_start_key(start.map(|r| r.0))
            .send()
            .await?;
        capacity::record(Kind::Read, out.consumed_capacity());
        Ok(out)
    }

    /// Reads up to `limit` customers of a query whose index holds them, in its order
    /// (descending if `!forward`), starting after `start`.
    pub async fn query_customers(
        &self,
        query: &CustomerQuery,
        forward: bool,
        limit: Option<i32>,
        start: Option<Resume>,
    ) -> Result<Page<CustomerItem>, StoreError> {
        let out = self.query_page(&query.key, forward, limit, start).await?;
        Page::decode(out)
    }

    /// Reads up to `limit` entries of a query whose index holds keys only, in its order
    /// (descending if `!forward`), starting after `start`.
    pub async fn query_entries(
        &self,
        query: &CustomerQuery,
        forward: bool,
        limit: Option<i32>,
        start: Option<Resume>,
    ) -> Result<Entries, StoreError> {
        let key = &query.key;
        let (_, sk) = key.index.key_attrs();
        let out = self.query_page(key, forward, limit, start).await?;
        let units = capacity::computed_read(out.items(), false);
        let id = |item: &Item| match item.get("id") {
            Some(AttributeValue::N(v)) => v.parse::<u64>().ok(),
            _ => None,
        };
        let mut entries = Vec::new();
        for item in out.items() {
            let sort_value = match item.get(sk) {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            };
            let projected = key
                .index
                .projects()
                .iter()
                .filter_map(|a| match item.get(*a) {
                    Some(AttributeValue::S(v)) => Some((*a, v.clone())),
                    _ => None,
                })
                .collect();
            match (id(item), sort_value) {
                (Some(id), Some(sort_value)) => entries.push(IndexEntry {
                    id: CustomerId(id),
                    sort_value,
                    projected,
                }),
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "{} entry {item:?}",
                        key.index.name()
                    )));
                }
            }
        }
        Ok(Entries {
            entries,
            units,
            next: out.last_evaluated_key.map(Resume),
        })
    }

    /// Reads whole customers by id (BatchGetItem, 100 at a time), in no particular order.
    pub async fn get_customers(&self, ids: &[CustomerId]) -> Result<Vec<CustomerItem>, StoreError> {
        Ok(self.get_customers_sized(ids).await?.0)
    }

    /// As `get_customers`, with the read units it cost.
    pub async fn get_customers_sized(
        &self,
        ids: &[CustomerId],
    ) -> Result<(Vec<CustomerItem>, f64), StoreError> {
        let keys = ids
            .iter()
            .map(|id| Item::from([("id".to_owned(), n(id.get()))]))
            .collect();
        self.batch_get(&self.tables.customers, keys).await
    }

    /// The customers a query matches, counted by `Select=COUNT` (as `count_customers`).
    pub async fn count_matching(
        &self,
        query: &CustomerQuery,
        max_entries: Option<u64>,
    ) -> Result<CountWalk, StoreError> {
        self.count_customers(&query.key, max_entries).await
    }

    /// Counts the entries under a key with `Select=COUNT` (no items are returned; the read
    /// units are those of the entries walked), walking at most `max_entries`.
    pub async fn count_customers(
        &self,
        key: &IndexKey,
        max_entries: Option<u64>,
    ) -> Result<CountWalk, StoreError> {
        let mut walk = CountWalk {
            count: 0,
            walked: 0,
            units: 0.0,
            complete: true,
        };
        let mut start = None;
        loop {
            let limit = max_entries
                .map(|m| i32::try_from(m.saturating_sub(walk.walked).max(1)).unwrap_or(i32::MAX));
            let out = self
                .query_builder(key)
                .select(Select::Count)
                .set_limit(limit)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            capacity::record(Kind::Read, out.consumed_capacity());
            let scanned = u64::try_from(out.scanned_count).unwrap_or(0);
            walk.units += capacity::counted(key.index.name(), scanned, key.index.entry_bytes());
            walk.count += u64::try_from(out.count).unwrap_or(0);
            walk.walked += scanned;
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(walk);
            }
            if max_entries.is_some_and(|m| walk.walked >= m) {
                walk.complete = false;
                return Ok(walk);
            }
        }
    }
}
