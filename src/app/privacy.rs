//! Privacy requests about one customer: its export (`customer/export`, `crm-admin customer
//! export --id`) — everything the stack holds about it in one JSON document — and its
//! erasure (`customer/erase`).

use super::{App, AppError};
use crate::domain::customer::Customer;
use crate::domain::ids::CustomerId;
use crate::domain::scope::{Caller, Role, Scope};
use crate::domain::service::Service;
use crate::domain::{DomainError, Fields};
use crate::store::dossier::{HeldClaim, HeldClaimKind};
use crate::store::erase::{EraseOutcome, MAX_SERVICES};
use crate::store::history::{HistoryEntry, HistorySeal};
use crate::store::{Store, StoreError};
use serde::Serialize;

/// When a deleted customer was deleted, and until when it can be restored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deletion {
    pub deleted_at: String,
    pub deleted_by: Option<String>,
    pub restorable_until: String,
}

/// A claim that names the customer or one of its services (its key is never shown: it holds
/// a caller's idempotency key or a hash of a request).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimMention {
    /// `duplicate_guard`, `idempotency_key` or `username`.
    pub kind: &'static str,
    /// The user whose create wrote it (guards).
    pub userid: Option<u64>,
    /// The service whose username it holds.
    pub serviceid: Option<u64>,
    /// When it lapses; `null`: never (a username, while its service lives).
    pub expires_at: Option<String>,
}

/// An import journal (a file where `crm-admin` ran) that names the customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalMention {
    pub file: String,
    pub names: String,
}

/// Everything held about one customer, for the ISP to hand over (GDPR art. 15 and 20).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerExport {
    pub customerid: CustomerId,
    /// `live`, or `deleted` (restorable until `deletion.restorable_until`).
    pub status: &'static str,
    pub customer: Customer,
    /// Whether a customer-portal password is set (its hash is never exported).
    pub portal_password: bool,
    pub deletion: Option<Deletion>,
    pub services: Vec<Service>,
    /// The customer's history, newest first (`customer/history`'s entries, every one still
    /// held, also those past `HISTORY_DAYS` that TTL has not removed yet).
    pub history: Vec<HistoryEntry>,
    pub claims: Vec<ClaimMention>,
    /// Import journals that name it: only `crm-admin customer export --id N --journal FILE`
    /// can see them (they are files where the import ran, not in the stack).
    pub journals: Vec<JournalMention>,
    pub exported_at: String,
}

fn time(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .map(crate::domain::audit::rfc3339_seconds)
        .unwrap_or_default()
}

fn mention(c: &HeldClaim) -> ClaimMention {
    let (kind, userid, serviceid) = match c.kind {
        HeldClaimKind::DuplicateGuard { by } => ("duplicate_guard", by.map(|u| u.get()), None),
        HeldClaimKind::IdempotencyKey { by } => ("idempotency_key", by.map(|u| u.get()), None),
        HeldClaimKind::Username { service } => ("username", None, Some(service.get())),
        HeldClaimKind::ServiceGuard { service, by } => {
            ("duplicate_guard", by.map(|u| u.get()), Some(service.get()))
        }
        HeldClaimKind::ServiceIdempotencyKey { service, by } => {
            ("idempotency_key", by.map(|u| u.get()), Some(service.get()))
        }
    };
    ClaimMention {
        kind,
        userid,
        serviceid,
        expires_at: c.expires_at.map(time),
    }
}

/// The export of customer `id` as `scope` may see it (`None`: nothing held in that scope).
pub async fn export_document(
    store: &Store,
    id: CustomerId,
    scope: &Scope,
) -> Result<Option<CustomerExport>, StoreError> {
    let held = store.holdings(id).await?;
    let Some(record) = held
        .record()
        .filter(|c| scope.permits(c.ispid, c.resellerid))
        .cloned()
    else {
        return Ok(None);
    };
    // Its history's values open with the key its record (or copy) holds.
    let mut history = store.history_all(id).await?;
    let seal = record.history_seal_key.as_deref();
    history.open(id, seal.map(HistorySeal::parse).transpose()?.as_ref())?;
    let deletion = match (&held.customer, &held.copy) {
        (None, Some(copy)) => Some(Deletion {
            deleted_at: copy.deleted_at.clone(),
            deleted_by: copy.deleted_by.clone(),
            restorable_until: time(copy.expires_at),
        }),
        _ => None,
    };
    Ok(Some(CustomerExport {
        customerid: id,
        status: if deletion.is_some() {
            "deleted"
        } else {
            "live"
        },
        portal_password: record.portal_password_hash.is_some(),
        customer: Customer::from(record),
        deletion,
        services: held.services.into_iter().map(Service::from).collect(),
        history: history.entries.into_iter().map(|(_, e, _)| e).collect(),
        claims: held.claims.iter().map(mention).collect(),
        journals: Vec::new(),
        exported_at: crate::domain::audit::now(),
    }))
}

