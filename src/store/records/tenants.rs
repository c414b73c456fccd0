//! The tenancy records as stored: users (and their keys' digests and form key setups), ISPs,
//! resellers.

use crate::domain::audit::Audit;
use crate::domain::ids::{IspId, ResellerId, UserId};
use crate::domain::scope::Role;
use crate::domain::signup::Profile;
use crate::domain::tenancy;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserItem {
    pub userid: UserId,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ispid: Option<IspId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resellerid: Option<ResellerId>,
    pub enabled: bool,
    /// Hex SHA-256 of the API key; the key itself is never stored.
    pub key_sha256: String,
    /// A form key's payload profile (`domain::signup::Profile`); absent: `fields`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_profile: Option<String>,
    /// Its field map, canonical JSON (`domain::signup::FieldMap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_map: Option<String>,
    /// Its signing secret, sealed (`app::signup::sealed`): a read of the table cannot
    /// reveal it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_secret: Option<String>,
    /// Its web settings, JSON (`domain::signup::WebSettings`): origins, redirects, honeypot,
    /// hosted page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_web: Option<String>,
    /// Who issued the user, and who last rotated its key, disabled or enabled it.
    #[serde(skip)]
    pub audit: Audit,
}

fn enabled() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IspItem {
    pub ispid: IspId,
    pub name: String,
    /// A disabled ISP's users and form keys are refused (records written before this
    /// existed are enabled).
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Who created it and who last changed it, and when; an absent one is left out.
    #[serde(skip)]
    pub audit: Audit,
    /// The IANA zone its lists' days are in (`domain::zone::IspTimeZone`); absent: the
    /// deployment's `TIME_ZONE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResellerItem {
    pub resellerid: ResellerId,
    pub ispid: IspId,
    pub name: String,
    /// A disabled reseller's users and form keys are refused.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Who created it and who last changed it, and when; an absent one is left out.
    #[serde(skip)]
    pub audit: Audit,
}

impl From<IspItem> for tenancy::Isp {
    fn from(i: IspItem) -> Self {
        Self {
            ispid: i.ispid,
            name: i.name,
            time_zone: i.time_zone,
            enabled: i.enabled,
            audit: i.audit,
        }
    }
}

impl From<ResellerItem> for tenancy::Reseller {
    fn from(r: ResellerItem) -> Self {
        Self {
            resellerid: r.resellerid,
            ispid: r.ispid,
            name: r.name,
            enabled: r.enabled,
            audit: r.audit,
        }
    }
}

impl UserItem {
    pub fn place(&self) -> tenancy::UserPlace {
        tenancy::UserPlace {
            userid: self.userid,
            role: self.role,
            isp: self.ispid,
            reseller: self.resellerid,
        }
    }
}

/// A user as lists show it: never the key's digest.
impl From<UserItem> for tenancy::User {
    fn from(u: UserItem) -> Self {
        Self {
            userid: u.userid,
            role: u.role,
            ispid: u.ispid,
            resellerid: u.resellerid,
            enabled: u.enabled,
            // Read back as the API wrote them; an unreadable setup shows as absent.
            form_profile: (u.role == Role::Form).then(|| {
                u.form_profile
                    .as_deref()
                    .and_then(|p| Profile::parse("form_profile", p).ok())
                    .unwrap_or(Profile::Fields)
                    .as_str()
            }),
            form_map: u
                .form_map
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            signing_secret: u.form_secret.is_some(),
            // An unreadable one shows as absent, like the map.
            form_web: u
                .form_web
                .as_deref()
                .and_then(|w| crate::domain::signup::WebSettings::stored(w).ok())
                .map(|w| tenancy::FormWeb::of(u.userid, w)),
            audit: u.audit,
        }
    }
}
