//! Customer records: conditional writes that enforce scope, and index queries.

use super::capacity::{self, Kind};
use super::claims::NewClaim;
use super::conditions::{Condition, Conditional};
use super::keys::{self, CustomerIndex};
pub use super::query::SortCond;
use super::records::CustomerItem;
use super::transact::TxOutcome;
use super::{Item, Store, StoreError, conditional_write, n, s, send_conditional};
use crate::domain::customer::{Change, CustomerUpdate};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::scope::Scope;
use crate::domain::text::fold;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnConsumedCapacity, Select, TransactWriteItem,
};

/// An update expression with its placeholder names and values.
pub(crate) type UpdateExpression = (
    String,
    Vec<(String, &'static str)>,
    Vec<(String, AttributeValue)>,
);

/// The attribute writes of an update (customer or service), derived index keys included.
#[derive(Debug, Default, PartialEq)]
pub struct Patch {
    pub(crate) set: Vec<(&'static str, AttributeValue)>,
    pub(crate) remove: Vec<&'static str>,
}

impl Patch {
    /// The writes of a customer `update`; derived sort keys follow the fields they come
    /// from, and `now` becomes `updated_at`.
    pub fn customer(update: &CustomerUpdate, now: &str, password_hash: Option<String>) -> Self {
        let id = update.customerid;
        let mut p = Self::default();
        let opt = |p: &mut Self, attr: &'static str, v: Option<String>| match v {
            Some(v) => p.set.push((attr, s(v))),
            None => p.remove.push(attr),
        };
        for change in &update.changes {
            match change {
                Change::Type(t) => p.set.push(("type", s(t.as_str()))),
                Change::Name(v) => {
                    p.set.push(("name", s(v.as_str())));
                    p.set.push(("name_key", s(keys::sort_key(&fold(v), id))));
                }
                Change::Surname(v) => opt(&mut p, "surname", v.clone()),
                Change::Dob(v) => opt(&mut p, "dob", v.map(|d| d.to_string())),
                Change::Mobile(m) => {
                    p.set.push(("mobile", s(m.as_str())));
                    p.set
                        .push(("mobile_key", s(keys::sort_key(m.as_str(), id))));
                }
                Change::Email(e) => {
                    p.set.push(("email", s(e.as_str())));
                    p.set
                        .push(("email_key", s(keys::sort_key(&e.folded(), id))));
                }
                Change::UniqueId(v) => opt(&mut p, "uniqueid", v.clone()),
                Change::Zipcode(z) => {
                    p.set.push(("zipcode", s(z.as_str())));
                    p.set
                        .push(("zipcode_key", s(keys::sort_key(z.as_str(), id))));
                }
                Change::State(v) => p.set.push(("state", s(v.as_str()))),
                Change::City(v) => p.set.push(("city", s(v.as_str()))),
                Change::Street(v) => p.set.push(("street", s(v.as_str()))),
                Change::Notes(v) => opt(&mut p, "notes", v.clone()),
            }
        }
        if let Some(hash) = password_hash {
            p.set.push(("portal_password_hash", s(hash)));
        }
        p.set.push(("updated_at", s(now)));
        p
    }

    pub(crate) fn expression(&self) -> UpdateExpression {
        let mut names = Vec::new();
        let mut values = Vec::new();
        let mut sets = Vec::new();
        for (i, (attr, value)) in self.set.iter().enumerate() {
            names.push((format!("#s{i}"), *attr));
            values.push((format!(":s{i}"), value.clone()));
            sets.push(format!("#s{i} = :s{i}"));
        }
        let mut expr = format!("SET {}", sets.join(", "));
        if !self.remove.is_empty() {
            let removes: Vec<_> = (0..self.remove.len()).map(|i| format!("#r{i}")).collect();
            for (i, attr) in self.remove.iter().enumerate() {
                names.push((format!("#r{i}"), *attr));
            }
            expr.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        (expr, names, values)
    }
}

/// A key condition on one index of the customers table: one partition, part of its sort keys.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexKey {
    pub index: CustomerIndex,
    pub partition: AttributeValue,
    pub sort: SortCond,
}

impl IndexKey {
    pub fn isp(isp: IspId) -> Self {
        Self::whole(CustomerIndex::ByIsp, n(isp.get()))
    }

    pub fn reseller(reseller: ResellerId) -> Self {
        Self::whole(CustomerIndex::ByReseller, n(reseller.get()))
    }

    pub fn whole(index: CustomerIndex, partition: AttributeValue) -> Self {
        Self {
            index,
            partition,
            sort: SortCond::Any,
        }
    }

    /// A keys-only index of one ISP (all but `by-isp`/`by-reseller` are partitioned by ISP).
    pub fn in_isp(index: CustomerIndex, isp: IspId, sort: SortCond) -> Self {
        Self {
            index,
            partition: n(isp.get()),
            sort,
        }
    }

    /// The `ExclusiveStartKey` that resumes a walk of this index just after the entry of
    /// customer `id` whose sort-key value is `sort_value`.
    pub fn start_after(&self, id: CustomerId, sort_value: Option<&str>) -> Item {
        let (pk, sk) = self.index.key_attrs();
        let mut key = Item::new();
        key.insert(pk.to_owned(), self.partition.clone());
        key.insert("id".to_owned(), n(id.get()));
        if let Some(v) = sort_value.filter(|_| sk != "id") {
            key.insert(sk.to_owned(), s(v));
        }
        key
    }
}

/// An entry of a keys-only index: the customer's keys, its reseller and the sort-key value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub id: CustomerId,
    pub resellerid: ResellerId,
    pub sort_value: String,
}

