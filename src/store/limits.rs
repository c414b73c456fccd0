//! Counters of creates per window, exact across Lambda instances: each is an item of the
//! claims table taken in the create's own transaction, so a burst spread over many instances
//! still counts once per create, and a refused or replayed create counts nothing.

use super::{Store, StoreError, n, s};
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

/// One window's counter: `key` (a `keys::claim::rate_*` key), refused at `max` creates;
/// removed by the table's TTL at `expires_at` (the window's end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCount {
    pub key: String,
    pub max: u32,
    pub expires_at: i64,
}

impl Store {
    /// The transaction item that counts one more create, unless the window is full.
    pub(crate) fn window_take(&self, w: &WindowCount) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.claims)
            .key("claim", s(w.key.as_str()))
            .update_expression("ADD #n :one SET expires_at = :exp")
            .condition_expression("attribute_not_exists(#n) OR #n < :max")
            .expression_attribute_names("#n", "creates")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(u64::from(w.max)))
            .expression_attribute_values(":exp", n(u64::try_from(w.expires_at).unwrap_or(0)))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}
