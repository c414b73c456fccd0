//! What a history entry says changed: the fields callers write (`Input::Required |
//! Defaulted | Optional`), old and new, read from the stored items; and the condition that
//! keeps those old values exact.

use crate::domain::entity::{Field, Input};
use crate::store::conditions::Condition;
use crate::store::{Item, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

/// One field's change: `old` absent on a create, `new` absent when cleared; both absent for
/// a secret (`portal_password`) and after an erase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(default)]
    pub old: Option<String>,
    #[serde(default)]
    pub new: Option<String>,
}

impl FieldChange {
    /// Whether it shows a value (not a password reset's, nor an erased one's).
    pub fn has_value(&self) -> bool {
        self.old.is_some() || self.new.is_some()
    }
}

/// The attribute that names a customer's password hash, and the field a change of it shows.
const PASSWORD_ATTR: &str = "portal_password_hash";
const PASSWORD_FIELD: &str = "portal_password";

/// Whether callers write the field (what a history shows).
fn shown(f: &Field) -> bool {
    matches!(
        f.input,
        Input::Required | Input::Defaulted | Input::Optional
    )
}

pub(super) fn text(v: Option<&AttributeValue>) -> Option<String> {
    match v {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        Some(AttributeValue::N(v)) => Some(v.clone()),
        _ => None,
    }
}

/// The shown fields of a new record (`old` absent).
pub fn created(fields: &[Field], item: &Item) -> Vec<FieldChange> {
    fields
        .iter()
        .filter(|f| shown(f))
        .filter_map(|f| {
            text(item.get(f.name)).map(|v| FieldChange {
                field: f.name.to_owned(),
                old: None,
                new: Some(v),
            })
        })
        .collect()
}

/// The shown fields a patch changes on a record read as `old` (unchanged values left out).
pub fn updated(
    fields: &[Field],
    old: &Item,
    set: &[(&'static str, AttributeValue)],
    remove: &[&'static str],
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for f in fields.iter().filter(|f| shown(f)) {
        let new = match (
            set.iter().find(|(a, _)| *a == f.name),
            remove.contains(&f.name),
        ) {
            (Some((_, v)), _) => text(Some(v)),
            (None, true) => None,
            (None, false) => continue,
        };
        let before = text(old.get(f.name));
        if before != new {
            changes.push(FieldChange {
                field: f.name.to_owned(),
                old: before,
                new,
            });
        }
    }
    if set.iter().any(|(a, _)| *a == PASSWORD_ATTR) {
        changes.push(FieldChange {
            field: PASSWORD_FIELD.to_owned(),
            old: None,
            new: None,
        });
    }
    changes
}

/// Placeholders of `as_read`: a record has fewer fields than this.
const NAMES: [&str; 16] = [
    "#h0", "#h1", "#h2", "#h3", "#h4", "#h5", "#h6", "#h7", "#h8", "#h9", "#h10", "#h11", "#h12",
    "#h13", "#h14", "#h15",
];
const VALUES: [&str; 16] = [
    ":h0", ":h1", ":h2", ":h3", ":h4", ":h5", ":h6", ":h7", ":h8", ":h9", ":h10", ":h11", ":h12",
    ":h13", ":h14", ":h15",
];

/// The condition that a record's fields are as read, with its placeholder names (`#h0` →
/// attribute).
pub type AsRead = Condition;

/// The condition that the shown fields a patch writes are still as read in `old`, so the
/// entry's old values are exactly what the write replaced.
pub fn as_read(
    fields: &[Field],
    old: &Item,
    set: &[(&'static str, AttributeValue)],
    remove: &[&'static str],
) -> Result<AsRead, StoreError> {
    let mut names = Vec::new();
    let mut terms = Vec::new();
    let mut values = Vec::new();
    let written = fields
        .iter()
        .filter(|f| shown(f))
        .filter(|f| set.iter().any(|(a, _)| *a == f.name) || remove.contains(&f.name));
    for (i, f) in written.enumerate() {
        let (Some(name), Some(value)) = (NAMES.get(i), VALUES.get(i)) else {
            return Err(StoreError::Other(
                "history: too many fields in one patch".into(),
            ));
        };
        names.push(((*name).to_owned(), f.name.to_owned()));
        match old.get(f.name) {
            Some(v) => {
                terms.push(format!("{name} = {value}"));
                values.push((*value, v.clone()));
            }
            None => terms.push(format!("attribute_not_exists({name})")),
        }
    }
    let expr = match terms.is_empty() {
        true => "attribute_exists(id)".to_owned(),
        false => terms.join(" AND "),
    };
    Ok(Condition {
        expr,
        names,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::FIELDS;
    use crate::store::s;

    #[test]
    fn an_update_shows_changed_caller_fields_only_and_never_a_hash() {
        let old = Item::from([
            ("mobile".to_owned(), s("111")),
            ("mobile_key".to_owned(), s("111\u{1}x")),
            ("city".to_owned(), s("Goa")),
            ("surname".to_owned(), s("Rao")),
        ]);
        let set = [
            ("mobile", s("222")),
            ("mobile_key", s("222\u{1}x")),
            ("city", s("Goa")),
            ("portal_password_hash", s("$argon2id$secret")),
            ("updated_at", s("2026-12-07T10:00:00Z")),
        ];
        let changes = updated(FIELDS, &old, &set, &["surname"]);
        let shown: Vec<_> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.old.as_deref(), c.new.as_deref()))
            .collect();
        assert_eq!(
            shown,
            [
                ("surname", Some("Rao"), None),
                ("mobile", Some("111"), Some("222")),
                ("portal_password", None, None),
            ]
        );
        let cond = as_read(FIELDS, &old, &set, &["surname"]).unwrap();
        let attrs: Vec<_> = cond.names.iter().map(|(_, a)| a.as_str()).collect();
        assert_eq!(attrs, ["surname", "mobile", "city"]);
        assert_eq!(cond.expr, "#h0 = :h0 AND #h1 = :h1 AND #h2 = :h2");
    }
}