/// What a customer delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerDelete {
    Deleted,
    /// No such customer in the caller's scope.
    NotFound,
    /// Refused: the customer still has this many services.
    HasServices(u64),
}

/// One page of a query and where the next page starts.
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<CustomerItem>,
    pub next: Option<Item>,
}

impl Store {
    /// Inserts a new customer together with `claims` (idempotency key, recent-create
    /// fingerprint), all or nothing. Position 0 of a refusal is the customer (its id was
    /// taken), 1.. the claims (taken by a live claim).
    pub async fn insert_customer_claiming(
        &self,
        customer: &CustomerItem,
        claims: &[NewClaim],
        now: i64,
    ) -> Result<TxOutcome, StoreError> {
        if claims.is_empty() {
            return Ok(match self.insert_customer(customer).await? {
                true => TxOutcome::Written,
                false => TxOutcome::Refused {
                    failed: vec![0],
                    conflict: false,
                },
            });
        }
        let item: Item = serde_dynamo::to_item(customer)?;
        let put = Put::builder()
            .table_name(&self.tables.customers)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(id)")
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        for claim in claims {
            items.push(self.claim_put(claim, now)?);
        }
        self.transact(items).await
    }

    /// Inserts a new customer; `false` if the id is taken (which an allocated id never is,
    /// but the condition makes that a checked fact, not an assumption).
    pub async fn insert_customer(&self, customer: &CustomerItem) -> Result<bool, StoreError> {
        let item: Item = serde_dynamo::to_item(customer)?;
        let res = self
            .client
            .put_item()
            .table_name(&self.tables.customers)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(id)")
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        conditional_write(res)
    }

