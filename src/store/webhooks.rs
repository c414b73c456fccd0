//! Tenant webhooks' endpoints in the claims table (`keys::webhook`): one method per access
//! pattern. The secret is stored sealed (`app::signup::sealed`), never in clear.

use super::keys::webhook;
use super::transact::TxOutcome;
use super::{Item, Store, StoreError, capacity, conditional_write, n, s};
use crate::domain::ids::{IspId, ResellerId};
use crate::domain::webhook::Endpoint;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, ReturnConsumedCapacity, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

/// What an endpoint's create did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookInsert {
    Written,
    /// Its ISP has the most endpoints it may have.
    Full,
    /// The new id was taken (never, but for a broken random source).
    IdTaken,
}

/// An endpoint as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointItem {
    pub claim: String,
    /// The index partition: `isp|<ispid>`.
    pub hook_of: String,
    pub hook_key: String,
    pub id: String,
    pub ispid: IspId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resellerid: Option<ResellerId>,
    pub url: String,
    pub types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    /// `v1.<base64>`: sealed under `webhook:<id>`.
    pub secret: String,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl EndpointItem {
    /// The item's keys for endpoint `id` of `isp`, created at `created_micros`
    /// (RFC 3339 with microseconds): `(claim, hook_of, hook_key)`.
    pub fn keys(id: &str, isp: IspId, created_micros: &str) -> (String, String, String) {
        (
            webhook::endpoint(id),
            webhook::of_isp(isp),
            webhook::sort_key(created_micros, id),
        )
    }

    pub fn public(&self) -> Endpoint {
        Endpoint {
            id: self.id.clone(),
            ispid: self.ispid,
            resellerid: self.resellerid,
            url: self.url.clone(),
            types: self.types.clone(),
            description: self.description.clone(),
            enabled: self.enabled,
            disabled_reason: self.disabled_reason.clone(),
            failing_since: self.failing_since.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// What an update sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub types: Option<Vec<String>>,
    /// `Some(None)` removes the description.
    pub description: Option<Option<String>>,
    /// Enabling also forgets a failure streak and the reason of an automatic disable.
    pub enabled: Option<bool>,
    pub secret: Option<String>,
    pub updated_at: String,
    pub updated_by: String,
}

fn decode(item: Item) -> Result<EndpointItem, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(format!("webhook: {e}")))
}

