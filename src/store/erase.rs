//! Erasure of one customer (`customer/erase`): everything `dossier.rs` finds goes, in two
//! transactions. The first overwrites the customer (or, deleted, writes in its place) and its
//! services with stubs that hold ids only (`erased_at`), removes its restorable copy, its
//! services' username claims and its create's guard claim, and takes a live customer from its
//! counts; the second deletes the stubs. The streams thus carry no personal data after the
//! erase begins: the customer's stub is the `Customer Erased` event (`events::erased`).
//! Between the two, its history loses every value (`history::scrub_history`).

use super::conditions::{Condition, Conditional};
use super::counts::{Deltas, Tally};
use super::dossier::HeldClaimKind;
use super::keys::claim;
use super::records::ServiceItem;
use super::transact::TxOutcome;
use super::{Item, Store, StoreError, n, s};
use crate::domain::ids::{CustomerId, IspId, ResellerId, ServiceId};
use crate::domain::scope::{Actor, Scope};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

/// A transaction holds at most 100 items: the customer, two per service, its guard claim, its
/// copy and seven count items leave room for 45 services.
pub const MAX_SERVICES: usize = 45;

/// What an erase removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub customerid: CustomerId,
    pub ispid: IspId,
    pub resellerid: ResellerId,
    /// `live`, `deleted` (its restorable copy), or `erased` (an erase that stopped after its
    /// first step, finished now).
    pub was: &'static str,
    pub services: Vec<ServiceId>,
    /// The kinds of the claims removed (`duplicate_guard`, `idempotency_key`, `username`).
    pub claims: Vec<&'static str>,
    /// History entries whose values were removed.
    pub history: usize,
}

/// What an erase did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraseOutcome {
    Erased(Erased),
    /// Nothing held in the caller's scope.
    NotFound,
    /// Refused: it has services and they were not to be erased.
    HasServices(usize),
    TooManyServices(usize),
    /// Another write changed it meanwhile: read again and retry.
    Busy,
}

