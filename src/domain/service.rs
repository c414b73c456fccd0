//! Services of a customer (an internet subscription with its PPPoE username): typed values,
//! create and update input, and the service list request.

use super::ids::{CustomerId, IspId, ResellerId, ServiceId};
use super::list::{
    DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Pattern, SortOrder, exact_text, one_of, parse_u32_in,
};
use super::text::{self, TextRule};
use super::{Fields, Invalid};
use serde::Serialize;

/// A PPPoE username: 1 to 64 letters, digits and `. _ - @ +`, stored as given and unique
/// within an ISP ignoring case (`Folded`). `%` is refused: it is the list's wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX: usize = 64;

    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        let allowed =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+');
        if value.is_empty() || value.len() > Self::MAX || !value.chars().all(allowed) {
            return Err(Invalid::new(
                param,
                "must be 1 to 64 letters, digits or . _ - @ +",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness and searches compare (ASCII only, so lower-casing is exact).
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ServiceStatus {
    Active,
    Suspend,
    #[serde(rename = "NP")]
    Np,
    #[serde(rename = "NPD")]
    Npd,
    NewRequest,
}

impl ServiceStatus {
    const ALL: [(&'static str, Self); 5] = [
        ("Active", Self::Active),
        ("Suspend", Self::Suspend),
        ("NP", Self::Np),
        ("NPD", Self::Npd),
        ("NewRequest", Self::NewRequest),
    ];

    /// One of `Active, Suspend, NP, NPD, NewRequest`, in any letter case.
    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        one_of(param, value, &Self::ALL)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("NewRequest", |(name, _)| name)
    }
}

pub const PLAN: TextRule = TextRule {
    max: 100,
    multiline: false,
};

/// The input of `service/create`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFields {
    pub customerid: CustomerId,
    pub username: Username,
    pub plan: String,
    pub status: ServiceStatus,
    pub notes: Option<String>,
}

impl ServiceFields {
    pub fn parse_create(f: &impl Fields) -> Result<Self, Invalid> {
        Ok(Self {
            customerid: f.parse_req("customerid", CustomerId::parse)?,
            username: f.parse_req("username", Username::parse)?,
            plan: f.parse_req("plan", PLAN.parser())?,
            status: f
                .parse_opt("status", ServiceStatus::parse)?
                .unwrap_or(ServiceStatus::NewRequest),
            notes: f.parse_opt("notes", text::NOTES.parser())?,
        })
    }
}

/// The input of `service/update`: only the parameters present change; an empty `notes`
/// clears the notes, an empty required field is refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceUpdate {
    pub serviceid: ServiceId,
    pub username: Option<Username>,
    pub plan: Option<String>,
    pub status: Option<ServiceStatus>,
    pub notes: Option<Option<String>>,
}

impl ServiceUpdate {
    pub fn parse(f: &impl Fields) -> Result<Self, Invalid> {
        let required = |name: &'static str| -> Result<Option<&str>, Invalid> {
            match f.get(name).map(str::trim) {
                None => Ok(None),
                Some("") => Err(Invalid::new(name, "must not be empty")),
                Some(v) => Ok(Some(v)),
            }
        };
        let update = Self {
            serviceid: f.parse_req("serviceid", ServiceId::parse)?,
            username: required("username")?
                .map(|v| Username::parse("username", v))
                .transpose()?,
            plan: required("plan")?
                .map(|v| PLAN.parse("plan", v))
                .transpose()?,
            status: required("status")?
                .map(|v| ServiceStatus::parse("status", v))
                .transpose()?,
            notes: f
                .get("notes")
                .map(|v| Some(v.trim()).filter(|v| !v.is_empty()))
                .map(|v| v.map(|v| text::NOTES.parse("notes", v)).transpose())
                .transpose()?,
        };
        if update.username.is_none()
            && update.plan.is_none()
            && update.status.is_none()
            && update.notes.is_none()
        {
            return Err(Invalid::new(
                "serviceid",
                "nothing to update: give username, plan, status or notes",
            ));
        }
        Ok(update)
    }
}

/// A stored service, as the service list returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub customerid: CustomerId,
    pub ispid: IspId,
    pub resellerid: ResellerId,
    pub username: String,
    pub plan: String,
    pub status: String,
    pub notes: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceSort {
    Id,
    Username,
}

