//! Who may manage which ISPs, resellers and users: the rules of the tenant self-service
//! routes (`/api/isp/*`, `/api/reseller/*`, `/api/user/*`), as the records they return.
//!
//! An admin acts on anything. An ISP user sees its own ISP (and may rename it), manages the
//! resellers of its ISP and the reseller users and form keys of its ISP. A reseller user
//! manages the form keys of its reseller. Every login user rotates its own key. Nobody acts on
//! a peer (an ISP user on another ISP user, a reseller user on another reseller user), and
//! nobody creates a user with rights above its own. A form key does none of this: it sits in
//! public web pages, and a key that could rotate itself could be locked away by anyone.

use super::audit::Audit;
use super::fields::Fields;
use super::ids::{IspId, ResellerId, UserId};
use super::paging::PagingRules;
use super::scope::{Caller, Role, Scope};
use super::{DomainError, Invalid};
use serde::Serialize;

/// The paging of `isp/list`, `reseller/list` and `user/list`: `rows_limit` here; `cursor`
/// is opened by the use case, with the list's fingerprint.
pub const PAGING: PagingRules<()> = PagingRules {
    sorts: &[],
    offset: false,
    cursor: false,
};

/// A user as the rules see it: who and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserPlace {
    pub userid: UserId,
    pub role: Role,
    pub isp: Option<IspId>,
    pub reseller: Option<ResellerId>,
}

/// The error of a route a role may not use at all.
pub const NOT_YOURS: &str = "userid: your role may not manage this";

/// Whether `caller` may rotate, disable or enable `target`'s key (its own key: `rotate_key`
/// only, see `may_rotate_own`).
pub fn may_act_on(caller: &Caller, target: &UserPlace) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Isp => {
            target.isp == caller.scope.isp() && matches!(target.role, Role::Reseller | Role::Form)
        }
        Role::Reseller => {
            matches!(caller.scope, Scope::Reseller { reseller, .. } if target.reseller == Some(reseller))
                && target.role == Role::Form
        }
        Role::Form => false,
    }
}

/// Whether `caller` may create users of `role` anywhere at all (the rights matrix: an admin
/// any role, an ISP user reseller users and form keys, a reseller user form keys). Checked
/// before the role's parameters, so a refusal names the right the caller lacks, not a
/// parameter rule it could not have followed.
pub fn may_create_role(caller: &Caller, role: Role) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Isp => matches!(role, Role::Reseller | Role::Form),
        Role::Reseller => role == Role::Form,
        Role::Form => false,
    }
}

/// Whether `caller` may see `target` in `user/list`: those it may act on, and itself.
pub fn may_see(caller: &Caller, target: &UserPlace) -> bool {
    caller.role != Role::Form && (caller.userid == target.userid || may_act_on(caller, target))
}

/// Every login user may rotate its own key; a form key may not.
pub fn may_rotate_own(caller: &Caller) -> bool {
    caller.role != Role::Form
}

/// Whether `caller` may create a user of `role` at `isp` / `reseller` (already resolved:
/// a reseller's ISP is its record's).
pub fn may_create(
    caller: &Caller,
    role: Role,
    isp: Option<IspId>,
    reseller: Option<ResellerId>,
) -> bool {
    may_act_on(
        caller,
        &UserPlace {
            userid: UserId(0),
            role,
            isp,
            reseller,
        },
    )
}

/// What the caller may do with ISPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IspRights {
    /// Every ISP: list, create, update (`enabled` included).
    All,
    /// Its own ISP: list it, rename it, set its time zone.
    Own(IspId),
    None,
}

pub fn isp_rights(caller: &Caller) -> IspRights {
    match (caller.role, caller.scope) {
        (Role::Admin, _) => IspRights::All,
        (Role::Isp, Scope::Isp(isp)) => IspRights::Own(isp),
        _ => IspRights::None,
    }
}

/// The ISP whose resellers the caller manages: an admin names it (`ispid`), an ISP user's is
/// its own (another is out of scope); nobody else manages resellers.
pub fn reseller_isp(caller: &Caller, given: Option<IspId>) -> Result<IspId, DomainError> {
    match (caller.role, caller.scope, given) {
        (Role::Admin, _, Some(isp)) => Ok(isp),
        (Role::Admin, _, None) => Err(Invalid::required("ispid").into()),
        (Role::Isp, Scope::Isp(own), Some(isp)) if isp != own => {
            Err(DomainError::OutOfScope("ispid"))
        }
        (Role::Isp, Scope::Isp(own), _) => Ok(own),
        _ => Err(DomainError::OutOfScope("userid")),
    }
}

/// `Y`/`N` (also `1`/`0`, `true`/`false`, any case), as `reset_password` takes `Y`.
pub fn parse_flag(param: &'static str, value: &str) -> Result<bool, Invalid> {
    match value.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "1" | "true" => Ok(true),
        "n" | "no" | "0" | "false" => Ok(false),
        _ => Err(Invalid::new(param, "must be Y or N")),
    }
}

/// The role a `user/create` names.
pub fn parse_role(param: &'static str, value: &str) -> Result<Role, Invalid> {
    match value.trim().to_ascii_lowercase().as_str() {
        "admin" => Ok(Role::Admin),
        "isp" => Ok(Role::Isp),
        "reseller" => Ok(Role::Reseller),
        "form" => Ok(Role::Form),
        _ => Err(Invalid::new(param, "must be admin, isp, reseller or form")),
    }
}

/// An ISP's or reseller's name: checked like a customer's name (1-100 characters, one line).
pub fn parse_name(param: &'static str, value: &str) -> Result<String, Invalid> {
    super::text::NAME.parse(param, value)
}

