//! Service records: transactions that keep usernames unique and customers' service counts
//! right, and index queries.

use super::capacity::{self, Kind};
use super::claims::{ClaimKey, NewClaim};
use super::conditions::{Condition, Conditional};
use super::history::{self, Event, Stamp, Subject};
use super::keys;
use super::patch::Patch;
use super::plan::{Page, Resume, ServiceQuery};
use super::query::SortCond;
use super::records::{ServiceItem, to_item};
use super::transact::{TxOutcome, put_new_id};
use super::{Store, StoreError, n, s, send_conditional};
use crate::domain::ids::{CustomerId, ServiceId};
use crate::domain::scope::{Actor, Placement, Scope};
use crate::domain::service::{self, ServiceUpdate};
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, ReturnConsumedCapacity, TransactWriteItem, Update,
};

/// What a service insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceInsert {
    Written,
    /// The customer is gone, or is no longer where the service was placed.
    CustomerGone,
    /// A claim of the create's guard (idempotency key, recent create) is held by another record.
    ClaimTaken,
    /// The username is in use in the ISP.
    UsernameTaken,
    /// The id is in use (an allocated id never is; checked, not assumed).
    IdTaken,
    /// Another transaction on the same items was in flight.
    Conflict,
}

/// What a service update or delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceWrite {
    Written,
    /// The new username is in use in the ISP.
    UsernameTaken,
    /// The service changed or went since it was read, or a transaction on it was in flight:
    /// read it again.
    Stale,
}

/// Positions of the items of a service-create transaction.
mod create_tx {
    /// The customer's service count (its condition: the customer exists where expected).
    pub const CUSTOMER: usize = 0;
    pub const SERVICE: usize = 1;
    pub const USERNAME: usize = 2;
    /// Further claims (idempotency key, recent create) follow.
    pub const CLAIMS: usize = 3;
}

/// Positions of the items of a service update that moves its username's claim.
mod update_tx {
    pub const NEW_USERNAME: usize = 2;
}

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(e.to_string())
}

/// The most a service item weighs (200–300 bytes): what a page of services is sized by
/// before its real units are known, and what an item a filter discarded is charged at.
pub const ITEM_BYTES: u64 = 300;

impl Store {
    pub async fn next_service_id(&self) -> Result<ServiceId, StoreError> {
        self.next_id(super::sequences::Sequence::Service)
            .await
            .map(ServiceId)
    }

    /// `consistent` for the read before a write (it must see the latest username).
    pub async fn get_service(
        &self,
        id: ServiceId,
        consistent: bool,
    ) -> Result<Option<ServiceItem>, StoreError> {
        self.read_by_key(&self.tables.services, "id", n(id.get()), consistent)
            .await
    }

