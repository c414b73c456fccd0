//! Id sequences: the last id handed out of customers, services, ISPs, resellers and users,
//! one item each in the counters table (the table and its `name` keys keep their names).

use super::capacity::{self, Kind};
use super::error::code_of;
use super::keys;
use super::{Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, ReturnValue};

/// A sequence of ids. ISPs', resellers' and users' are taken by the API's creates only
/// (crm-admin names its own ids; an allocated id that is taken is skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sequence {
    Customer,
    Service,
    Isp,
    Reseller,
    User,
}

impl Sequence {
    /// The sequence's key in the counters table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Customer => keys::CUSTOMER_ID_COUNTER,
            Self::Service => keys::SERVICE_ID_COUNTER,
            Self::Isp => keys::ISP_ID_COUNTER,
            Self::Reseller => keys::RESELLER_ID_COUNTER,
            Self::User => keys::USER_ID_COUNTER,
        }
    }
}

fn counter_value(seq: Sequence, value: Option<&AttributeValue>) -> Result<u64, StoreError> {
    let name = seq.name();
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
    /// Atomically takes the next id of `seq` and returns it: 1, 2, 3, ...
    /// Values are never handed out twice, even to concurrent callers (one conditional-free
    /// `ADD`, 1 write unit).
    pub async fn next_id(&self, seq: Sequence) -> Result<u64, StoreError> {
        self.take_ids(seq, 1).await
    }

    /// Takes `size` consecutive ids of `seq` at once (one `ADD`): the
    /// first of them. An import allocates its ids as one block, so a resumed import
    /// reuses them.
    pub async fn take_ids(&self, seq: Sequence, size: u64) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.counters)
            .key("name", AttributeValue::S(seq.name().to_owned()))
            .update_expression("ADD #v :size")
            .expression_attribute_names("#v", "value")
            .expression_attribute_values(":size", AttributeValue::N(size.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(Kind::Write, out.consumed_capacity());
        let last = counter_value(seq, out.attributes().and_then(|a| a.get("value")))?;
        Ok(last + 1 - size)
    }

    /// Raises `seq` to at least `value` (it never goes down), so that new ids follow the
    /// ids an ISP brings from its previous system. Returns the sequence's last id.
    pub async fn raise_ids(&self, seq: Sequence, value: u64) -> Result<u64, StoreError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.tables.counters)
            .key("name", AttributeValue::S(seq.name().to_owned()))
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
                    .key("name", AttributeValue::S(seq.name().to_owned()))
                    .consistent_read(true)
                    .send()
                    .await?;
                counter_value(seq, out.item.as_ref().and_then(|i| i.get("value")))
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Sequence;

    #[test]
    fn sequences_keep_their_stored_names() {
        let names = [
            (Sequence::Customer, "customer_id"),
            (Sequence::Service, "service_id"),
            (Sequence::Isp, "isp_id"),
            (Sequence::Reseller, "reseller_id"),
            (Sequence::User, "user_id"),
        ];
        for (seq, name) in names {
            assert_eq!(seq.name(), name, "{seq:?}");
        }
    }
}
