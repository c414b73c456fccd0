//! Bulk reads and writes for `crm-admin`'s imports: BatchGetItem, and transactions that
//! write many records with their claims and counts at once.

use super::capacity::{self, Kind};
use super::claims::{ClaimKey, NewClaim};
use super::counts::{Deltas, Tally};
use super::records::{ClaimItem, CustomerItem, ServiceItem};
use super::transact::put_new_id;
use super::{Item, Store, StoreError, TxOutcome};
use crate::domain::ids::{CustomerId, ServiceId};
use crate::domain::scope::Placement;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnConsumedCapacity};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Records per import transaction. A customer batch is at most 10 puts and 90 count
/// updates (a customer's two totals, three facets, two days and two names, fewer where
/// customers share them), a service batch 10 puts, 10 username claims and 10 customer
/// updates: within DynamoDB's 100 items per transaction.
pub const BATCH: usize = 100 / (1 + super::counts::ITEMS_PER_CUSTOMER);

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(e.to_string())
}

impl Store {
    /// Reads records of `table` by key (BatchGetItem, 100 at a time), in no particular order,
    /// with the read units they cost. Unprocessed keys (throttling) are retried with a
    /// short back-off.
    pub(crate) async fn batch_get<T: DeserializeOwned + super::records::Stored>(
        &self,
        table: &str,
        keys: Vec<Item>,
    ) -> Result<(Vec<T>, f64), StoreError> {
        let mut units = 0.0;
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut keys = chunk.to_vec();
            for attempt in 0..8u32 {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .build()
                    .map_err(build_err)?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(table, request)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await?;
                capacity::record(Kind::Read, out.consumed_capacity());
                let items = out
                    .responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default();
                units += capacity::computed_read(&items, true);
                found.extend(items);
                keys = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if keys.is_empty() {
                    break;
                }
                if attempt == 7 {
                    return Err(StoreError::Throttled(
                        "BatchGetItem kept returning unprocessed keys".into(),
                    ));
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
        }
        let records = found
            .into_iter()
            .map(super::records::from_item)
            .collect::<Result<Vec<T>, _>>()?;
        Ok((records, units))
    }

    /// Reads services by id (BatchGetItem), in no particular order.
    pub async fn get_services(&self, ids: &[ServiceId]) -> Result<Vec<ServiceItem>, StoreError> {
        let keys = ids
            .iter()
            .map(|id| Item::from([("id".to_owned(), AttributeValue::N(id.get().to_string()))]))
            .collect();
        let (records, _) = self.batch_get(&self.tables.services, keys).await?;
        Ok(records)
    }

    /// The claims among `keys` that exist (live or not yet removed by their TTL).
    pub async fn get_claims(&self, keys: &[String]) -> Result<Vec<ClaimItem>, StoreError> {
        let keys = keys
            .iter()
            .map(|k| Item::from([("claim".to_owned(), AttributeValue::S(k.clone()))]))
            .collect();
        let (records, _) = self.batch_get(&self.tables.claims, keys).await?;
        Ok(records)
    }

    /// Writes up to [`BATCH`] new customers and their counts in one transaction. A refused
    /// customer's id is in use (the count updates never refuse).
    pub async fn insert_customers(
        &self,
        customers: &[CustomerItem],
    ) -> Result<BatchInsert, StoreError> {
        let mut items = Vec::with_capacity(customers.len() * 6);
        // One update per count item touched, however many of the batch's customers it counts.
        let mut counts = Deltas::default();
        for c in customers {
            items.push(put_new_id(&self.tables.customers, c)?);
            counts.add(&Tally::of(c), 1);
        }
        items.extend(self.count_updates(counts)?);
        // Position `i` of a refusal is `customers[i]`.
        Ok(match self.transact(items).await? {
            TxOutcome::Written => BatchInsert::Written,
            TxOutcome::Refused { failed, .. } if !failed.is_empty() => BatchInsert::Refused(
                failed
                    .into_iter()
                    .filter(|i| *i < customers.len())
                    .map(|i| (i, BatchRefusal::IdTaken))
                    .collect(),
            ),
            TxOutcome::Refused { .. } => BatchInsert::Conflict,
        })
    }

    /// Writes up to [`BATCH`] new services in one transaction: each record and its
    /// username claim, and each customer's service count raised by its services in the
    /// batch, on condition that the customer is still where the service says.
    pub async fn insert_services(
        &self,
        services: &[ServiceItem],
        now: i64,
    ) -> Result<BatchInsert, StoreError> {
        let mut items = Vec::with_capacity(services.len() * 3);
        let mut customers: BTreeMap<CustomerId, (Placement, i64)> = BTreeMap::new();
        for svc in services {
            items.push(put_new_id(&self.tables.services, svc)?);
            customers
                .entry(svc.customerid)
                .or_insert((svc.placement(), 0))
                .1 += 1;
        }
        for svc in services {
            let claim =
                NewClaim::username(ClaimKey::username(svc.ispid, &svc.username), svc.id.get());
            items.push(self.claim_put(&claim, now)?);
        }
        let order: Vec<CustomerId> = customers.keys().copied().collect();
        for (id, (at, delta)) in customers {
            items.push(self.count_services(id, at, delta)?);
        }
        let batch = ServiceBatch {
            services: services.len(),
            customers: order,
        };
        let outcome = self.transact(items).await?;
        if outcome == TxOutcome::Written {
            return Ok(BatchInsert::Written);
        }
        let refused = batch.refusals(&outcome, services);
        Ok(match refused.is_empty() {
            true => BatchInsert::Conflict,
            false => BatchInsert::Refused(refused),
        })
    }
}

/// What a batch insert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchInsert {
    Written,
    /// Nothing was written: the records refused, as (index in the batch, reason).
    Refused(Vec<(usize, BatchRefusal)>),
    /// Another transaction on the same items was in flight: nothing was written.
    Conflict,
}

/// Where a service batch's items sit in its transaction: `services` puts, then as many
/// username claims, then one update per customer in `customers`' order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ServiceBatch {
    services: usize,
    customers: Vec<CustomerId>,
}

/// Why one record of a refused batch was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchRefusal {
    IdTaken,
    UsernameTaken,
    /// The service's customer is gone, or no longer where the service says.
    CustomerMissing,
}

impl ServiceBatch {
    /// The refusals of `outcome`, as (index of the service in the batch, reason).
    fn refusals(
        &self,
        outcome: &TxOutcome,
        services: &[ServiceItem],
    ) -> Vec<(usize, BatchRefusal)> {
        let mut out = Vec::new();
        for (i, svc) in services.iter().enumerate() {
            if outcome.failed(i) {
                out.push((i, BatchRefusal::IdTaken));
            } else if outcome.failed(self.services + i) {
                out.push((i, BatchRefusal::UsernameTaken));
            } else if let Some(c) = self.customers.iter().position(|c| *c == svc.customerid)
                && outcome.failed(2 * self.services + c)
            {
                out.push((i, BatchRefusal::CustomerMissing));
            }
        }
        out
    }
}
