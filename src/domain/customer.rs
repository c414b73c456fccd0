//! A customer: its field table, the inputs of create and update parsed from request fields,
//! and the record the list returns. Its typed values: `values`.

use super::audit::Audit;
use super::entity::{self, Field, Input, Kind};
use super::ids::{CustomerId, IspId, ResellerId};
use super::text::{self, TextRule};
use super::{Fields, Invalid};
use jiff::civil::Date;
use serde::Serialize;

mod values;
pub use values::{CustomerType, Email, Mobile, Zipcode, parse_date, parse_dob};

/// A customer's public fields, in the order the list returns them (see `entity`). A new
/// field: a row here, its rule if new, its place in `CustomerFields`, `Change` and `Customer`
/// (the tests below fail until they agree), and the docs.
pub const FIELDS: &[Field] = &entity::with_audit::<{ OWN_FIELDS.len() + 4 }>(OWN_FIELDS);

/// `customer/history` pages newest first by `rows_limit` and `cursor`, as every list does.
pub const HISTORY_PAGING: super::paging::PagingRules<()> = super::paging::PagingRules {
    sorts: &[],
    offset: false,
    cursor: true,
};

const OWN_FIELDS: &[Field] = &[
    Field::new("id", Kind::Number, Input::Assigned, "1"),
    Field::new("ispid", Kind::Number, Input::Placement, "1"),
    Field::new("resellerid", Kind::Number, Input::Placement, "1"),
    Field::new("type", Kind::Choice, Input::Required, "Individual"),
    Field::text("name", Input::Required, text::NAME),
    Field::text("surname", Input::Optional, text::NAME),
    Field::new("dob", Kind::Date, Input::Optional, "1990-01-31"),
    Field::new("mobile", Kind::Text, Input::Required, "12344444"),
    Field::new("email", Kind::Text, Input::Required, "abc@email.com"),
    Field::text("uniqueid", Input::Optional, text::UNIQUE_ID),
    Field::new("zipcode", Kind::Text, Input::Required, "12345"),
    Field::text("state", Input::Required, text::PLACE),
    Field::text("city", Input::Required, text::PLACE),
    Field::text("street", Input::Required, text::STREET),
    Field::text("notes", Input::Optional, text::NOTES),
];

/// The fields of a customer that callers write (create sets them, update changes some).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerFields {
    pub ctype: CustomerType,
    pub name: String,
    pub surname: Option<String>,
    pub dob: Option<Date>,
    pub mobile: Mobile,
    pub email: Email,
    pub uniqueid: Option<String>,
    pub zipcode: Zipcode,
    pub state: String,
    pub city: String,
    pub street: String,
    pub notes: Option<String>,
}

impl CustomerFields {
    /// Every required field of create, each checked; the first failure is reported.
    pub fn parse_create(f: &impl Fields, today: Date) -> Result<Self, Invalid> {
        Ok(Self {
            ctype: f.parse_req("type", CustomerType::parse)?,
            name: f.parse_req("name", text::NAME.parser())?,
            surname: f.parse_opt("surname", text::NAME.parser())?,
            dob: f.parse_opt("dob", |p, v| parse_dob(p, v, today))?,
            mobile: f.parse_req("mobile", Mobile::parse)?,
            email: f.parse_req("email", Email::parse)?,
            uniqueid: f.parse_opt("uniqueid", text::UNIQUE_ID.parser())?,
            zipcode: f.parse_req("zipcode", Zipcode::parse)?,
            state: f.parse_req("state", text::PLACE.parser())?,
            city: f.parse_req("city", text::PLACE.parser())?,
            street: f.parse_req("street", text::STREET.parser())?,
            notes: f.parse_opt("notes", text::NOTES.parser())?,
        })
    }
}

/// One field change of an update. `None` clears an optional field.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Type(CustomerType),
    Name(String),
    Surname(Option<String>),
    Dob(Option<Date>),
    Mobile(Mobile),
    Email(Email),
    UniqueId(Option<String>),
    Zipcode(Zipcode),
    State(String),
    City(String),
    Street(String),
    Notes(Option<String>),
}

/// What an update asks for: the fields it changes and whether to reset the portal password.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerUpdate {
    pub customerid: CustomerId,
    pub changes: Vec<Change>,
    pub reset_password: bool,
}

