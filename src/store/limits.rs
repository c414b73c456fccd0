//! Counters of creates per window, exact across Lambda instances: each is an item of the
//! claims table taken in the create's own transaction, so a burst spread over many instances
//! still counts once per create, and a refused or replayed create counts nothing.

use super::keys::claim;
use super::{Store, StoreError, n, s};
use crate::domain::ids::UserId;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use std::net::IpAddr;

/// What one window counts: a form key's creates in all, or those from one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    Key,
    /// An IPv4 address.
    Address,
    /// An IPv6 /64 (`keys::claim::source_group`).
    Ipv6Net,
}

/// One window's counter: `key` (a `keys::claim::rate_*` key), refused at `max` creates;
/// removed by the table's TTL at `expires_at` (the window's end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCount {
    pub key: String,
    pub max: u32,
    pub expires_at: i64,
    pub per: Per,
}

impl WindowCount {
    /// A form key's creates in the window starting at `start` (epoch seconds).
    pub fn per_key(user: UserId, start: i64, max: u32, expires_at: i64) -> Self {
        Self {
            key: claim::rate_key(user, start),
            max,
            expires_at,
            per: Per::Key,
        }
    }

    /// A form key's creates from `source` in the window starting at `start`.
    pub fn per_source(user: UserId, source: IpAddr, start: i64, max: u32, expires_at: i64) -> Self {
        let per = match source.to_canonical() {
            IpAddr::V4(_) => Per::Address,
            IpAddr::V6(_) => Per::Ipv6Net,
        };
        Self {
            key: claim::rate_source(user, source, start),
            max,
            expires_at,
            per,
        }
    }
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
