//! The lists' access patterns: each way of reading a part of the customers or services (a
//! whole scope, an exact field, a name prefix, a created range, an ordered walk, a count) is
//! a query built here from domain values, resumed by an opaque token. `app/planner.rs` and
//! `app/service_list.rs` decide which pattern a request needs; which index serves it, its
//! key condition, its start keys, its rows' order keys and its count partition are decided
//! here.
//!
//! | pattern                                 | index (reseller twin)         | key condition            |
//! |-----------------------------------------|-------------------------------|--------------------------|
//! | `Scope`                                 | `by-isp` (`by-reseller`)      | the part                 |
//! | `Exact(Mobile / Email / Name / Zipcode / Type / State / City)` | `by-mobile`, ... (`by-reseller-mobile`, ...) | begins_with `<value>\x01` |
//! | `NamePrefix`                            | `by-name` (`by-reseller-name`)| begins_with `<text>`     |
//! | `Created`                               | `by-created` (`by-reseller-created`) | BETWEEN the instants |
//! | `Ordered(name / mobile / email)`        | that field's index (its twin) | the part, in order       |

use super::keys::{self, CustomerIndex, ServiceIndex, count};
pub use super::query::{IndexEntry, Page, Resume};
use super::query::{IndexKey, ServiceKey, SortCond};
use super::records::{CustomerItem, ServiceItem};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::list::{Pattern, SortField};
use crate::domain::service::ServiceSort;
use crate::domain::service::Username;

/// One ISP partition of the caller's scope, possibly narrowed to a reseller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Isp(IspId),
    Reseller { isp: IspId, reseller: ResellerId },
}

impl Part {
    pub fn isp(self) -> IspId {
        match self {
            Self::Isp(isp) | Self::Reseller { isp, .. } => isp,
        }
    }

    pub fn reseller(self) -> Option<ResellerId> {
        match self {
            Self::Isp(_) => None,
            Self::Reseller { reseller, .. } => Some(reseller),
        }
    }

    /// The partition of the counts table that keeps the part's number of customers.
    pub(crate) fn count_scope(self) -> String {
        match self {
            Self::Isp(isp) => count::isp(isp),
            Self::Reseller { reseller, .. } => count::reseller(reseller),
        }
    }
}

/// A customer field an index finds by its exact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Mobile,
    /// Case folded.
    Email,
    /// Case folded.
    Name,
    Zipcode,
    /// `Individual` or `Organisation`.
    Type,
    /// As stored (the list's equality is exact).
    State,
    City,
}

/// One way of reading a part's customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Every customer of the part, in id order (whole items).
    Scope,
    /// The customers whose field is exactly the value (as the index keeps it: folded).
    Exact(Field, String),
    /// The customers whose folded name starts with the text.
    NamePrefix(String),
    /// The customers created between two instants (RFC 3339, seconds), both included; an
    /// absent bound is open.
    Created {
        from: Option<String>,
        upto: Option<String>,
    },
    /// Every customer of the part, in the order of a sort field.
    Ordered(SortField),
}

/// A query of one part's customers by one access pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerQuery {
    pub part: Part,
    pub access: Access,
    pub(crate) key: IndexKey,
}

/// The index of the sort field's order (`by-isp` for id).
fn index_of(sort: SortField) -> CustomerIndex {
    match sort {
        SortField::Id => CustomerIndex::ByIsp,
        SortField::Name => CustomerIndex::ByName,
        SortField::Mobile => CustomerIndex::ByMobile,
        SortField::Email => CustomerIndex::ByEmail,
    }
}

