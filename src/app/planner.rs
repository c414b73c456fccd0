//! The list planner: from the caller's scope, the filters and the sort, which index to read
//! with which key condition, in which order, and what is left to check on each row.
//!
//! | the request has                         | index         | key condition                     |
//! |-----------------------------------------|---------------|-----------------------------------|
//! | `mobile`                                | `by-mobile`   | begins_with `<mobile>\x01`        |
//! | `email` (case folded)                   | `by-email`    | begins_with `<email>\x01`         |
//! | `name` without `%`                      | `by-name`     | begins_with `<name>\x01`          |
//! | `zipcode`                               | `by-zipcode`  | begins_with `<zipcode>\x01`       |
//! | `name` starting with text (`abc%…`)     | `by-name`     | begins_with `abc`                 |
//! | `created_from` / `created_upto`         | `by-created`  | BETWEEN the two instants          |
//! | sort by name/mobile/email, no filter    | that index    | the whole ISP, in order           |
//! | anything else, reseller scope           | `by-reseller` | the reseller                      |
//! | anything else, ISP scope                | `by-isp`      | the ISP                           |
//!
//! The first row that applies wins: equality reads the fewest items, then a name prefix,
//! then a date range. In a reseller scope each keyed index is replaced by its reseller twin
//! (`by-name` → `by-reseller-name`, ...; partition: the reseller), so a reseller's walk reads
//! its own entries only. An admin without `ispid` gets one plan per ISP, merged, each with the
//! created range in that ISP's own time zone (`zones.rs`). The table itself is never scanned.
//!
//! A request with `cursor` may get short pages, so it needs a walk in the requested order
//! that can stop anywhere: when the plan above is unordered (a filter index read for another
//! sort), `plan_ordered` walks the sort's own index instead and checks every filter on the
//! record.

use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::list::{Filters, SortField};
use crate::store::customers::{IndexEntry, IndexKey, SortCond};
use crate::store::keys::{self, CustomerIndex};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

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
}

/// Which filter a key condition decides on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decided {
    Mobile,
    Email,
    Name,
    Zipcode,
    Created,
    Nothing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub key: IndexKey,
    /// The index yields rows in the requested sort order, so a page can stop early.
    pub ordered: bool,
    /// Filters remain that only the customer's full record can decide.
    pub residual: bool,
    /// The key condition is one exact value (`<value>\x01`): entries are then in id order.
    exact: bool,
    sort: SortField,
}

/// The field an index sorts by, if it is a sort field of the API.
fn sort_field_of(index: CustomerIndex) -> Option<SortField> {
    match index {
        CustomerIndex::ByIsp | CustomerIndex::ByReseller => Some(SortField::Id),
        CustomerIndex::ByName => Some(SortField::Name),
        CustomerIndex::ByMobile => Some(SortField::Mobile),
        CustomerIndex::ByEmail => Some(SortField::Email),
        CustomerIndex::ByResellerName => Some(SortField::Name),
        CustomerIndex::ByResellerMobile => Some(SortField::Mobile),
        CustomerIndex::ByResellerEmail => Some(SortField::Email),
        CustomerIndex::ByZipcode
        | CustomerIndex::ByCreated
        | CustomerIndex::ByResellerZipcode
        | CustomerIndex::ByResellerCreated => None,
    }
}

/// An index of the part: the ISP's, or its reseller twin.
fn key_in(part: Part, index: CustomerIndex, sort: SortCond) -> IndexKey {
    match part {
        Part::Isp(isp) => IndexKey::in_isp(index, isp, sort),
        Part::Reseller { reseller, .. } => IndexKey::in_reseller(index, reseller, sort),
    }
}

/// The part's index in id order, which holds whole items.
fn scope_key(part: Part) -> IndexKey {
    match part {
        Part::Isp(isp) => IndexKey::isp(isp),
        Part::Reseller { reseller, .. } => IndexKey::reseller(reseller),
    }
}

fn index_of(sort: SortField) -> CustomerIndex {
    match sort {
        SortField::Id => CustomerIndex::ByIsp,
        SortField::Name => CustomerIndex::ByName,
        SortField::Mobile => CustomerIndex::ByMobile,
        SortField::Email => CustomerIndex::ByEmail,
    }
}

