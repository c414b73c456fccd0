//! Services of customers: create, update, delete. A service lives where its customer does
//! (same ISP and reseller), so the customer's scope decides who may touch it.

use super::replay::Created;
use super::{App, AppError};
use crate::domain::ids::{CustomerId, ServiceId};
use crate::domain::scope::{Caller, Placement};
use crate::domain::service::{ServiceFields, ServiceUpdate};
use crate::domain::{DomainError, Fields};
use crate::store::keys::claim;
use crate::store::records::{ClaimItem, ServiceItem};
use crate::store::services::create_tx;
use crate::store::{StoreError, TxOutcome};

/// Conflicts with concurrent transactions are short; the bound only guards against a stuck item.
const ATTEMPTS: u32 = 5;

fn username_taken() -> AppError {
    DomainError::Conflict("username: already in use in this ISP".into()).into()
}

impl App {
    /// Creates a service of a customer in the caller's scope; returns its new id.
    /// The username claim, the customer's service count and the record are one transaction.
    pub async fn create_service(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<Created<ServiceId>, AppError> {
        let fields = ServiceFields::parse_create(f)?;
        let mut guard = self.guard(caller, "service/create", f)?;
        let exists =
            |id| async move { Ok(self.store.get_service(ServiceId(id), true).await?.is_some()) };
        if let Some(done) = self.replay(&mut guard, exists).await? {
            return Ok(Created::replayed(ServiceId(done)));
        }
        let placement = self.customer_placement(caller, fields.customerid).await?;
        let now = self.now();
        let username = claim::username(placement.isp, &fields.username.folded());
        // A refused transaction writes nothing: its id is kept for the next attempt.
        let mut id = self.store.next_service_id().await?;
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                self.again(attempt, 1, "service create").await?;
            }
            let item = ServiceItem::new(id, placement, fields.clone(), now.clone(), caller.actor());
            let username = ClaimItem {
                claim: username.clone(),
                result: id.get(),
                fingerprint: None,
                expires_at: None,
            };
            let claims: Vec<_> = guard.iter().map(|g| g.claim(id.get())).collect();
            let outcome = self
                .store
                .insert_service(&item, &username, &claims, self.epoch())
                .await?;
            let guard_failed = claims
                .iter()
                .enumerate()
                .any(|(i, _)| outcome.failed(create_tx::CLAIMS + i));
            match (outcome, &guard) {
                (TxOutcome::Written, _) => return Ok(Created::new(id)),
                (o, _) if o.failed(create_tx::CUSTOMER) => {
                    return Err(DomainError::NotFound("customerid").into());
                }
                // A duplicate won the race (and took the username): answer with its id.
                (_, Some(g)) if guard_failed => {
                    if let Some(done) = self.settle(g).await? {
                        return Ok(Created::replayed(ServiceId(done)));
                    }
                }
                (o, _) if o.failed(create_tx::USERNAME) => return Err(username_taken()),
                (o, _) if o.failed(create_tx::SERVICE) => {
                    tracing::error!(service_id = id.get(), "allocated service id already in use");
                    id = self.store.next_service_id().await?;
                }
                // A concurrent transaction on the same items (the customer's count, a claim):
                // see whether a duplicate won, else try again shortly.
                (_, g) => {
                    if let Some(g) = g {
                        self.again(attempt, 1, "service create").await?;
                        if let Some(done) = self.peek(g).await? {
                            return Ok(Created::replayed(ServiceId(done)));
                        }
                    }
                }
            }
        }
        Err(
            StoreError::Busy("service create: kept conflicting with concurrent writes".into())
                .into(),
        )
    }

    /// Where a customer in the caller's scope is (404 for one outside it).
    async fn customer_placement(
        &self,
        caller: &Caller,
        id: CustomerId,
    ) -> Result<Placement, AppError> {
        self.store
            .get_customer_latest(id)
            .await?
            .filter(|c| caller.scope.permits(c.ispid, c.resellerid))
            .map(|c| Placement {
                isp: c.ispid,
                reseller: c.resellerid,
            })
            .ok_or_else(|| DomainError::NotFound("customerid").into())
    }

    /// A service in the caller's scope (404 for one outside it).
    async fn service_in_scope(
        &self,
        caller: &Caller,
        id: ServiceId,
    ) -> Result<ServiceItem, AppError> {
        self.store
            .get_service(id, true)
            .await?
            .filter(|s| caller.scope.permits(s.ispid, s.resellerid))
            .ok_or_else(|| DomainError::NotFound("serviceid").into())
    }

    pub async fn update_service(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let update = ServiceUpdate::parse(f)?;
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                // A read and a write again.
                self.again(attempt, 2, "service update").await?;
            }
            let current = self.service_in_scope(caller, update.serviceid).await?;
            let outcome = self
                .store
                .update_service(
                    &current,
                    &caller.scope,
                    &update,
                    &self.now(),
                    caller.actor(),
                )
                .await?;
            match outcome {
                TxOutcome::Written => return Ok(()),
                // Position 2 is the new username's claim.
                o if o.failed(2) => return Err(username_taken()),
                // The service changed (or went) since it was read, or a transaction on it was
                // in flight: read it again.
                _ => {}
            }
        }
        Err(
            StoreError::Busy("service update: kept conflicting with concurrent writes".into())
                .into(),
        )
    }

    pub async fn delete_service(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let id = f.parse_req("serviceid", ServiceId::parse)?;
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                self.again(attempt, 2, "service delete").await?;
            }
            let current = self.service_in_scope(caller, id).await?;
            if self.store.delete_service(&current, &caller.scope).await? == TxOutcome::Written {
                return Ok(());
            }
        }
        Err(
            StoreError::Busy("service delete: kept conflicting with concurrent writes".into())
                .into(),
        )
    }
}
