//! The kept counts checked against the customers and rebuilt from them (`crm-admin counters
//! verify|rebuild`): a walk of an ISP's customers says what every count should hold.

use super::{Deltas, Tally, number};
use crate::domain::ids::{IspId, ResellerId};
use crate::store::keys::count;
use crate::store::plan::{Access, CustomerQuery, Part};
use crate::store::{Item, Store, StoreError, n, s};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use std::collections::{BTreeMap, BTreeSet};

/// A kept count beside the customers counted one by one (what `crm-admin` checks): one
/// attribute of a count partition, summed over its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recount {
    /// The count partition and attribute (`isp|1 customers`, `isp|1|city|Panaji r7`).
    pub scope: String,
    pub kept: i64,
    pub actual: u64,
}

impl Recount {
    pub fn agrees(&self) -> bool {
        u64::try_from(self.kept).is_ok_and(|k| k == self.actual)
    }
}

/// Each count partition's attributes summed over its items.
type Sums = BTreeMap<String, BTreeMap<String, i64>>;

/// What an attribute of the item `shard` is checked as: a day's count of a month item as its
/// day (`20261207`, each day on its own), any other attribute as itself (summed over shards).
fn checked(shard: u64, attr: &str) -> String {
    count::day_of(shard, attr).map_or_else(|| attr.to_owned(), |day| day.to_string())
}

impl Store {
    /// Every kept count of an ISP and its resellers, summed per partition and attribute:
    /// the totals' partitions and the resellers' names by Query, the facets' and the ISP's
    /// names by a Scan of the counts table (small: a few items per ISP and value or name;
    /// `crm-admin` only).
    async fn kept_counts(&self, isp: IspId, resellers: &[ResellerId]) -> Result<Sums, StoreError> {
        let mut sums = Sums::new();
        let mut add = |item: &Item| -> Result<(), StoreError> {
            let Some(AttributeValue::S(scope)) = item.get("scope") else {
                return Err(StoreError::Corrupt(format!("count item {item:?}")));
            };
            let shard = match item.get("shard") {
                Some(AttributeValue::N(k)) => k.parse::<u64>().unwrap_or(0),
                _ => 0,
            };
            let (_, (names_of, name_key)) = count::NAMES;
            for (attr, v) in item {
                if !["scope", "shard", names_of, name_key].contains(&attr.as_str()) {
                    *sums
                        .entry(scope.clone())
                        .or_default()
                        .entry(checked(shard, attr))
                        .or_default() += number(scope, attr, v)?;
                }
            }
            Ok(())
        };
        let totals = std::iter::once(count::isp(isp))
            .chain(resellers.iter().map(|r| count::reseller(*r)))
            .chain(resellers.iter().map(|r| count::days(&count::reseller(*r))));
        for scope in totals {
            for item in self.count_items(&scope).await? {
                add(&item)?;
            }
        }
        // A reseller's name items are outside the ISP's partitions: its part of `NAMES`.
        for reseller in resellers {
            for item in self.part_names(&count::reseller(*reseller)).await? {
                add(&item)?;
            }
        }
        let prefix = format!("{}|", count::isp(isp));
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.tables.counts)
                .filter_expression("begins_with(#s, :p)")
                .expression_attribute_names("#s", "scope")
                .expression_attribute_values(":p", s(prefix.as_str()))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in out.items() {
                add(item)?;
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(sums)
    }

    /// The counts an ISP's customers call for, item by item, from a walk of every customer
    /// (`by-isp` holds them whole: ~0.06 read units a customer).
    async fn due_counts(&self, isp: IspId) -> Result<Deltas, StoreError> {
        let mut due = Deltas::default();
        let query = CustomerQuery::new(Part::Isp(isp), Access::Scope);
        let mut start = None;
        loop {
            let page = self.query_customers(&query, true, None, start).await?;
            for c in &page.items {
                due.add(&Tally::of(c), 1);
            }
            start = page.next;
            if start.is_none() {
                return Ok(due);
            }
        }
    }

