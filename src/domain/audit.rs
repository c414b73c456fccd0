//! When a record was created and last changed, and by whom: the same four fields on customers,
//! services, ISPs, resellers and users, in their stored items and in what the API returns
//! (`#[serde(flatten)]`). A create stamps all four (`Audit::created`), an update the last two
//! (`Audit::updated`); nothing else writes them (an import keeps another system's).

use super::scope::Actor;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    pub created_at: String,
    /// Every record written by this API has it; ISPs and resellers written before it was
    /// recorded do not (`null` in their lists).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// `Actor::label`: a userid, or `crm-admin`; absent on records written before they were
    /// recorded.
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub updated_by: Option<String>,
}

impl Audit {
    /// The stamp of a record created at `at` by `by`: created and last updated then, by it.
    pub fn created(at: String, by: Actor) -> Self {
        Self {
            created_at: at.clone(),
            updated_at: Some(at),
            created_by: Some(by.label()),
            updated_by: Some(by.label()),
        }
    }

    /// What an update at `at` by `by` writes: `updated_at` and `updated_by`, by name.
    pub fn updated(at: impl Into<String>, by: Actor) -> [(&'static str, String); 2] {
        [("updated_at", at.into()), ("updated_by", by.label())]
    }

    /// The fields it has, by name: a stored item leaves an absent one out rather than
    /// storing `NULL` (see `store::records`).
    pub fn present(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("created_at", Some(self.created_at.as_str())),
            ("updated_at", self.updated_at.as_deref()),
            ("created_by", self.created_by.as_deref()),
            ("updated_by", self.updated_by.as_deref()),
        ]
        .into_iter()
        .filter_map(|(name, v)| Some((name, v?)))
    }
}

/// The time a stamp records: now, to the second, as records store it.
pub fn now() -> String {
    rfc3339_seconds(jiff::Timestamp::now())
}

/// Formats an instant the way records store it: `2026-11-27T05:10:00Z` (string order is
/// time order).
pub fn rfc3339_seconds(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    #[test]
    fn present_names_what_serde_names_and_updates_name_its_fields() {
        let a = Audit::created("t".into(), Actor::User(UserId(5)));
        let names: Vec<_> = a.present().map(|(n, _)| n).collect();
        assert_eq!(crate::domain::entity::check::keys(&a), names);
        let declared: Vec<_> = crate::domain::entity::AUDIT
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, declared, "the entity tables' audit rows");
        assert_eq!(a.updated_by.as_deref(), Some("5"));
        let json = serde_json::to_value(&a).unwrap();
        for (name, value) in Audit::updated("u", Actor::Admin) {
            assert!(json.get(name).is_some(), "{name}");
            assert!(!value.is_empty());
        }
        let old = Audit {
            created_at: "t".into(),
            updated_at: None,
            created_by: None,
            updated_by: None,
        };
        assert_eq!(old.present().count(), 1);
        assert_eq!(
            serde_json::to_value(&old).unwrap(),
            serde_json::json!({"created_at": "t", "updated_at": null, "created_by": null, "updated_by": null})
        );
    }
}
