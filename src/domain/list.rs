//! The list request: filters, sort and paging, parsed; and what "matches" means.

use super::customer::{CustomerType, Mobile, Zipcode, parse_date};
use super::ids::{CustomerId, IspId, ResellerId, ServiceId};
use super::{Fields, Invalid};
use crate::domain::customer::Customer;
use crate::domain::text::fold;
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::paging::PagingRules;
pub use super::paging::{DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, SortOrder};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    Id,
    Name,
    Mobile,
    Email,
}

/// A `%` wildcard pattern; every other character (`_` included) is literal.
/// Matching ignores case when built with `fold_case`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    /// The pattern split at `%`: one part means equality.
    parts: Vec<String>,
    fold_case: bool,
}

impl Pattern {
    pub fn new(value: &str, fold_case: bool) -> Self {
        let value = if fold_case {
            fold(value)
        } else {
            value.to_owned()
        };
        Self {
            parts: value.split('%').map(str::to_owned).collect(),
            fold_case,
        }
    }

    /// The fixed text every match starts with (`abc` for `abc%x`), folded if the pattern is.
    pub fn prefix(&self) -> &str {
        &self.parts[0]
    }

    pub fn is_exact(&self) -> bool {
        self.parts.len() == 1
    }

    /// `abc%`: the prefix alone decides a match.
    pub fn is_prefix_only(&self) -> bool {
        self.parts.len() == 2 && self.parts[1].is_empty()
    }

    pub fn matches(&self, text: &str) -> bool {
        let folded;
        let text = if self.fold_case {
            folded = fold(text);
            folded.as_str()
        } else {
            text
        };
        let (first, rest) = match self.parts.split_first() {
            Some(split) => split,
            None => return text.is_empty(),
        };
        let Some(last) = rest.last() else {
            return text == first;
        };
        let middle = &rest[..rest.len() - 1];
        if text.len() < first.len() + last.len()
            || !text.starts_with(first.as_str())
            || !text.ends_with(last.as_str())
        {
            return false;
        }
        // Greedy left-to-right placement of the middle parts is exact for a single wildcard kind.
        let mut window = &text[first.len()..text.len() - last.len()];
        for part in middle {
            match window.find(part.as_str()) {
                Some(at) => window = &window[at + part.len()..],
                None => return false,
            }
        }
        true
    }
}

/// `created_from` / `created_upto` as the client sent them: whole days, both inclusive, in
/// a zone the request does not say. Each ISP partition turns them into instants in its
/// ISP's own zone (`in_zone`), so one admin list may read different instants per ISP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CreatedDays {
    pub from: Option<Date>,
    pub upto: Option<Date>,
}

impl CreatedDays {
    /// From 00:00:00 of `from` to 23:59:59 of `upto` in `tz`: a day of 23 or 25 hours across a
    /// DST change is still one whole day.
    pub fn in_zone(&self, tz: &TimeZone) -> Result<CreatedRange, Invalid> {
        let out_of_range = |param| Invalid::new(param, "is outside the supported range");
        let day_start = |param: &'static str, d: Date| {
            d.to_zoned_datetime(tz.clone())
                .map(|z| z.timestamp())
                .map_err(|_| out_of_range(param))
        };
        let from = self
            .from
            .map(|d| day_start("created_from", d))
            .transpose()?;
        let upto = self
            .upto
            .map(|d| {
                let next = d
                    .checked_add(1.day())
                    .map_err(|_| out_of_range("created_upto"))?;
                day_start("created_upto", next)?
                    .checked_sub(1.second())
                    .map_err(|_| out_of_range("created_upto"))
            })
            .transpose()?;
        Ok(CreatedRange {
            from: from.map(super::audit::rfc3339_seconds),
            upto: upto.map(super::audit::rfc3339_seconds),
        })
    }
}

/// A civil day as the number `yyyymmdd` (`20261207`), which orders like the days: the
/// bucket in which a customer's creation is counted, in its ISP's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayNumber(pub u32);

impl DayNumber {
    pub fn of(d: Date) -> Self {
        // A jiff year is -9999..=9999; days before year 1 do not occur here.
        let year = u32::try_from(d.year()).unwrap_or(0);
        Self(
            year * 10_000
                + u32::from(d.month().unsigned_abs()) * 100
                + u32::from(d.day().unsigned_abs()),
        )
    }