fn tx_put(table: &str, item: Item, condition: Condition) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition(condition)
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn tx_delete(
    table: &str,
    key: (&str, aws_sdk_dynamodb::types::AttributeValue),
    condition: Option<Condition>,
) -> Result<TransactWriteItem, StoreError> {
    let mut delete = Delete::builder().table_name(table).key(key.0, key.1);
    if let Some(c) = condition {
        delete = delete.condition(c);
    }
    let delete = delete
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

fn stub(id: u64, at: &str) -> Item {
    Item::from([("id".to_owned(), n(id)), ("erased_at".to_owned(), s(at))])
}

fn cond(
    expr: &str,
    values: Vec<(&'static str, aws_sdk_dynamodb::types::AttributeValue)>,
) -> Condition {
    Condition {
        expr: expr.to_owned(),
        names: Vec::new(),
        values,
    }
}

impl Store {
    /// Erases customer `id` in `scope` (and its services when `with_services`): reads what
    /// is held (`holdings`), then the two transactions. `Busy` when the first is refused (a
    /// write in between): read again and retry.
    pub async fn erase_customer(
        &self,
        id: CustomerId,
        scope: &Scope,
        with_services: bool,
        at: &str,
        by: Actor,
    ) -> Result<EraseOutcome, StoreError> {
        match self.finish_stubs(id, scope).await? {
            Some(Some(done)) => return Ok(EraseOutcome::Erased(done)),
            Some(None) => return Ok(EraseOutcome::NotFound),
            None => {}
        }
        let held = self.holdings(id).await?;
        let Some(record) = held
            .record()
            .filter(|c| scope.permits(c.ispid, c.resellerid))
            .cloned()
        else {
            return Ok(EraseOutcome::NotFound);
        };
        let services = &held.services;
        if !services.is_empty() && !with_services {
            return Ok(EraseOutcome::HasServices(services.len()));
        }
        if services.len() > MAX_SERVICES {
            return Ok(EraseOutcome::TooManyServices(services.len()));
        }
        let mut customer_stub = stub(id.get(), at);
        customer_stub.insert("erased_ispid".into(), n(record.ispid.get()));
        customer_stub.insert("erased_resellerid".into(), n(record.resellerid.get()));
        customer_stub.insert("erased_by".into(), s(by.label()));
        let ids: Vec<String> = services.iter().map(|s| s.id.get().to_string()).collect();
        if !ids.is_empty() {
            customer_stub.insert("erased_services".into(), s(ids.join(",")));
        }
        let mut items = Vec::new();
        let live = held.customer.is_some();
        if live {
            // In scope, and its services as read (a service created meanwhile refuses it).
            let count = services.len() as u64;
            // And counted as read: its counts are taken from what was read.
            let condition = Condition::within(scope)
                .and(
                    match count {
                        0 => "attribute_not_exists(service_count) OR service_count = :count",
                        _ => "service_count = :count",
                    },
                    vec![(":count", n(count))],
                )
                .and_also(Tally::of(&record).condition());
            items.push(tx_put(&self.tables.customers, customer_stub, condition)?);
        } else {
            items.push(tx_put(
                &self.tables.customers,
                customer_stub,
                cond("attribute_not_exists(id)", vec![]),
            )?);
        }
        if held.copy.is_some() {
            items.push(tx_delete(
                &self.tables.claims,
                ("claim", s(claim::deleted(id))),
                Some(cond("attribute_exists(claim)", vec![])),
            )?);
        }
        for service in services {
            items.push(self.service_stub(service, at)?);
        }
        let mut claims = Vec::new();
        for c in &held.claims {
            let delete = Delete::builder()
                .table_name(&self.tables.claims)
                .key("claim", s(c.key.as_str()))
                .condition_expression("#r = :owner")
                .expression_attribute_names("#r", "result")
                .expression_attribute_values(":owner", n(c.result))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            items.push(TransactWriteItem::builder().delete(delete).build());
            claims.push(match c.kind {
                HeldClaimKind::DuplicateGuard { .. } => "duplicate_guard",
                HeldClaimKind::IdempotencyKey { .. } => "idempotency_key",
                HeldClaimKind::Username { .. } => "username",
                HeldClaimKind::ServiceGuard { .. } => "duplicate_guard",
                HeldClaimKind::ServiceIdempotencyKey { .. } => "idempotency_key",
            });
        }
        if live {
            let mut deltas = Deltas::default();
            deltas.add(&Tally::of(&record), -1);
            items.extend(self.count_updates(deltas)?);
        }
        if let TxOutcome::Refused { .. } = self.transact(items).await? {
            return Ok(EraseOutcome::Busy);
        }
        let service_ids: Vec<ServiceId> = services.iter().map(|s| s.id).collect();
        // Before the stubs go: an erase that stops here is finished by its retry.
        let history = self.scrub_history(id, at).await?;
        self.remove_stubs(id, &service_ids).await?;
        // No value of the erased customer stays in a count item's key.
        self.drop_empty(&Tally::of(&record).value_items()).await?;
        Ok(EraseOutcome::Erased(Erased {
            customerid: id,
            ispid: record.ispid,
            resellerid: record.resellerid,
            was: if live { "live" } else { "deleted" },
            services: services.iter().map(|s| s.id).collect(),
            claims,
            history,
        }))
    }

    /// A service's stub, on condition that it is still the customer's.
    fn service_stub(
        &self,
        service: &ServiceItem,
        at: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        tx_put(
            &self.tables.services,
            stub(service.id.get(), at),
            cond(
                "customerid = :customer",
                vec![(":customer", n(service.customerid.get()))],
            ),
        )
    }

    /// An earlier erase of `id` whose second step failed left its stubs: they go now.
    /// `None`: no stub; `Some(None)`: a stub outside `scope`.
    async fn finish_stubs(
        &self,
        id: CustomerId,
        scope: &Scope,
    ) -> Result<Option<Option<Erased>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.customers)
            .key("id", n(id.get()))
            .consistent_read(true)
            .send()
            .await?;
        let Some(stub) = out.item.filter(|i| i.contains_key("erased_at")) else {
            return Ok(None);
        };
        let number = |attr: &str| match stub.get(attr) {
            Some(AttributeValue::N(v)) => v.parse::<u64>().ok(),
            _ => None,
        };
        let (Some(isp), Some(reseller)) = (number("erased_ispid"), number("erased_resellerid"))
        else {
            return Err(StoreError::Corrupt(format!(
                "customer {id}: a stub without its ids"
            )));
        };
        let (ispid, resellerid) = (IspId(isp), ResellerId(reseller));
        if !scope.permits(ispid, resellerid) {
            return Ok(Some(None));
        }
        let services: Vec<ServiceId> = match stub.get("erased_services") {
            Some(AttributeValue::S(ids)) => ids
                .split(',')
                .filter_map(|v| v.trim().parse().ok())
                .map(ServiceId)
                .collect(),
            _ => Vec::new(),
        };
        let at = match stub.get("erased_at") {
            Some(AttributeValue::S(at)) => at.clone(),
            _ => crate::domain::audit::now(),
        };
        let history = self.scrub_history(id, &at).await?;
        self.remove_stubs(id, &services).await?;
        Ok(Some(Some(Erased {
            customerid: id,
            ispid,
            resellerid,
            was: "erased",
            services,
            claims: Vec::new(),
            history,
        })))
    }

    /// The second transaction: the stubs go (only stubs: `erased_at` is their mark).
    async fn remove_stubs(&self, id: CustomerId, services: &[ServiceId]) -> Result<(), StoreError> {
        let mark = || Some(cond("attribute_exists(erased_at)", vec![]));
        let mut items = vec![tx_delete(
            &self.tables.customers,
            ("id", n(id.get())),
            mark(),
        )?];
        for service in services {
            items.push(tx_delete(
                &self.tables.services,
                ("id", n(service.get())),
                mark(),
            )?);
        }
        match self.transact(items).await? {
            TxOutcome::Written => Ok(()),
            TxOutcome::Refused { .. } => Err(StoreError::Other(format!(
                "customer {id}: its erased stubs could not be removed; erase it again"
            ))),
        }
    }
}
