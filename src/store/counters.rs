use super::capacity::{self, Kind};
use super::error::code_of;
use super::{Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, ReturnValue};

fn counter_value(name: &str, value: Option<&AttributeValue>) -> Result<u64, StoreError> {
    match value {
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("counter {name} holds {n}"))),
        other => Err(StoreError::Corrupt(format!(
            "counter {name} holds {other:?}"
        ))),
    }
}

impl Store {
    /// Atomically increments the named counter and returns its new value: 1, 2, 3, ...
    /// Values are never handed out twice, even to concurrent callers (one conditional-free
    /// `ADD`, 1 write unit).
    pub async fn next_counter(&self, name: &str) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.counters)
            .key("name", AttributeValue::S(name.to_owned()))
            .update_expression("ADD #v :one")
            .expression_attribute_names("#v", "value")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::UpdatedNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(Kind::Write, out.consumed_capacity());
        counter_value(name, out.attributes().and_then(|a| a.get("value")))
    }

    /// Takes `size` consecutive values of the named counter at once (one `ADD`): the
    /// first of them. An import allocates its ids as one block, so a resumed import
    /// reuses them.
    pub async fn take_counter_block(&self, name: &str, size: u64) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.counters)
            .key("name", AttributeValue::S(name.to_owned()))
            .update_expression("ADD #v :size")
            .expression_attribute_names("#v", "value")
            .expression_attribute_values(":size", AttributeValue::N(size.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(Kind::Write, out.consumed_capacity());
        let last = counter_value(name, out.attributes().and_then(|a| a.get("value")))?;
        Ok(last + 1 - size)
    }

    /// Raises the named counter to at least `value` (it never goes down), so that new ids
    /// follow the ids an ISP brings from its previous system. Returns the counter's value.
    pub async fn raise_counter(&self, name: &str, value: u64) -> Result<u64, StoreError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.tables.counters)
            .key("name", AttributeValue::S(name.to_owned()))
            .update_expression("SET #v = :n")
            .condition_expression("attribute_not_exists(#v) OR #v < :n")
            .expression_attribute_names("#v", "value")
            .expression_attribute_values(":n", AttributeValue::N(value.to_string()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match res {
            Ok(out) => {
                capacity::record(Kind::Write, out.consumed_capacity());
                Ok(value)
            }
            Err(e) if code_of(&e) == Some("ConditionalCheckFailedException") => {
                let out = self
                    .client
                    .get_item()
                    .table_name(&self.tables.counters)
                    .key("name", AttributeValue::S(name.to_owned()))
                    .consistent_read(true)
                    .send()
                    .await?;
                counter_value(name, out.item.as_ref().and_then(|i| i.get("value")))
            }
            Err(e) => Err(e.into()),
        }
    }
}
