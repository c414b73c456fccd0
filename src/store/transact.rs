//! TransactWriteItems: several writes that happen together or not at all.

use super::capacity::{self, Kind};
use super::{Item, Store, StoreError};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, ReturnConsumedCapacity, TransactWriteItem};
use serde::Serialize;

/// How a transaction ended. A failed condition is a domain result, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOutcome {
    Written,
    /// Cancelled: the positions of the items whose condition failed, and whether another
    /// transaction on the same items was in flight (retry after reading what it wrote).
    Refused {
        failed: Vec<usize>,
        conflict: bool,
    },
}

impl TxOutcome {
    pub fn failed(&self, position: usize) -> bool {
        matches!(self, Self::Refused { failed, .. } if failed.contains(&position))
    }
}

/// A transaction's put of a new record into `table`, refused if its `id` is taken.
pub(super) fn put_new_id(
    table: &str,
    record: &(impl Serialize + super::records::Stored),
) -> Result<TransactWriteItem, StoreError> {
    put_new(table, super::records::to_item(record)?, "id")
}

/// A transaction's put of a new item into the claims table, refused if its `claim` is taken.
pub(super) fn put_new_claim(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    put_new(table, item, "claim")
}

/// The typed half above stays small: each record type gets its own copy of it, while this
/// builder is compiled once.
fn put_new(table: &str, item: Item, key: &str) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(format!("attribute_not_exists({key})"))
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl Store {
    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<TxOutcome, StoreError> {
        let res = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        let err = match res {
            Ok(out) => {
                capacity::record(Kind::Write, out.consumed_capacity());
                return Ok(TxOutcome::Written);
            }
            Err(e) => e,
        };
        if let SdkError::ServiceError(service) = &err
            && let TransactWriteItemsError::TransactionCanceledException(cancel) = service.err()
        {
            capacity::record(Kind::Write, None);
            let codes: Vec<&str> = cancel
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None"))
                .collect();
            let failed: Vec<usize> = codes
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == "ConditionalCheckFailed")
                .map(|(i, _)| i)
                .collect();
            let conflict = codes.contains(&"TransactionConflict");
            if !failed.is_empty() || conflict {
                return Ok(TxOutcome::Refused { failed, conflict });
            }
            if codes
                .iter()
                .any(|c| c.contains("Throttl") || c.contains("Exceeded"))
            {
                return Err(StoreError::Throttled(format!("transaction: {codes:?}")));
            }
            return Err(StoreError::Other(format!(
                "transaction cancelled: {codes:?}"
            )));
        }
        Err(err.into())
    }
}
