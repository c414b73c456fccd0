//! ISPs, resellers and login users: one implementation for `crm-admin` (which names ids and
//! writes as `crm-admin`) and the tenant self-service routes (ids from counters, written as
//! the caller). Who may call what is decided before, by `domain::tenancy`.

use super::{AdminError, now};
use crate::domain::credentials::ApiKey;
use crate::domain::ids::{IspId, ResellerId, UserId};
use crate::domain::scope::{Actor, Role};
use crate::domain::tenancy::DirectoryUpdate;
use crate::domain::zone::IspTimeZone;
use crate::domain::{DomainError, Invalid};
use crate::store::Store;
use crate::store::keys;
use crate::store::records::{IspItem, ResellerItem, UserItem};
use aws_sdk_dynamodb::types::AttributeValue;

/// Ids an allocation tries before giving up: ids taken by crm-admin are skipped one by one.
const ALLOCATION_TRIES: usize = 20;

fn name_of(name: &str) -> Result<String, AdminError> {
    Ok(crate::domain::text::NAME
        .parse("name", name)
        .map_err(DomainError::from)?)
}

fn invalid(param: &'static str, rule: &str) -> AdminError {
    DomainError::Invalid(Invalid::new(param, rule)).into()
}

/// Takes ids from `counter` until `insert` finds one free (`Ok(true)`).
async fn allocate<F, Fut>(store: &Store, counter: &str, mut insert: F) -> Result<u64, AdminError>
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
    let at = now();
    IspItem {
        ispid: id,
        name: entry.name.clone(),
        enabled: entry.enabled,
        time_zone: entry.time_zone.as_ref().map(|z| z.name().to_owned()),
        created_at: at.clone(),
        updated_at: Some(at),
        created_by: Some(by.label()),
        updated_by: Some(by.label()),
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
    let at = now();
    ResellerItem {
        resellerid: id,
        ispid: isp,
        name: entry.name.clone(),
        enabled: entry.enabled,
        created_at: at.clone(),
        updated_at: Some(at),
        created_by: Some(by.label()),
        updated_by: Some(by.label()),
    }
}