    /// The day of an RFC 3339 instant in `tz`; `None` if it does not parse.
    pub fn of_instant(instant: &str, tz: &TimeZone) -> Option<Self> {
        let at: jiff::Timestamp = instant.parse().ok()?;
        Some(Self::of(tz.to_datetime(at).date()))
    }
}

/// Inclusive bounds on `created_at`, as RFC 3339 UTC strings with second precision
/// (which order like the instants they name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CreatedRange {
    pub from: Option<String>,
    pub upto: Option<String>,
}

impl CreatedRange {
    pub fn contains(&self, created_at: &str) -> bool {
        self.from.as_deref().is_none_or(|f| created_at >= f)
            && self.upto.as_deref().is_none_or(|u| created_at <= u)
    }
}

/// The list's filters. As parsed, `created` holds civil days (`Filters<CreatedDays>`); the
/// planner and `matches` take them resolved for one ISP (`Filters`, with instants).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters<C = CreatedRange> {
    pub customerid: Option<CustomerId>,
    pub serviceid: Option<ServiceId>,
    pub username: Option<Pattern>,
    pub ctype: Option<CustomerType>,
    pub name: Option<Pattern>,
    pub mobile: Option<Mobile>,
    /// Lower-cased: email compares ignoring case.
    pub email: Option<String>,
    pub zipcode: Option<Zipcode>,
    pub state: Option<String>,
    pub city: Option<String>,
    pub created: Option<C>,
}

impl Filters<CreatedDays> {
    /// The filters of one ISP's partition: the days as instants in that ISP's zone.
    pub fn in_zone(&self, tz: &TimeZone) -> Result<Filters, Invalid> {
        Ok(Filters {
            customerid: self.customerid,
            serviceid: self.serviceid,
            username: self.username.clone(),
            ctype: self.ctype,
            name: self.name.clone(),
            mobile: self.mobile.clone(),
            email: self.email.clone(),
            zipcode: self.zipcode.clone(),
            state: self.state.clone(),
            city: self.city.clone(),
            created: self.created.map(|d| d.in_zone(tz)).transpose()?,
        })
    }
}

