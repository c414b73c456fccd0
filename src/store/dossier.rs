//! Everything the stack's tables hold about one customer, found by its keys (never by a
//! Scan): the record or its restorable copy, its services, and the claims that name it. What
//! `customer/export` and `crm-admin customer export --id` hand over, and what an erase removes.

use super::claims::ClaimKey;
use super::keys::claim;
use super::plan::ServiceQuery;
use super::records::{ClaimItem, CustomerItem, ServiceItem};
use super::restorable::DeletedCopy;
use super::{Store, StoreError};
use crate::domain::ids::{CustomerId, ServiceId, UserId};

/// What a claim that names the customer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldClaimKind {
    /// The duplicate guard of its create: the caller and a hash of the create's body.
    DuplicateGuard { by: Option<UserId> },
    /// The idempotency key its create was sent with (the caller's own text).
    IdempotencyKey { by: Option<UserId> },
    /// A service's PPPoE username, unique in the ISP.
    Username { service: ServiceId },
    /// The duplicate guard of a service's create.
    ServiceGuard {
        service: ServiceId,
        by: Option<UserId>,
    },
    /// The idempotency key of a service's create.
    ServiceIdempotencyKey {
        service: ServiceId,
        by: Option<UserId>,
    },
}

/// A claim that names the customer (or one of its services), as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldClaim {
    pub kind: HeldClaimKind,
    pub expires_at: Option<i64>,
    /// Its key: what an erase deletes (never shown: it holds a caller's key or a hash).
    pub(crate) key: String,
    pub(crate) result: u64,
}

/// What the tables hold about one customer.
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    pub customer: Option<CustomerItem>,
    pub copy: Option<DeletedCopy>,
    pub services: Vec<ServiceItem>,
    pub claims: Vec<HeldClaim>,
}

impl Holdings {
    /// The customer as it is, or as its copy keeps it.
    pub fn record(&self) -> Option<&CustomerItem> {
        self.customer
            .as_ref()
            .or(self.copy.as_ref().map(|c| &c.customer))
    }
}

/// The user a claim key names (`idem|<user>|…`, `recent|<user>|…`).
fn user_of(key: &str) -> Option<UserId> {
    key.split('|').nth(1)?.parse().ok().map(UserId)
}

impl Store {
    /// Reads, strongly consistent: the customer, its copy (in any window: an expired copy
    /// TTL has not removed yet is still held), its services (Query `by-customer`, every page),
    /// its create's guard claim and its services' username claims, when they still name it.
    pub async fn holdings(&self, id: CustomerId) -> Result<Holdings, StoreError> {
        let customer = self.get_customer_latest(id).await?;
        let copy = self.deleted_copy_any(id).await?;
        let mut services = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .query_services(&ServiceQuery::customer(id), true, None, start)
                .await?;
            services.extend(page.items);
            match page.next {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        let mut claims = Vec::new();
        let record = customer.as_ref().or(copy.as_ref().map(|c| &c.customer));
        if let Some(key) = record.and_then(|c| c.guard_claim.clone()) {
            let by = user_of(&key);
            let kind = match claim::is_recent(&key) {
                true => HeldClaimKind::DuplicateGuard { by },
                false => HeldClaimKind::IdempotencyKey { by },
            };
            if let Some(c) = self.get_claim(&key, true).await? {
                claims.extend(held(c, id.get(), kind));
            }
        }
        for s in &services {
            if let Some(key) = &s.guard_claim {
                let by = user_of(key);
                let kind = match claim::is_recent(key) {
                    true => HeldClaimKind::ServiceGuard { service: s.id, by },
                    false => HeldClaimKind::ServiceIdempotencyKey { service: s.id, by },
                };
                if let Some(c) = self.get_claim(key, true).await? {
                    claims.extend(held(c, s.id.get(), kind));
                }
            }
            let key = ClaimKey::username(s.ispid, &s.username);
            if let Some(c) = self.get_claim(key.as_str(), true).await? {
                let kind = HeldClaimKind::Username { service: s.id };
                claims.extend(held(c, s.id.get(), kind));
            }
        }
        Ok(Holdings {
            customer,
            copy,
            services,
            claims,
        })
    }
}

/// The claim, if it still names `owner`.
fn held(c: ClaimItem, owner: u64, kind: HeldClaimKind) -> Option<HeldClaim> {
    (c.result == owner).then_some(HeldClaim {
        kind,
        expires_at: c.expires_at,
        key: c.claim,
        result: c.result,
    })
}
