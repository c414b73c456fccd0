//! The tenant self-service use cases: ISPs, resellers and users through the API, under the
//! rules of `domain::tenancy`, written by the directory functions crm-admin uses too.

use super::cursor::fingerprint;
use super::{App, AppError};
use crate::admin::{self, AdminError, IspChange, NewEntry};
use crate::domain::credentials::ApiKey;
use crate::domain::ids::{IspId, ResellerId, UserId};
use crate::domain::scope::{Caller, Role, Scope};
use crate::domain::tenancy::{self, DirectoryUpdate, IspRights, NOT_YOURS, parse_flag, parse_role};
use crate::domain::zone::IspTimeZone;
use crate::domain::{DomainError, Fields, Invalid};
use crate::store::tenancy::{PageKey, UserPartition};

impl From<AdminError> for AppError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Domain(d) => d.into(),
            AdminError::Exists(what) => {
                DomainError::Conflict(format!("{what} already exists")).into()
            }
            AdminError::Missing { param, .. } => DomainError::NotFound(param).into(),
            AdminError::Store(s) => s.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// A page of a directory list and the cursor of the next one.
#[derive(Debug)]
pub struct DirectoryPage<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
}

/// A new key, shown once: to the caller that created or rotated it.
#[derive(Debug)]
pub struct IssuedKey {
    pub userid: UserId,
    pub api_key: ApiKey,
}

/// Users in the order `user/list` walks them when an admin names no partition.
const ROLES: [Role; 4] = [Role::Admin, Role::Isp, Role::Reseller, Role::Form];

fn rows_limit(f: &impl Fields) -> Result<i32, Invalid> {
    let n = tenancy::PAGING.parse(f)?.limit;
    Ok(i32::try_from(n).unwrap_or(100))
}

fn name_required(f: &impl Fields) -> Result<String, Invalid> {
    f.parse_req("name", tenancy::parse_name)
}

impl App {
    /// Opens `cursor` (if given) for the list named by `canonical`: its page key.
    fn open_cursor(&self, f: &impl Fields, canonical: &str) -> Result<Option<String>, Invalid> {
        let fp = fingerprint(canonical);
        f.optional("cursor")
            .map(|c| self.cursors.open(c, &fp))
            .transpose()
    }

    fn seal_cursor(&self, canonical: &str, after: Option<String>) -> Option<String> {
        after.map(|a| self.cursors.seal(&fingerprint(canonical), &a))
    }

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
            name: name_required(f)?,
            enabled: f.parse_opt("enabled", parse_flag)?.unwrap_or(true),
            time_zone: f.parse_opt("time_zone", IspTimeZone::parse)?,
        };
        Ok(admin::create_isp_next(&self.store, &entry, caller.actor()).await?)
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
        Ok(admin::update_isp_by(&self.store, isp, &change, caller.actor()).await?)
    }

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
            name: name_required(f)?,
            enabled: f.parse_opt("enabled", parse_flag)?.unwrap_or(true),
            time_zone: None,
        };
        Ok(admin::create_reseller_next(&self.store, isp, &entry, caller.actor()).await?)
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
        Ok(admin::update_reseller(&self.store, id, &update, caller.actor()).await?)
    }

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
        let place = admin::place_user(&self.store, role, isp, reseller).await?;
        if !tenancy::may_create(caller, role, place.0, place.1) {
            return Err(match caller.scope.isp() {
                Some(own) if place.0.is_some_and(|i| i != own) => {
                    DomainError::OutOfScope("resellerid").into()
                }
                _ => AppError::NotAllowed("role: you may not create a user of this role"),
            });
        }
        let (userid, api_key) =
            admin::create_user_next(&self.store, role, place, caller.actor()).await?;
        Ok(IssuedKey { userid, api_key })
    }

    /// The user a rotate, disable or enable acts on, if the caller may act on it; a user the
    /// caller may not act on is not found (a peer's existence is not told).
    async fn target(&self, caller: &Caller, id: UserId) -> Result<UserId, AppError> {
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
        let api_key = admin::rotate_key_by(&self.store, userid, caller.actor()).await?;
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
        Ok(admin::set_enabled_by(&self.store, userid, enabled, caller.actor()).await?)
    }
}

fn cursor_invalid() -> Invalid {
    Invalid::new("cursor", "is not a cursor this API issued")
}
