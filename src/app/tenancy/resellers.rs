//! Resellers: listed, created and updated by admins and by the users of their ISP, and by
//! crm-admin. A reseller never moves to another ISP.

use super::{
    DirectoryPage, NewEntry, NewId, TenancyError, allocate, invalid, name_of, rows_limit, stamp,
    updated,
};
use crate::app::{App, AppError};
use crate::domain::audit::{Audit, now};
use crate::domain::ids::{IspId, ResellerId};
use crate::domain::scope::{Actor, Caller, Role};
use crate::domain::tenancy::{self, DirectoryUpdate, NOT_YOURS, parse_flag};
use crate::domain::{DomainError, Fields, Invalid};
use crate::store::Store;
use crate::store::records::ResellerItem;
use crate::store::sequences::Sequence;
use crate::store::tenancy::{Inserted, PageKey, ResellerUpdate};

fn reseller_item(id: ResellerId, isp: IspId, name: &str, enabled: bool, by: Actor) -> ResellerItem {
    ResellerItem {
        resellerid: id,
        ispid: isp,
        name: name.to_owned(),
        enabled,
        audit: Audit::created(now(), by),
    }
}

/// Fails with `Missing` unless ISP `isp` exists.
pub(super) async fn isp_exists(store: &Store, isp: IspId) -> Result<(), TenancyError> {
    match store.get_isp(isp).await? {
        Some(_) => Ok(()),
        None => Err(TenancyError::Missing {
            param: "ispid",
            what: format!("ISP {isp}"),
        }),
    }
}

/// Creates a reseller of an existing ISP: `id` named (crm-admin; reseller ids are unique
/// across ISPs), or the next free one (the API).
pub async fn add_reseller(
    store: &Store,
    isp: IspId,
    id: NewId<ResellerId>,
    entry: &NewEntry,
    by: Actor,
) -> Result<ResellerId, TenancyError> {
    let name = &name_of(&entry.name)?;
    isp_exists(store, isp).await?;
    let item = |id| reseller_item(id, isp, name, entry.enabled, by);
    match id {
        NewId::Given(id) => match store.insert_reseller(&item(id)).await? {
            Inserted::Done => Ok(id),
            Inserted::Taken => Err(TenancyError::Exists(format!("reseller {id}"))),
        },
        NewId::Next => {
            let id = allocate(store, Sequence::Reseller, |id| async move {
                Ok(store.insert_reseller(&item(ResellerId(id))).await? == Inserted::Done)
            })
            .await?;
            Ok(ResellerId(id))
        }
    }
}

/// Renames, disables or enables a reseller: at least one of them.
pub async fn update_reseller(
    store: &Store,
    id: ResellerId,
    update: &DirectoryUpdate,
    by: Actor,
) -> Result<(), TenancyError> {
    if update.name.is_none() && update.enabled.is_none() {
        return Err(invalid("name", "nothing to update: give name or enabled"));
    }
    let update = ResellerUpdate {
        name: update.name.as_deref().map(name_of).transpose()?,
        enabled: update.enabled,
        stamp: stamp(by),
    };
    let outcome = store.update_reseller(id, &update).await?;
    updated(outcome, "resellerid", || format!("reseller {id}"))
}

impl App {
    pub async fn reseller_list(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<DirectoryPage<tenancy::Reseller>, AppError> {
        let isp = tenancy::reseller_isp(caller, f.parse_opt("ispid", IspId::parse)?)?;
        let canonical = format!("reseller/list|{}|{isp}", caller.userid);
        let start = self.open_cursor(f, &canonical)?.map(PageKey);
        let (rows, next) = self
            .store
            .reseller_page(isp, rows_limit(f)?, start.as_ref())
            .await?;
        Ok(DirectoryPage {
            rows: rows.into_iter().map(Into::into).collect(),
            next: self.seal_cursor(&canonical, next.map(|k| k.0)),
        })
    }

    pub async fn reseller_create(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<ResellerId, AppError> {
        let isp = tenancy::reseller_isp(caller, f.parse_opt("ispid", IspId::parse)?)?;
        let entry = NewEntry {
            name: f.parse_req("name", crate::domain::tenancy::parse_name)?,
            enabled: f.parse_opt("enabled", parse_flag)?.unwrap_or(true),
            time_zone: None,
        };
        Ok(add_reseller(&self.store, isp, NewId::Next, &entry, caller.actor()).await?)
    }

    pub async fn reseller_update(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let id = f.parse_req("resellerid", ResellerId::parse)?;
        let given_isp = f.parse_opt("ispid", IspId::parse)?;
        let update = DirectoryUpdate::parse(f)?;
        let record = self.store.get_reseller(id).await?;
        // Another ISP's reseller does not exist for an ISP user, as its customers do not.
        let Some(record) = record.filter(|r| match caller.role {
            Role::Admin => true,
            Role::Isp => caller.scope.isp() == Some(r.ispid),
            _ => false,
        }) else {
            return Err(match caller.role {
                Role::Admin | Role::Isp => DomainError::NotFound("resellerid").into(),
                _ => AppError::NotAllowed(NOT_YOURS),
            });
        };
        if given_isp.is_some_and(|isp| caller.scope.isp().is_some_and(|own| own != isp)) {
            return Err(DomainError::OutOfScope("ispid").into());
        }
        if given_isp.is_some_and(|isp| isp != record.ispid) {
            return Err(Invalid::new("ispid", "a reseller never moves to another ISP").into());
        }
        Ok(update_reseller(&self.store, id, &update, caller.actor()).await?)
    }
}