    pub async fn next_customer_id(&self) -> Result<CustomerId, StoreError> {
        self.next_counter(keys::CUSTOMER_ID_COUNTER)
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

    /// Applies `patch` to a customer within `scope`; `false` if no such customer is in scope.
    pub async fn update_customer(
        &self,
        id: CustomerId,
        scope: &Scope,
        patch: &Patch,
    ) -> Result<bool, StoreError> {
        let (expr, names, values) = patch.expression();
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
        send_conditional(|| req.clone().send()).await
    }

    /// Deletes a customer within `scope` that has no services. One conditional write; only
    /// when it is refused is the record read, to tell "not found" from "has services".
    pub async fn delete_customer(
        &self,
        id: CustomerId,
        scope: &Scope,
    ) -> Result<CustomerDelete, StoreError> {
        let condition = Condition::within(scope).and(
            "attribute_not_exists(service_count) OR service_count = :zero",
            vec![(":zero", n(0))],
        );
        let req = self
            .client
            .delete_item()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .condition(condition);
        if send_conditional(|| req.clone().send()).await? {
            return Ok(CustomerDelete::Deleted);
        }
        Ok(match self.get_customer_latest(id).await? {
            Some(c) if scope.permits(c.ispid, c.resellerid) => {
                CustomerDelete::HasServices(c.service_count.unwrap_or(0))
            }
            _ => CustomerDelete::NotFound,
        })
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
        start: Option<Item>,
    ) -> Result<aws_sdk_dynamodb::operation::query::QueryOutput, StoreError> {
        let out = self
            .query_builder(key)
            .scan_index_forward(forward)
            .set_limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        capacity::record(Kind::Read, out.consumed_capacity());
        capacity::computed_read(out.items(), false);
        Ok(out)
    }

    /// Reads up to `limit` items of an index in key order (descending if `!forward`),
    /// starting after `start`.
    pub async fn query_customers(
        &self,
        key: &IndexKey,
        forward: bool,
        limit: Option<i32>,
        start: Option<Item>,
    ) -> Result<Page, StoreError> {
        let out = self.query_page(key, forward, limit, start).await?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(serde_dynamo::from_item)
            .collect::<Result<Vec<CustomerItem>, _>>()?;
        Ok(Page {
            items,
            next: out.last_evaluated_key,
        })
    }

    /// Reads up to `limit` entries of a keys-only index in key order (descending if
    /// `!forward`), starting after `start`.
    pub async fn query_entries(
        &self,
        key: &IndexKey,
        forward: bool,
        limit: Option<i32>,
        start: Option<Item>,
    ) -> Result<(Vec<IndexEntry>, Option<Item>), StoreError> {
        let (_, sk) = key.index.key_attrs();
        let out = self.query_page(key, forward, limit, start).await?;
        let number = |item: &Item, attr: &str| match item.get(attr) {
            Some(AttributeValue::N(v)) => v.parse::<u64>().ok(),
            _ => None,
        };
        let mut entries = Vec::new();
        for item in out.items() {
            let sort_value = match item.get(sk) {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            };
            match (number(item, "id"), number(item, "resellerid"), sort_value) {
                (Some(id), Some(reseller), Some(sort_value)) => entries.push(IndexEntry {
                    id: CustomerId(id),
                    resellerid: ResellerId(reseller),
                    sort_value,
                }),
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "{} entry {item:?}",
                        key.index.name()
                    )));
                }
            }
        }
        Ok((entries, out.last_evaluated_key))
    }

    /// Reads whole customers by id (BatchGetItem, 100 at a time), in no particular order.
    pub async fn get_customers(&self, ids: &[CustomerId]) -> Result<Vec<CustomerItem>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let mut keys: Vec<Item> = chunk
                .iter()
                .map(|id| Item::from([("id".to_owned(), n(id.get()))]))
                .collect();
            // Unprocessed keys (throttling) are retried with a short back-off.
            for attempt in 0..8u32 {
                let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.tables.customers, request)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await?;
                capacity::record(Kind::Read, out.consumed_capacity());
                let items = out
                    .responses
                    .and_then(|mut r| r.remove(&self.tables.customers))
                    .unwrap_or_default();
                capacity::computed_read(&items, true);
                for item in items {
                    found.push(serde_dynamo::from_item(item)?);
                }
                keys = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.tables.customers))
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
        Ok(found)
    }

    /// Counts the entries under a key with `Select=COUNT` (no items are returned; the read
    /// units are those of the entries walked). `reseller` narrows a keys-only index of an ISP
    /// to one reseller with a filter.
    pub async fn count_customers(
        &self,
        key: &IndexKey,
        reseller: Option<ResellerId>,
    ) -> Result<u64, StoreError> {
        let mut total = 0u64;
        let mut start = None;
        loop {
            let mut q = self
                .query_builder(key)
                .select(Select::Count)
                .set_exclusive_start_key(start);
            if let Some(r) = reseller {
                q = q
                    .filter_expression("resellerid = :reseller")
                    .expression_attribute_values(":reseller", n(r.get()));
            }
            let out = q.send().await?;
            capacity::record(Kind::Read, out.consumed_capacity());
            capacity::counted(
                key.index.name(),
                u64::try_from(out.scanned_count).unwrap_or(0),
            );
            total += u64::try_from(out.count).unwrap_or(0);
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_rewrites_derived_keys_and_removes_cleared_fields() {
        let f = crate::domain::fields::fields_of(&[
            ("customerid", "9"),
            ("mobile", "98765 43210"),
            ("surname", ""),
            ("name", "Zed"),
        ]);
        let update = CustomerUpdate::parse(&f, jiff::civil::Date::constant(2026, 11, 27)).unwrap();
        let patch = Patch::customer(&update, "2026-11-27T05:10:00Z", None);
        let (expr, names, values) = patch.expression();
        let attrs: Vec<_> = names.iter().map(|(_, a)| *a).collect();
        assert!(
            attrs.contains(&"mobile_key")
                && attrs.contains(&"name_key")
                && attrs.contains(&"updated_at")
        );
        assert!(expr.contains("REMOVE"));
        assert!(
            values
                .iter()
                .any(|(_, v)| v == &s("9876543210\u{1}0000000000000009"))
        );
        assert!(
            values
                .iter()
                .any(|(_, v)| v == &s("zed\u{1}0000000000000009"))
        );
    }

    #[test]
    fn start_keys_name_the_index_keys_and_the_table_key() {
        let key = IndexKey::in_isp(CustomerIndex::ByName, IspId(2), SortCond::Any);
        let start = key.start_after(CustomerId(5), Some("ann\u{1}0000000000000005"));
        assert_eq!(start.len(), 3);
        assert_eq!(start.get("ispid"), Some(&n(2)));
        let start = IndexKey::isp(IspId(2)).start_after(CustomerId(5), None);
        assert_eq!(start.len(), 2);
    }
}