    /// Compares every kept count of an ISP and its resellers with its customers counted one
    /// by one. Read-only; what it returns is what `rebuild_counts` would fix.
    pub async fn recount_isp(
        &self,
        isp: IspId,
        resellers: &[ResellerId],
    ) -> Result<(Vec<Recount>, Vec<String>), StoreError> {
        let due = self.due_counts(isp).await?;
        let kept = self.kept_counts(isp, resellers).await?;
        let mut actual = Sums::new();
        for ((scope, shard), attrs) in due.clone().settled() {
            for (attr, d) in attrs {
                *actual
                    .entry(scope.clone())
                    .or_default()
                    .entry(checked(shard, &attr))
                    .or_default() += d;
            }
        }
        // Every total is checked, even where nothing is due (an empty ISP or reseller).
        for scope in
            std::iter::once(count::isp(isp)).chain(resellers.iter().map(|r| count::reseller(*r)))
        {
            actual
                .entry(scope)
                .or_default()
                .entry(count::CUSTOMERS.to_owned())
                .or_default();
        }
        let mut checks = Vec::new();
        let mut wrong = BTreeSet::new();
        let scopes: BTreeSet<&String> = actual.keys().chain(kept.keys()).collect();
        for scope in scopes {
            let none = BTreeMap::new();
            let due = actual.get(scope).unwrap_or(&none);
            let held = kept.get(scope).unwrap_or(&none);
            let attrs: BTreeSet<&String> = due.keys().chain(held.keys()).collect();
            for attr in attrs {
                let want = due.get(attr).copied().unwrap_or(0);
                let check = Recount {
                    scope: format!("{scope} {attr}"),
                    kept: held.get(attr).copied().unwrap_or(0),
                    actual: u64::try_from(want).unwrap_or(0),
                };
                // Facet items with nothing due are checked only when they hold something.
                if !check.agrees() {
                    wrong.insert(scope.clone());
                }
                if attr == count::CUSTOMERS || check.kept != 0 || want != 0 {
                    checks.push(check);
                }
            }
        }
        Ok((checks, wrong.into_iter().collect()))
    }

    /// Rewrites the count partitions `scopes` of an ISP with what its customers call for:
    /// every item of each is deleted, then the due items are put. Not atomic with creates
    /// and deletes running meanwhile (`crm-admin counters rebuild`: run it while the ISP is
    /// quiet).
    pub async fn rebuild_counts(&self, isp: IspId, scopes: &[String]) -> Result<(), StoreError> {
        let due = self.due_counts(isp).await?.only(scopes);
        let mut requests = Vec::new();
        for scope in scopes {
            for item in self.count_items(scope).await? {
                let key = Item::from([
                    ("scope".to_owned(), s(scope.as_str())),
                    (
                        "shard".to_owned(),
                        item.get("shard").cloned().unwrap_or(n(0)),
                    ),
                ]);
                let delete = DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                requests.push(WriteRequest::builder().delete_request(delete).build());
            }
        }
        self.batch_write(requests).await?;
        self.put_counts(due).await
    }

    /// Puts the items of `counts` as they are (each replacing any item of its key): for
    /// loaders that write customers around the API, and for `rebuild_counts`.
    pub async fn put_counts(&self, counts: Deltas) -> Result<(), StoreError> {
        let mut puts = Vec::new();
        for ((scope, shard), attrs, label) in counts.settled_items() {
            let mut item = Item::from([
                ("scope".to_owned(), s(scope.as_str())),
                ("shard".to_owned(), n(shard)),
            ]);
            for (attr, v) in attrs {
                item.insert(attr, AttributeValue::N(v.to_string()));
            }
            for (attr, v) in label.into_iter().flatten() {
                item.insert(attr.to_owned(), s(v));
            }
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            puts.push(WriteRequest::builder().put_request(put).build());
        }
        self.batch_write(puts).await
    }

    /// Every item of a count partition (Query, paged: a days partition holds one item a
    /// month, four for an ISP).
    async fn count_items(&self, scope: &str) -> Result<Vec<Item>, StoreError> {
        self.partition(None, "scope", scope).await
    }

    /// Every name item of a part (`names_of`, its count scope): its part of `NAMES`.
    async fn part_names(&self, names_of: &str) -> Result<Vec<Item>, StoreError> {
        let (index, (partition, _)) = count::NAMES;
        self.partition(Some(index), partition, names_of).await
    }

    /// Every item of the counts table (or of its `index`) whose `attr` is `value`, paged.
    async fn partition(
        &self,
        index: Option<&str>,
        attr: &str,
        value: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.tables.counts)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", attr)
                .expression_attribute_values(":p", s(value))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// BatchWriteItem of the counts table, 25 at a time, unprocessed items retried.
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0u32;
            while !pending.is_empty() {
                attempt += 1;
                if attempt > 8 {
                    return Err(StoreError::Throttled(
                        "counts: BatchWriteItem kept returning unprocessed items".into(),
                    ));
                }
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
                if !pending.is_empty() {
                    tokio::time::sleep(crate::store::backoff(attempt)).await;
                }
            }
        }
        Ok(())
    }
}
