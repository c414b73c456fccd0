//! Tenant webhooks' endpoints (`/api/webhook/*`): who may manage which, and the writes.
//! An ISP user manages its ISP's endpoints (its resellers' included), a reseller user its
//! reseller's, the admin any ISP's (naming `ispid`); a form key none. To a caller, another
//! tenant's endpoint does not exist (404), as another tenant's customer does not.

use super::cursor::fingerprint;
use super::{App, AppError};
use crate::domain::audit::now;
use crate::domain::ids::UserId;
use crate::domain::ids::{IspId, ResellerId};
use crate::domain::scope::{Actor, Caller, Role, Scope};
use crate::domain::webhook::{
    self, Endpoint, MAX_PER_ISP, WebhookSecret, parse_description, parse_types, parse_url,
};
use crate::domain::{DomainError, Fields, Invalid, tenancy};
use crate::store::webhooks::{EndpointChange, EndpointItem, WebhookInsert};
use serde::Serialize;

mod sending;
pub use sending::{AttemptsPage, Replayed};

/// A new or rotated secret, shown this once.
#[derive(Debug, Serialize)]
pub struct IssuedSecret {
    pub id: String,
    pub secret: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
}

#[derive(Debug)]
pub struct EndpointPage {
    pub rows: Vec<Endpoint>,
    pub next: Option<String>,
}

/// What a secret is sealed under: a sealed secret copied to another endpoint does not open.
pub fn secret_aad(id: &str) -> Vec<u8> {
    format!("webhook:{id}").into_bytes()
}

/// crm-admin's operator, as a caller of these use cases: the platform admin, recorded as
/// `crm-admin` (user 0 is never a login user: ids start at 1).
pub fn operator() -> Caller {
    Caller {
        userid: UserId(0),
        role: Role::Admin,
        scope: Scope::Platform,
    }
}

/// Who a write is recorded as: the caller's userid, or `crm-admin`.
fn writer(caller: &Caller) -> String {
    match caller.userid {
        UserId(0) => Actor::Admin.label(),
        _ => caller.actor().label(),
    }
}

/// Whether `caller` may see and manage `e`.
fn visible(caller: &Caller, e: &EndpointItem) -> bool {
    match (caller.role, caller.scope) {
        (Role::Admin, _) => true,
        (Role::Isp, Scope::Isp(isp)) => e.ispid == isp,
        (Role::Reseller, Scope::Reseller { isp, reseller }) => {
            e.ispid == isp && e.resellerid == Some(reseller)
        }
        _ => false,
    }
}

const NO_WEBHOOKS: &str = "userid: your role may not manage webhooks";

impl App {
    fn check_url(&self, f: &impl Fields) -> Result<Option<String>, Invalid> {
        f.optional("url")
            .map(|u| parse_url("url", u, self.webhook_loopback).map(|_| u.to_owned()))
            .transpose()
    }

    fn seal_secret(&self, id: &str, secret: &WebhookSecret) -> Result<String, AppError> {
        self.seal
            .seal_text(&secret_aad(id), secret.expose())
            .map_err(|rule| Invalid::new("secret", rule).into())
    }