/// What `customer/erase` removed, as its answer lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErasureReport {
    pub customerid: CustomerId,
    /// `live`, or `deleted` (its restorable copy was erased).
    pub was: &'static str,
    pub erased: Vec<&'static str>,
    pub serviceids: Vec<u64>,
    /// The kinds of the claims removed.
    pub claims: Vec<&'static str>,
    /// What the stack cannot erase: the change events already delivered, and import files.
    pub not_in_the_stack: Vec<&'static str>,
}

impl App {
    /// `customer/erase`: ISP users and admins only. Refused (409) while it has services,
    /// unless `erase_services=Y`.
    pub async fn erase_customer(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<ErasureReport, AppError> {
        if !matches!(caller.role, Role::Admin | Role::Isp) {
            return Err(AppError::NotAllowed(
                "userid: only ISP users and admins may erase a customer",
            ));
        }
        let id = f.parse_req("customerid", CustomerId::parse)?;
        let with_services = match f.get("erase_services").map(str::trim) {
            None | Some("") => false,
            Some(v) if v.eq_ignore_ascii_case("y") => true,
            Some(v) if v.eq_ignore_ascii_case("n") => false,
            Some(_) => {
                return Err(crate::domain::Invalid::new("erase_services", "must be Y or N").into());
            }
        };
        let mut tries = self.attempts("customer erase", 4);
        while tries.next().await? {
            let outcome = self
                .store
                .erase_customer(
                    id,
                    &caller.scope,
                    with_services,
                    &self.now(),
                    caller.actor(),
                )
                .await?;
            match outcome {
                EraseOutcome::Erased(e) => {
                    let mut erased = vec![match e.was {
                        "live" => "customer",
                        "deleted" => "restorable copy",
                        _ => "stubs of an erase that had stopped",
                    }];
                    if !e.services.is_empty() {
                        erased.push("services");
                    }
                    if !e.claims.is_empty() {
                        erased.push("claims");
                    }
                    if e.history > 0 {
                        erased.push("history values");
                    }
                    return Ok(ErasureReport {
                        customerid: e.customerid,
                        was: e.was,
                        erased,
                        serviceids: e.services.iter().map(|s| s.get()).collect(),
                        claims: e.claims,
                        not_in_the_stack: vec![
                            "change events already delivered (consumers must honour Customer Erased)",
                            "import files and journals where crm-admin ran",
                        ],
                    });
                }
                EraseOutcome::NotFound => return Err(DomainError::NotFound("customerid").into()),
                EraseOutcome::HasServices(n) => {
                    return Err(DomainError::Conflict(format!(
                        "customerid: the customer has {n} service(s); erase them too with \
                         erase_services=Y"
                    ))
                    .into());
                }
                EraseOutcome::TooManyServices(n) => {
                    return Err(DomainError::Conflict(format!(
                        "customerid: the customer has {n} services, more than one erase takes \
                         ({MAX_SERVICES}); delete some with service/delete first"
                    ))
                    .into());
                }
                EraseOutcome::Busy => {}
            }
        }
        Err(tries.exhausted())
    }

    /// `customer/export`: a customer in the caller's scope, live or restorable, else 404.
    pub async fn export_customer(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<CustomerExport, AppError> {
        let id = f.parse_req("customerid", CustomerId::parse)?;
        export_document(&self.store, id, &caller.scope)
            .await?
            .ok_or_else(|| DomainError::NotFound("customerid").into())
    }
}
