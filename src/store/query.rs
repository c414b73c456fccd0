//! Queries of one partition of a secondary index, customers' or services'.

use super::{Store, s};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};

/// A condition on the sort key of an index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortCond {
    Any,
    BeginsWith(String),
    /// Inclusive bounds.
    Between(String, String),
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
        }
    }
}