/// Whether any filter other than `decided` is set (`customerid`, `serviceid` and `username`
/// are handled before planning: see `list.rs`).
fn residual(f: &Filters, decided: Decided) -> bool {
    (f.mobile.is_some() && decided != Decided::Mobile)
        || (f.email.is_some() && decided != Decided::Email)
        || (f.name.is_some() && decided != Decided::Name)
        || (f.zipcode.is_some() && decided != Decided::Zipcode)
        || (f.created.is_some() && decided != Decided::Created)
        || f.ctype.is_some()
        || f.state.is_some()
        || f.city.is_some()
}

/// Plans the rows of one part, in the order of `sort`.
pub fn plan(part: Part, f: &Filters, sort: SortField) -> Plan {
    let exact = |index, value: &str| {
        (
            key_in(part, index, SortCond::BeginsWith(keys::exact_prefix(value))),
            true,
        )
    };
    let name_exact = f.name.as_ref().filter(|p| p.is_exact());
    let name_prefix = f.name.as_ref().filter(|p| !p.prefix().is_empty());
    let ((key, exact), decided) = if let Some(m) = &f.mobile {
        (exact(CustomerIndex::ByMobile, m.as_str()), Decided::Mobile)
    } else if let Some(e) = &f.email {
        (exact(CustomerIndex::ByEmail, e), Decided::Email)
    } else if let Some(p) = name_exact {
        (exact(CustomerIndex::ByName, p.prefix()), Decided::Name)
    } else if let Some(z) = &f.zipcode {
        (
            exact(CustomerIndex::ByZipcode, z.as_str()),
            Decided::Zipcode,
        )
    } else if let Some(p) = name_prefix {
        let key = key_in(
            part,
            CustomerIndex::ByName,
            SortCond::BeginsWith(p.prefix().to_owned()),
        );
        (
            (key, false),
            if p.is_prefix_only() {
                Decided::Name
            } else {
                Decided::Nothing
            },
        )
    } else if let Some(range) = &f.created {
        // created_key is `<created_at>\x01<id>`: "0" is below every instant, and "\x02"
        // after the last second takes every id of that second.
        let lo = range.from.clone().unwrap_or_else(|| "0".into());
        let hi = range
            .upto
            .as_ref()
            .map_or_else(|| "9".into(), |u| format!("{u}\u{2}"));
        let key = key_in(part, CustomerIndex::ByCreated, SortCond::Between(lo, hi));
        ((key, false), Decided::Created)
    } else if sort != SortField::Id && !residual(f, Decided::Nothing) {
        (
            (key_in(part, index_of(sort), SortCond::Any), false),
            Decided::Nothing,
        )
    } else {
        ((scope_key(part), false), Decided::Nothing)
    };
    let index_sort = sort_field_of(key.index);
    Plan {
        ordered: index_sort == Some(sort) || (exact && sort == SortField::Id),
        residual: residual(f, decided),
        exact,
        sort,
        key,
    }
}

/// Plans the rows of one part as a walk in the order of `sort` that may stop anywhere (a
/// request with `cursor`): `plan`'s choice when it is ordered, else the sort's own index of
/// the part, with every filter checked on the record.
pub fn plan_ordered(part: Part, f: &Filters, sort: SortField) -> Plan {
    let chosen = plan(part, f, sort);
    if chosen.ordered {
        return chosen;
    }
    let key = match sort {
        SortField::Id => scope_key(part),
        other => key_in(part, index_of(other), SortCond::Any),
    };
    Plan {
        key,
        ordered: true,
        residual: residual(f, Decided::Nothing),
        exact: false,
        sort,
    }
}

/// The order key of a row for a sort: `id` as 16 digits, otherwise the index sort key of the
/// field (`<folded value>\x01<id>`). Comparing order keys orders rows, ties broken by id.
pub fn order_key(
    sort: SortField,
    id: CustomerId,
    name_key: &str,
    mobile_key: &str,
    email_key: &str,
) -> String {
    match sort {
        SortField::Id => keys::id_part(id),
        SortField::Name => name_key.to_owned(),
        SortField::Mobile => mobile_key.to_owned(),
        SortField::Email => email_key.to_owned(),
    }
}

impl Plan {
    /// The order key of an index entry, when the entry alone tells it.
    pub fn entry_order_key(&self, entry: &IndexEntry) -> Option<String> {
        if self.sort == SortField::Id {
            Some(keys::id_part(entry.id))
        } else if sort_field_of(self.key.index) == Some(self.sort) {
            Some(entry.sort_value.clone())
        } else {
            None
        }
    }

