//! Customer and service records as a stream image holds them, read attribute by attribute.
//!
//! Only the fields the API returns for a record are read (the tables `domain::customer::FIELDS`
//! and `domain::service::FIELDS`): an allow-list, so an attribute added to the items later (a
//! hash, a derived `*_key`, a counter such as `service_count`) stays out of events until
//! someone declares it a field. A test below keeps the tables equal to what the API returns.

use super::EventsError;
use crate::domain::entity::Field;
use serde_dynamo::{AttributeValue, Item};
use serde_json::{Map, Value};

/// A customer's public fields, in the order the API returns them (`domain::customer::FIELDS`).
pub const CUSTOMER_FIELDS: &[Field] = crate::domain::customer::FIELDS;

/// A service's public fields (`domain::service::FIELDS`; a service item holds no password,
/// and `username_key` is derived).
pub const SERVICE_FIELDS: &[Field] = crate::domain::service::FIELDS;

/// Never in an event, whatever a field list says: checked by a test on the lists above.
pub fn is_secret_or_derived(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with("_key")
        || lower == "service_count"
        || [
            "hash", "sha256", "digest", "secret", "password", "api_key", "token",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

fn malformed(field: &str, why: impl Into<String>) -> EventsError {
    EventsError::Malformed {
        field: field.to_owned(),
        why: why.into(),
    }
}

/// One attribute as JSON, if present. `NULL` counts as absent (the API never writes it).
/// Numbers are stored as `N`, every other kind as `S`.
fn value(image: &Item, name: &str, number: bool) -> Result<Option<Value>, EventsError> {
    match (image.get(name), number) {
        (None | Some(AttributeValue::Null(_)), _) => Ok(None),
        (Some(AttributeValue::S(s)), false) => Ok(Some(Value::String(s.clone()))),
        (Some(AttributeValue::N(n)), true) => n
            .parse::<u64>()
            .map(|n| Some(Value::from(n)))
            .map_err(|_| malformed(name, format!("{n:?} is not a whole number"))),
        (Some(other), _) => Err(malformed(
            name,
            format!(
                "expected {}, found {}",
                if number { "Number" } else { "Text" },
                type_name(other)
            ),
        )),
    }
}

fn type_name(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::N(_) => "N",
        AttributeValue::S(_) => "S",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::B(_) => "B",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::M(_) => "M",
        AttributeValue::L(_) => "L",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
    }
}

/// The public fields `image` holds, in `fields` order; absent optional fields are left out.
pub fn public_record(image: &Item, fields: &[Field]) -> Result<Map<String, Value>, EventsError> {
    let mut out = Map::new();
    for field in fields {
        if let Some(v) = value(image, field.name, field.kind.is_number())? {
            out.insert(field.name.to_owned(), v);
        }
    }
    Ok(out)
}

/// A field every record has (ids, `updated_at`): its absence is a malformed image.
pub fn required<'a>(record: &'a Map<String, Value>, name: &str) -> Result<&'a Value, EventsError> {
    record
        .get(name)
        .ok_or_else(|| malformed(name, "missing from the image"))
}

/// `{field: {old, new}}` for each public field that differs, `updated_at` and `updated_by`
/// aside (they change with every write and travel in the event itself). A field added has no `old`, a field
/// removed no `new`. Empty: nothing a consumer cares about changed.
pub fn changes(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    fields: &[Field],
) -> Map<String, Value> {
    let mut out = Map::new();
    for Field { name, .. } in fields {
        let name = *name;
        if name == "updated_at" || name == "updated_by" {
            continue;
        }
        let (before, after) = (old.get(name), new.get(name));
        if before == after {
            continue;
        }
        let mut change = Map::new();
        if let Some(v) = before {
            change.insert("old".into(), v.clone());
        }
        if let Some(v) = after {
            change.insert("new".into(), v.clone());
        }
        out.insert(name.to_owned(), Value::Object(change));
    }
    out
}

