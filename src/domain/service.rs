//! Services of a customer (an internet subscription with its PPPoE username): typed values,
//! create and update input, and the service list request.

use super::audit::Audit;
use super::entity::{self, Field, Input, Kind};
use super::ids::{CustomerId, IspId, ResellerId, ServiceId};
use super::list::{Pattern, exact_text};
use super::paging::{PagingRules, SortOrder, one_of};
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
        Self::fold(&self.0)
    }

    /// `folded` of a username already stored (or a search prefix): the one folding rule.
    pub fn fold(value: &str) -> String {
        value.to_ascii_lowercase()
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

/// A service's public fields, in the order the service list returns them (see `entity`).
pub const FIELDS: &[Field] = &entity::with_audit::<{ OWN_FIELDS.len() + 4 }>(OWN_FIELDS);

const OWN_FIELDS: &[Field] = &[
    Field::new("id", Kind::Number, Input::Assigned, "1"),
    Field::new("customerid", Kind::Number, Input::Placement, "1"),
    // The customer's, copied: scope is checked on the service itself.
    Field::new("ispid", Kind::Number, Input::Assigned, "1"),
    Field::new("resellerid", Kind::Number, Input::Assigned, "1"),
    Field::new("username", Kind::Text, Input::Required, "u1"),
    Field::text("plan", Input::Required, PLAN),
    Field::new("status", Kind::Choice, Input::Defaulted, "Active"),
    Field::text("notes", Input::Optional, text::NOTES),
];

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
        let required = |name| f.unless_empty(name);
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
                .clearable("notes")
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
    #[serde(flatten)]
    pub audit: Audit,
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

/// The service list's paging: no `cursor`.
pub const PAGING: PagingRules<ServiceSort> = PagingRules {
    sorts: &[("id", ServiceSort::Id), ("username", ServiceSort::Username)],
    offset: true,
    cursor: false,
};

impl ServiceListRequest {
    pub fn parse(f: &impl Fields) -> Result<Self, Invalid> {
        let ispid = f.parse_opt("ispid", IspId::parse)?;
        let resellerid = f.parse_opt("resellerid", ResellerId::parse)?;
        let customerid = f.parse_opt("customerid", CustomerId::parse)?;
        let serviceid = f.parse_opt("serviceid", ServiceId::parse)?;
        let username = f.parse_opt("username", exact_text)?;
        let status = f.parse_opt("status", ServiceStatus::parse)?;
        let paging = PAGING.parse(f)?;
        Ok(Self {
            ispid,
            resellerid,
            customerid,
            serviceid,
            username: username.map(|v| Pattern::new(&v, true)),
            status,
            sort: paging.sort.unwrap_or(ServiceSort::Id),
            order: paging.order,
            limit: paging.limit,
            offset: paging.offset,
            show_count: paging.show_count,
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

    use crate::domain::entity::check::{Reads, set};
    use crate::domain::entity::{Pick, picked};
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

    fn sample(name: &str) -> &'static str {
        crate::domain::entity::field(FIELDS, name).map_or("", |f| f.example)
    }

    /// Create and update read what the table declares, and treat each field as it says.
    #[test]
    fn parsers_follow_the_table() {
        let create: Vec<_> = picked(FIELDS, Pick::Create).collect();
        let values: Vec<_> = create.iter().map(|n| (*n, sample(n))).collect();
        let f = Reads::new(&values);
        ServiceFields::parse_create(&f).unwrap();
        assert_eq!(f.names(), set(create.iter().copied()));
        for field in FIELDS.iter().filter(|f| Pick::Create.takes(f.input)) {
            let others: Vec<_> = values
                .iter()
                .copied()
                .filter(|(n, _)| *n != field.name)
                .collect();
            let result = ServiceFields::parse_create(&fields(&others));
            match Pick::RequiredOnCreate.takes(field.input) {
                true => assert_eq!(result.unwrap_err(), Invalid::required(field.name)),
                false => assert!(result.is_ok(), "{}", field.name),
            }
        }

        let update: Vec<_> = picked(FIELDS, Pick::Update).collect();
        let mut values: Vec<_> = update.iter().map(|n| (*n, sample(n))).collect();
        values.push(("serviceid", "3"));
        let f = Reads::new(&values);
        ServiceUpdate::parse(&f).unwrap();
        let mut expected = set(update.iter().copied());
        expected.insert("serviceid".into());
        assert_eq!(f.names(), expected);
        for field in FIELDS.iter().filter(|f| Pick::Update.takes(f.input)) {
            let result = ServiceUpdate::parse(&fields(&[("serviceid", "3"), (field.name, "")]));
            match field.input {
                Input::Optional => assert!(result.is_ok(), "{}", field.name),
                _ => assert_eq!(
                    result.unwrap_err().to_string(),
                    format!("{}: must not be empty", field.name)
                ),
            }
        }
        for field in FIELDS {
            let Some(rule) = field.rule else { continue };
            let long = "x".repeat(rule.max + 1);
            let f = fields(&[("serviceid", "3"), (field.name, &long)]);
            assert_eq!(
                ServiceUpdate::parse(&f).unwrap_err().to_string(),
                format!("{}: must be at most {} characters", field.name, rule.max)
            );
        }
    }

    #[test]
    fn update_needs_a_change_and_refuses_empty_required_fields() {
        assert!(ServiceUpdate::parse(&fields(&[("serviceid", "3")])).is_err());
        assert!(ServiceUpdate::parse(&fields(&[("serviceid", "3"), ("plan", " ")])).is_err());
        let u = ServiceUpdate::parse(&fields(&[("serviceid", "3"), ("notes", "")])).unwrap();
        assert_eq!(u.notes, Some(None));
    }
}
