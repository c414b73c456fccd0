//! Customer counts per ISP and per reseller, kept exact by the create and delete
//! transactions (see `keys::count` for the sharding).

use super::capacity::{self, Kind};
use super::keys::{CustomerIndex, count};
use super::plan::{Part, key_in};
use super::query::SortCond;
use super::{Item, Store, StoreError, n, s};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ReturnConsumedCapacity, TransactWriteItem, Update, WriteRequest,
};

/// The counts a customer is part of: its ISP's and its reseller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub isp: IspId,
    pub reseller: ResellerId,
}

/// A part's kept count beside its customers counted one by one (what `crm-admin` checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recount {
    /// The count partition, as the counts table names it (`isp|1`, `reseller|7`).
    pub scope: String,
    pub kept: i64,
    pub actual: u64,
}

impl Recount {
    pub fn agrees(&self) -> bool {
        u64::try_from(self.kept).is_ok_and(|k| k == self.actual)
    }
}

/// What a count partition holds, and what reading it cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountRead {
    pub customers: i64,
    pub units: f64,
}

impl Store {
    /// Reads a part's kept count and counts its customers one by one: every customer has a
    /// creation time, so the part's keys-only `by-created` index (~100 bytes an entry) is
    /// the cheapest complete walk. Read-only.
    pub async fn recount(&self, part: Part) -> Result<Recount, StoreError> {
        let scope = part.count_scope();
        let all = key_in(part, CustomerIndex::ByCreated, SortCond::Any);
        let actual = self.count_customers(&all, None).await?.count;
        let kept = self.read_count(&scope).await?.customers;
        Ok(Recount {
            scope,
            kept,
            actual,
        })
    }

    /// The transaction items that add `delta` (1 on create, -1 on delete) to the counts of
    /// customer `id`. Unconditional: they never refuse, so they never shift the positions of
    /// a transaction's conditional items, which come first.
    pub(crate) fn count_updates(
        &self,
        id: CustomerId,
        of: Counted,
        delta: i64,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let shard = count::shard(id);
        [count::isp(of.isp), count::reseller(of.reseller)]
            .into_iter()
            .map(|scope| self.count_update(scope, shard, delta))
            .collect()
    }

    /// The transaction item adding `delta` to one shard of a count partition.
    pub(crate) fn count_update(
        &self,
        scope: String,
        shard: u64,
        delta: i64,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.counts)
            .key("scope", s(scope))
            .key("shard", n(shard))
            .update_expression("ADD #c :d")
            .expression_attribute_names("#c", count::CUSTOMERS)
            .expression_attribute_values(":d", AttributeValue::N(delta.to_string()))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The number of customers of a count partition (`keys::count::isp` or `::reseller`):
    /// one Query of its shards.
    pub async fn read_count(&self, scope: &str) -> Result<CountRead, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.counts)
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "scope")
            .expression_attribute_values(":s", s(scope))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(Kind::Read, out.consumed_capacity());
        let units = capacity::computed_read(out.items(), false);
        let mut customers = 0i64;
        for item in out.items() {
            match item.get(count::CUSTOMERS) {
                Some(AttributeValue::N(v)) => {
                    customers += v
                        .parse::<i64>()
                        .map_err(|_| StoreError::Corrupt(format!("count {scope} holds {v}")))?;
                }
                None => {}
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "count {scope} holds {other:?}"
                    )));
                }
            }
        }
        Ok(CountRead { customers, units })
    }

    /// Sets a count partition to `customers` (shard 0) and its other shards to 0: the repair
    /// of `crm-admin counters rebuild`. Not atomic with creates and deletes running meanwhile.
    pub async fn write_count(&self, scope: &str, customers: u64) -> Result<(), StoreError> {
        let requests = (0..count::SHARDS)
            .map(|shard| {
                let item = Item::from([
                    ("scope".to_owned(), s(scope)),
                    ("shard".to_owned(), n(shard)),
                    (
                        count::CUSTOMERS.to_owned(),
                        n(if shard == 0 { customers } else { 0 }),
                    ),
                ]);
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut pending = requests;
        for attempt in 1..=8u32 {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.tables.counts, pending)
                .send()
                .await?;
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.tables.counts))
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(super::backoff(attempt)).await;
        }
        Err(StoreError::Throttled(format!(
            "count {scope}: BatchWriteItem kept returning unprocessed items"
        )))
    }
}
