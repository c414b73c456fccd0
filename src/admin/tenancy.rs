//! crm-admin's `isp`, `reseller` and `user` commands: the app's tenancy operations, acting
//! as the platform admin (`crm-admin` in `created_by` / `updated_by`) with the ids the
//! operator names. The rules are the API's (`app::tenancy`).

pub use crate::app::tenancy::{
    IspChange, NewUser, TenancyError, rotate_key_by, set_enabled_by, update_reseller,
};

use crate::app::tenancy::{self, NewEntry, NewId};
use crate::domain::credentials::ApiKey;
use crate::domain::ids::{IspId, ResellerId, UserId};
use crate::domain::scope::Actor;
use crate::domain::zone::IspTimeZone;
use crate::store::Store;

/// Creates ISP `id`, its lists' days in the deployment's `TIME_ZONE`.
pub async fn create_isp(store: &Store, id: IspId, name: &str) -> Result<(), TenancyError> {
    create_isp_in(store, id, name, None).await
}

/// Creates ISP `id`; with `time_zone` its lists' `created_from` / `created_upto` are days in
/// that zone.
pub async fn create_isp_in(
    store: &Store,
    id: IspId,
    name: &str,
    time_zone: Option<IspTimeZone>,
) -> Result<(), TenancyError> {
    let entry = NewEntry {
        name: name.to_owned(),
        enabled: true,
        time_zone,
    };
    tenancy::add_isp(store, NewId::Given(id), &entry, Actor::Admin).await?;
    Ok(())
}

/// Renames an ISP, sets or clears its time zone, disables or enables it.
pub async fn update_isp(store: &Store, id: IspId, change: IspChange) -> Result<(), TenancyError> {
    tenancy::update_isp_by(store, id, &change, Actor::Admin).await
}

/// Creates reseller `id` of `isp` (reseller ids are unique across ISPs).
pub async fn create_reseller(
    store: &Store,
    isp: IspId,
    id: ResellerId,
    name: &str,
) -> Result<(), TenancyError> {
    let entry = NewEntry {
        name: name.to_owned(),
        enabled: true,
        time_zone: None,
    };
    tenancy::add_reseller(store, isp, NewId::Given(id), &entry, Actor::Admin).await?;
    Ok(())
}

/// Creates a login user and returns its API key (the only time it can be seen).
pub async fn create_user(store: &Store, new: NewUser) -> Result<ApiKey, TenancyError> {
    let place = tenancy::place_user(store, new.role, new.isp, new.reseller).await?;
    let id = NewId::Given(new.userid);
    let (_, key) = tenancy::add_user(store, id, new.role, place, new.api_key, Actor::Admin).await?;
    Ok(key)
}

/// Gives a user a new key; the old one stops working.
pub async fn rotate_key(store: &Store, userid: UserId) -> Result<ApiKey, TenancyError> {
    rotate_key_by(store, userid, Actor::Admin).await
}

/// Disables or enables a user (not the last enabled admin).
pub async fn set_enabled(store: &Store, userid: UserId, enabled: bool) -> Result<(), TenancyError> {
    set_enabled_by(store, userid, enabled, Actor::Admin).await
}

/// Sets a form key's profile, field map and signing secret (the API's `user/update` rules);
/// returns the secret when one was set. `local` is the deployment's
/// `FORM_LOCAL_ORIGINS`. `deployment_key` is `FORM_SECRET_KEY`, which seals
/// the secret (the API's function has the same one).
pub async fn set_form(
    store: &Store,
    deployment_key: Option<&str>,
    local: crate::domain::signup::LocalOrigins,
    userid: UserId,
    change: crate::app::signup::FormChange,
) -> Result<Option<crate::domain::signup::SigningSecret>, TenancyError> {
    let seal = crate::app::signup::sealed::SecretSeal::new(deployment_key);
    crate::app::signup::set_form_by(store, &seal, local, userid, change, Actor::Admin).await
}
