//! Login users and their keys: listed, created, rotated, disabled and enabled through the
//! API (under `domain::tenancy`'s rules of who may act on whom) and by crm-admin.

use super::resellers::isp_exists;
use super::{
    DirectoryPage, IssuedKey, NewId, TenancyError, allocate, cursor_invalid, invalid, rows_limit,
    stamp,
};
use crate::app::{App, AppError};
use crate::domain::DomainError;
use crate::domain::Fields;
use crate::domain::audit::{Audit, now};
use crate::domain::credentials::ApiKey;
use crate::domain::ids::{IspId, ResellerId, UserId};
use crate::domain::scope::{Actor, Caller, Role, Scope};
use crate::domain::tenancy::{self, NOT_YOURS, parse_role};
use crate::store::Store;
use crate::store::records::UserItem;
use crate::store::sequences::Sequence;
use crate::store::tenancy::{Inserted, PageKey, Updated, UserPartition, UserUpdate};

const MAY_NOT_CREATE_ROLE: &str = "role: you may not create a user of this role";

/// Users in the order `user/list` walks them when an admin names no partition.
const ROLES: [Role; 4] = [Role::Admin, Role::Isp, Role::Reseller, Role::Form];

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
) -> Result<Place, TenancyError> {
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
                return Err(TenancyError::Missing {
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

/// A user's ISP and reseller, as its role needs them.
pub type Place = (Option<IspId>, Option<ResellerId>);

fn user_item(
    userid: UserId,
    role: Role,
    (isp, reseller): Place,
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
        form_profile: None,
        form_map: None,
        form_secret: None,
        form_web: None,
        audit: Audit::created(now(), by),
    }
}

/// Creates a login user at a place `place_user` resolved: `id` named (crm-admin), or the
/// next free one (the API). Returns its id and API key (the only time the key can be seen);
/// `key` keeps an existing key (a migration), `None` generates one.
pub async fn add_user(
    store: &Store,
    id: NewId<UserId>,
    role: Role,
    place: Place,
    key: Option<ApiKey>,
    by: Actor,
) -> Result<(UserId, ApiKey), TenancyError> {
    let key = match key {
        Some(key) => key,
        None => ApiKey::generate()?,
    };
    let key_ref = &key;
    let userid = match id {
        NewId::Given(userid) => {
            match store
                .insert_user(&user_item(userid, role, place, key_ref, by))
                .await?
            {
                Inserted::Done => userid,
                Inserted::Taken => return Err(TenancyError::Exists(format!("user {userid}"))),
            }
        }
        NewId::Next => {
            let id = allocate(store, Sequence::User, |id| async move {
                let item = user_item(UserId(id), role, place, key_ref, by);
                Ok(store.insert_user(&item).await? == Inserted::Done)
            })
            .await?;
            UserId(id)
        }
    };
    Ok((userid, key))
}

fn missing_user(userid: UserId) -> TenancyError {
    TenancyError::Missing {
        param: "target_userid",
        what: format!("user {userid}"),
    }
}

/// Replaces a user's key with a new one, recording who rotated it; the old key stops
/// working at once on new instances and within the auth cache time on warm ones.
pub async fn rotate_key_by(
    store: &Store,
    userid: UserId,
    by: Actor,
) -> Result<ApiKey, TenancyError> {
    let key = ApiKey::generate()?;
    let update = UserUpdate {
        key_sha256: Some(key.digest().to_hex()),
        enabled: None,
        form: None,
        web: None,
        stamp: stamp(by),
    };
    match store.update_user(userid, &update).await? {
        Updated::Done => Ok(key),
        Updated::Missing => Err(missing_user(userid)),
    }
}

/// Disables or enables a user, recording who did. The last enabled admin cannot be
/// disabled (nobody could then manage the platform through the API). Two admins disabling
/// each other at the same moment can both pass this check: it is a read, not a condition;
/// `crm-admin user enable` mends that.
pub async fn set_enabled_by(
    store: &Store,
    userid: UserId,
    enabled: bool,
    by: Actor,
) -> Result<(), TenancyError> {
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
    let update = UserUpdate {
        key_sha256: None,
        enabled: Some(enabled),
        form: None,
        web: None,
        stamp: stamp(by),
    };
    match store.update_user(userid, &update).await? {
        Updated::Done => Ok(()),
        Updated::Missing => Err(missing_user(userid)),
    }
}

impl App {
    /// The one partition a `user/list` page reads, after the caller's scope and filters.
    async fn user_partition(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<Option<UserPartition>, AppError> {
        let isp = f.parse_opt("ispid", IspId::parse)?;
        let reseller = f.parse_opt("resellerid", ResellerId::parse)?;
        let role = f.parse_opt("role", parse_role)?;
        if let (Some(r), Some(own)) = (reseller, caller.scope.isp())
            && caller.role == Role::Isp
        {
            let in_isp = self
                .store
                .get_reseller(r)
                .await?
                .is_some_and(|rec| rec.ispid == own);
            if !in_isp {
                return Err(DomainError::OutOfScope("resellerid").into());
            }
        }
        if isp.is_some_and(|i| caller.scope.isp().is_some_and(|own| own != i)) {
            return Err(DomainError::OutOfScope("ispid").into());
        }
        Ok(match (caller.scope, reseller, isp, role) {
            (Scope::Reseller { reseller: own, .. }, Some(r), _, _) if r != own => {
                return Err(DomainError::OutOfScope("resellerid").into());
            }
            (Scope::Reseller { reseller: own, .. }, _, _, _) => Some(UserPartition::Reseller(own)),
            (_, Some(r), _, _) => Some(UserPartition::Reseller(r)),
            (_, _, Some(i), _) => Some(UserPartition::Isp(i)),
            (Scope::Isp(own), _, _, _) => Some(UserPartition::Isp(own)),
            (Scope::Platform, _, _, Some(role)) => Some(UserPartition::Role(role)),
            // An admin naming nothing: every role in turn.
            (Scope::Platform, _, _, None) => None,
        })
    }

    pub async fn user_list(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<DirectoryPage<tenancy::User>, AppError> {
        if caller.role == Role::Form {
            return Err(AppError::NotAllowed(NOT_YOURS));
        }
        let role = f.parse_opt("role", parse_role)?;
        let fixed = self.user_partition(caller, f).await?;
        let canonical = format!(
            "user/list|{}|{:?}|{:?}",
            caller.userid,
            fixed,
            role.map(Role::as_str)
        );
        // The cursor: `<role index>|<page key>` when walking every role, else the page key.
        let opened = self.open_cursor(f, &canonical)?;
        let (partition, walk, start) = match (fixed, opened) {
            (Some(p), start) => (p, None, start.map(PageKey)),
            (None, None) => (UserPartition::Role(ROLES[0]), Some(0), None),
            (None, Some(c)) => {
                let (i, key) = c.split_once('|').unwrap_or((c.as_str(), ""));
                let i: usize = i.parse().map_err(|_| cursor_invalid())?;
                let role = *ROLES.get(i).ok_or_else(cursor_invalid)?;
                let key = (!key.is_empty()).then(|| PageKey(key.to_owned()));
                (UserPartition::Role(role), Some(i), key)
            }
        };
        let (users, next) = self
            .store
            .user_page(partition, rows_limit(f)?, start.as_ref())
            .await?;
        let isp = f.parse_opt("ispid", IspId::parse)?;
        let rows = users
            .into_iter()
            .filter(|u| role.is_none_or(|r| u.role == r))
            .filter(|u| isp.is_none_or(|i| u.ispid == Some(i)))
            .filter(|u| tenancy::may_see(caller, &u.place()))
            .map(Into::into)
            .collect();
        let after = match (walk, next) {
            (None, next) => next.map(|k| k.0),
            (Some(i), Some(k)) => Some(format!("{i}|{}", k.0)),
            (Some(i), None) if i + 1 < ROLES.len() => Some(format!("{}|", i + 1)),
            (Some(_), None) => None,
        };
        Ok(DirectoryPage {
            rows,
            next: self.seal_cursor(&canonical, after),
        })
    }

    pub async fn user_create(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<IssuedKey, AppError> {
        let role = f.parse_req("role", parse_role)?;
        if !tenancy::may_create_role(caller, role) {
            return Err(AppError::NotAllowed(MAY_NOT_CREATE_ROLE));
        }
        let mut isp = f.parse_opt("ispid", IspId::parse)?;
        let mut reseller = f.parse_opt("resellerid", ResellerId::parse)?;
        // The caller's own ISP and reseller are implied; another is out of scope.
        match caller.scope {
            Scope::Platform => {}
            Scope::Isp(own) => {
                if isp.is_some_and(|i| i != own) {
                    return Err(DomainError::OutOfScope("ispid").into());
                }
                isp = isp.or((role == Role::Isp).then_some(own));
            }
            Scope::Reseller { reseller: own, .. } => {
                if reseller.is_some_and(|r| r != own) {
                    return Err(DomainError::OutOfScope("resellerid").into());
                }
                reseller = reseller.or(Some(own));
            }
        }
        // A reseller outside the caller's ISP is out of scope, whether it exists or not: its
        // existence and its ISP are not told.
        if let (Some(r), Some(own)) = (reseller, caller.scope.isp()) {
            let in_scope = self.reseller_state(r).await?.is_some_and(|(i, _)| i == own);
            if !in_scope {
                return Err(DomainError::OutOfScope("resellerid").into());
            }
        }
        let place = place_user(&self.store, role, isp, reseller).await?;
        if !tenancy::may_create(caller, role, place.0, place.1) {
            return Err(match caller.scope.isp() {
                Some(own) if place.0.is_some_and(|i| i != own) => {
                    DomainError::OutOfScope("resellerid").into()
                }
                _ => AppError::NotAllowed(MAY_NOT_CREATE_ROLE),
            });
        }
        let (userid, api_key) =
            add_user(&self.store, NewId::Next, role, place, None, caller.actor()).await?;
        Ok(IssuedKey { userid, api_key })
    }

    /// The user a rotate, disable or enable acts on, if the caller may act on it; a user the
    /// caller may not act on is not found (a peer's existence is not told).
    pub(in crate::app) async fn target(
        &self,
        caller: &Caller,
        id: UserId,
    ) -> Result<UserId, AppError> {
        let user = self.store.get_user(id).await?;
        match user.filter(|u| tenancy::may_act_on(caller, &u.place())) {
            Some(u) => Ok(u.userid),
            None if caller.role == Role::Form => Err(AppError::NotAllowed(NOT_YOURS)),
            None => Err(DomainError::NotFound("target_userid").into()),
        }
    }

    pub async fn user_rotate_key(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<IssuedKey, AppError> {
        let target = match f.parse_opt("target_userid", UserId::parse)? {
            None => None,
            Some(id) if id == caller.userid => None,
            Some(id) => Some(id),
        };
        let userid = match target {
            None if tenancy::may_rotate_own(caller) => caller.userid,
            None => {
                return Err(AppError::NotAllowed(
                    "userid: a form key is rotated by its reseller or ISP",
                ));
            }
            Some(id) => self.target(caller, id).await?,
        };
        let api_key = rotate_key_by(&self.store, userid, caller.actor()).await?;
        Ok(IssuedKey { userid, api_key })
    }

    pub async fn user_set_enabled(
        &self,
        caller: &Caller,
        f: &impl Fields,
        enabled: bool,
    ) -> Result<(), AppError> {
        let id = f.parse_req("target_userid", UserId::parse)?;
        if id == caller.userid && caller.role != Role::Admin {
            return Err(AppError::NotAllowed(
                "target_userid: you may rotate your own key, not disable or enable yourself",
            ));
        }
        let userid = self.target(caller, id).await?;
        Ok(set_enabled_by(&self.store, userid, enabled, caller.actor()).await?)
    }
}
