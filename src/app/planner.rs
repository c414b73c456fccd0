//! The list planner: from the caller's scope, the filters and the sort, which access pattern
//! to read (`store::plan`: the store picks the index and key condition), in which order,
//! and what is left to check on each row.
//!
//! | the request has                         | access pattern                    |
//! |-----------------------------------------|-----------------------------------|
//! | `mobile`                                | `Exact(Mobile, <mobile>)`         |
//! | `email` (case folded)                   | `Exact(Email, <email>)`           |
//! | `name` without `%`                      | `Exact(Name, <name>)`             |
//! | `zipcode`                               | `Exact(Zipcode, <zipcode>)`       |
//! | `city`                                  | `Exact(City, <city>)`             |
//! | `name` starting with text (`abc%…`)     | `NamePrefix("abc")`               |
//! | `created_from` / `created_upto`         | `Created` between the two instants|
//! | `state`                                 | `Exact(State, <state>)`           |
//! | `type`                                  | `Exact(Type, <type>)`             |
//! | sort by name/mobile/email, no filter    | `Ordered(<sort>)`                 |
//! | anything else                           | `Scope` (the ISP or the reseller) |
//!
//! The first row that applies wins: the likeliest to match fewest first (a city before a name
//! prefix and a date range; a state and a type, which hold many, last). In a reseller scope
//! the store reads the reseller's own entries only.
//! An admin without `ispid` gets one plan per ISP, merged, each with the created range in
//! that ISP's own time zone (`zones.rs`). The table itself is never scanned.
//!
//! A request with `cursor` may get short pages, so it needs a walk in the requested order
//! that can stop anywhere: when the plan above is unordered (a filter's pattern read for
//! another sort), `plan_ordered` walks the sort's own order instead and checks every filter
//! on the record.

use crate::domain::list::{CreatedDays, DayNumber, Filters, SortField};
use crate::store::counts::{CountOf, Facet};
pub use crate::store::plan::Part;
use crate::store::plan::{Access, CustomerQuery, EntryField, Field, IndexEntry, Resume};

/// Which filter a key condition decides on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decided {
    Mobile,
    Email,
    Name,
    Zipcode,
    Type,
    State,
    City,
    Created,
    Nothing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub query: CustomerQuery,
    /// The query yields rows in the requested sort order, so a page can stop early.
    pub ordered: bool,
    /// Filters remain that the key condition does not decide.
    pub residual: bool,
    /// Every remaining filter is decided on the index entry (`entry_verdict`).
    on_entries: bool,
    decided: Decided,
    sort: SortField,
}

