//! Claims on unique values (service usernames, idempotency keys, recent creates).

use super::keys::claim;
use super::records::ClaimItem;
use super::{Item, Store, StoreError, capacity, n, s};
use crate::domain::ids::{IspId, UserId};
use crate::domain::service::Username;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnConsumedCapacity, TransactWriteItem,
};
use std::collections::{HashMap, HashSet};

/// The key of a claim, made from what it claims; its format is `keys::claim`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimKey(String);

impl ClaimKey {
    /// A caller's idempotency key (two callers may use the same key).
    pub fn idempotency(user: UserId, key: &str) -> Self {
        Self(claim::idempotency(user, key))
    }

    /// A caller's recent create, by the fingerprint of its input.
    pub fn recent(user: UserId, fingerprint: &str) -> Self {
        Self(claim::recent(user, fingerprint))
    }

    /// A service username in an ISP (unique ignoring case: folded here).
    pub fn username(isp: IspId, username: &str) -> Self {
        Self(claim::username(isp, &Username::fold(username)))
    }

    /// A key as a record stored it (`CustomerItem::guard_claim`).
    pub(crate) fn from_stored(key: &str) -> Self {
        Self(key.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A claim to write, and the id a live claim on the same key may still hold for it to be taken
/// over: the duplicate guard's claim on a record that has since been deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClaim {
    pub item: ClaimItem,
    pub replaces: Option<u64>,
}

impl NewClaim {
    /// A create guard's claim on `key` for the record `result`, live until `expires_at`; it
    /// takes over a live claim that still holds `replaces` (a record since deleted).
    pub fn guard(
        key: &ClaimKey,
        result: u64,
        fingerprint: &str,
        expires_at: i64,
        replaces: Option<u64>,
    ) -> Self {
        Self {
            item: ClaimItem {
                claim: key.0.clone(),
                result,
                fingerprint: Some(fingerprint.to_owned()),
                expires_at: Some(expires_at),
            },
            replaces,
        }
    }

    /// The never-expiring claim of a service's username.
    pub(crate) fn username(key: ClaimKey, service: u64) -> Self {
        Self::from(ClaimItem {
            claim: key.0,
            result: service,
            fingerprint: None,
            expires_at: None,
        })
    }
}

impl From<ClaimItem> for NewClaim {
    fn from(item: ClaimItem) -> Self {
        Self {
            item,
            replaces: None,
        }
    }
}

impl Store {
    /// Reads a claim. `consistent` after a refused transaction, to see what won.
    pub async fn get_claim(
        &self,
        key: &str,
        consistent: bool,
    ) -> Result<Option<ClaimItem>, StoreError> {
        self.read_by_key(&self.tables.claims, "claim", s(key), consistent)
            .await
    }

    /// A transaction item writing `claim` unless a live claim holds the key (one whose TTL
    /// has passed but that DynamoDB has not yet removed counts as free, and so does one that
    /// holds `claim.replaces`).
    pub(crate) fn claim_put(
        &self,
        claim: &NewClaim,
        now: i64,
    ) -> Result<TransactWriteItem, StoreError> {
        let item: Item = super::records::to_item(&claim.item)?;
        let mut condition = "attribute_not_exists(claim) OR expires_at <= :now".to_owned();
        let mut put = Put::builder()
            .table_name(&self.tables.claims)
            .set_item(Some(item))
            .expression_attribute_values(":now", n(u64::try_from(now).unwrap_or(0)));
        if let Some(stale) = claim.replaces {
            condition.push_str(" OR #r = :stale");
            put = put
                .expression_attribute_names("#r", "result")
                .expression_attribute_values(":stale", n(stale));
        }
        let put = put
            .condition_expression(condition)
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A transaction item releasing a claim held for record `owner`.
    pub(crate) fn claim_release(
        &self,
        key: &str,
        owner: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.claims)
            .key("claim", s(key))
            .condition_expression("#r = :owner")
            .expression_attribute_names("#r", "result")
            .expression_attribute_values(":owner", n(owner))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }
}

/// crm-admin's import: which usernames of a file are already claimed.
impl Store {
    /// Which of `usernames` (ISP, folded username) a live claim holds at `now` (epoch
    /// seconds): one batch read.
    pub async fn usernames_in_use(
        &self,
        usernames: &[(IspId, String)],
        now: i64,
    ) -> Result<HashSet<(IspId, String)>, StoreError> {
        let by_key: HashMap<String, &(IspId, String)> = usernames
            .iter()
            .map(|u| (ClaimKey::username(u.0, &u.1).0, u))
            .collect();
        let keys: Vec<String> = by_key.keys().cloned().collect();
        Ok(self
            .get_claims(&keys)
            .await?
            .into_iter()
            .filter(|c| c.is_live(now))
            .filter_map(|c| by_key.get(&c.claim).map(|u| (*u).clone()))
            .collect())
    }
}

/// A page of one of the claims table's sparse indexes (restorable copies, history entries).
pub(super) struct IndexPage {
    pub items: Vec<Item>,
    /// Read units, computed from the returned bytes.
    pub units: f64,
    /// DynamoDB stopped at `limit` (more may follow).
    pub more: bool,
}

impl Store {
    /// Up to `limit` items of one partition of a claims index, newest (highest sort key)
    /// first, after the item whose sort key is `before` (a page's last). One Query.
    pub(super) async fn claims_newest_first(
        &self,
        (index, (pk, sk)): (&str, (&str, &str)),
        partition: AttributeValue,
        before: Option<&str>,
        limit: i32,
    ) -> Result<IndexPage, StoreError> {
        let mut q = self
            .client
            .query()
            .table_name(&self.tables.claims)
            .index_name(index)
            .expression_attribute_names("#pk", pk)
            .expression_attribute_values(":pk", partition)
            .scan_index_forward(false)
            .limit(limit)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        q = match before {
            Some(before) => q
                .key_condition_expression("#pk = :pk AND #sk < :before")
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":before", s(before)),
            None => q.key_condition_expression("#pk = :pk"),
        };
        let out = q.send().await?;
        capacity::record(capacity::Kind::Read, out.consumed_capacity());
        Ok(IndexPage {
            units: capacity::computed_read(out.items(), false),
            more: out.last_evaluated_key.is_some(),
            items: out.items.unwrap_or_default(),
        })
    }
}