/// `service/list`: filters, sort and paging.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceListRequest {
    pub ispid: Option<IspId>,
    pub resellerid: Option<ResellerId>,
    pub customerid: Option<CustomerId>,
    pub serviceid: Option<ServiceId>,
    pub username: Option<Pattern>,
    pub status: Option<ServiceStatus>,
    pub sort: ServiceSort,
    pub order: SortOrder,
    pub limit: u32,
    pub offset: u32,
    pub show_count: bool,
}

impl ServiceListRequest {
    pub fn parse(f: &impl Fields) -> Result<Self, Invalid> {
        Ok(Self {
            ispid: f.parse_opt("ispid", IspId::parse)?,
            resellerid: f.parse_opt("resellerid", ResellerId::parse)?,
            customerid: f.parse_opt("customerid", CustomerId::parse)?,
            serviceid: f.parse_opt("serviceid", ServiceId::parse)?,
            username: f
                .parse_opt("username", exact_text)?
                .map(|v| Pattern::new(&v, true)),
            status: f.parse_opt("status", ServiceStatus::parse)?,
            sort: f
                .parse_opt("sort_field", |p, v| {
                    one_of(
                        p,
                        v,
                        &[("id", ServiceSort::Id), ("username", ServiceSort::Username)],
                    )
                })?
                .unwrap_or(ServiceSort::Id),
            order: f
                .parse_opt("sort_order", |p, v| {
                    one_of(p, v, &[("asc", SortOrder::Asc), ("desc", SortOrder::Desc)])
                })?
                .unwrap_or(SortOrder::Asc),
            limit: f
                .parse_opt("rows_limit", |p, v| parse_u32_in(p, v, 1, MAX_LIMIT))?
                .unwrap_or(DEFAULT_LIMIT),
            offset: f
                .parse_opt("rows_offset", |p, v| parse_u32_in(p, v, 0, MAX_OFFSET))?
                .unwrap_or(0),
            show_count: f
                .parse_opt("show_count", |p, v| {
                    one_of(p, v, &[("0", false), ("1", true)])
                })?
                .unwrap_or(false),
        })
    }

    /// Whether a service passes every filter (scope is checked separately).
    pub fn matches(&self, s: &Service) -> bool {
        self.customerid.is_none_or(|c| c == s.customerid)
            && self.serviceid.is_none_or(|id| id == s.id)
            && self
                .username
                .as_ref()
                .is_none_or(|p| p.matches(&s.username))
            && self.status.is_none_or(|st| st.as_str() == s.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::fields::fields_of as fields;

    #[test]
    fn usernames_are_pppoe_safe_and_fold_for_uniqueness() {
        let u = Username::parse("username", " John.Doe@ISP ").unwrap();
        assert_eq!(
            (u.as_str(), u.folded().as_str()),
            ("John.Doe@ISP", "john.doe@isp")
        );
        for bad in ["", "a b", "50%", "é", &"x".repeat(65)] {
            assert!(Username::parse("username", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn status_defaults_to_new_request_and_reads_any_case() {
        let f = fields(&[("customerid", "1"), ("username", "u1"), ("plan", "50M")]);
        assert_eq!(
            ServiceFields::parse_create(&f).unwrap().status,
            ServiceStatus::NewRequest
        );
        assert_eq!(
            ServiceStatus::parse("status", "npd"),
            Ok(ServiceStatus::Npd)
        );
        assert_eq!(ServiceStatus::Npd.as_str(), "NPD");
        let err = ServiceStatus::parse("status", "Gone").unwrap_err();
        assert_eq!(
            err.rule,
            "must be one of Active, Suspend, NP, NPD, NewRequest"
        );
    }

    #[test]
    fn update_needs_a_change_and_refuses_empty_required_fields() {
        assert!(ServiceUpdate::parse(&fields(&[("serviceid", "3")])).is_err());
        assert!(ServiceUpdate::parse(&fields(&[("serviceid", "3"), ("plan", " ")])).is_err());
        let u = ServiceUpdate::parse(&fields(&[("serviceid", "3"), ("notes", "")])).unwrap();
        assert_eq!(u.notes, Some(None));
    }
}