/// The changes of an ISP or reseller update: only what is given changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirectoryUpdate {
    pub name: Option<String>,
    pub enabled: Option<bool>,
}

impl DirectoryUpdate {
    /// A reseller update: at least one of `name`, `enabled`.
    pub fn parse(f: &impl Fields) -> Result<Self, Invalid> {
        let update = Self::read(f)?;
        if update == Self::default() {
            return Err(Invalid::new(
                "name",
                "nothing to update: give name or enabled",
            ));
        }
        Ok(update)
    }

    /// The `name` and `enabled` given, if any (an ISP update may change its zone alone).
    pub fn read(f: &impl Fields) -> Result<Self, Invalid> {
        Ok(Self {
            name: f.parse_opt("name", parse_name)?,
            enabled: f.parse_opt("enabled", parse_flag)?,
        })
    }
}

/// An ISP as `isp/list` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Isp {
    pub ispid: IspId,
    pub name: String,
    /// The IANA zone of its lists' days; `None`: the deployment's `TIME_ZONE`.
    pub time_zone: Option<String>,
    pub enabled: bool,
    #[serde(flatten)]
    pub audit: Audit,
}

/// A reseller as `reseller/list` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reseller {
    pub resellerid: ResellerId,
    pub ispid: IspId,
    pub name: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub audit: Audit,
}

/// A user as `user/list` returns it: never its key or the key's digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub userid: UserId,
    pub role: Role,
    pub ispid: Option<IspId>,
    pub resellerid: Option<ResellerId>,
    pub enabled: bool,
    /// A form key's payload profile (`fields` unless set); `null` for other roles.
    pub form_profile: Option<&'static str>,
    /// A profiled form key's field map; `null` otherwise.
    pub form_map: Option<serde_json::Value>,
    /// Whether a form key has a signing secret (the secret itself is never shown again).
    pub signing_secret: bool,
    /// A form key's web settings (issue 21); `null` when it has none.
    pub form_web: Option<FormWeb>,
    /// `updated_at` is always present: users are written with it.
    #[serde(flatten)]
    pub audit: Audit,
}

/// A form key's web settings as `user/list` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormWeb {
    pub origins: Vec<String>,
    pub thanks_url: Option<String>,
    pub error_url: Option<String>,
    pub thanks_with_id: bool,
    pub honeypot: Option<String>,
    /// The hosted page's public id (`GET /signup/{form_page}`); `null`: no page.
    pub page: Option<String>,
    pub page_title: Option<String>,
    pub page_logo: Option<String>,
    pub page_colour: Option<String>,
    pub page_fields: Vec<String>,
    pub min_seconds: u32,
    /// `allow` or `refuse`: a `customer/create` post without a `shown_at`.
    pub unstamped: &'static str,
    pub captcha: Option<String>,
    pub captcha_site_key: Option<String>,
    /// Whether a CAPTCHA secret is set (never shown).
    pub captcha_secret: bool,
}

impl FormWeb {
    pub fn of(userid: UserId, w: crate::domain::signup::WebSettings) -> Self {
        Self {
            page: w.page.map(|t| format!("{userid}-{t}")),
            origins: w.origins,
            thanks_url: w.thanks_url,
            error_url: w.error_url,
            thanks_with_id: w.thanks_with_id,
            honeypot: w.honeypot,
            page_title: w.title,
            page_logo: w.logo,
            page_colour: w.colour,
            page_fields: w.fields,
            min_seconds: w.min_seconds,
            unstamped: match w.unstamped_allowed {
                true => "allow",
                false => "refuse",
            },
            captcha: w.captcha,
            captcha_site_key: w.captcha_site_key,
            captcha_secret: w.captcha_secret.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(userid: u64, role: Role, scope: Scope) -> Caller {
        Caller {
            userid: UserId(userid),
            role,
            scope,
        }
    }

    fn place(userid: u64, role: Role, isp: Option<u64>, reseller: Option<u64>) -> UserPlace {
        UserPlace {
            userid: UserId(userid),
            role,
            isp: isp.map(IspId),
            reseller: reseller.map(ResellerId),
        }
    }

    #[test]
    fn nobody_acts_on_a_peer_or_above_itself() {
        let isp = caller(5, Role::Isp, Scope::Isp(IspId(1)));
        let reseller = caller(
            7,
            Role::Reseller,
            Scope::Reseller {
                isp: IspId(1),
                reseller: ResellerId(1),
            },
        );
        assert!(may_act_on(
            &isp,
            &place(7, Role::Reseller, Some(1), Some(1))
        ));
        assert!(may_act_on(&isp, &place(20, Role::Form, Some(1), Some(2))));
        assert!(!may_act_on(&isp, &place(6, Role::Isp, Some(1), None)));
        assert!(!may_act_on(
            &isp,
            &place(8, Role::Reseller, Some(2), Some(3))
        ));
        assert!(!may_act_on(&isp, &place(1, Role::Admin, None, None)));
        assert!(may_act_on(
            &reseller,
            &place(20, Role::Form, Some(1), Some(1))
        ));
        assert!(!may_act_on(
            &reseller,
            &place(21, Role::Form, Some(1), Some(2))
        ));
        assert!(!may_act_on(
            &reseller,
            &place(9, Role::Reseller, Some(1), Some(1))
        ));
        assert!(!may_create(
            &reseller,
            Role::Reseller,
            Some(IspId(1)),
            Some(ResellerId(1))
        ));
        assert!(!may_create(&isp, Role::Isp, Some(IspId(1)), None));
        assert!(may_see(&isp, &place(5, Role::Isp, Some(1), None)));
        assert!(!may_see(&isp, &place(6, Role::Isp, Some(1), None)));
    }
}
