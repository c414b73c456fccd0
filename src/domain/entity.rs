//! An entity's public fields, declared once as a table (`customer::FIELDS`,
//! `service::FIELDS`): what the list returns, an event carries and a CSV file holds, in that
//! order. The event allow-list, the CSV columns and required columns and the create and update
//! parameters of the contract are read from the tables (`names`); what cannot be read from
//! them (a serde struct, a typed parser) has a test that fails when it differs.
//!
//! Attributes that only the store keeps (`*_key` sort keys, the portal password's hash,
//! `service_count`) are not fields: they never leave the store.

use super::text::TextRule;

/// What a field holds, and so how it is stored: `Number` as a DynamoDB `N`, the rest as `S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number (ids).
    Number,
    Text,
    /// `yyyy-mm-dd`.
    Date,
    /// RFC 3339 UTC to the second (`created_at`, `updated_at`).
    Time,
    /// One of a fixed set of names (`type`, `status`).
    Choice,
}

impl Kind {
    pub const fn is_number(self) -> bool {
        matches!(self, Self::Number)
    }
}

/// Who gives a field its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The API: ids, the audit fields, a service's ISP and reseller (its customer's).
    Assigned,
    /// The caller, on create only: where the record goes (a customer's ISP and reseller, a
    /// service's customer). An update cannot move a record.
    Placement,
    /// The caller, required on create; an update may change it but not empty it.
    Required,
    /// The caller, optional on create with a default; an update may change it but not empty it.
    Defaulted,
    /// The caller, optional; an update's empty value clears it.
    Optional,
}

/// One public field of an entity.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub input: Input,
    /// The free-text rule of a text field the caller writes (`None`: a typed value with its
    /// own parser, or not written by callers).
    pub rule: Option<TextRule>,
    /// A value its parser accepts: for tests, and for an import reading past a refused value.
    pub example: &'static str,
}

impl Field {
    pub const fn new(name: &'static str, kind: Kind, input: Input, example: &'static str) -> Self {
        Self {
            name,
            kind,
            input,
            rule: None,
            example,
        }
    }

    /// Free text under `rule` (`x` is an example every rule accepts).
    pub const fn text(name: &'static str, input: Input, rule: TextRule) -> Self {
        Self {
            name,
            kind: Kind::Text,
            input,
            rule: Some(rule),
            example: "x",
        }
    }
}

/// A subset of a table's fields, by who writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Every field: the list's JSON, an event, a CSV row.
    All,
    /// What a create reads: placement and every field the caller writes.
    Create,
    /// What an update may change: the fields the caller writes, placement aside.
    Update,
    /// What a create cannot do without: placement and the required fields.
    RequiredOnCreate,
}

impl Pick {
    pub const fn takes(self, input: Input) -> bool {
        use Input::*;
        match self {
            Self::All => true,
            Self::Create => !matches!(input, Assigned),
            Self::Update => matches!(input, Required | Defaulted | Optional),
            Self::RequiredOnCreate => matches!(input, Placement | Required),
        }
    }
}

/// The audit fields every entity ends with (`audit::Audit`).
pub const AUDIT: [Field; 4] = [
    Field::new(
        "created_at",
        Kind::Time,
        Input::Assigned,
        "2026-11-27T05:10:00Z",
    ),
    Field::new(
        "updated_at",
        Kind::Time,
        Input::Assigned,
        "2026-11-27T05:10:00Z",
    ),
    Field::new("created_by", Kind::Text, Input::Assigned, "crm-admin"),
    Field::new("updated_by", Kind::Text, Input::Assigned, "crm-admin"),
];