async fn isp_exists(store: &Store, isp: IspId) -> Result<(), AdminError> {
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
    let mut set = vec![
        ("updated_at", AttributeValue::S(now())),
        ("updated_by", AttributeValue::S(by.label())),
    ];
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

#[derive(Debug)]
pub struct NewUser {
    pub userid: UserId,
    pub role: Role,
    pub isp: Option<IspId>,
    pub reseller: Option<ResellerId>,
    /// Keep an existing key (migration); `None` generates one.
    pub api_key: Option<ApiKey>,
}

/// Where a new user of `role` goes: the ISP and reseller its role needs, the reseller's ISP
/// from its record (a given ISP must be that one).
pub async fn place_user(
    store: &Store,
    role: Role,
    isp: Option<IspId>,
    reseller: Option<ResellerId>,
) -> Result<(Option<IspId>, Option<ResellerId>), AdminError> {
    match (role, isp, reseller) {
        (Role::Admin, None, None) => Ok((None, None)),
        (Role::Admin, _, _) => Err(invalid(
            "ispid",
            "an admin belongs to the whole platform: give neither an ISP nor a reseller",
        )),
        (Role::Isp, Some(isp), None) => {
            isp_exists(store, isp).await?;
            Ok((Some(isp), None))
        }
        (Role::Isp, None, _) => Err(invalid("ispid", "an ISP user needs an ISP (--isp)")),
        (Role::Isp, Some(_), Some(_)) => Err(invalid(
            "resellerid",
            "an ISP user belongs to a whole ISP: leave out the reseller",
        )),
        (Role::Reseller | Role::Form, isp, Some(reseller)) => {
            let Some(record) = store.get_reseller(reseller).await? else {
                return Err(AdminError::Missing {
                    param: "resellerid",
                    what: format!("reseller {reseller}"),
                });
            };
            if isp.is_some_and(|isp| isp != record.ispid) {
                return Err(invalid(
                    "resellerid",
                    &format!("reseller {reseller} belongs to ISP {}", record.ispid),
                ));
            }
            Ok((Some(record.ispid), Some(reseller)))
        }
        (Role::Reseller, _, None) => Err(invalid(
            "resellerid",
            "a reseller user needs a reseller (--reseller)",
        )),
        (Role::Form, _, None) => Err(invalid(
            "resellerid",
            "a form key creates customers in one reseller: give its reseller (--reseller)",
        )),
    }
}

fn user_item(
    userid: UserId,
    role: Role,
    (isp, reseller): (Option<IspId>, Option<ResellerId>),
    key: &ApiKey,
    by: Actor,
) -> UserItem {
    let at = now();
    UserItem {
        userid,
        role,
        ispid: isp,
        resellerid: reseller,
        enabled: true,
        key_sha256: key.digest().to_hex(),
        created_at: at.clone(),
        updated_at: at,
        created_by: Some(by.label()),
        updated_by: Some(by.label()),
    }
}

/// Creates a login user as `crm-admin` and returns its API key (the only time it can be seen).
pub async fn create_user(store: &Store, new: NewUser) -> Result<ApiKey, AdminError> {
    let place = place_user(store, new.role, new.isp, new.reseller).await?;
    let key = match new.api_key {
        Some(key) => key,
        None => ApiKey::generate()?,
    };
    let item = user_item(new.userid, new.role, place, &key, Actor::Admin);
    match store.insert_user(&item).await? {
        true => Ok(key),
        false => Err(AdminError::Exists(format!("user {}", new.userid))),
    }
}

/// Creates a login user under the next free userid, at a place `place_user` resolved, and
/// returns its id and key (the API).
pub async fn create_user_next(
    store: &Store,
    role: Role,
    place: (Option<IspId>, Option<ResellerId>),
    by: Actor,
) -> Result<(UserId, ApiKey), AdminError> {
    let key = ApiKey::generate()?;
    let key_ref = &key;
    let id = allocate(store, keys::USER_ID_COUNTER, |id| async move {
        let item = user_item(UserId(id), role, place, key_ref, by);
        Ok(store.insert_user(&item).await?)
    })
    .await?;
    Ok((UserId(id), key))
}

fn missing_user(userid: UserId) -> AdminError {
    AdminError::Missing {
        param: "target_userid",
        what: format!("user {userid}"),
    }
}

/// Replaces a user's key with a new one; the old key stops working at once on new
/// instances and within the auth cache time on warm ones.
pub async fn rotate_key(store: &Store, userid: UserId) -> Result<ApiKey, AdminError> {
    rotate_key_by(store, userid, Actor::Admin).await
}

/// As `rotate_key`, recording who rotated it.
pub async fn rotate_key_by(store: &Store, userid: UserId, by: Actor) -> Result<ApiKey, AdminError> {
    let key = ApiKey::generate()?;
    let set = [
        ("key_sha256", AttributeValue::S(key.digest().to_hex())),
        ("updated_at", AttributeValue::S(now())),
        ("updated_by", AttributeValue::S(by.label())),
    ];
    match store.update_user(userid, &set).await? {
        true => Ok(key),
        false => Err(missing_user(userid)),
    }
}

pub async fn set_enabled(store: &Store, userid: UserId, enabled: bool) -> Result<(), AdminError> {
    set_enabled_by(store, userid, enabled, Actor::Admin).await
}

/// As `set_enabled`, recording who disabled or enabled the user. The last enabled admin
/// cannot be disabled (nobody could then manage the platform through the API). Two admins
/// disabling each other at the same moment can both pass this check: it is a read, not a
/// condition; `crm-admin user enable` mends that.
pub async fn set_enabled_by(
    store: &Store,
    userid: UserId,
    enabled: bool,
    by: Actor,
) -> Result<(), AdminError> {
    if !enabled {
        let user = store
            .get_user(userid)
            .await?
            .ok_or_else(|| missing_user(userid))?;
        if user.role == Role::Admin && user.enabled && store.enabled_admins(2).await? < 2 {
            return Err(DomainError::Conflict(
                "target_userid: the last enabled administrator cannot be disabled".into(),
            )
            .into());
        }
    }
    let set = [
        ("enabled", AttributeValue::Bool(enabled)),
        ("updated_at", AttributeValue::S(now())),
        ("updated_by", AttributeValue::S(by.label())),
    ];
    match store.update_user(userid, &set).await? {
        true => Ok(()),
        false => Err(missing_user(userid)),
    }
}
