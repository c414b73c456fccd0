//! Claims on unique values (service usernames, idempotency keys, recent creates).

use super::records::ClaimItem;
use super::{Item, Store, StoreError, n, s};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

/// A claim to write, and the id a live claim on the same key may still hold for it to be taken
/// over: the duplicate guard's claim on a record that has since been deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClaim {
    pub item: ClaimItem,
    pub replaces: Option<u64>,
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
        let item: Item = serde_dynamo::to_item(&claim.item)?;
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