    /// Whether each candidate's record must be read: a filter remains, or the entry does
    /// not carry the requested order.
    pub fn needs_records(&self) -> bool {
        self.residual
            || (self.sort != SortField::Id && sort_field_of(self.key.index) != Some(self.sort))
    }

    /// Where an ordered walk resumes to continue after the row with order key `after`.
    pub fn start_after(&self, after: &str) -> Option<HashMap<String, AttributeValue>> {
        if !self.ordered {
            return None;
        }
        let id = keys::id_of_key(after)?;
        Some(if self.key.index.holds_items() {
            self.key.start_after(id, None)
        } else if self.exact && self.sort == SortField::Id {
            let SortCond::BeginsWith(prefix) = &self.key.sort else {
                return None;
            };
            self.key.start_after(id, Some(&format!("{prefix}{after}")))
        } else {
            self.key.start_after(id, Some(after))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::{CustomerType, Mobile, Zipcode};
    use crate::domain::list::{CreatedRange, Pattern};

    const ISP: Part = Part::Isp(IspId(1));
    const RES: Part = Part::Reseller {
        isp: IspId(1),
        reseller: ResellerId(7),
    };

    fn index(part: Part, f: &Filters, sort: SortField) -> (CustomerIndex, SortCond) {
        let p = plan(part, f, sort);
        (p.key.index, p.key.sort)
    }

    fn name(p: &str) -> Filters {
        Filters {
            name: Some(Pattern::new(p, true)),
            ..Filters::default()
        }
    }

    #[test]
    fn each_indexed_filter_uses_its_index() {
        let mobile = Filters {
            mobile: Mobile::parse("mobile", "12344444").ok(),
            ..Filters::default()
        };
        assert_eq!(
            index(ISP, &mobile, SortField::Id),
            (
                CustomerIndex::ByMobile,
                SortCond::BeginsWith("12344444\u{1}".into())
            )
        );
        let email = Filters {
            email: Some("a@b.com".into()),
            ..Filters::default()
        };
        assert_eq!(
            index(ISP, &email, SortField::Id),
            (
                CustomerIndex::ByEmail,
                SortCond::BeginsWith("a@b.com\u{1}".into())
            )
        );
        assert_eq!(
            index(ISP, &name("Some Name"), SortField::Id),
            (
                CustomerIndex::ByName,
                SortCond::BeginsWith("some name\u{1}".into())
            )
        );
        let zip = Filters {
            zipcode: Zipcode::parse("zipcode", "12345").ok(),
            ..Filters::default()
        };
        assert_eq!(
            index(ISP, &zip, SortField::Id),
            (
                CustomerIndex::ByZipcode,
                SortCond::BeginsWith("12345\u{1}".into())
            )
        );
        assert_eq!(
            index(ISP, &name("XYZ_%"), SortField::Id),
            (CustomerIndex::ByName, SortCond::BeginsWith("xyz_".into()))
        );
        let created = Filters {
            created: Some(CreatedRange {
                from: Some("2026-01-01T00:00:00Z".into()),
                upto: Some("2026-01-31T23:59:59Z".into()),
            }),
            ..Filters::default()
        };
        assert_eq!(
            index(ISP, &created, SortField::Id),
            (
                CustomerIndex::ByCreated,
                SortCond::Between(
                    "2026-01-01T00:00:00Z".into(),
                    "2026-01-31T23:59:59Z\u{2}".into()
                )
            )
        );
    }

    #[test]
    fn equality_beats_prefix_beats_range_and_residuals_are_kept() {
        let f = Filters {
            mobile: Mobile::parse("mobile", "12344444").ok(),
            name: Some(Pattern::new("ab%", true)),
            ctype: Some(CustomerType::Individual),
            ..Filters::default()
        };
        let p = plan(ISP, &f, SortField::Id);
        assert_eq!(p.key.index, CustomerIndex::ByMobile);
        assert!(p.residual && p.ordered);
        let p = plan(ISP, &name("ab%"), SortField::Name);
        assert!(
            !p.residual && p.ordered,
            "a prefix alone is decided by the key and sorted by it"
        );
        let p = plan(ISP, &name("ab%c"), SortField::Name);
        assert!(
            p.residual,
            "the rest of the pattern is checked on the record"
        );
    }

    #[test]
    fn sorts_without_filters_walk_their_index_in_order() {
        for (sort, idx) in [
            (SortField::Name, CustomerIndex::ByName),
            (SortField::Mobile, CustomerIndex::ByMobile),
            (SortField::Email, CustomerIndex::ByEmail),
        ] {
            let p = plan(ISP, &Filters::default(), sort);
            assert_eq!((p.key.index, p.ordered, p.residual), (idx, true, false));
        }
        // With a filter that no index serves, the scope index is read and sorted in memory.
        let f = Filters {
            city: Some("Panaji".into()),
            ..Filters::default()
        };
        let p = plan(ISP, &f, SortField::Name);
        assert_eq!(
            (p.key.index, p.ordered, p.residual),
            (CustomerIndex::ByIsp, false, true)
        );
    }

    #[test]
    fn scopes_use_their_own_index_and_never_scan() {
        assert_eq!(
            index(ISP, &Filters::default(), SortField::Id),
            (CustomerIndex::ByIsp, SortCond::Any)
        );
        let p = plan(RES, &Filters::default(), SortField::Id);
        assert_eq!(p.key.index, CustomerIndex::ByReseller);
        // Every keyed index has a reseller twin: a reseller's walk never sees another's entries.
        for (f, sort, twin) in [
            (name("ann"), SortField::Id, CustomerIndex::ByResellerName),
            (name("an%"), SortField::Name, CustomerIndex::ByResellerName),
            (
                Filters::default(),
                SortField::Mobile,
                CustomerIndex::ByResellerMobile,
            ),
            (
                Filters::default(),
                SortField::Email,
                CustomerIndex::ByResellerEmail,
            ),
        ] {
            let p = plan(RES, &f, sort);
            assert_eq!(
                (p.key.index, &p.key.partition),
                (twin, &AttributeValue::N("7".into()))
            );
            assert!(p.ordered);
        }
        let zip = Filters {
            zipcode: Zipcode::parse("zipcode", "12345").ok(),
            ..Filters::default()
        };
        assert_eq!(
            plan(RES, &zip, SortField::Id).key.index,
            CustomerIndex::ByResellerZipcode
        );
    }

    #[test]
    fn a_walk_that_may_stop_anywhere_follows_the_sort() {
        let zip = Filters {
            zipcode: Zipcode::parse("zipcode", "12345").ok(),
            ..Filters::default()
        };
        // By zipcode, sorted by name: the zipcode index is not in name order.
        assert!(!plan(ISP, &zip, SortField::Name).ordered);
        let p = plan_ordered(ISP, &zip, SortField::Name);
        assert_eq!(
            (p.key.index, p.ordered, p.residual),
            (CustomerIndex::ByName, true, true)
        );
        let p = plan_ordered(RES, &zip, SortField::Id);
        assert_eq!(
            (p.key.index, p.ordered, p.residual),
            (CustomerIndex::ByResellerZipcode, true, false),
            "an ordered plan is kept"
        );
        let city = Filters {
            city: Some("x".into()),
            ..Filters::default()
        };
        let p = plan_ordered(RES, &city, SortField::Email);
        assert_eq!(
            (p.key.index, p.ordered, p.residual),
            (CustomerIndex::ByResellerEmail, true, true)
        );
    }

    #[test]
    fn resuming_starts_after_the_last_row() {
        let p = plan(ISP, &Filters::default(), SortField::Id);
        let start = p.start_after(&keys::id_part(CustomerId(42))).unwrap();
        assert_eq!(start.get("id"), Some(&AttributeValue::N("42".into())));
        let p = plan(ISP, &name("Ann"), SortField::Id);
        let start = p.start_after(&keys::id_part(CustomerId(42))).unwrap();
        assert_eq!(
            start.get("name_key"),
            Some(&AttributeValue::S(keys::sort_key("ann", CustomerId(42))))
        );
        let p = plan(ISP, &Filters::default(), SortField::Email);
        let after = keys::sort_key("a@b.com", CustomerId(3));
        assert_eq!(
            p.start_after(&after).unwrap().get("email_key"),
            Some(&AttributeValue::S(after.clone()))
        );
        let unordered = plan(
            ISP,
            &Filters {
                city: Some("x".into()),
                ..Filters::default()
            },
            SortField::Name,
        );
        assert_eq!(unordered.start_after(&after), None);
    }
}