/// An entity's table: its own fields, then `AUDIT` (`N` is `own.len() + AUDIT.len()`).
pub const fn with_audit<const N: usize>(own: &[Field]) -> [Field; N] {
    let mut out = [AUDIT[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < own.len() {
            own[i]
        } else {
            AUDIT[i - own.len()]
        };
        i += 1;
    }
    assert!(N == own.len() + AUDIT.len(), "N must be own.len() + 4");
    out
}

/// How many names `names` returns for the same arguments (the length of its array).
pub const fn count(before: &[&str], fields: &[Field], pick: Pick, after: &[&str]) -> usize {
    let mut n = before.len() + after.len();
    let mut i = 0;
    while i < fields.len() {
        if pick.takes(fields[i].input) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// `before`, the names of the `pick`ed fields in table order, then `after`: a parameter or
/// column list as a constant (`N` is `count` of the same arguments; a wrong `N` fails to
/// compile).
pub const fn names<const N: usize>(
    before: &[&'static str],
    fields: &[Field],
    pick: Pick,
    after: &[&'static str],
) -> [&'static str; N] {
    let mut out = [""; N];
    let mut n = 0;
    let mut i = 0;
    while i < before.len() {
        out[n] = before[i];
        n += 1;
        i += 1;
    }
    i = 0;
    while i < fields.len() {
        if pick.takes(fields[i].input) {
            out[n] = fields[i].name;
            n += 1;
        }
        i += 1;
    }
    i = 0;
    while i < after.len() {
        out[n] = after[i];
        n += 1;
        i += 1;
    }
    assert!(n == N, "N must be count() of the same arguments");
    out
}

/// The field named `name`, if the table has one.
pub fn field<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.name == name)
}

/// The names of the `pick`ed fields, for code that needs no constant.
pub fn picked(fields: &[Field], pick: Pick) -> impl Iterator<Item = &'static str> + '_ {
    fields
        .iter()
        .filter(move |f| pick.takes(f.input))
        .map(|f| f.name)
}

/// A constant `[&str; N]` of `entity::names(before, fields, pick, after)`, its length counted.
#[macro_export]
macro_rules! field_names {
    ($before:expr, $fields:expr, $pick:expr, $after:expr) => {{
        const N: usize = $crate::domain::entity::count($before, $fields, $pick, $after);
        const NAMES: [&str; N] = $crate::domain::entity::names($before, $fields, $pick, $after);
        NAMES
    }};
}

/// Test helpers: what a parser reads, and the keys a value serialises to.
#[cfg(test)]
pub(crate) mod check {
    use crate::domain::Fields;
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    /// Request fields that remember every name read.
    pub struct Reads {
        pub values: HashMap<String, String>,
        pub read: RefCell<BTreeSet<String>>,
    }

    impl Reads {
        pub fn new(pairs: &[(&str, &str)]) -> Self {
            Self {
                values: crate::domain::fields::fields_of(pairs),
                read: RefCell::default(),
            }
        }

        pub fn names(&self) -> BTreeSet<String> {
            self.read.borrow().clone()
        }
    }

    impl Fields for Reads {
        fn get(&self, name: &str) -> Option<&str> {
            self.read.borrow_mut().insert(name.to_owned());
            self.values.get(name).map(String::as_str)
        }

        fn pairs(&self) -> Vec<(&str, &str)> {
            self.values
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        }
    }

    /// The keys of a value serialised to a JSON object, in order.
    pub fn keys(value: &impl serde::Serialize) -> Vec<String> {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
            other => panic!("not an object: {other:?}"),
        }
    }

    pub fn set<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        names.into_iter().map(str::to_owned).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &[Field] = &[
        Field::new("id", Kind::Number, Input::Assigned, "1"),
        Field::new("at", Kind::Number, Input::Placement, "1"),
        Field::text("a", Input::Required, super::super::text::NAME),
        Field::new("b", Kind::Text, Input::Optional, "b"),
    ];

    #[test]
    fn names_pick_in_table_order_between_before_and_after() {
        assert_eq!(
            field_names!(&["k"], T, Pick::Create, &["z"]),
            ["k", "at", "a", "b", "z"]
        );
        assert_eq!(field_names!(&[], T, Pick::Update, &[]), ["a", "b"]);
        assert_eq!(
            field_names!(&[], T, Pick::RequiredOnCreate, &[]),
            ["at", "a"]
        );
        assert_eq!(
            picked(T, Pick::All).collect::<Vec<_>>(),
            ["id", "at", "a", "b"]
        );
    }
}
