//! ISPs and resellers: one implementation for `crm-admin` (which names ids and writes as
//! `crm-admin`) and the tenant self-service routes (ids from counters, written as the caller).
//! Who may call what is decided before, by `domain::tenancy`. Login users: `users.rs`.

use super::{AdminError, now};
use crate::domain::audit::Audit;
use crate::domain::ids::{IspId, ResellerId};
use crate::domain::scope::Actor;
use crate::domain::tenancy::DirectoryUpdate;
use crate::domain::zone::IspTimeZone;
use crate::domain::{DomainError, Invalid};
use crate::store::Store;
use crate::store::keys;
use crate::store::records::{IspItem, ResellerItem};
use aws_sdk_dynamodb::types::AttributeValue;

/// Ids an allocation tries before giving up: ids taken by crm-admin are skipped one by one.
const ALLOCATION_TRIES: usize = 20;

fn name_of(name: &str) -> Result<String, AdminError> {
    Ok(crate::domain::tenancy::parse_name("name", name).map_err(DomainError::from)?)
}

pub(super) fn invalid(param: &'static str, rule: &str) -> AdminError {
    DomainError::Invalid(Invalid::new(param, rule)).into()
}

/// Takes ids from `counter` until `insert` finds one free (`Ok(true)`).
pub(super) async fn allocate<F, Fut>(
    store: &Store,
    counter: &str,
    mut insert: F,
) -> Result<u64, AdminError>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<bool, AdminError>>,
{
    for _ in 0..ALLOCATION_TRIES {
        let id = store.next_counter(counter).await?;
        if insert(id).await? {
            return Ok(id);
        }
    }
    Err(AdminError::Exists(format!(
        "{ALLOCATION_TRIES} ids in a row from counter {counter}"
    )))
}

/// A new ISP or reseller: its name, whether it starts enabled, and (an ISP) its time zone.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub name: String,
    pub enabled: bool,
    /// An ISP's own zone for its lists' days; `None`: the deployment's `TIME_ZONE`.
    pub time_zone: Option<IspTimeZone>,
}

fn isp_item(id: IspId, entry: &NewEntry, by: Actor) -> IspItem {
    IspItem {
        ispid: id,
        name: entry.name.clone(),
        enabled: entry.enabled,
        time_zone: entry.time_zone.as_ref().map(|z| z.name().to_owned()),
        audit: Audit::created(now(), by),
    }
}

/// Creates ISP `id` (crm-admin), its lists' days in the deployment's `TIME_ZONE`.
pub async fn create_isp(store: &Store, id: IspId, name: &str) -> Result<(), AdminError> {
    create_isp_in(store, id, name, None).await
}

/// Creates ISP `id` (crm-admin); with `time_zone` its lists' `created_from` / `created_upto`
/// are days in that zone.
pub async fn create_isp_in(
    store: &Store,
    id: IspId,
    name: &str,
    time_zone: Option<IspTimeZone>,
) -> Result<(), AdminError> {
    let entry = NewEntry {
        name: name_of(name)?,
        enabled: true,
        time_zone,
    };
    match store
        .insert_isp(&isp_item(id, &entry, Actor::Admin))
        .await?
    {
        true => Ok(()),
        false => Err(AdminError::Exists(format!("ISP {id}"))),
    }
}

/// Creates an ISP under the next free id (the API).
pub async fn create_isp_next(
    store: &Store,
    entry: &NewEntry,
    by: Actor,
) -> Result<IspId, AdminError> {
    let id = allocate(store, keys::ISP_ID_COUNTER, |id| async move {
        Ok(store.insert_isp(&isp_item(IspId(id), entry, by)).await?)
    })
    .await?;
    Ok(IspId(id))
}

fn reseller_item(id: ResellerId, isp: IspId, entry: &NewEntry, by: Actor) -> ResellerItem {
    ResellerItem {
        resellerid: id,
        ispid: isp,
        name: entry.name.clone(),
        enabled: entry.enabled,
        audit: Audit::created(now(), by),
    }
}

pub(super) async fn isp_exists(store: &Store, isp: IspId) -> Result<(), AdminError> {
    match store.get_isp(isp).await? {
        Some(_) => Ok(()),
        None => Err(AdminError::Missing {
            param: "ispid",
            what: format!("ISP {isp}"),
        }),
    }
}

/// Creates reseller `id` of `isp` (crm-admin).
pub async fn create_reseller(
    store: &Store,
    isp: IspId,
    id: ResellerId,
    name: &str,
) -> Result<(), AdminError> {
    let entry = NewEntry {
        name: name_of(name)?,
        enabled: true,
        time_zone: None,
    };
    isp_exists(store, isp).await?;
    match store
        .insert_reseller(&reseller_item(id, isp, &entry, Actor::Admin))
        .await?
    {
        true => Ok(()),
        false => Err(AdminError::Exists(format!("reseller {id}"))),
    }
}

/// Creates a reseller of `isp` under the next free id (the API).
pub async fn create_reseller_next(
    store: &Store,
    isp: IspId,
    entry: &NewEntry,
    by: Actor,
) -> Result<ResellerId, AdminError> {
    isp_exists(store, isp).await?;
    let id = allocate(store, keys::RESELLER_ID_COUNTER, |id| async move {
        Ok(store
            .insert_reseller(&reseller_item(ResellerId(id), isp, entry, by))
            .await?)
    })
    .await?;
    Ok(ResellerId(id))
}

/// The attribute writes of an ISP or reseller update.
fn directory_set(update: &DirectoryUpdate, by: Actor) -> Vec<(&'static str, AttributeValue)> {
    let mut set: Vec<_> = Audit::updated(now(), by)
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .into();
    if let Some(name) = &update.name {
        set.push(("name", AttributeValue::S(name.clone())));
    }
    if let Some(enabled) = update.enabled {
        set.push(("enabled", AttributeValue::Bool(enabled)));
    }
    set
}

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

/// Changes an ISP as crm-admin.
pub async fn update_isp(store: &Store, id: IspId, change: IspChange) -> Result<(), AdminError> {
    update_isp_by(store, id, &change, Actor::Admin).await
}

/// Renames an ISP, sets or clears its time zone, disables or enables it.
pub async fn update_isp_by(
    store: &Store,
    id: IspId,
    change: &IspChange,
    by: Actor,
) -> Result<(), AdminError> {
    let name = change.name.as_deref().map(name_of).transpose()?;
    if name.is_none() && change.time_zone.is_none() && change.enabled.is_none() {
        return Err(invalid(
            "name",
            "nothing to update: give name, time_zone or enabled",
        ));
    }
    let update = DirectoryUpdate {
        name,
        enabled: change.enabled,
    };
    let mut set = directory_set(&update, by);
    let mut remove = Vec::new();
    match &change.time_zone {
        Some(Some(zone)) => set.push(("time_zone", AttributeValue::S(zone.name().to_owned()))),
        Some(None) => remove.push("time_zone"),
        None => {}
    }
    match store.update_isp(id, &set, &remove).await? {
        true => Ok(()),
        false => Err(AdminError::Missing {
            param: "ispid",
            what: format!("ISP {id}"),
        }),
    }
}

/// Renames, disables or enables a reseller (it never moves to another ISP).
pub async fn update_reseller(
    store: &Store,
    id: ResellerId,
    update: &DirectoryUpdate,
    by: Actor,
) -> Result<(), AdminError> {
    match store
        .update_reseller(id, &directory_set(update, by))
        .await?
    {
        true => Ok(()),
        false => Err(AdminError::Missing {
            param: "resellerid",
            what: format!("reseller {id}"),
        }),
    }
}