/// The remaining filters an entry may decide, with the field it needs: each is `None` when
/// the filter is not set or the key condition decided it.
fn entry_checks<'f>(f: &'f Filters, decided: Decided) -> [(Option<&'f str>, EntryField); 5] {
    let unless = |d: Decided, v: Option<&'f str>| v.filter(|_| decided != d);
    [
        (
            unless(Decided::Type, f.ctype.map(|t| t.as_str())),
            EntryField::Type,
        ),
        (
            unless(Decided::State, f.state.as_deref()),
            EntryField::State,
        ),
        (unless(Decided::City, f.city.as_deref()), EntryField::City),
        (
            unless(Decided::Zipcode, f.zipcode.as_ref().map(|z| z.as_str())),
            EntryField::Zipcode,
        ),
        (
            f.created
                .as_ref()
                .filter(|_| decided != Decided::Created)
                .map(|_| ""),
            EntryField::CreatedAt,
        ),
    ]
}

/// Whether any filter other than `decided` is set (`customerid`, `serviceid` and `username`
/// are handled before planning: see `list.rs`).
fn residual(f: &Filters, decided: Decided) -> bool {
    unprojected(f, decided) || entry_checks(f, decided).iter().any(|(v, _)| v.is_some())
}

/// Whether a filter other than `decided` is set that no index entry carries (mobile, email,
/// name: left to the key condition, or to the record).
fn unprojected(f: &Filters, decided: Decided) -> bool {
    (f.mobile.is_some() && decided != Decided::Mobile)
        || (f.email.is_some() && decided != Decided::Email)
        || (f.name.is_some() && decided != Decided::Name)
}

/// The kept count that answers a count of `f` on its own: no filter, or exactly one of
/// type, state, city, zipcode, a created range and a name or name prefix (`customerid`,
/// `serviceid` and `username` never reach a count of a part). A range's days are counted in
/// each ISP's zone, so the civil days are all it needs.
pub fn kept_count(f: &Filters<CreatedDays>) -> Option<CountOf> {
    // A name, or a name prefix, is counted by its name items; `%` alone names everyone.
    let name = f
        .name
        .as_ref()
        .filter(|p| !(p.is_prefix_only() && p.prefix().is_empty()));
    let named = name
        .filter(|p| p.is_exact() || p.is_prefix_only())
        .map(|p| CountOf::Name {
            text: p.prefix().to_owned(),
            prefix: !p.is_exact(),
        });
    let others = f.mobile.is_some() || f.email.is_some() || (name.is_some() && named.is_none());
    let counted = [
        named,
        f.ctype.map(|t| CountOf::Type(t.as_str().to_owned())),
        f.state.clone().map(|v| CountOf::Facet(Facet::State, v)),
        f.city.clone().map(|v| CountOf::Facet(Facet::City, v)),
        f.zipcode
            .as_ref()
            .map(|z| CountOf::Facet(Facet::Zipcode, z.as_str().to_owned())),
        f.created.map(|d| CountOf::Created {
            from: d.from.map(|d| DayNumber::of(d).0),
            upto: d.upto.map(|d| DayNumber::of(d).0),
        }),
    ];
    let mut set = counted.into_iter().flatten();
    match (others, set.next(), set.next()) {
        (false, None, _) => Some(CountOf::All),
        (false, Some(one), None) => Some(one),
        _ => None,
    }
}

/// Plans the rows of one part, in the order of `sort`.
pub fn plan(part: Part, f: &Filters, sort: SortField) -> Plan {
    let exact = |field, value: &str| Access::Exact(field, value.to_owned());
    let name_exact = f.name.as_ref().filter(|p| p.is_exact());
    let name_prefix = f.name.as_ref().filter(|p| !p.prefix().is_empty());
    let (access, decided) = if let Some(m) = &f.mobile {
        (exact(Field::Mobile, m.as_str()), Decided::Mobile)
    } else if let Some(e) = &f.email {
        (exact(Field::Email, e), Decided::Email)
    } else if let Some(p) = name_exact {
        (exact(Field::Name, p.prefix()), Decided::Name)
    } else if let Some(z) = &f.zipcode {
        (exact(Field::Zipcode, z.as_str()), Decided::Zipcode)
    } else if let Some(c) = &f.city {
        (exact(Field::City, c), Decided::City)
    } else if let Some(p) = name_prefix {
        let decided = match p.is_prefix_only() {
            true => Decided::Name,
            false => Decided::Nothing,
        };
        (Access::NamePrefix(p.prefix().to_owned()), decided)
    } else if let Some(range) = &f.created {
        let access = Access::Created {
            from: range.from.clone(),
            upto: range.upto.clone(),
        };
        (access, Decided::Created)
    } else if let Some(s) = &f.state {
        (exact(Field::State, s), Decided::State)
    } else if let Some(t) = f.ctype {
        (exact(Field::Type, t.as_str()), Decided::Type)
    } else if sort != SortField::Id && !residual(f, Decided::Nothing) {
        (Access::Ordered(sort), Decided::Nothing)
    } else {
        (Access::Scope, Decided::Nothing)
    };
    Plan::new(CustomerQuery::new(part, access), f, decided, sort)
}

/// Plans the rows of one part as a walk in the order of `sort` that may stop anywhere (a
/// request with `cursor`): `plan`'s choice when it is ordered, else the part in the sort's
/// order, with every filter checked on the record.
pub fn plan_ordered(part: Part, f: &Filters, sort: SortField) -> Plan {
    let chosen = plan(part, f, sort);
    if chosen.ordered {
        return chosen;
    }
    let access = match sort {
        SortField::Id => Access::Scope,
        other => Access::Ordered(other),
    };
    Plan::new(CustomerQuery::new(part, access), f, Decided::Nothing, sort)
}

impl Plan {
    fn new(query: CustomerQuery, f: &Filters, decided: Decided, sort: SortField) -> Self {
        let on_entries = !unprojected(f, decided)
            && entry_checks(f, decided)
                .iter()
                .all(|(v, field)| v.is_none() || query.carries(*field));
        Self {
            ordered: query.yields(sort),
            residual: residual(f, decided),
            on_entries,
            decided,
            sort,
            query,
        }
    }

    /// Whether an index entry's customer passes the filters the key condition left: `None`
    /// when only its record can tell (a filter the index does not carry).
    pub fn entry_verdict(&self, f: &Filters, entry: &IndexEntry) -> Option<bool> {
        if !self.residual {
            return Some(true);
        }
        let mut known = self.on_entries;
        for (wanted, field) in entry_checks(f, self.decided) {
            if wanted.is_none() {
                continue;
            }
            let Some(value) = self.query.entry_value(entry, field) else {
                known = false;
                continue;
            };
            let pass = match field {
                EntryField::CreatedAt => f.created.as_ref().is_none_or(|r| r.contains(value)),
                _ => wanted == Some(value),
            };
            if !pass {
                return Some(false);
            }
        }
        known.then_some(true)
    }

    /// The order key of an index entry, when the entry alone tells it.
    pub fn entry_order_key(&self, entry: &IndexEntry) -> Option<String> {
        self.query.entry_order_key(entry, self.sort)
    }

    /// Whether each candidate's record must be read: a filter remains that the entry does
    /// not decide, or the entry does not carry the requested order.
    pub fn needs_records(&self) -> bool {
        (self.residual && !self.on_entries) || !self.query.carries_order(self.sort)
    }

    /// Where an ordered walk resumes to continue after the row with order key `after`.
    pub fn start_after(&self, after: &str) -> Option<Resume> {
        match self.ordered {
            true => self.query.start_after(self.sort, after),
            false => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::{CustomerType, Mobile, Zipcode};
    use crate::domain::ids::{IspId, ResellerId};
    use crate::domain::list::{CreatedRange, Pattern};

    const ISP: Part = Part::Isp(IspId(1));
    const RES: Part = Part::Reseller {
        isp: IspId(1),
        reseller: ResellerId(7),
    };

    fn access(part: Part, f: &Filters, sort: SortField) -> Access {
        plan(part, f, sort).query.access
    }

    fn name(p: &str) -> Filters {
        Filters {
            name: Some(Pattern::new(p, true)),
            ..Filters::default()
        }
    }

    fn exact(field: Field, value: &str) -> Access {
        Access::Exact(field, value.into())
    }

    #[test]
    fn each_indexed_filter_uses_its_pattern() {
        let mobile = Filters {
            mobile: Mobile::parse("mobile", "12344444").ok(),
            ..Filters::default()
        };
        assert_eq!(
            access(ISP, &mobile, SortField::Id),
            exact(Field::Mobile, "12344444")
        );
        let email = Filters {
            email: Some("a@b.com".into()),
            ..Filters::default()
        };
        assert_eq!(
            access(ISP, &email, SortField::Id),
            exact(Field::Email, "a@b.com")
        );
        assert_eq!(
            access(ISP, &name("Some Name"), SortField::Id),
            exact(Field::Name, "some name")
        );
        let zip = Filters {
            zipcode: Zipcode::parse("zipcode", "12345").ok(),
            ..Filters::default()
        };
        assert_eq!(
            access(ISP, &zip, SortField::Id),
            exact(Field::Zipcode, "12345")
        );
        assert_eq!(
            access(ISP, &name("XYZ_%"), SortField::Id),
            Access::NamePrefix("xyz_".into())
        );
        let created = Filters {
            created: Some(CreatedRange {
                from: Some("2026-01-01T00:00:00Z".into()),
                upto: Some("2026-01-31T23:59:59Z".into()),
            }),
            ..Filters::default()
        };
        assert_eq!(
            access(ISP, &created, SortField::Id),
            Access::Created {
                from: Some("2026-01-01T00:00:00Z".into()),
                upto: Some("2026-01-31T23:59:59Z".into()),
            }
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
        assert_eq!(p.query.access, exact(Field::Mobile, "12344444"));
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
    fn type_state_and_city_pages_are_their_index_in_id_order() {
        let city = Filters {
            city: Some("Vasco da Gama".into()),
            ..Filters::default()
        };
        let state = Filters {
            state: Some("Goa".into()),
            ..Filters::default()
        };
        let ctype = Filters {
            ctype: Some(CustomerType::Organisation),
            ..Filters::default()
        };
        for (f, expected) in [
            (&city, exact(Field::City, "Vasco da Gama")),
            (&state, exact(Field::State, "Goa")),
            (&ctype, exact(Field::Type, "Organisation")),
        ] {
            for part in [ISP, RES] {
                let p = plan(part, f, SortField::Id);
                assert!(p.ordered && !p.residual && !p.needs_records());
                assert_eq!(p.query, CustomerQuery::new(part, expected.clone()));
            }
        }
        // With a second filter, the likelier narrower one is the key; the other is checked.
        let both = Filters {
            state: Some("Goa".into()),
            city: Some("Panaji".into()),
            ctype: Some(CustomerType::Individual),
            ..Filters::default()
        };
        let p = plan(ISP, &both, SortField::Id);
        assert_eq!(p.query.access, exact(Field::City, "Panaji"));
        assert!(p.ordered && p.residual);
    }

    #[test]
    fn filters_are_decided_on_the_entries_that_carry_them() {
        let entry = |sort_value: &str, projected: &[(&'static str, &str)]| IndexEntry {
            id: crate::domain::ids::CustomerId(7),
            sort_value: sort_value.into(),
            projected: projected.iter().map(|(a, v)| (*a, v.to_string())).collect(),
        };
        // City under the name sort: the name index carries the city.
        let f = Filters {
            city: Some("Vasco".into()),
            ..Filters::default()
        };
        let p = plan_ordered(ISP, &f, SortField::Name);
        assert!(p.residual && !p.needs_records());
        let vasco = entry("ann\u{1}0000000000000007", &[("city", "Vasco")]);
        let panaji = entry("ann\u{1}0000000000000007", &[("city", "Panaji")]);
        assert_eq!(p.entry_verdict(&f, &vasco), Some(true));
        assert_eq!(p.entry_verdict(&f, &panaji), Some(false));
        // A created range: from the projected created_key.
        let f = Filters {
            created: Some(CreatedRange {
                from: Some("2026-03-01T00:00:00Z".into()),
                upto: Some("2026-03-31T23:59:59Z".into()),
            }),
            ..Filters::default()
        };
        let p = plan_ordered(ISP, &f, SortField::Email);
        let at = |t: &str| {
            entry(
                "a@b.co\u{1}0000000000000007",
                &[("created_key", &format!("{t}\u{1}0000000000000007"))],
            )
        };
        assert_eq!(p.entry_verdict(&f, &at("2026-03-05T10:00:00Z")), Some(true));
        assert_eq!(
            p.entry_verdict(&f, &at("2026-04-01T00:00:00Z")),
            Some(false)
        );
        // A name pattern is never projected: the record decides, unless another filter
        // already fails on the entry.
        let f = Filters {
            name: Some(Pattern::new("%rao%", true)),
            city: Some("Vasco".into()),
            ..Filters::default()
        };
        let p = plan_ordered(ISP, &f, SortField::Mobile);
        assert!(p.needs_records());
        assert_eq!(p.entry_verdict(&f, &panaji), Some(false));
        assert_eq!(p.entry_verdict(&f, &vasco), None);
        // The filter's own index carries its value in the key, and the order keys.
        let f = Filters {
            state: Some("Goa".into()),
            ctype: Some(CustomerType::Organisation),
            ..Filters::default()
        };
        let p = plan(ISP, &f, SortField::Id);
        assert_eq!(p.query.access, exact(Field::State, "Goa"));
        assert!(p.needs_records(), "the state index does not carry the type");
        let p = plan(ISP, &f, SortField::Name);
        let goa = entry("Goa\u{1}0000000000000007", &[("name_key", "ann")]);
        assert_eq!(
            p.query.entry_order_key(&goa, SortField::Name).as_deref(),
            Some("ann")
        );
    }

    #[test]
    fn sorts_without_filters_walk_their_index_in_order() {
        for sort in [SortField::Name, SortField::Mobile, SortField::Email] {
            let p = plan(ISP, &Filters::default(), sort);
            assert_eq!(
                (p.query.access, p.ordered, p.residual),
                (Access::Ordered(sort), true, false)
            );
        }
        // With a filter whose index is in id order, its entries are read and sorted in
        // memory by the name key they carry: no record is read but the page's.
        let f = Filters {
            city: Some("Panaji".into()),
            ..Filters::default()
        };
        let p = plan(ISP, &f, SortField::Name);
        assert!(!p.needs_records());
        assert_eq!(
            (p.query.access, p.ordered, p.residual),
            (exact(Field::City, "Panaji"), false, false)
        );
        // A name pattern without leading text has no index: the scope is read.
        let p = plan(ISP, &name("%rao%"), SortField::Mobile);
        assert_eq!(
            (p.query.access, p.ordered, p.residual),
            (Access::Scope, false, true)
        );
    }

    #[test]
    fn scopes_read_their_own_part_and_never_scan() {
        assert_eq!(
            plan(ISP, &Filters::default(), SortField::Id).query,
            CustomerQuery::new(ISP, Access::Scope)
        );
        assert_eq!(
            plan(RES, &Filters::default(), SortField::Id).query,
            CustomerQuery::new(RES, Access::Scope)
        );
        // A reseller's walks are of its own part (the store reads the reseller twins).
        for (f, sort, expected) in [
            (name("ann"), SortField::Id, exact(Field::Name, "ann")),
            (
                name("an%"),
                SortField::Name,
                Access::NamePrefix("an".into()),
            ),
            (
                Filters::default(),
                SortField::Mobile,
                Access::Ordered(SortField::Mobile),
            ),
            (
                Filters::default(),
                SortField::Email,
                Access::Ordered(SortField::Email),
            ),
        ] {
            let p = plan(RES, &f, sort);
            assert_eq!(p.query, CustomerQuery::new(RES, expected));
            assert!(p.ordered);
        }
        let zip = Filters {
            zipcode: Zipcode::parse("zipcode", "12345").ok(),
            ..Filters::default()
        };
        assert_eq!(
            plan(RES, &zip, SortField::Id).query,
            CustomerQuery::new(RES, exact(Field::Zipcode, "12345"))
        );
    }

    #[test]
    fn a_walk_that_may_stop_anywhere_follows_the_sort() {
        let zip = Filters {
            zipcode: Zipcode::parse("zipcode", "12345").ok(),
            ..Filters::default()
        };
        // By zipcode, sorted by name: the zipcode's rows are not in name order.
        assert!(!plan(ISP, &zip, SortField::Name).ordered);
        let p = plan_ordered(ISP, &zip, SortField::Name);
        assert_eq!(
            (p.query.access, p.ordered, p.residual),
            (Access::Ordered(SortField::Name), true, true)
        );
        let p = plan_ordered(RES, &zip, SortField::Id);
        assert_eq!(
            (p.query.access, p.ordered, p.residual),
            (exact(Field::Zipcode, "12345"), true, false),
            "an ordered plan is kept"
        );
        let city = Filters {
            city: Some("x".into()),
            ..Filters::default()
        };
        let p = plan_ordered(RES, &city, SortField::Email);
        assert_eq!(
            (p.query.access, p.ordered, p.residual),
            (Access::Ordered(SortField::Email), true, true)
        );
    }

    #[test]
    fn only_an_ordered_walk_resumes() {
        let p = plan(ISP, &Filters::default(), SortField::Email);
        let after = "a@b.com\u{1}0000000000000003";
        assert_eq!(
            p.start_after(after),
            p.query.start_after(SortField::Email, after)
        );
        assert!(p.start_after(after).is_some());
        let unordered = plan(
            ISP,
            &Filters {
                city: Some("x".into()),
                ..Filters::default()
            },
            SortField::Name,
        );
        assert_eq!(unordered.start_after(after), None);
    }
}