/// Who wrote a record (`created_by` / `updated_by`): a userid (text or number) as
/// `("userid", N)`, anything else (`crm-admin`, or what an import kept from another system)
/// as `("actor", text)`; `None` if the record does not say.
pub fn user(image: &Item, attribute: &str) -> Result<Option<(&'static str, Value)>, EventsError> {
    match image.get(attribute) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => {
            Ok(Some(match s.trim().parse::<u64>() {
                Ok(id) => ("userid", Value::from(id)),
                Err(_) => ("actor", Value::String(s.clone())),
            }))
        }
        Some(other) => Err(malformed(
            attribute,
            format!("expected a userid, found {}", type_name(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Customer;
    use crate::domain::service::Service;
    use crate::store::records::{CustomerItem, ServiceItem};
    use std::collections::HashMap;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        let map: HashMap<String, AttributeValue> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Item::from(map)
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    /// The fields of a record as the API answers it, in order.
    fn keys(json: &serde_json::Value) -> Vec<&str> {
        json.as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    fn names(fields: &[Field]) -> Vec<&'static str> {
        fields.iter().map(|f| f.name).collect()
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.into())
    }

    /// The field lists are exactly what the API returns for a customer and a service.
    #[test]
    fn field_lists_are_what_the_api_returns() {
        let customer: CustomerItem = serde_dynamo::from_item(item(&[
            ("id", n("1")),
            ("ispid", n("1")),
            ("resellerid", n("1")),
            ("type", s("Individual")),
            ("name", s("A")),
            ("name_key", s("a")),
            ("mobile", s("123456")),
            ("mobile_key", s("k")),
            ("email", s("a@b.co")),
            ("email_key", s("k")),
            ("zipcode", s("1")),
            ("zipcode_key", s("k")),
            ("state", s("Goa")),
            ("city", s("Panaji")),
            ("street", s("x")),
            ("created_at", s("t")),
            ("created_key", s("k")),
            ("updated_at", s("t")),
        ]))
        .unwrap();
        let json = serde_json::to_value(Customer::from(customer)).unwrap();
        assert_eq!(keys(&json), names(CUSTOMER_FIELDS));

        let service: ServiceItem = serde_dynamo::from_item(item(&[
            ("id", n("3")),
            ("customerid", n("1")),
            ("ispid", n("1")),
            ("resellerid", n("1")),
            ("username", s("u")),
            ("username_key", s("k")),
            ("plan", s("p")),
            ("status", s("Active")),
            ("created_at", s("t")),
            ("updated_at", s("t")),
        ]))
        .unwrap();
        let json = serde_json::to_value(Service::from(service)).unwrap();
        assert_eq!(keys(&json), names(SERVICE_FIELDS));

        for Field { name, .. } in CUSTOMER_FIELDS.iter().chain(SERVICE_FIELDS) {
            assert!(
                !is_secret_or_derived(name),
                "{name} must never be in an event"
            );
        }
        for name in [
            "portal_password_hash",
            "name_key",
            "service_count",
            "key_sha256",
        ] {
            assert!(is_secret_or_derived(name), "{name}");
        }
    }

    #[test]
    fn absent_fields_are_absent_and_wrong_types_are_malformed() {
        let img = item(&[
            ("id", n("7")),
            ("name", s("A")),
            ("notes", AttributeValue::Null(true)),
            ("portal_password_hash", s("$argon2id$...")),
            ("name_key", s("a\u{1}7")),
        ]);
        let rec = public_record(&img, CUSTOMER_FIELDS).unwrap();
        assert_eq!(
            serde_json::Value::Object(rec.clone()),
            serde_json::json!({"id": 7, "name": "A"})
        );
        assert!(required(&rec, "ispid").is_err());

        let bad = item(&[("id", s("7"))]);
        let err = public_record(&bad, CUSTOMER_FIELDS).unwrap_err();
        assert!(err.to_string().contains("id"), "{err}");
        let bad = item(&[("ispid", n("1.5"))]);
        assert!(public_record(&bad, CUSTOMER_FIELDS).is_err());
    }

    #[test]
    fn changes_name_old_and_new_and_ignore_updated_at() {
        let old = public_record(
            &item(&[
                ("status", s("Active")),
                ("notes", s("n")),
                ("updated_at", s("1")),
            ]),
            SERVICE_FIELDS,
        )
        .unwrap();
        let new = public_record(
            &item(&[
                ("status", s("Suspend")),
                ("plan", s("p")),
                ("updated_at", s("2")),
            ]),
            SERVICE_FIELDS,
        )
        .unwrap();
        assert_eq!(
            Value::Object(changes(&old, &new, SERVICE_FIELDS)),
            serde_json::json!({
                "plan": {"new": "p"},
                "status": {"old": "Active", "new": "Suspend"},
                "notes": {"old": "n"},
            })
        );
        assert!(changes(&old, &old, SERVICE_FIELDS).is_empty());
    }

    #[test]
    fn users_are_read_as_text_or_number() {
        assert_eq!(
            user(&item(&[("updated_by", s("5"))]), "updated_by").unwrap(),
            Some(("userid", Value::from(5)))
        );
        assert_eq!(
            user(&item(&[("created_by", n("7"))]), "created_by").unwrap(),
            Some(("userid", Value::from(7)))
        );
        assert_eq!(user(&item(&[]), "created_by").unwrap(), None);
        assert_eq!(
            user(&item(&[("updated_by", s("crm-admin"))]), "updated_by").unwrap(),
            Some(("actor", Value::from("crm-admin")))
        );
    }
}
