//! Create, update and delete.

use super::replay::{Created, secs};
use super::{App, AppError};
use crate::domain::credentials::PortalPassword;
use crate::domain::customer::{CustomerFields, CustomerUpdate};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::scope::{Caller, PlacementRequest};
use crate::domain::{DomainError, Fields};
use crate::store::customers::{CustomerDelete, CustomerInsert, CustomerWrite};
use crate::store::patch::Patch;
use crate::store::records::CustomerItem;
use crate::store::restorable::{CustomerRestore, Keep};
use std::net::IpAddr;

impl App {
    /// Creates a customer and returns its new id. Everything is checked before anything is
    /// written. The id counter is the only write outside the record's transaction (an id may
    /// be skipped, never reused). A retry the guard recognises (idempotency key, or the same
    /// request within the duplicate window) returns the first id and writes nothing.
    pub async fn create_customer(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<Created<CustomerId>, AppError> {
        self.create_customer_from(caller, f, None).await
    }

    /// `create_customer` from a known source address: a form key's creates count against
    /// its limits, per key and per source (`FORM_LIMIT_*`); replays count nothing.
    pub async fn create_customer_from(
        &self,
        caller: &Caller,
        f: &impl Fields,
        source: Option<IpAddr>,
    ) -> Result<Created<CustomerId>, AppError> {
        let request = PlacementRequest::new(
            caller.scope,
            f.parse_opt("ispid", IspId::parse)?,
            f.parse_opt("resellerid", ResellerId::parse)?,
        )?;
        let fields = CustomerFields::parse_create(f, self.today())?;
        let mut guard = self.guard(caller, "customer/create", f)?;
        let exists = |id| async move {
            Ok(self
                .store
                .get_customer_latest(CustomerId(id))
                .await?
                .is_some())
        };
        if let Some(done) = self.replay(&mut guard, exists).await? {
            return Ok(Created::replayed(CustomerId(done)));
        }
        let reseller_isp = match request.needs_lookup() {
            true => self.reseller_isp(request.reseller).await?,
            false => None,
        };
        let placement = request.confirm(reseller_isp)?;
        let zone = self.zone_of(placement.isp).await?;
        let now = self.now();
        let limits = self.form_limits.windows(caller, source, self.epoch());
        // A refused transaction writes nothing: its id is kept for the next attempt.
        let mut id = self.store.next_customer_id().await?;
        let mut tries = self.attempts("customer create", 1);
        while tries.next().await? {
            let (fields, now) = (fields.clone(), now.clone());
            let mut item = CustomerItem::new(id, placement, fields, now, caller.actor(), &zone);
            if let Some((key, until)) = guard.as_ref().map(|g| g.recorded()) {
                (item.guard_claim, item.guard_until) = (Some(key), Some(until));
            }
            let claims: Vec<_> = guard.iter().map(|g| g.claim(id.get())).collect();
            let stamp = self.stamp(caller, &item.audit.created_at);
            let outcome = self
                .store
                .insert_customer_claiming(&item, &claims, &limits, self.epoch(), stamp.as_ref())
                .await?;
            match (outcome, &guard) {
                (CustomerInsert::Written, _) => return Ok(Created::new(id)),
                (CustomerInsert::IdTaken, _) => {
                    tracing::error!(
                        customer_id = id.get(),
                        "allocated customer id already in use"
                    );
                    id = self.store.next_customer_id().await?;
                }
                // The guard's claim is taken: a duplicate won the race; answer with its id.
                (CustomerInsert::ClaimTaken, Some(g)) => {
                    if let Some(done) = self.settle(g).await? {
                        return Ok(Created::replayed(CustomerId(done)));
                    }
                }
                (CustomerInsert::LimitReached(i), _) => {
                    return Err(self.form_limits.refusal(limits.get(i), self.epoch()));
                }
                // A transaction on the same claim was in flight: see who won, else retry.
                (_, g) => {
                    if let Some(done) = self.after_conflict(g.as_ref(), &tries).await? {
                        return Ok(Created::replayed(CustomerId(done)));
                    }
                }
            }
        }
        Err(tries.exhausted())
    }

    /// Applies an update; returns the new portal password when one was reset.
    pub async fn update_customer(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<Option<String>, AppError> {
        let update = CustomerUpdate::parse(f, self.today())?;
        let password = match update.reset_password {
            // argon2id is deliberately slow: keep it off the async workers.
            true => Some(
                tokio::task::spawn_blocking(PortalPassword::generate)
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))??,
            ),
            false => None,
        };
        let hash = password.as_ref().map(|p| p.hash.clone());
        let now = self.now();
        let patch = Patch::customer(&update, &now, hash, caller.actor());
        let stamp = self.stamp(caller, &now);
        // A change of a counted field is a read and a transaction; another write to those
        // fields in between refuses it (Busy), and it is tried again on a fresh read.
        let mut tries = self.attempts("customer update", 2);
        while tries.next().await? {
            match self
                .store
                .update_customer(update.customerid, &caller.scope, &patch, stamp.as_ref())
                .await?
            {
                CustomerWrite::Written => return Ok(password.map(|p| p.clear)),
                CustomerWrite::NotFound => {
                    return Err(DomainError::NotFound("customerid").into());
                }
                CustomerWrite::Busy => {}
            }
        }
        Err(tries.exhausted())
    }

