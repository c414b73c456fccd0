//! Login users and their keys: created, rotated, disabled and enabled by `crm-admin` and by
//! the `/api/user` routes alike. Who may act on whom is decided before, by
//! `domain::tenancy`.

use super::directory::{allocate, invalid, isp_exists};
use super::{AdminError, now};
use crate::domain::DomainError;
use crate::domain::audit::Audit;
use crate::domain::credentials::ApiKey;
use crate::domain::ids::{IspId, ResellerId, UserId};
use crate::domain::scope::{Actor, Role};
use crate::store::Store;
use crate::store::keys;
use crate::store::records::UserItem;
use aws_sdk_dynamodb::types::AttributeValue;

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
    UserItem {
        userid,
        role,
        ispid: isp,
        resellerid: reseller,
        enabled: true,
        key_sha256: key.digest().to_hex(),
        audit: Audit::created(now(), by),
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
    let mut set = vec![("key_sha256", AttributeValue::S(key.digest().to_hex()))];
    set.extend(Audit::updated(now(), by).map(|(k, v)| (k, AttributeValue::S(v))));
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
    let mut set = vec![("enabled", AttributeValue::Bool(enabled))];
    set.extend(Audit::updated(now(), by).map(|(k, v)| (k, AttributeValue::S(v))));
    match store.update_user(userid, &set).await? {
        true => Ok(()),
        false => Err(missing_user(userid)),
    }
}
