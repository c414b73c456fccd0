//! Customer records: conditional writes that enforce scope, and index queries.

use super::capacity::{self, Kind};
use super::error::code_of;
use super::keys::{self, CustomerIndex};
use super::records::CustomerItem;
use super::{Store, StoreError};
use crate::domain::customer::{Change, CustomerUpdate};
use crate::domain::ids::{CustomerId, IspId};
use crate::domain::scope::Scope;
use aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, Select};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// The condition that makes a write touch only a customer the caller may see. A customer
/// outside the scope fails it exactly as a missing one does, so the answer is the same (404).
trait ScopeCondition: Sized {
    fn within(self, scope: &Scope) -> Self;
}

macro_rules! scope_condition {
    ($builder:ty) => {
        impl ScopeCondition for $builder {
            fn within(self, scope: &Scope) -> Self {
                match *scope {
                    Scope::Platform => self.condition_expression("attribute_exists(id)"),
                    Scope::Isp(isp) => self
                        .condition_expression("ispid = :scope_isp")
                        .expression_attribute_values(":scope_isp", n(isp.get())),
                    Scope::Reseller { isp, reseller } => self
                        .condition_expression("ispid = :scope_isp AND resellerid = :scope_reseller")
                        .expression_attribute_values(":scope_isp", n(isp.get()))
                        .expression_attribute_values(":scope_reseller", n(reseller.get())),
                }
            }
        }
    };
}
scope_condition!(UpdateItemFluentBuilder);
scope_condition!(DeleteItemFluentBuilder);