impl CustomerUpdate {
    /// Only the parameters present change. An empty value clears an optional field and is
    /// refused for a required one.
    pub fn parse(f: &impl Fields, today: Date) -> Result<Self, Invalid> {
        let customerid = f.parse_req("customerid", CustomerId::parse)?;
        let mut changes = Vec::new();

        // Required-on-create fields: present and non-empty, or not given at all; optional
        // fields: an empty value clears them.
        let required = |name| f.unless_empty(name);
        let optional = |name| f.clearable(name);
        let text = |rule: TextRule, name: &'static str| -> Result<Option<String>, Invalid> {
            required(name)?.map(|v| rule.parse(name, v)).transpose()
        };
        let opt_text =
            |rule: TextRule, name: &'static str| -> Result<Option<Option<String>>, Invalid> {
                optional(name)
                    .map(|v| v.map(|v| rule.parse(name, v)).transpose())
                    .transpose()
            };

        if let Some(v) = required("type")? {
            changes.push(Change::Type(CustomerType::parse("type", v)?));
        }
        if let Some(v) = text(text::NAME, "name")? {
            changes.push(Change::Name(v));
        }
        if let Some(v) = opt_text(text::NAME, "surname")? {
            changes.push(Change::Surname(v));
        }
        if let Some(v) = optional("dob") {
            let dob = v.map(|v| parse_dob("dob", v, today)).transpose()?;
            changes.push(Change::Dob(dob));
        }
        if let Some(v) = required("mobile")? {
            changes.push(Change::Mobile(Mobile::parse("mobile", v)?));
        }
        if let Some(v) = required("email")? {
            changes.push(Change::Email(Email::parse("email", v)?));
        }
        if let Some(v) = opt_text(text::UNIQUE_ID, "uniqueid")? {
            changes.push(Change::UniqueId(v));
        }
        if let Some(v) = required("zipcode")? {
            changes.push(Change::Zipcode(Zipcode::parse("zipcode", v)?));
        }
        if let Some(v) = text(text::PLACE, "state")? {
            changes.push(Change::State(v));
        }
        if let Some(v) = text(text::PLACE, "city")? {
            changes.push(Change::City(v));
        }
        if let Some(v) = text(text::STREET, "street")? {
            changes.push(Change::Street(v));
        }
        if let Some(v) = opt_text(text::NOTES, "notes")? {
            changes.push(Change::Notes(v));
        }

        let reset_password = match f.optional("reset_password") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("y") => true,
            Some(v) if v.eq_ignore_ascii_case("n") => false,
            Some(_) => return Err(Invalid::new("reset_password", "must be Y or N")),
        };
        if changes.is_empty() && !reset_password {
            return Err(Invalid::new(
                "customerid",
                "nothing to update: give at least one field to change, or reset_password=Y",
            ));
        }
        Ok(Self {
            customerid,
            changes,
            reset_password,
        })
    }
}

/// A stored customer, as the list returns it. Never carries the portal password hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    pub id: CustomerId,
    pub ispid: IspId,
    pub resellerid: ResellerId,
    #[serde(rename = "type")]
    pub ctype: String,
    pub name: String,
    pub surname: Option<String>,
    pub dob: Option<String>,
    pub mobile: String,
    pub email: String,
    pub uniqueid: Option<String>,
    pub zipcode: String,
    pub state: String,
    pub city: String,
    pub street: String,
    pub notes: Option<String>,
    #[serde(flatten)]
    pub audit: Audit,
}

