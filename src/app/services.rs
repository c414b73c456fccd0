//! Services of customers: create, update, delete. A service lives where its customer does
//! (same ISP and reseller), so the customer's scope decides who may touch it.

use super::replay::Created;
use super::{App, AppError};
use crate::domain::ids::{CustomerId, ServiceId};
use crate::domain::scope::{Caller, Placement};
use crate::domain::service::{ServiceFields, ServiceUpdate};
use crate::domain::{DomainError, Fields};
use crate::store::records::{CustomerItem, ServiceItem};
use crate::store::services::{ServiceInsert, ServiceWrite};

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
        let customer = self.customer_in_scope(caller, fields.customerid).await?;
        let placement = Placement {
            isp: customer.ispid,
            reseller: customer.resellerid,
        };
        let now = self.now();
        // A refused transaction writes nothing: its id is kept for the next attempt.
        let mut id = self.store.next_service_id().await?;
        let mut tries = self.attempts("service create", 1);
        while tries.next().await? {
            let mut item =
                ServiceItem::new(id, placement, fields.clone(), now.clone(), caller.actor());
            item.guard_claim = guard.as_ref().map(|g| g.recorded().0);
            item.history_seal_key.clone_from(&customer.history_seal_key);
            let claims: Vec<_> = guard.iter().map(|g| g.claim(id.get())).collect();
            let stamp = self.stamp(caller, &now);
            let outcome = self
                .store
                .insert_service(&item, &claims, self.epoch(), stamp.as_ref())
                .await?;
            match (outcome, &guard) {
                (ServiceInsert::Written, _) => return Ok(Created::new(id)),
                (ServiceInsert::CustomerGone, _) => {
                    return Err(DomainError::NotFound("customerid").into());
                }
                // A duplicate won the race (and took the username): answer with its id.
                (ServiceInsert::ClaimTaken, Some(g)) => {
                    if let Some(done) = self.settle(g).await? {
                        return Ok(Created::replayed(ServiceId(done)));
                    }
                }
                (ServiceInsert::UsernameTaken, _) => return Err(username_taken()),
                (ServiceInsert::IdTaken, _) => {
                    tracing::error!(service_id = id.get(), "allocated service id already in use");
                    id = self.store.next_service_id().await?;
                }
                // A concurrent transaction on the same items (the customer's count, a claim):
                // see whether a duplicate won, else try again shortly.
                (_, g) => {
                    if let Some(done) = self.after_conflict(g.as_ref(), &tries).await? {
                        return Ok(Created::replayed(ServiceId(done)));
                    }
                }
            }
        }
        Err(tries.exhausted())
    }

    /// A customer in the caller's scope, as stored (404 for one outside it).
    async fn customer_in_scope(
        &self,
        caller: &Caller,
        id: CustomerId,
    ) -> Result<CustomerItem, AppError> {
        self.store
            .get_customer_latest(id)
            .await?
            .filter(|c| caller.scope.permits(c.ispid, c.resellerid))
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
        // Each attempt is a read and a write.
        let mut tries = self.attempts("service update", 2);
        while tries.next().await? {
            let current = self.service_in_scope(caller, update.serviceid).await?;
            let now = self.now();
            let stamp = self.stamp(caller, &now);
            let outcome = self
                .store
                .update_service(
                    &current,
                    &caller.scope,
                    &update,
                    &now,
                    caller.actor(),
                    stamp.as_ref(),
                )
                .await?;
            match outcome {
                ServiceWrite::Written => return Ok(()),
                ServiceWrite::UsernameTaken => return Err(username_taken()),
                // The service changed (or went) since it was read, or a transaction on it was
                // in flight: read it again.
                ServiceWrite::Stale => {}
            }
        }
        Err(tries.exhausted())
    }

    pub async fn delete_service(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let id = f.parse_req("serviceid", ServiceId::parse)?;
        let mut tries = self.attempts("service delete", 2);
        while tries.next().await? {
            let current = self.service_in_scope(caller, id).await?;
            let stamp = self.stamp(caller, &self.now());
            let outcome = self
                .store
                .delete_service(&current, &caller.scope, stamp.as_ref())
                .await?;
            if outcome == ServiceWrite::Written {
                return Ok(());
            }
        }
        Err(tries.exhausted())
    }
}