    /// Deletes a customer in the caller's scope, unless it still has services (409: delete
    /// them first; the check and the delete are one conditional write).
    pub async fn delete_customer(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let id = f.parse_req("customerid", CustomerId::parse)?;
        let now = self.now();
        let keep = (!self.restore_window.is_zero()).then(|| Keep {
            expires_at: self.epoch() + secs(self.restore_window),
            deleted_at: now.clone(),
            by: caller.actor(),
        });
        let stamp = self.stamp(caller, &now);
        // Each attempt is a read and a transaction.
        let mut tries = self.attempts("customer delete", 2);
        while tries.next().await? {
            match self
                .store
                .delete_customer(
                    id,
                    &caller.scope,
                    keep.as_ref(),
                    self.epoch(),
                    stamp.as_ref(),
                )
                .await?
            {
                CustomerDelete::Deleted => return Ok(()),
                CustomerDelete::NotFound => return Err(DomainError::NotFound("customerid").into()),
                // Its last service went between the refused delete and the read, or a
                // transaction on the customer was in flight: try again.
                CustomerDelete::HasServices(0) | CustomerDelete::Busy => {}
                CustomerDelete::HasServices(n) => {
                    return Err(DomainError::Conflict(format!(
                        "customerid: the customer still has {n} service(s); delete them first"
                    ))
                    .into());
                }
            }
        }
        Err(tries.exhausted())
    }

    /// Brings back a deleted customer under its id, in the caller's scope (as delete's): 404
    /// when there is nothing to restore (never deleted, erased, or past `RESTORE_DAYS`), 409
    /// when it is live or a create of the same request took its duplicate guard meanwhile.
    pub async fn restore_customer(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let id = f.parse_req("customerid", CustomerId::parse)?;
        // Each attempt is a read and a transaction.
        let mut tries = self.attempts("customer restore", 2);
        while tries.next().await? {
            let now = self.now();
            let stamp = self.stamp(caller, &now);
            let outcome = self
                .store
                .restore_customer(
                    id,
                    &caller.scope,
                    self.epoch(),
                    &now,
                    caller.actor(),
                    stamp.as_ref(),
                )
                .await?;
            match outcome {
                CustomerRestore::Restored => return Ok(()),
                CustomerRestore::NotFound => {
                    return Err(DomainError::NotFound("customerid").into());
                }
                CustomerRestore::Live => {
                    return Err(DomainError::Conflict(
                        "customerid: the customer is not deleted; nothing to restore".into(),
                    )
                    .into());
                }
                CustomerRestore::GuardTaken(other) => {
                    return Err(DomainError::Conflict(format!(
                        "customerid: customer {other} was created from the same request since \
                         this one was deleted (duplicate guard, DUPLICATE_WINDOW_SECONDS); \
                         delete it first to restore this one"
                    ))
                    .into());
                }
                CustomerRestore::Busy => {}
            }
        }
        Err(tries.exhausted())
    }
}