/// The field an index sorts by, if it is a sort field of the API.
fn sort_field_of(index: CustomerIndex) -> Option<SortField> {
    match index {
        CustomerIndex::ByIsp | CustomerIndex::ByReseller => Some(SortField::Id),
        CustomerIndex::ByName | CustomerIndex::ByResellerName => Some(SortField::Name),
        CustomerIndex::ByMobile | CustomerIndex::ByResellerMobile => Some(SortField::Mobile),
        CustomerIndex::ByEmail | CustomerIndex::ByResellerEmail => Some(SortField::Email),
        CustomerIndex::ByZipcode
        | CustomerIndex::ByCreated
        | CustomerIndex::ByType
        | CustomerIndex::ByState
        | CustomerIndex::ByCity
        | CustomerIndex::ByResellerZipcode
        | CustomerIndex::ByResellerCreated
        | CustomerIndex::ByResellerType
        | CustomerIndex::ByResellerState
        | CustomerIndex::ByResellerCity => None,
    }
}

/// An index of the part: the ISP's, or its reseller twin.
pub(crate) fn key_in(part: Part, index: CustomerIndex, sort: SortCond) -> IndexKey {
    match part {
        Part::Isp(isp) => IndexKey::in_isp(index, isp, sort),
        Part::Reseller { reseller, .. } => IndexKey::in_reseller(index, reseller, sort),
    }
}

impl CustomerQuery {
    pub fn new(part: Part, access: Access) -> Self {
        let key = match &access {
            Access::Scope | Access::Ordered(SortField::Id) => {
                key_in(part, CustomerIndex::ByIsp, SortCond::Any)
            }
            Access::Exact(field, value) => {
                let index = match field {
                    Field::Mobile => CustomerIndex::ByMobile,
                    Field::Email => CustomerIndex::ByEmail,
                    Field::Name => CustomerIndex::ByName,
                    Field::Zipcode => CustomerIndex::ByZipcode,
                    Field::Type => CustomerIndex::ByType,
                    Field::State => CustomerIndex::ByState,
                    Field::City => CustomerIndex::ByCity,
                };
                key_in(part, index, SortCond::BeginsWith(keys::exact_prefix(value)))
            }
            Access::NamePrefix(text) => key_in(
                part,
                CustomerIndex::ByName,
                SortCond::BeginsWith(text.clone()),
            ),
            Access::Created { from, upto } => {
                // created_key is `<created_at>\x01<id>`: "0" is below every instant, and "\x02"
                // after the last second takes every id of that second.
                let lo = from.clone().unwrap_or_else(|| "0".into());
                let hi = upto
                    .as_ref()
                    .map_or_else(|| "9".into(), |u| format!("{u}\u{2}"));
                key_in(part, CustomerIndex::ByCreated, SortCond::Between(lo, hi))
            }
            Access::Ordered(sort) => key_in(part, index_of(*sort), SortCond::Any),
        };
        Self { part, access, key }
    }

    /// Whether this is a name prefix's walk (ordered by name, not by id).
    pub fn access_is_name_prefix(&self) -> bool {
        matches!(self.access, Access::NamePrefix(_))
    }

    /// The index holds whole customers (else only their keys: the records are read apart).
    pub fn holds_items(&self) -> bool {
        self.key.index.holds_items()
    }

    /// What one entry weighs as DynamoDB charges a read (`CustomerIndex::entry_bytes`).
    pub fn entry_bytes(&self) -> u64 {
        self.key.index.entry_bytes()
    }

    /// The sort field whose order the rows come in, if any.
    pub fn order(&self) -> Option<SortField> {
        sort_field_of(self.key.index)
    }

    /// One exact value: its rows are in id order as well.
    fn exact(&self) -> bool {
        matches!(self.access, Access::Exact(..))
    }

    /// Whether the rows come in the order of `sort`.
    pub fn yields(&self, sort: SortField) -> bool {
        self.order() == Some(sort) || (self.exact() && sort == SortField::Id)
    }

    /// The order key of an index entry for `sort`, when the entry alone tells it: its id,
    /// its own sort key, or the sort's key projected into it.
    pub fn entry_order_key(&self, entry: &IndexEntry, sort: SortField) -> Option<String> {
        if sort == SortField::Id {
            Some(keys::id_part(entry.id))
        } else if self.order() == Some(sort) {
            Some(entry.sort_value.clone())
        } else {
            entry.get(order_attr(sort)).map(str::to_owned)
        }
    }

