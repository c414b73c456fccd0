//! The attribute writes of an update (a customer's or a service's) as one UpdateExpression:
//! derived index keys follow the fields they come from.

use super::keys;
use super::keys::CustomerIndex::{ByCity, ByState, ByType};
use super::s;
use crate::domain::audit::Audit;
use crate::domain::customer::{Change, CustomerUpdate};
use crate::domain::scope::Actor;
use crate::domain::text::fold;
use aws_sdk_dynamodb::types::AttributeValue;

/// An update expression with its placeholder names and values.
pub(crate) type UpdateExpression = (
    String,
    Vec<(String, &'static str)>,
    Vec<(String, AttributeValue)>,
);

/// The attribute writes of an update (customer or service), derived index keys included.
#[derive(Debug, Default, PartialEq)]
pub struct Patch {
    pub(crate) set: Vec<(&'static str, AttributeValue)>,
    pub(crate) remove: Vec<&'static str>,
}

impl Patch {
    /// The writes of a customer `update`; derived sort keys follow the fields they come
    /// from, and `now` becomes `updated_at`.
    pub fn customer(
        update: &CustomerUpdate,
        now: &str,
        password_hash: Option<String>,
        by: Actor,
    ) -> Self {
        let id = update.customerid;
        let mut p = Self::default();
        let opt = |p: &mut Self, attr: &'static str, v: Option<String>| match v {
            Some(v) => p.set.push((attr, s(v))),
            None => p.remove.push(attr),
        };
        for change in &update.changes {
            match change {
                Change::Type(t) => {
                    p.set.push(("type", s(t.as_str())));
                    p.set
                        .push((ByType.key_attrs().1, s(keys::sort_key(t.as_str(), id))));
                }
                Change::Name(v) => {
                    p.set.push(("name", s(v.as_str())));
                    p.set.push(("name_key", s(keys::sort_key(&fold(v), id))));
                }
                Change::Surname(v) => opt(&mut p, "surname", v.clone()),
                Change::Dob(v) => opt(&mut p, "dob", v.map(|d| d.to_string())),
                Change::Mobile(m) => {
                    p.set.push(("mobile", s(m.as_str())));
                    p.set
                        .push(("mobile_key", s(keys::sort_key(m.as_str(), id))));
                }
                Change::Email(e) => {
                    p.set.push(("email", s(e.as_str())));
                    p.set
                        .push(("email_key", s(keys::sort_key(&e.folded(), id))));
                }
                Change::UniqueId(v) => opt(&mut p, "uniqueid", v.clone()),
                Change::Zipcode(z) => {
                    p.set.push(("zipcode", s(z.as_str())));
                    p.set
                        .push(("zipcode_key", s(keys::sort_key(z.as_str(), id))));
                }
                Change::State(v) => {
                    p.set.push(("state", s(v.as_str())));
                    p.set
                        .push((ByState.key_attrs().1, s(keys::sort_key(v, id))));
                }
                Change::City(v) => {
                    p.set.push(("city", s(v.as_str())));
                    p.set.push((ByCity.key_attrs().1, s(keys::sort_key(v, id))));
                }
                Change::Street(v) => p.set.push(("street", s(v.as_str()))),
                Change::Notes(v) => opt(&mut p, "notes", v.clone()),
            }
        }
        if let Some(hash) = password_hash {
            p.set.push(("portal_password_hash", s(hash)));
        }
        for (name, value) in Audit::updated(now, by) {
            p.set.push((name, s(value)));
        }
        p
    }

    pub(crate) fn expression(&self) -> UpdateExpression {
        let mut names = Vec::new();
        let mut values = Vec::new();
        let mut sets = Vec::new();
        for (i, (attr, value)) in self.set.iter().enumerate() {
            names.push((format!("#s{i}"), *attr));
            values.push((format!(":s{i}"), value.clone()));
            sets.push(format!("#s{i} = :s{i}"));
        }
        let mut expr = format!("SET {}", sets.join(", "));
        if !self.remove.is_empty() {
            let removes: Vec<_> = (0..self.remove.len()).map(|i| format!("#r{i}")).collect();
            for (i, attr) in self.remove.iter().enumerate() {
                names.push((format!("#r{i}"), *attr));
            }
            expr.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        (expr, names, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_rewrites_derived_keys_and_removes_cleared_fields() {
        let f = crate::domain::fields::fields_of(&[
            ("customerid", "9"),
            ("mobile", "98765 43210"),
            ("surname", ""),
            ("name", "Zed"),
        ]);
        let update = CustomerUpdate::parse(&f, jiff::civil::Date::constant(2026, 11, 27)).unwrap();
        let patch = Patch::customer(&update, "2026-11-27T05:10:00Z", None, Actor::Admin);
        let (expr, names, values) = patch.expression();
        let attrs: Vec<_> = names.iter().map(|(_, a)| *a).collect();
        assert!(
            attrs.contains(&"mobile_key")
                && attrs.contains(&"name_key")
                && attrs.contains(&"updated_at")
        );
        assert!(expr.contains("REMOVE"));
        assert!(
            values
                .iter()
                .any(|(_, v)| v == &s("9876543210\u{1}0000000000000009"))
        );
        assert!(
            values
                .iter()
                .any(|(_, v)| v == &s("zed\u{1}0000000000000009"))
        );
    }
}
