//! Create, update and delete.

use super::{App, AppError};
use crate::domain::credentials::PortalPassword;
use crate::domain::customer::{CustomerFields, CustomerUpdate};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::scope::{Caller, PlacementRequest};
use crate::domain::{DomainError, Fields};
use crate::store::customers::{CustomerDelete, Patch};
use crate::store::records::CustomerItem;

/// Allocated ids are never taken and conflicts are short: the bound only guards against a
/// broken counter or a stuck item.
const ATTEMPTS: usize = 3;

impl App {
    /// Creates a customer and returns its new id. Everything is checked before anything is
    /// written; the only write besides the record is the id counter (an id may be skipped
    /// if the record write then fails, never reused).
    pub async fn create_customer(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<CustomerId, AppError> {
        let request = PlacementRequest::new(
            caller.scope,
            f.parse_opt("ispid", IspId::parse)?,
            f.parse_opt("resellerid", ResellerId::parse)?,
        )?;
        let fields = CustomerFields::parse_create(f, self.today())?;
        let reseller_isp = match request.needs_lookup() {
            true => self.reseller_isp(request.reseller).await?,
            false => None,
        };
        let placement = request.confirm(reseller_isp)?;
        let now = self.now();
        for _ in 0..ATTEMPTS {
            let id = self.store.next_customer_id().await?;
            let item = CustomerItem::new(id, placement, fields.clone(), now.clone());
            if self.store.insert_customer(&item).await? {
                return Ok(id);
            }
            tracing::error!(
                customer_id = id.get(),
                "allocated customer id already in use"
            );
        }
        Err(AppError::Internal(
            "the customer id counter hands out ids in use".into(),
        ))
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
        let patch = Patch::customer(&update, &self.now(), hash);
        if !self
            .store
            .update_customer(update.customerid, &caller.scope, &patch)
            .await?
        {
            return Err(DomainError::NotFound("customerid").into());
        }
        Ok(password.map(|p| p.clear))
    }

    /// Deletes a customer in the caller's scope, unless it still has services (409: delete
    /// them first; the check and the delete are one conditional write).
    pub async fn delete_customer(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let id = f.parse_req("customerid", CustomerId::parse)?;
        for _ in 0..ATTEMPTS {
            match self.store.delete_customer(id, &caller.scope).await? {
                CustomerDelete::Deleted => return Ok(()),
                CustomerDelete::NotFound => return Err(DomainError::NotFound("customerid").into()),
                // Its last service went between the refused delete and the read: try again.
                CustomerDelete::HasServices(0) => continue,
                CustomerDelete::HasServices(n) => {
                    return Err(DomainError::Conflict(format!(
                        "customerid: the customer still has {n} service(s); delete them first"
                    ))
                    .into());
                }
            }
        }
        Err(AppError::Internal(
            "customer delete: its service count kept changing".into(),
        ))
    }
}