    /// Whether the entries carry the order key of `sort` (`entry_order_key` answers).
    pub fn carries_order(&self, sort: SortField) -> bool {
        sort == SortField::Id
            || self.order() == Some(sort)
            || self.key.index.projects().contains(&order_attr(sort))
    }

    /// Whether the entries carry a field (`entry_value` answers for every entry).
    pub fn carries(&self, field: EntryField) -> bool {
        let (plain, key) = field.attrs();
        let index = self.key.index;
        index.key_attrs().1 == key || index.projects().contains(&plain.unwrap_or(key))
    }

    /// A field's value as an entry tells it: the value part of the index's own sort key
    /// (`city_key` → the city), or the value the index projects.
    pub fn entry_value<'e>(&self, entry: &'e IndexEntry, field: EntryField) -> Option<&'e str> {
        let (plain, key) = field.attrs();
        if self.key.index.key_attrs().1 == key {
            return keys::value_of_key(&entry.sort_value);
        }
        match plain {
            Some(p) => entry.get(p),
            None => entry.get(key).and_then(keys::value_of_key),
        }
    }

    /// Where a walk in the order of `sort` (one the query yields) resumes to continue after
    /// the row whose order key is `after`.
    pub fn start_after(&self, sort: SortField, after: &str) -> Option<Resume> {
        let id = keys::id_of_key(after)?;
        Some(Resume(if self.key.index.holds_items() {
            self.key.start_after(id, None)
        } else if self.exact() && sort == SortField::Id {
            let SortCond::BeginsWith(prefix) = &self.key.sort else {
                return None;
            };
            self.key.start_after(id, Some(&format!("{prefix}{after}")))
        } else {
            self.key.start_after(id, Some(after))
        }))
    }
}

/// A field of a customer that an index entry can carry, for checking a filter on the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryField {
    Type,
    State,
    City,
    Zipcode,
    /// `created_at` (the value part of `created_key`).
    CreatedAt,
}

impl EntryField {
    /// The attribute that holds it, if projected as itself, and the sort key derived from it.
    fn attrs(self) -> (Option<&'static str>, &'static str) {
        match self {
            Self::Type => (Some("type"), CustomerIndex::ByType.key_attrs().1),
            Self::State => (Some("state"), CustomerIndex::ByState.key_attrs().1),
            Self::City => (Some("city"), CustomerIndex::ByCity.key_attrs().1),
            Self::Zipcode => (Some("zipcode"), CustomerIndex::ByZipcode.key_attrs().1),
            Self::CreatedAt => (None, CustomerIndex::ByCreated.key_attrs().1),
        }
    }
}

/// The sort key attribute of a sort field (`id` for id).
fn order_attr(sort: SortField) -> &'static str {
    index_of(sort).key_attrs().1
}

/// The order key of a customer for a sort: `id` as 16 digits, otherwise the index sort key
/// of the field (`<folded value>\x01<id>`). Comparing order keys orders rows, ties broken by
/// id; a cursor holds the last one of its page.
pub fn order_key(c: &CustomerItem, sort: SortField) -> String {
    match sort {
        SortField::Id => id_order_key(c.id),
        SortField::Name => c.name_key.clone(),
        SortField::Mobile => c.mobile_key.clone(),
        SortField::Email => c.email_key.clone(),
    }
}

/// The order key of a customer in id order.
pub fn id_order_key(id: CustomerId) -> String {
    keys::id_part(id)
}

/// A query of services: an index key, and the reseller whose rows to keep (a filter, where
/// the index is partitioned by ISP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceQuery {
    pub(crate) key: ServiceKey,
    pub(crate) reseller: Option<ResellerId>,
}

impl ServiceQuery {
    /// A customer's services.
    pub fn customer(id: CustomerId) -> Self {
        Self {
            key: ServiceKey {
                index: ServiceIndex::ByCustomer,
                partition: id.get(),
                prefix: None,
            },
            reseller: None,
        }
    }