impl Store {
    /// Writes a new endpoint; `false` if its id is taken.
    pub async fn insert_webhook(
        &self,
        e: &EndpointItem,
        max: usize,
    ) -> Result<WebhookInsert, StoreError> {
        let item: Item =
            serde_dynamo::to_item(e).map_err(|e| StoreError::Other(format!("webhook: {e}")))?;
        let put = super::transact::put_new_claim(&self.tables.claims, item)?;
        let count = Update::builder()
            .table_name(&self.tables.claims)
            .key("claim", s(webhook::count_of(e.ispid)))
            .update_expression("ADD endpoints :one")
            .condition_expression("attribute_not_exists(endpoints) OR endpoints < :max")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max as u64))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let items = vec![put, TransactWriteItem::builder().update(count).build()];
        Ok(match self.transact(items).await? {
            TxOutcome::Written => WebhookInsert::Written,
            o if o.failed(1) => WebhookInsert::Full,
            o if o.failed(0) => WebhookInsert::IdTaken,
            TxOutcome::Refused { .. } => {
                return Err(StoreError::Busy("webhook endpoints of one ISP".into()));
            }
        })
    }

    /// One endpoint, read consistently (an update or delete just made is seen).
    pub async fn get_webhook(&self, id: &str) -> Result<Option<EndpointItem>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.claims)
            .key("claim", s(webhook::endpoint(id)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(capacity::Kind::Read, out.consumed_capacity());
        out.item.map(decode).transpose()
    }

    /// Every endpoint of an ISP (its resellers' included): the fan-out's one Query per
    /// ISP (at most `MAX_PER_ISP` small items, a page or two).
    pub async fn webhooks_of(&self, isp: IspId) -> Result<Vec<EndpointItem>, StoreError> {
        let (index, (pk, _)) = webhook::INDEX;
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.tables.claims)
                .index_name(index)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", pk)
                .expression_attribute_values(":pk", s(webhook::of_isp(isp)))
                .set_exclusive_start_key(start)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await?;
            capacity::record(capacity::Kind::Read, out.consumed_capacity());
            for item in out.items.unwrap_or_default() {
                found.push(decode(item)?);
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// Deletes an endpoint; `false` if there was none.
    /// Deletes an endpoint of `isp` and takes it off the ISP's count; `false` if there is none.
    pub async fn delete_webhook(&self, id: &str, isp: IspId) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.claims)
            .key("claim", s(webhook::endpoint(id)))
            .condition_expression("attribute_exists(claim)")
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let count = Update::builder()
            .table_name(&self.tables.claims)
            .key("claim", s(webhook::count_of(isp)))
            .update_expression("SET endpoints = if_not_exists(endpoints, :one) - :one")
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        Ok(match self.transact(items).await? {
            TxOutcome::Written => true,
            o if o.failed(0) => false,
            TxOutcome::Refused { .. } => {
                return Err(StoreError::Busy("webhook endpoints of one ISP".into()));
            }
        })
    }

    /// Applies `change` to an existing endpoint; `false` if there is none. Every name is a
    /// placeholder (`type`-like words are reserved in DynamoDB's expressions).
    pub async fn update_webhook(&self, id: &str, c: &EndpointChange) -> Result<bool, StoreError> {
        let mut sets: Vec<(&str, AttributeValue)> = vec![
            ("updated_at", s(&c.updated_at)),
            ("updated_by", s(&c.updated_by)),
        ];
        let mut removes: Vec<&str> = Vec::new();
        if let Some(url) = &c.url {
            sets.push(("url", s(url)));
        }
        if let Some(types) = &c.types {
            let list = types.iter().map(|t| s(t.as_str())).collect();
            sets.push(("types", AttributeValue::L(list)));
        }
        match &c.description {
            Some(Some(d)) => sets.push(("description", s(d))),
            Some(None) => removes.push("description"),
            None => {}
        }
        if let Some(enabled) = c.enabled {
            sets.push(("enabled", AttributeValue::Bool(enabled)));
            if enabled {
                removes.extend(["disabled_reason", "failing_since"]);
            }
        }
        if let Some(secret) = &c.secret {
            sets.push(("secret", s(secret)));
        }
        let set_expr: Vec<String> = (0..sets.len()).map(|i| format!("#s{i} = :s{i}")).collect();
        let mut expr = format!("SET {}", set_expr.join(", "));
        if !removes.is_empty() {
            let names: Vec<String> = (0..removes.len()).map(|i| format!("#r{i}")).collect();
            expr.push_str(&format!(" REMOVE {}", names.join(", ")));
        }
        let mut q = self
            .client
            .update_item()
            .table_name(&self.tables.claims)
            .key("claim", s(webhook::endpoint(id)))
            .update_expression(expr)
            .condition_expression("attribute_exists(claim)")
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        for (i, (name, value)) in sets.into_iter().enumerate() {
            q = q
                .expression_attribute_names(format!("#s{i}"), name)
                .expression_attribute_values(format!(":s{i}"), value);
        }
        for (i, name) in removes.into_iter().enumerate() {
            q = q.expression_attribute_names(format!("#r{i}"), name);
        }
        conditional_write(q.send().await)
    }

    /// A failed delivery: starts the endpoint's failure streak unless one runs; answers
    /// when the streak began (`None`: the endpoint is gone).
    pub async fn webhook_failed(&self, id: &str, at: &str) -> Result<Option<String>, StoreError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.tables.claims)
            .key("claim", s(webhook::endpoint(id)))
            .update_expression("SET #fs = if_not_exists(#fs, :at)")
            .condition_expression("attribute_exists(claim)")
            .expression_attribute_names("#fs", "failing_since")
            .expression_attribute_values(":at", s(at))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => Ok(out
                .attributes
                .and_then(|mut a| a.remove("failing_since"))
                .and_then(|v| v.as_s().ok().cloned())),
            Err(e) if super::error::code_of(&e) == Some("ConditionalCheckFailedException") => {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A successful delivery ends the failure streak (one write only when one ran).
    pub async fn webhook_succeeded(&self, id: &str) -> Result<(), StoreError> {
        conditional_write(
            self.client
                .update_item()
                .table_name(&self.tables.claims)
                .key("claim", s(webhook::endpoint(id)))
                .update_expression("REMOVE #fs")
                .condition_expression("attribute_exists(#fs)")
                .expression_attribute_names("#fs", "failing_since")
                .send()
                .await,
        )
        .map(|_| ())
    }

    /// Disables an endpoint that kept failing; `false` if it was not enabled (already
    /// disabled, or gone): the notice is sent once.
    pub async fn disable_failing_webhook(
        &self,
        id: &str,
        reason: &str,
        at: &str,
    ) -> Result<bool, StoreError> {
        conditional_write(
            self.client
                .update_item()
                .table_name(&self.tables.claims)
                .key("claim", s(webhook::endpoint(id)))
                .update_expression("SET #en = :f, #why = :why, #at = :at, #by = :by")
                .condition_expression("#en = :t")
                .expression_attribute_names("#en", "enabled")
                .expression_attribute_names("#why", "disabled_reason")
                .expression_attribute_names("#at", "updated_at")
                .expression_attribute_names("#by", "updated_by")
                .expression_attribute_values(":f", AttributeValue::Bool(false))
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .expression_attribute_values(":why", s(reason))
                .expression_attribute_values(":at", s(at))
                .expression_attribute_values(":by", s("webhook-delivery"))
                .send()
                .await,
        )
    }
}