/// A restorable copy as the list shows it: the customer as it was deleted, and when it was,
/// by whom, and until when `customer/restore` brings it back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeletedCustomer {
    #[serde(flatten)]
    pub customer: Customer,
    pub deleted_at: String,
    pub deleted_by: Option<String>,
    pub restorable_until: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::constant(2026, 11, 27)
    }

    use crate::domain::entity::check::{Reads, set};
    use crate::domain::entity::{Pick, picked};
    use crate::domain::fields::fields_of as fields;

    #[test]
    fn create_reports_each_missing_required_field() {
        let full = [
            ("type", "Individual"),
            ("name", "Some Name"),
            ("mobile", "12344444"),
            ("email", "abc@email.com"),
            ("zipcode", "12345"),
            ("state", "Goa"),
            ("city", "Panaji"),
            ("street", "3rd street"),
        ];
        assert!(CustomerFields::parse_create(&fields(&full), today()).is_ok());
        for skip in 0..full.len() {
            let partial: Vec<_> = full
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, p)| *p)
                .collect();
            let err = CustomerFields::parse_create(&fields(&partial), today()).unwrap_err();
            assert_eq!(err, Invalid::required(full[skip].0));
        }
    }

    /// The table's example of a field (a value its parser accepts).
    fn sample(name: &str) -> &'static str {
        crate::domain::entity::field(FIELDS, name).map_or("", |f| f.example)
    }

    fn written() -> Vec<&'static str> {
        picked(FIELDS, Pick::Update).collect()
    }

    /// Create and update read exactly the fields the table says the caller writes.
    #[test]
    fn parsers_read_the_declared_fields() {
        let values: Vec<_> = written().into_iter().map(|n| (n, sample(n))).collect();
        let f = Reads::new(&values);
        CustomerFields::parse_create(&f, today()).unwrap();
        assert_eq!(f.names(), set(written()));

        let mut values = values;
        values.push(("customerid", "9"));
        let f = Reads::new(&values);
        let u = CustomerUpdate::parse(&f, today()).unwrap();
        assert_eq!(u.changes.len(), written().len(), "one change per field");
        let mut expected = set(written());
        expected.extend(set(["customerid", "reset_password"]));
        assert_eq!(f.names(), expected);
    }

    /// A create without a field fails exactly when the table says the field is required;
    /// an update refuses to empty it, or clears it.
    #[test]
    fn required_and_optional_are_as_declared() {
        for field in FIELDS.iter().filter(|f| Pick::Update.takes(f.input)) {
            let others: Vec<_> = written()
                .into_iter()
                .filter(|n| *n != field.name)
                .map(|n| (n, sample(n)))
                .collect();
            let create = CustomerFields::parse_create(&fields(&others), today());
            let update =
                CustomerUpdate::parse(&fields(&[("customerid", "9"), (field.name, "")]), today());
            if field.input == Input::Optional {
                assert!(create.is_ok(), "{}", field.name);
                assert_eq!(update.unwrap().changes.len(), 1, "{}", field.name);
            } else {
                assert_eq!(create.unwrap_err(), Invalid::required(field.name));
                assert_eq!(
                    update.unwrap_err().to_string(),
                    format!("{}: must not be empty", field.name)
                );
            }
        }
    }

    /// Each text rule of the table is the one create and update apply.
    #[test]
    fn text_rules_are_as_declared() {
        for field in FIELDS {
            let Some(rule) = field.rule else { continue };
            let long = "x".repeat(rule.max + 1);
            let mut values: Vec<_> = written().into_iter().map(|n| (n, sample(n))).collect();
            values.retain(|(n, _)| *n != field.name);
            values.push((field.name, &long));
            let err = CustomerFields::parse_create(&fields(&values), today()).unwrap_err();
            let want = format!("{}: must be at most {} characters", field.name, rule.max);
            assert_eq!(err.to_string(), want);
            let f = fields(&[("customerid", "9"), (field.name, &long)]);
            assert_eq!(
                CustomerUpdate::parse(&f, today()).unwrap_err().to_string(),
                want
            );
            let ok = "x".repeat(rule.max);
            let f = fields(&[("customerid", "9"), (field.name, &ok)]);
            assert!(CustomerUpdate::parse(&f, today()).is_ok(), "{}", field.name);
        }
    }

    #[test]
    fn update_clears_optional_and_refuses_empty_required() {
        let u = CustomerUpdate::parse(&fields(&[("customerid", "9"), ("surname", "")]), today())
            .unwrap();
        assert_eq!(u.changes, vec![Change::Surname(None)]);
        let err = CustomerUpdate::parse(&fields(&[("customerid", "9"), ("name", " ")]), today())
            .unwrap_err();
        assert_eq!(err.to_string(), "name: must not be empty");
        let err = CustomerUpdate::parse(&fields(&[("customerid", "9")]), today()).unwrap_err();
        assert_eq!(err.param, "customerid");
        let err = CustomerUpdate::parse(
            &fields(&[("customerid", "9"), ("reset_password", "yes")]),
            today(),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "reset_password: must be Y or N");
        let u = CustomerUpdate::parse(
            &fields(&[("customerid", "9"), ("reset_password", "Y")]),
            today(),
        )
        .unwrap();
        assert!(u.reset_password && u.changes.is_empty());
    }
}