impl Filters {
    /// Whether the customer's own fields pass. `serviceid`/`username` are decided by the
    /// services the list reads first (`services_filter`).
    pub fn matches(&self, c: &Customer) -> bool {
        self.customerid.is_none_or(|id| id == c.id)
            && self.ctype.is_none_or(|t| t.as_str() == c.ctype)
            && self.name.as_ref().is_none_or(|p| p.matches(&c.name))
            && self.mobile.as_ref().is_none_or(|m| m.as_str() == c.mobile)
            && self.email.as_ref().is_none_or(|e| *e == fold(&c.email))
            && self
                .zipcode
                .as_ref()
                .is_none_or(|z| z.as_str() == c.zipcode)
            && self.state.as_ref().is_none_or(|s| *s == c.state)
            && self.city.as_ref().is_none_or(|s| *s == c.city)
            && self
                .created
                .as_ref()
                .is_none_or(|r| r.contains(&c.audit.created_at))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListRequest {
    pub ispid: Option<IspId>,
    pub resellerid: Option<ResellerId>,
    pub filters: Filters<CreatedDays>,
    pub sort: SortField,
    pub order: SortOrder,
    pub limit: u32,
    pub offset: u32,
    pub show_count: bool,
    /// A `next` cursor from an earlier page of the same query; empty for the first page.
    /// Either way the request accepts short pages (see `app::budget`).
    pub cursor: Option<String>,
    /// `deleted=1`: the restorable copies of deleted customers instead (`app::deleted`).
    pub deleted: bool,
}

/// The customer list's paging: every parameter, `cursor` included.
pub const PAGING: PagingRules<SortField> = PagingRules {
    sorts: &[
        ("id", SortField::Id),
        ("name", SortField::Name),
        ("mobile", SortField::Mobile),
        ("email", SortField::Email),
    ],
    offset: true,
    cursor: true,
};

pub(crate) fn exact_text(param: &'static str, value: &str) -> Result<String, Invalid> {
    if value.chars().count() > 255 {
        return Err(Invalid::new(param, "must be at most 255 characters"));
    }
    Ok(value.to_owned())
}

impl ListRequest {
    pub fn parse(f: &impl Fields) -> Result<Self, Invalid> {
        let created_from = f.parse_opt("created_from", parse_date)?;
        let created_upto = f.parse_opt("created_upto", parse_date)?;
        if let (Some(from), Some(upto)) = (created_from, created_upto)
            && upto < from
        {
            return Err(Invalid::new(
                "created_upto",
                "must not be before created_from",
            ));
        }
        let created = (created_from.is_some() || created_upto.is_some()).then_some(CreatedDays {
            from: created_from,
            upto: created_upto,
        });

        let filters = Filters {
            customerid: f.parse_opt("customerid", CustomerId::parse)?,
            serviceid: f.parse_opt("serviceid", ServiceId::parse)?,
            username: f
                .parse_opt("username", exact_text)?
                .map(|v| Pattern::new(&v, true)),
            ctype: f.parse_opt("type", CustomerType::parse)?,
            name: f
                .parse_opt("name", exact_text)?
                .map(|v| Pattern::new(&v, true)),
            mobile: f.parse_opt("mobile", Mobile::parse)?,
            email: f.parse_opt("email", exact_text)?.map(|e| fold(&e)),
            zipcode: f.parse_opt("zipcode", Zipcode::parse)?,
            state: f.parse_opt("state", exact_text)?,
            city: f.parse_opt("city", exact_text)?,
            created,
        };
        let ispid = f.parse_opt("ispid", IspId::parse)?;
        let resellerid = f.parse_opt("resellerid", ResellerId::parse)?;
        let paging = PAGING.parse(f)?;
        let deleted = f
            .parse_opt("deleted", |p, v| {
                crate::domain::paging::one_of(p, v, &[("0", false), ("1", true)])
            })?
            .unwrap_or(false);
        Ok(Self {
            deleted,
            ispid,
            resellerid,
            filters,
            sort: paging.sort.unwrap_or(SortField::Id),
            order: paging.order,
            limit: paging.limit,
            offset: paging.offset,
            show_count: paging.show_count,
            cursor: paging.cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::fields_of;
    use jiff::Timestamp;

    fn parse(pairs: &[(&str, &str)]) -> Result<ListRequest, Invalid> {
        ListRequest::parse(&fields_of(pairs))
    }

    #[test]
    fn wildcards_match_anywhere_and_underscore_is_literal() {
        let p = |s| Pattern::new(s, true);
        assert!(p("xyz_%").matches("XYZ_abc"));
        assert!(!p("xyz_%").matches("xyzaabc"));
        assert!(p("%abc").matches("zzABC"));
        assert!(p("%abc%").matches("xxabcxx"));
        assert!(p("a%b%c").matches("aXbYc"));
        assert!(!p("a%b%c").matches("acb"));
        assert!(p("%").matches(""));
        assert!(p("abc").matches("ABC"));
        assert!(!p("abc").matches("abcd"));
        assert!(!p("ab%ba").matches("aba"), "parts may not overlap");
        // Folding is per character, the same for patterns and stored keys (final sigma too).
        assert!(p("ΝΙΚΟΣ").matches("Νίκοσ".replace('ί', "ι").as_str()));
        assert!(p("ΑΣ%").matches("ΑΣΤΡΟ"));
        assert_eq!(p("ΝΙΚΟΣ").prefix(), crate::domain::text::fold("ΝΙΚΟΣ"));
    }

    #[test]
    fn defaults_and_ranges() {
        let r = parse(&[]).unwrap();
        assert_eq!(
            (r.limit, r.offset, r.sort, r.order, r.show_count),
            (10, 0, SortField::Id, SortOrder::Asc, false)
        );
        assert_eq!(
            parse(&[("rows_limit", "0")]).unwrap_err().to_string(),
            "rows_limit: must be a whole number from 1 to 100"
        );
        assert!(parse(&[("rows_limit", "101")]).is_err());
        assert!(parse(&[("rows_offset", "-1")]).is_err());
        assert_eq!(
            parse(&[("rows_offset", "10001")]).unwrap_err().to_string(),
            "rows_offset: must be a whole number from 0 to 10000 (page further with cursor)"
        );
        assert!(parse(&[("rows_offset", "10000")]).is_ok());
        let long = "a".repeat(256);
        assert_eq!(parse(&[("name", &long)]).unwrap_err().param, "name");
        assert!(parse(&[("sort_field", "city")]).is_err());
        assert!(parse(&[("sort_order", "up")]).is_err());
        assert!(parse(&[("show_count", "2")]).is_err());
    }

    fn days(pairs: &[(&str, &str)]) -> CreatedDays {
        parse(pairs).unwrap().filters.created.unwrap()
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    #[test]
    fn created_days_are_civil_until_a_zone_resolves_them() {
        let d = days(&[
            ("created_from", "2026-11-27"),
            ("created_upto", "2026-11-27"),
        ]);
        assert_eq!(d.from, Some(jiff::civil::date(2026, 11, 27)));
        let r = d.in_zone(&zone("Asia/Kolkata")).unwrap();
        assert_eq!(r.from.as_deref(), Some("2026-11-26T18:30:00Z"));
        assert_eq!(r.upto.as_deref(), Some("2026-11-27T18:29:59Z"));
        let r = d.in_zone(&zone("America/New_York")).unwrap();
        assert_eq!(r.from.as_deref(), Some("2026-11-27T05:00:00Z"));
        assert_eq!(r.upto.as_deref(), Some("2026-11-28T04:59:59Z"));
        let only_from = days(&[("created_from", "2026-11-27")]);
        assert_eq!(only_from.in_zone(&TimeZone::UTC).unwrap().upto, None);
        assert!(
            parse(&[
                ("created_from", "2026-11-28"),
                ("created_upto", "2026-11-27")
            ])
            .is_err()
        );
        assert_eq!(parse(&[]).unwrap().filters.created, None);
    }

    #[test]
    fn a_dst_day_is_23_or_25_hours_and_days_tile_without_gaps() {
        let ny = zone("America/New_York");
        let one = |d: &str| days(&[("created_from", d), ("created_upto", d)]);
        let span = |d: &str| {
            let r = one(d).in_zone(&ny).unwrap();
            let from: Timestamp = r.from.unwrap().parse().unwrap();
            let upto: Timestamp = r.upto.unwrap().parse().unwrap();
            upto.as_second() - from.as_second() + 1
        };
        assert_eq!(span("2026-03-08"), 23 * 3600);
        assert_eq!(span("2026-11-01"), 25 * 3600);
        assert_eq!(span("2026-11-02"), 24 * 3600);
        // Havana skips its midnight (2024-03-10 starts at 01:00): the day starts after the gap.
        let havana = one("2024-03-10").in_zone(&zone("America/Havana")).unwrap();
        assert_eq!(havana.from.as_deref(), Some("2024-03-10T05:00:00Z"));
        // Each day ends one second before the next begins, across every change of 2024-2026.
        for name in [
            "America/New_York",
            "Asia/Kolkata",
            "America/Havana",
            "Australia/Lord_Howe",
        ] {
            let tz = zone(name);
            let mut d = jiff::civil::date(2024, 1, 1);
            while d.year() < 2027 {
                let today = CreatedDays {
                    from: Some(d),
                    upto: Some(d),
                }
                .in_zone(&tz)
                .unwrap();
                let next = d.tomorrow().unwrap();
                let tomorrow = CreatedDays {
                    from: Some(next),
                    upto: None,
                }
                .in_zone(&tz)
                .unwrap();
                let end: Timestamp = today.upto.unwrap().parse().unwrap();
                let start: Timestamp = tomorrow.from.unwrap().parse().unwrap();
                assert_eq!(end.as_second() + 1, start.as_second(), "{name} {d}");
                d = next;
            }
        }
    }

    #[test]
    fn days_at_the_end_of_the_calendar_are_refused_not_wrapped() {
        let d = days(&[("created_upto", "9999-12-31")]);
        assert_eq!(d.in_zone(&TimeZone::UTC).unwrap_err().param, "created_upto");
    }

    #[test]
    fn resolving_keeps_every_other_filter() {
        let r = parse(&[
            ("name", "ann%"),
            ("city", "Panaji"),
            ("created_from", "2026-01-01"),
        ])
        .unwrap();
        let f = r.filters.in_zone(&TimeZone::UTC).unwrap();
        assert_eq!(f.name, r.filters.name);
        assert_eq!(f.city.as_deref(), Some("Panaji"));
        assert_eq!(
            f.created.and_then(|c| c.from).as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }
}