/// An update expression with its placeholder names and values.
type UpdateExpression = (
    String,
    Vec<(String, &'static str)>,
    Vec<(String, AttributeValue)>,
);

/// The attribute writes of an update, derived index keys included.
#[derive(Debug, Default, PartialEq)]
pub struct CustomerPatch {
    set: Vec<(&'static str, AttributeValue)>,
    remove: Vec<&'static str>,
}

impl CustomerPatch {
    /// `isp` must be known when the update changes mobile or zipcode (their index keys
    /// carry the ISP); `now` becomes `updated_at`.
    pub fn new(
        update: &CustomerUpdate,
        isp: Option<IspId>,
        now: &str,
        password_hash: Option<String>,
    ) -> Result<Self, StoreError> {
        let mut p = Self::default();
        let isp_key = || {
            isp.ok_or_else(|| {
                StoreError::Other("update of an ISP-keyed field without the ISP".into())
            })
        };
        let opt = |p: &mut Self, attr: &'static str, v: Option<String>| match v {
            Some(v) => p.set.push((attr, s(v))),
            None => p.remove.push(attr),
        };
        for change in &update.changes {
            match change {
                Change::Type(t) => p.set.push(("type", s(t.as_str()))),
                Change::Name(v) => {
                    p.set.push(("name", s(v.as_str())));
                    p.set.push(("name_lc", s(v.to_lowercase())));
                }
                Change::Surname(v) => opt(&mut p, "surname", v.clone()),
                Change::Dob(v) => opt(&mut p, "dob", v.map(|d| d.to_string())),
                Change::Mobile(m) => {
                    p.set.push(("mobile", s(m.as_str())));
                    p.set
                        .push(("isp_mobile", s(keys::isp_mobile(isp_key()?, m))));
                }
                Change::Email(e) => {
                    p.set.push(("email", s(e.as_str())));
                    p.set.push(("email_lc", s(e.folded())));
                }
                Change::UniqueId(v) => opt(&mut p, "uniqueid", v.clone()),
                Change::Zipcode(z) => {
                    p.set.push(("zipcode", s(z.as_str())));
                    p.set
                        .push(("isp_zipcode", s(keys::isp_zipcode(isp_key()?, z))));
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
        Ok(p)
    }

    fn expression(&self) -> UpdateExpression {
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

/// A key condition on one index of the customers table.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexKey {
    pub index: CustomerIndex,
    pub partition: AttributeValue,
    /// Inclusive bounds on the index's sort key, if any.
    pub between: Option<(AttributeValue, AttributeValue)>,
}

impl IndexKey {
    pub fn isp(isp: IspId) -> Self {
        Self::whole(CustomerIndex::ByIsp, n(isp.get()))
    }

    pub fn whole(index: CustomerIndex, partition: AttributeValue) -> Self {
        Self {
            index,
            partition,
            between: None,
        }
    }
}

/// One page of a query and where the next page starts.
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<CustomerItem>,
    pub next: Option<Item>,
}

impl Store {
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
        match res {
            Ok(out) => {
                capacity::record(Kind::Write, out.consumed_capacity());
                Ok(true)
            }
            Err(e) if code_of(&e) == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn next_customer_id(&self) -> Result<CustomerId, StoreError> {
        self.next_counter(keys::CUSTOMER_ID_COUNTER)
            .await
            .map(CustomerId)
    }

    pub async fn get_customer(&self, id: CustomerId) -> Result<Option<CustomerItem>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(Kind::Read, out.consumed_capacity());
        out.item
            .map(serde_dynamo::from_item)
            .transpose()
            .map_err(Into::into)
    }

    /// Applies `patch` to a customer within `scope`; `false` if no such customer is in scope.
    pub async fn update_customer(
        &self,
        id: CustomerId,
        scope: &Scope,
        patch: &CustomerPatch,
    ) -> Result<bool, StoreError> {
        let (expr, names, values) = patch.expression();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .update_expression(expr)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .within(scope);
        for (placeholder, attr) in names {
            req = req.expression_attribute_names(placeholder, attr);
        }
        for (placeholder, value) in values {
            req = req.expression_attribute_values(placeholder, value);
        }
        match req.send().await {
            Ok(out) => {
                capacity::record(Kind::Write, out.consumed_capacity());
                Ok(true)
            }
            Err(e) if code_of(&e) == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a customer within `scope`; `false` if no such customer is in scope.
    pub async fn delete_customer(&self, id: CustomerId, scope: &Scope) -> Result<bool, StoreError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .within(scope)
            .send()
            .await;
        match res {
            Ok(out) => {
                capacity::record(Kind::Write, out.consumed_capacity());
                Ok(true)
            }
            Err(e) if code_of(&e) == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn query_builder(
        &self,
        key: &IndexKey,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let (pk, sk) = key.index.key_attrs();
        let mut q = self
            .client
            .query()
            .table_name(&self.tables.customers)
            .index_name(key.index.name())
            .expression_attribute_names("#pk", pk)
            .expression_attribute_values(":pk", key.partition.clone())
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        q = match &key.between {
            None => q.key_condition_expression("#pk = :pk"),
            Some((lo, hi)) => q
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":lo", lo.clone())
                .expression_attribute_values(":hi", hi.clone()),
        };
        q
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
        let out = self
            .query_builder(key)
            .scan_index_forward(forward)
            .set_limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        capacity::record(Kind::Read, out.consumed_capacity());
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

    /// Counts the items under a key with `Select=COUNT`: no item bodies are returned
    /// (the read units are those of the items scanned, as for any query).
    pub async fn count_customers(&self, key: &IndexKey) -> Result<u64, StoreError> {
        let mut total = 0u64;
        let mut start = None;
        loop {
            let out = self
                .query_builder(key)
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            capacity::record(Kind::Read, out.consumed_capacity());
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
    use std::collections::HashMap;

    #[test]
    fn patch_rewrites_derived_keys_and_removes_cleared_fields() {
        let f: HashMap<String, String> = [
            ("customerid", "9"),
            ("mobile", "98765 43210"),
            ("surname", ""),
            ("name", "Zed"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let update = CustomerUpdate::parse(&f, jiff::civil::Date::constant(2026, 11, 27)).unwrap();
        let patch =
            CustomerPatch::new(&update, Some(IspId(4)), "2026-11-27T05:10:00Z", None).unwrap();
        let (expr, names, values) = patch.expression();
        let attrs: Vec<_> = names.iter().map(|(_, a)| *a).collect();
        assert!(
            attrs.contains(&"isp_mobile")
                && attrs.contains(&"name_lc")
                && attrs.contains(&"updated_at")
        );
        assert!(expr.contains("REMOVE"));
        assert!(values.iter().any(|(_, v)| v == &s("4#9876543210")));
        assert!(
            CustomerPatch::new(&update, None, "now", None).is_err(),
            "mobile needs the ISP"
        );
    }
}