    /// Every service of the part, in id order.
    pub fn scope(part: Part) -> Self {
        let key = match part.reseller() {
            Some(r) => ServiceKey {
                index: ServiceIndex::ByReseller,
                partition: r.get(),
                prefix: None,
            },
            None => ServiceKey {
                index: ServiceIndex::ByIsp,
                partition: part.isp().get(),
                prefix: None,
            },
        };
        Self {
            key,
            reseller: None,
        }
    }

    /// Every service of the part, in username order.
    pub fn by_username(part: Part) -> Self {
        Self {
            key: ServiceKey {
                index: ServiceIndex::ByUsername,
                partition: part.isp().get(),
                prefix: None,
            },
            reseller: part.reseller(),
        }
    }

    /// The part's services whose username a pattern's text selects, in username order: an
    /// exact name (so `john` does not read `johnny`), or the text before the first `%`.
    /// `None` when the pattern starts with `%` (no key condition helps).
    pub fn username_pattern(part: Part, pattern: &Pattern) -> Option<Self> {
        let text = Username::fold(pattern.prefix());
        let prefix = match pattern.is_exact() {
            true => keys::exact_prefix(&text),
            false => Some(text).filter(|p| !p.is_empty())?,
        };
        let mut query = Self::by_username(part);
        query.key.prefix = Some(prefix);
        Some(query)
    }
}