    /// The (ISP, reseller) a new endpoint of `caller` belongs to.
    async fn placement(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<(IspId, Option<ResellerId>), AppError> {
        let given_isp = f.parse_opt("ispid", IspId::parse)?;
        let given_reseller = f.parse_opt("resellerid", ResellerId::parse)?;
        let (isp, reseller) = match (caller.role, caller.scope) {
            (Role::Admin, _) => (
                given_isp.ok_or_else(|| Invalid::required("ispid"))?,
                given_reseller,
            ),
            (Role::Isp, Scope::Isp(own)) => {
                if given_isp.is_some_and(|i| i != own) {
                    return Err(DomainError::OutOfScope("ispid").into());
                }
                (own, given_reseller)
            }
            (Role::Reseller, Scope::Reseller { isp, reseller }) => {
                if given_isp.is_some_and(|i| i != isp) {
                    return Err(DomainError::OutOfScope("ispid").into());
                }
                if given_reseller.is_some_and(|r| r != reseller) {
                    return Err(DomainError::OutOfScope("resellerid").into());
                }
                return Ok((isp, Some(reseller)));
            }
            _ => return Err(AppError::NotAllowed(NO_WEBHOOKS)),
        };
        if self.store.get_isp(isp).await?.is_none() {
            return Err(DomainError::NotFound("ispid").into());
        }
        if let Some(r) = reseller {
            let found = self.store.get_reseller(r).await?;
            match found {
                Some(rec) if rec.ispid == isp => {}
                Some(_) if caller.role != Role::Admin => {
                    return Err(DomainError::OutOfScope("resellerid").into());
                }
                _ => return Err(DomainError::NotFound("resellerid").into()),
            }
        }
        Ok((isp, reseller))
    }

    /// The endpoint `webhookid` names, if the caller may see it (else 404).
    pub(super) async fn endpoint_of(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<EndpointItem, AppError> {
        if !matches!(caller.role, Role::Admin | Role::Isp | Role::Reseller) {
            return Err(AppError::NotAllowed(NO_WEBHOOKS));
        }
        let id = f.parse_req("webhookid", webhook::parse_id)?;
        match self.store.get_webhook(&id).await? {
            Some(e) if visible(caller, &e) => Ok(e),
            _ => Err(DomainError::NotFound("webhookid").into()),
        }
    }

    pub async fn webhook_create(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<IssuedSecret, AppError> {
        let url = self.check_url(f)?.ok_or_else(|| Invalid::required("url"))?;
        let types = parse_types("types", f.optional("types").unwrap_or("*"))?;
        let description = f.parse_opt("description", parse_description)?;
        let enabled = f.parse_opt("enabled", tenancy::parse_flag)?.unwrap_or(true);
        let (isp, reseller) = self.placement(caller, f).await?;

        let id = webhook::new_id()?;
        let secret = WebhookSecret::generate()?;
        let at = now();
        let micros = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let (claim, hook_of, hook_key) = EndpointItem::keys(&id, isp, &micros);
        let item = EndpointItem {
            claim,
            hook_of,
            hook_key,
            id: id.clone(),
            ispid: isp,
            resellerid: reseller,
            url,
            types,
            description: description.filter(|d| !d.is_empty()),
            enabled,
            disabled_reason: None,
            failing_since: None,
            secret: self.seal_secret(&id, &secret)?,
            created_at: at.clone(),
            created_by: writer(caller),
            updated_at: at,
            updated_by: writer(caller),
        };
        match self.store.insert_webhook(&item, MAX_PER_ISP).await? {
            WebhookInsert::Written => {}
            WebhookInsert::Full => {
                return Err(DomainError::Conflict(format!(
                    "ispid: ISP {isp} has {MAX_PER_ISP} webhook endpoints, the most it may have"
                ))
                .into());
            }
            WebhookInsert::IdTaken => {
                return Err(AppError::Internal("a new webhook id was taken".into()));
            }
        }
        Ok(IssuedSecret {
            id,
            secret: secret.expose().to_owned(),
            endpoint: Some(item.public()),
        })
    }

    /// The caller's endpoints, newest first: all of an ISP's are one Query (at most
    /// `MAX_PER_ISP`), paged here with `rows_limit` and a sealed cursor.
    pub async fn webhook_list(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<EndpointPage, AppError> {
        let given_isp = f.parse_opt("ispid", IspId::parse)?;
        let given_reseller = f.parse_opt("resellerid", ResellerId::parse)?;
        let isp = match (caller.role, caller.scope.isp()) {
            (Role::Admin, _) => given_isp.ok_or_else(|| Invalid::required("ispid"))?,
            (Role::Isp | Role::Reseller, Some(own)) => {
                if given_isp.is_some_and(|i| i != own) {
                    return Err(DomainError::OutOfScope("ispid").into());
                }
                own
            }
            _ => return Err(AppError::NotAllowed(NO_WEBHOOKS)),
        };
        if let (Scope::Reseller { reseller, .. }, Some(given)) = (caller.scope, given_reseller)
            && given != reseller
        {
            return Err(DomainError::OutOfScope("resellerid").into());
        }
        let limit = usize::try_from(tenancy::PAGING.parse(f)?.limit).unwrap_or(10);
        let fp = fingerprint(&format!(
            "webhook/list|{}|{isp}|{given_reseller:?}",
            caller.userid
        ));
        let before = f
            .optional("cursor")
            .map(|c| self.cursors.open(c, &fp))
            .transpose()?;
        let mut all: Vec<EndpointItem> = self
            .store
            .webhooks_of(isp)
            .await?
            .into_iter()
            .filter(|e| visible(caller, e))
            .filter(|e| given_reseller.is_none() || e.resellerid == given_reseller)
            .filter(|e| before.as_deref().is_none_or(|b| e.hook_key.as_str() < b))
            .collect();
        all.sort_by(|a, b| b.hook_key.cmp(&a.hook_key));
        let next = (all.len() > limit)
            .then(|| {
                all.get(limit - 1)
                    .map(|e| self.cursors.seal(&fp, &e.hook_key))
            })
            .flatten();
        all.truncate(limit);
        Ok(EndpointPage {
            rows: all.iter().map(EndpointItem::public).collect(),
            next,
        })
    }

    pub async fn webhook_update(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let e = self.endpoint_of(caller, f).await?;
        let change = EndpointChange {
            url: self.check_url(f)?,
            types: f.parse_opt("types", parse_types)?,
            description: f
                .clearable("description")
                .map(|d| d.map(|d| parse_description("description", d)).transpose())
                .transpose()?,
            enabled: f.parse_opt("enabled", tenancy::parse_flag)?,
            secret: None,
            updated_at: now(),
            updated_by: writer(caller),
        };
        if change.url.is_none()
            && change.types.is_none()
            && change.description.is_none()
            && change.enabled.is_none()
        {
            return Err(Invalid::new(
                "url",
                "nothing to update: give url, types, description or enabled",
            )
            .into());
        }
        match self.store.update_webhook(&e.id, &change).await? {
            true => Ok(()),
            false => Err(DomainError::NotFound("webhookid").into()),
        }
    }

    pub async fn webhook_delete(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let e = self.endpoint_of(caller, f).await?;
        match self.store.delete_webhook(&e.id, e.ispid).await? {
            true => Ok(()),
            false => Err(DomainError::NotFound("webhookid").into()),
        }
    }

    /// A new secret, at once: deliveries sent from now on (retries included) are signed
    /// with it.
    pub async fn webhook_rotate_secret(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<IssuedSecret, AppError> {
        let e = self.endpoint_of(caller, f).await?;
        let secret = WebhookSecret::generate()?;
        let change = EndpointChange {
            secret: Some(self.seal_secret(&e.id, &secret)?),
            updated_at: now(),
            updated_by: writer(caller),
            ..EndpointChange::default()
        };
        match self.store.update_webhook(&e.id, &change).await? {
            true => Ok(IssuedSecret {
                id: e.id,
                secret: secret.expose().to_owned(),
                endpoint: None,
            }),
            false => Err(DomainError::NotFound("webhookid").into()),
        }
    }
}
