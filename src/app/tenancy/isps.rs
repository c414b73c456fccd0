//! ISPs: listed, created and updated by admins (an ISP user: its own ISP, renamed or given
//! a time zone), and by crm-admin.

use super::{
    DirectoryPage, NewEntry, NewId, TenancyError, allocate, invalid, name_of, rows_limit, stamp,
    updated,
};
use crate::app::{App, AppError};
use crate::domain::audit::{Audit, now};
use crate::domain::ids::IspId;
use crate::domain::scope::{Actor, Caller};
use crate::domain::tenancy::{self, DirectoryUpdate, IspRights, NOT_YOURS, parse_flag};
use crate::domain::zone::IspTimeZone;
use crate::domain::{DomainError, Fields, Invalid};
use crate::store::Store;
use crate::store::records::IspItem;
use crate::store::sequences::Sequence;
use crate::store::tenancy::{Inserted, IspUpdate, PageKey};

/// What an ISP update changes; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct IspChange {
    /// Checked like a customer's name (1-100 characters, one line).
    pub name: Option<String>,
    /// `Some(None)`: no zone of its own, the deployment's `TIME_ZONE` applies again. Warm API
    /// instances apply a new zone within `AUTH_CACHE_SECONDS`.
    pub time_zone: Option<Option<IspTimeZone>>,
    pub enabled: Option<bool>,
}

fn isp_item(id: IspId, entry: &NewEntry, name: &str, by: Actor) -> IspItem {
    IspItem {
        ispid: id,
        name: name.to_owned(),
        enabled: entry.enabled,
        time_zone: entry.time_zone.as_ref().map(|z| z.name().to_owned()),
        audit: Audit::created(now(), by),
    }
}

/// Creates an ISP: `id` named (crm-admin), or the next free one (the API).
pub async fn add_isp(
    store: &Store,
    id: NewId<IspId>,
    entry: &NewEntry,
    by: Actor,
) -> Result<IspId, TenancyError> {
    let name = &name_of(&entry.name)?;
    match id {
        NewId::Given(id) => match store.insert_isp(&isp_item(id, entry, name, by)).await? {
            Inserted::Done => Ok(id),
            Inserted::Taken => Err(TenancyError::Exists(format!("ISP {id}"))),
        },
        NewId::Next => {
            let id = allocate(store, Sequence::Isp, |id| async move {
                let item = isp_item(IspId(id), entry, name, by);
                Ok(store.insert_isp(&item).await? == Inserted::Done)
            })
            .await?;
            Ok(IspId(id))
        }
    }
}

/// Renames an ISP, sets or clears its time zone, disables or enables it.
pub async fn update_isp_by(
    store: &Store,
    id: IspId,
    change: &IspChange,
    by: Actor,
) -> Result<(), TenancyError> {
    let name = change.name.as_deref().map(name_of).transpose()?;
    if name.is_none() && change.time_zone.is_none() && change.enabled.is_none() {
        return Err(invalid(
            "name",
            "nothing to update: give name, time_zone or enabled",
        ));
    }
    let update = IspUpdate {
        name,
        enabled: change.enabled,
        time_zone: change
            .time_zone
            .as_ref()
            .map(|z| z.as_ref().map(|z| z.name().to_owned())),
        stamp: stamp(by),
    };
    let outcome = store.update_isp(id, &update).await?;
    updated(outcome, "ispid", || format!("ISP {id}"))
}

impl App {
    pub async fn isp_list(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<DirectoryPage<tenancy::Isp>, AppError> {
        let limit = rows_limit(f)?;
        match tenancy::isp_rights(caller) {
            IspRights::None => Err(AppError::NotAllowed(NOT_YOURS)),
            // One row: paging parameters are checked, and a cursor can only be a stale one.
            IspRights::Own(isp) => {
                let rows = self
                    .store
                    .get_isp(isp)
                    .await?
                    .into_iter()
                    .map(Into::into)
                    .collect();
                Ok(DirectoryPage { rows, next: None })
            }
            IspRights::All => {
                let canonical = format!("isp/list|{}", caller.userid);
                let start = self.open_cursor(f, &canonical)?.map(PageKey);
                let (rows, next) = self.store.isp_page(limit, start.as_ref()).await?;
                Ok(DirectoryPage {
                    rows: rows.into_iter().map(Into::into).collect(),
                    next: self.seal_cursor(&canonical, next.map(|k| k.0)),
                })
            }
        }
    }

    pub async fn isp_create(&self, caller: &Caller, f: &impl Fields) -> Result<IspId, AppError> {
        if tenancy::isp_rights(caller) != IspRights::All {
            return Err(AppError::NotAllowed(
                "userid: only an administrator creates ISPs",
            ));
        }
        let entry = NewEntry {
            name: f.parse_req("name", crate::domain::tenancy::parse_name)?,
            enabled: f.parse_opt("enabled", parse_flag)?.unwrap_or(true),
            time_zone: f.parse_opt("time_zone", IspTimeZone::parse)?,
        };
        Ok(add_isp(&self.store, NewId::Next, &entry, caller.actor()).await?)
    }

    pub async fn isp_update(&self, caller: &Caller, f: &impl Fields) -> Result<(), AppError> {
        let given = f.parse_opt("ispid", IspId::parse)?;
        let update = DirectoryUpdate::read(f)?;
        // An empty `time_zone` clears it: the deployment's `TIME_ZONE` applies again.
        let time_zone = f
            .get("time_zone")
            .map(|v| IspTimeZone::parse_change("time_zone", v))
            .transpose()?;
        let isp = match (tenancy::isp_rights(caller), given) {
            (IspRights::All, Some(isp)) => isp,
            (IspRights::All, None) => return Err(Invalid::required("ispid").into()),
            (IspRights::Own(own), Some(isp)) if isp != own => {
                return Err(DomainError::OutOfScope("ispid").into());
            }
            (IspRights::Own(_), _) if update.enabled.is_some() => {
                return Err(AppError::NotAllowed(
                    "enabled: only an administrator enables or disables an ISP",
                ));
            }
            (IspRights::Own(own), _) => own,
            (IspRights::None, _) => return Err(AppError::NotAllowed(NOT_YOURS)),
        };
        let change = IspChange {
            name: update.name,
            time_zone,
            enabled: update.enabled,
        };
        Ok(update_isp_by(&self.store, isp, &change, caller.actor()).await?)
    }
}