/// The order key of a service for a sort: the 16-digit id, or the username sort key.
pub fn service_order_key(s: &ServiceItem, sort: ServiceSort) -> String {
    match sort {
        ServiceSort::Id => format!("{:016}", s.id.get()),
        ServiceSort::Username => s.username_key.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::n;
    use aws_sdk_dynamodb::types::AttributeValue;

    const ISP: Part = Part::Isp(IspId(1));
    const RES: Part = Part::Reseller {
        isp: IspId(1),
        reseller: ResellerId(7),
    };

    fn index(part: Part, access: Access) -> (CustomerIndex, SortCond) {
        let q = CustomerQuery::new(part, access);
        (q.key.index, q.key.sort)
    }

    #[test]
    fn each_pattern_uses_its_index_and_key_condition() {
        use CustomerIndex::{ByCity, ByEmail, ByMobile, ByName, ByState, ByType, ByZipcode};
        let exact = [
            (Field::Mobile, "12344444", ByMobile, "12344444\u{1}"),
            (Field::Email, "a@b.com", ByEmail, "a@b.com\u{1}"),
            (Field::Name, "some name", ByName, "some name\u{1}"),
            (Field::Zipcode, "12345", ByZipcode, "12345\u{1}"),
            (Field::Type, "Organisation", ByType, "Organisation\u{1}"),
            (Field::State, "Goa", ByState, "Goa\u{1}"),
            (Field::City, "Vasco da Gama", ByCity, "Vasco da Gama\u{1}"),
        ];
        for (field, value, by, begins) in exact {
            assert_eq!(
                index(ISP, Access::Exact(field, value.into())),
                (by, SortCond::BeginsWith(begins.into())),
                "{field:?}"
            );
        }
        assert_eq!(
            index(ISP, Access::NamePrefix("xyz_".into())),
            (CustomerIndex::ByName, SortCond::BeginsWith("xyz_".into()))
        );
        let created = Access::Created {
            from: Some("2026-01-01T00:00:00Z".into()),
            upto: Some("2026-01-31T23:59:59Z".into()),
        };
        assert_eq!(
            index(ISP, created),
            (
                CustomerIndex::ByCreated,
                SortCond::Between(
                    "2026-01-01T00:00:00Z".into(),
                    "2026-01-31T23:59:59Z\u{2}".into()
                )
            )
        );
        let open = Access::Created {
            from: None,
            upto: None,
        };
        assert_eq!(
            index(ISP, open),
            (
                CustomerIndex::ByCreated,
                SortCond::Between("0".into(), "9".into())
            )
        );
        assert_eq!(
            index(ISP, Access::Scope),
            (CustomerIndex::ByIsp, SortCond::Any)
        );
        for (sort, idx) in [
            (SortField::Id, CustomerIndex::ByIsp),
            (SortField::Name, CustomerIndex::ByName),
            (SortField::Mobile, CustomerIndex::ByMobile),
            (SortField::Email, CustomerIndex::ByEmail),
        ] {
            assert_eq!(index(ISP, Access::Ordered(sort)), (idx, SortCond::Any));
        }
    }

    #[test]
    fn a_resellers_part_reads_the_reseller_twins() {
        assert_eq!(
            CustomerQuery::new(RES, Access::Scope).key.index,
            CustomerIndex::ByReseller
        );
        for (access, twin) in [
            (
                Access::Exact(Field::Name, "ann".into()),
                CustomerIndex::ByResellerName,
            ),
            (
                Access::NamePrefix("an".into()),
                CustomerIndex::ByResellerName,
            ),
            (
                Access::Ordered(SortField::Mobile),
                CustomerIndex::ByResellerMobile,
            ),
            (
                Access::Ordered(SortField::Email),
                CustomerIndex::ByResellerEmail,
            ),
            (
                Access::Exact(Field::Zipcode, "12345".into()),
                CustomerIndex::ByResellerZipcode,
            ),
            (
                Access::Exact(Field::City, "Panaji".into()),
                CustomerIndex::ByResellerCity,
            ),
            (
                Access::Exact(Field::State, "Goa".into()),
                CustomerIndex::ByResellerState,
            ),
            (
                Access::Exact(Field::Type, "Individual".into()),
                CustomerIndex::ByResellerType,
            ),
        ] {
            let q = CustomerQuery::new(RES, access);
            assert_eq!(
                (q.key.index, &q.key.partition),
                (twin, &AttributeValue::N("7".into()))
            );
        }
    }

    #[test]
    fn resuming_starts_after_the_last_row() {
        let start = |q: &CustomerQuery, sort, after: &str| q.start_after(sort, after).unwrap().0;
        let scope = CustomerQuery::new(ISP, Access::Scope);
        let s = start(&scope, SortField::Id, &keys::id_part(CustomerId(42)));
        assert_eq!(s.get("id"), Some(&AttributeValue::N("42".into())));
        let ann = CustomerQuery::new(ISP, Access::Exact(Field::Name, "ann".into()));
        let s = start(&ann, SortField::Id, &keys::id_part(CustomerId(42)));
        assert_eq!(
            s.get("name_key"),
            Some(&AttributeValue::S(keys::sort_key("ann", CustomerId(42))))
        );
        let email = CustomerQuery::new(ISP, Access::Ordered(SortField::Email));
        let after = keys::sort_key("a@b.com", CustomerId(3));
        assert_eq!(
            start(&email, SortField::Email, &after).get("email_key"),
            Some(&AttributeValue::S(after.clone()))
        );
        assert_eq!(s.get("ispid"), Some(&n(1)));
    }

    #[test]
    fn each_part_is_counted_in_its_own_partition() {
        assert_eq!(Part::Isp(IspId(3)).count_scope(), count::isp(IspId(3)));
        let part = Part::Reseller {
            isp: IspId(3),
            reseller: ResellerId(9),
        };
        assert_eq!(part.count_scope(), count::reseller(ResellerId(9)));
        assert_ne!(count::isp(IspId(9)), count::reseller(ResellerId(9)));
    }

    #[test]
    fn username_patterns_read_by_username_with_their_text() {
        let q = ServiceQuery::username_pattern(RES, &Pattern::new("John", true)).unwrap();
        assert_eq!(q.key.index, ServiceIndex::ByUsername);
        assert_eq!(q.key.prefix.as_deref(), Some("john\u{1}"));
        assert_eq!(q.reseller, Some(ResellerId(7)));
        assert!(ServiceQuery::username_pattern(ISP, &Pattern::new("%x", true)).is_none());
    }
}
