//! Queries of one partition of a secondary index, customers' or services': their key
//! conditions (`plan.rs` builds them from access patterns) and the Query that reads them.

use super::capacity;
use super::keys::{CustomerIndex, ServiceIndex};
use super::{Item, Store, StoreError, n, s};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use serde::de::DeserializeOwned;

/// A condition on the sort key of an index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortCond {
    Any,
    BeginsWith(String),
    /// Inclusive bounds.
    Between(String, String),
    /// A numeric sort key past this one: above it, or below it (descending walks).
    Above(u64),
    Below(u64),
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

    /// An index of one ISP.
    pub fn in_isp(index: CustomerIndex, isp: IspId, sort: SortCond) -> Self {
        Self {
            index,
            partition: n(isp.get()),
            sort,
        }
    }

    /// The reseller twin of an ISP's index (`by-name` → `by-reseller-name`), in one reseller.
    pub fn in_reseller(index: CustomerIndex, reseller: ResellerId, sort: SortCond) -> Self {
        Self {
            index: index.for_reseller(),
            partition: n(reseller.get()),
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

/// An entry of an index that does not hold items: the customer's id, the sort-key value, and
/// the values the index projects (`CustomerIndex::projects`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub id: CustomerId,
    pub sort_value: String,
    pub projected: Vec<(&'static str, String)>,
}

impl IndexEntry {
    /// A projected value, if the index projects it and the entry has it.
    pub fn get(&self, attr: &str) -> Option<&str> {
        self.projected
            .iter()
            .find(|(a, _)| *a == attr)
            .map(|(_, v)| v.as_str())
    }
}

/// A key condition on one index of the services table (`plan::ServiceQuery` builds them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceKey {
    pub(crate) index: ServiceIndex,
    pub(crate) partition: u64,
    /// `begins_with` on the sort key (by-username only).
    pub(crate) prefix: Option<String>,
}

impl Store {
    /// A Query of the `partition` of `index` on `table` whose (partition, sort) key
    /// attributes are `keys`, limited by `sort`; its cost is reported.
    pub(crate) fn index_query(
        &self,
        table: &str,
        index: &str,
        (pk, sk): (&str, &str),
        partition: AttributeValue,
        sort: &SortCond,
    ) -> QueryFluentBuilder {
        let q = self
            .client
            .query()
            .table_name(table)
            .index_name(index)
            .expression_attribute_names("#pk", pk)
            .expression_attribute_values(":pk", partition)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        match sort {
            SortCond::Any => q.key_condition_expression("#pk = :pk"),
            SortCond::BeginsWith(prefix) => q
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":prefix", s(prefix.as_str())),
            SortCond::Between(lo, hi) => q
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":lo", s(lo.as_str()))
                .expression_attribute_values(":hi", s(hi.as_str())),
            SortCond::Above(past) | SortCond::Below(past) => q
                .key_condition_expression(match sort {
                    SortCond::Above(_) => "#pk = :pk AND #sk > :past",
                    _ => "#pk = :pk AND #sk < :past",
                })
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":past", n(*past)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

/// Where a walk resumes: the next page of a query, opaque above the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Resume(pub(crate) Item);

/// One page of a query of whole records and where the next page starts.
#[derive(Debug, Default)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<Resume>,
    /// Its read units by DynamoDB's rules (what a list's read budget counts).
    pub units: f64,
}

impl<T: DeserializeOwned + super::records::Stored> Page<T> {
    /// Decodes a Query's answer, whose consumed capacity the caller has recorded.
    pub(super) fn decode(out: QueryOutput) -> Result<Self, StoreError> {
        let units = capacity::computed_read(out.items(), false);
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(super::records::from_item)
            .collect::<Result<Vec<T>, _>>()?;
        Ok(Self {
            items,
            next: out.last_evaluated_key.map(Resume),
            units,
        })
    }
}