    /// A transaction item changing a customer's service count by `delta`, on condition that
    /// the customer still is where `at` says.
    pub(crate) fn count_services(
        &self,
        customer: CustomerId,
        at: Placement,
        delta: i64,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut condition = Condition::within(&Scope::Reseller {
            isp: at.isp,
            reseller: at.reseller,
        });
        if delta < 0 {
            // Never below zero, whatever happened to the item.
            condition = condition.and("service_count > :zero", vec![]);
        }
        let update = Update::builder()
            .table_name(&self.tables.customers)
            .key("id", n(customer.get()))
            .update_expression("SET service_count = if_not_exists(service_count, :zero) + :delta")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
            .condition(condition)
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Creates a service: the record, its username's claim, the customer's count and the
    /// guard's `claims`, all or nothing.
    pub async fn insert_service(
        &self,
        service: &ServiceItem,
        claims: &[NewClaim],
        now: i64,
        history: Option<&Stamp>,
    ) -> Result<ServiceInsert, StoreError> {
        // A recorded create copies its customer's history key (given one if it has none).
        let mut seal = None;
        if history.is_some() {
            let key = service.history_seal_key.as_deref();
            match self.history_seal_for(service.customerid, key).await? {
                Some(found) => seal = Some(found),
                None => return Ok(ServiceInsert::CustomerGone),
            }
        }
        let keyed;
        let service = match &seal {
            Some(seal) if service.history_seal_key.as_deref() != Some(seal.as_str()) => {
                keyed = ServiceItem {
                    history_seal_key: Some(seal.as_str().to_owned()),
                    ..service.clone()
                };
                &keyed
            }
            _ => service,
        };
        let username = ClaimKey::username(service.ispid, &service.username);
        let mut items = vec![
            self.count_services(service.customerid, service.placement(), 1)?,
            put_new_id(&self.tables.services, service)?,
            self.claim_put(&NewClaim::username(username, service.id.get()), now)?,
        ];
        for claim in claims {
            items.push(self.claim_put(claim, now)?);
        }
        if let Some(stamp) = history {
            let shown = history::created(service::FIELDS, &to_item(service)?);
            let subject = Subject::service(service).sealed(seal.as_ref());
            items.push(self.history_put(stamp, subject, Event::ServiceCreated, shown)?);
        }
        let outcome = self.transact(items).await?;
        let claim_failed = (0..claims.len()).any(|i| outcome.failed(create_tx::CLAIMS + i));
        Ok(match outcome {
            TxOutcome::Written => ServiceInsert::Written,
            o if o.failed(create_tx::CUSTOMER) => ServiceInsert::CustomerGone,
            _ if claim_failed => ServiceInsert::ClaimTaken,
            o if o.failed(create_tx::USERNAME) => ServiceInsert::UsernameTaken,
            o if o.failed(create_tx::SERVICE) => ServiceInsert::IdTaken,
            _ => ServiceInsert::Conflict,
        })
    }

    /// Updates a service read as `current`, within `scope`. A new username moves its claim
    /// in the same transaction (position 0 the service, 1 the old claim, 2 the new one).
    pub async fn update_service(
        &self,
        current: &ServiceItem,
        scope: &Scope,
        update: &ServiceUpdate,
        now: &str,
        by: Actor,
        history: Option<&Stamp>,
    ) -> Result<ServiceWrite, StoreError> {
        Ok(
            match self
                .update_service_tx(current, scope, update, now, by, history)
                .await?
            {
                TxOutcome::Written => ServiceWrite::Written,
                o if o.failed(update_tx::NEW_USERNAME) => ServiceWrite::UsernameTaken,
                TxOutcome::Refused { .. } => ServiceWrite::Stale,
            },
        )
    }

    async fn update_service_tx(
        &self,
        current: &ServiceItem,
        scope: &Scope,
        update: &ServiceUpdate,
        now: &str,
        by: Actor,
        history: Option<&Stamp>,
    ) -> Result<TxOutcome, StoreError> {
        let mut patch = Patch::default();
        let mut claims = None;
        if let Some(u) = &update.username {
            patch.set.push(("username", s(u.as_str())));
            patch.set.push((
                "username_key",
                s(keys::username_key(&u.folded(), current.id)),
            ));
            let old = crate::domain::service::Username::fold(&current.username);
            if old != u.folded() {
                claims = Some((
                    ClaimKey::username(current.ispid, &old),
                    NewClaim::username(
                        ClaimKey::username(current.ispid, u.as_str()),
                        current.id.get(),
                    ),
                ));
            }
        }
        if let Some(plan) = &update.plan {
            patch.set.push(("plan", s(plan.as_str())));
        }
        if let Some(status) = update.status {
            patch.set.push(("status", s(status.as_str())));
        }
        match &update.notes {
            Some(Some(notes)) => patch.set.push(("notes", s(notes.as_str()))),
            Some(None) => patch.remove.push("notes"),
            None => {}
        }
        for (name, value) in crate::domain::audit::Audit::updated(now, by) {
            patch.set.push((name, s(value)));
        }
        // Its entry's values are sealed under its customer's key, copied to a service that
        // has none (created before the history).
        let mut seal = None;
        if history.is_some() {
            let key = current.history_seal_key.as_deref();
            let Some(found) = self.history_seal_for(current.customerid, key).await? else {
                return Ok(TxOutcome::Refused {
                    failed: vec![0],
                    conflict: false,
                });
            };
            if key.is_none() {
                patch.set.push(("history_seal_key", s(found.as_str())));
            }
            seal = Some(found);
        }
        let (expr, names, values) = patch.expression();
        // The username read is still the stored one: its claim is the one released.
        let mut condition = Condition::within(scope).and(
            "username_key = :current_key",
            vec![(":current_key", s(current.username_key.as_str()))],
        );
        let mut entry = None;
        if let Some(stamp) = history {
            // The fields it changes are still as read: the entry's old values are exact.
            let subject = Subject::service(current).sealed(seal.as_ref());
            let read = to_item(current)?;
            let event = Event::ServiceUpdated;
            let (same, put) =
                self.history_update(stamp, subject, event, service::FIELDS, &read, &patch)?;
            condition = condition.and_also(same);
            entry = Some(put);
        }
        if claims.is_none() && entry.is_none() {
            // No claim moves, no history: one conditional write, no transaction (half the cost).
            let mut req = self
                .client
                .update_item()
                .table_name(&self.tables.services)
                .key("id", n(current.id.get()))
                .update_expression(expr)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .condition(condition);
            for (placeholder, attr) in names {
                req = req.expression_attribute_names(placeholder, attr);
            }
            for (placeholder, value) in values {
                req = req.expression_attribute_values(placeholder, value);
            }
            return Ok(match send_conditional(|| req.clone().send()).await? {
                true => TxOutcome::Written,
                false => TxOutcome::Refused {
                    failed: vec![0],
                    conflict: false,
                },
            });
        }
        let mut b = Update::builder()
            .table_name(&self.tables.services)
            .key("id", n(current.id.get()))
            .update_expression(expr)
            .condition(condition);
        for (placeholder, attr) in names {
            b = b.expression_attribute_names(placeholder, attr);
        }
        for (placeholder, value) in values {
            b = b.expression_attribute_values(placeholder, value);
        }
        let mut items = vec![
            TransactWriteItem::builder()
                .update(b.build().map_err(build_err)?)
                .build(),
        ];
        if let Some((old, new)) = claims {
            items.push(self.claim_release(old.as_str(), current.id.get())?);
            // Username claims never expire, so no clock is needed for the condition.
            items.push(self.claim_put(&new, 0)?);
        }
        // Last: with a username move, positions 1 and 2 stay the claims' (`update_tx`).
        items.extend(entry);
        self.transact(items).await
    }

    /// Deletes a service read as `current`, within `scope`: the record, its username claim
    /// and one off its customer's count, together.
    pub async fn delete_service(
        &self,
        current: &ServiceItem,
        scope: &Scope,
        history: Option<&Stamp>,
    ) -> Result<ServiceWrite, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.services)
            .key("id", n(current.id.get()))
            .condition(Condition::within(scope))
            .build()
            .map_err(build_err)?;
        let username = ClaimKey::username(current.ispid, &current.username);
        let mut items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.claim_release(username.as_str(), current.id.get())?,
            self.count_services(current.customerid, current.placement(), -1)?,
        ];
        if let Some(stamp) = history {
            let subject = Subject::service(current);
            let event = Event::ServiceDeleted;
            items.push(self.history_put(stamp, subject, event, Vec::new())?);
        }
        Ok(match self.transact(items).await? {
            TxOutcome::Written => ServiceWrite::Written,
            TxOutcome::Refused { .. } => ServiceWrite::Stale,
        })
    }

    /// One page of a query, in key order (descending if `!forward`), starting after `start`.
    pub async fn query_services(
        &self,
        query: &ServiceQuery,
        forward: bool,
        limit: Option<i32>,
        start: Option<Resume>,
    ) -> Result<Page<ServiceItem>, StoreError> {
        let key = &query.key;
        let sort = match &key.prefix {
            None => SortCond::Any,
            Some(prefix) => SortCond::BeginsWith(prefix.clone()),
        };
        let mut q = self
            .index_query(
                &self.tables.services,
                key.index.name(),
                key.index.key_attrs(),
                n(key.partition),
                &sort,
            )
            .scan_index_forward(forward)
            .set_limit(limit)
            .set_exclusive_start_key(start.map(|r| r.0));
        // By-username is partitioned by ISP: a reseller's rows are kept by a filter.
        if let Some(r) = query.reseller {
            q = q
                .filter_expression("resellerid = :reseller")
                .expression_attribute_values(":reseller", n(r.get()));
        }
        let out = q.send().await?;
        capacity::record(Kind::Read, out.consumed_capacity());
        let scanned = usize::try_from(out.scanned_count()).unwrap_or(0);
        let mut page = Page::decode(out)?;
        // DynamoDB charges what a filter discards too: each item it read, at the most a
        // service weighs (200–300 bytes), where the answer cannot tell their sizes.
        let charged = capacity::read_units(scanned * ITEM_BYTES as usize);
        if query.reseller.is_some() && charged > page.units {
            capacity::discarded(charged - page.units);
            page.units = charged;
        }
        Ok(page)
    }
}
