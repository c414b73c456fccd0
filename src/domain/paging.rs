//! The paging parameters of the list routes (`sort_field`, `sort_order`, `rows_limit`,
//! `rows_offset`, `show_count`, `cursor`), parsed by one function. Each route says which of
//! them it reads (`PagingRules`); its contract declares the same names (`PagingRules::params`).

use super::{Fields, Invalid};

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;
/// Deeper pages are reached with `cursor`: an offset is walked row by row, a cursor is not.
pub const MAX_OFFSET: u32 = 10_000;
/// Longer is not a cursor this API issued (they are a few hundred characters).
const MAX_CURSOR: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    Asc,
    Desc,
}

/// Which paging parameters a list route reads.
#[derive(Debug)]
pub struct PagingRules<S: 'static> {
    /// `sort_field`'s values, the default first; empty: no `sort_field` and `sort_order`.
    pub sorts: &'static [(&'static str, S)],
    /// `rows_offset` and `show_count`.
    pub offset: bool,
    /// `cursor` (`rows_offset`'s refusal then points at it).
    pub cursor: bool,
}

/// The paging a list request asks for (defaults for what it does not give).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Paging<S> {
    /// `None` only where the route has no sort.
    pub sort: Option<S>,
    pub order: SortOrder,
    pub limit: u32,
    pub offset: u32,
    pub show_count: bool,
    /// A `next` cursor from an earlier page; present even when empty (`cursor=` asks for the
    /// first page, with short pages).
    pub cursor: Option<String>,
}

impl<S: Copy> PagingRules<S> {
    /// Reads the parameters in the order of `params`; the first refusal is reported.
    pub fn parse(&self, f: &impl Fields) -> Result<Paging<S>, Invalid> {
        let sorted = !self.sorts.is_empty();
        let mut paging = Paging {
            sort: self.sorts.first().map(|(_, s)| *s),
            order: SortOrder::Asc,
            limit: DEFAULT_LIMIT,
            offset: 0,
            show_count: false,
            cursor: None,
        };
        if sorted {
            if let Some(s) = f.parse_opt("sort_field", |p, v| one_of(p, v, self.sorts))? {
                paging.sort = Some(s);
            }
            paging.order = f
                .parse_opt("sort_order", |p, v| {
                    one_of(p, v, &[("asc", SortOrder::Asc), ("desc", SortOrder::Desc)])
                })?
                .unwrap_or(SortOrder::Asc);
        }
        paging.limit = f
            .parse_opt("rows_limit", |p, v| parse_u32_in(p, v, 1, MAX_LIMIT))?
            .unwrap_or(DEFAULT_LIMIT);
        if self.offset {
            paging.offset = f
                .parse_opt("rows_offset", |p, v| {
                    parse_u32_in(p, v, 0, MAX_OFFSET).map_err(|e| match self.cursor {
                        true => Invalid::new(p, format!("{} (page further with cursor)", e.rule)),
                        false => e,
                    })
                })?
                .unwrap_or(0);
            paging.show_count = f
                .parse_opt("show_count", |p, v| {
                    one_of(p, v, &[("0", false), ("1", true)])
                })?
                .unwrap_or(false);
        }
        if self.cursor {
            paging.cursor = match f.get("cursor").map(str::trim) {
                Some(v) if v.len() > MAX_CURSOR => {
                    return Err(Invalid::new("cursor", "is not a cursor this API issued"));
                }
                v => v.map(str::to_owned),
            };
        }
        Ok(paging)
    }

    /// The names `parse` reads, in its order: what the route's contract declares.
    pub fn params(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if !self.sorts.is_empty() {
            names.extend(["sort_field", "sort_order"]);
        }
        names.push("rows_limit");
        if self.offset {
            names.extend(["rows_offset", "show_count"]);
        }
        if self.cursor {
            names.push("cursor");
        }
        names
    }
}

pub(crate) fn parse_u32_in(
    param: &'static str,
    value: &str,
    min: u32,
    max: u32,
) -> Result<u32, Invalid> {
    let rule = || Invalid::new(param, format!("must be a whole number from {min} to {max}"));
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(rule());
    }
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(rule)
}

pub(crate) fn one_of<T: Copy>(
    param: &'static str,
    value: &str,
    allowed: &[(&str, T)],
) -> Result<T, Invalid> {
    allowed
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value.trim()))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<_> = allowed.iter().map(|(n, _)| *n).collect();
            Invalid::new(param, format!("must be one of {}", names.join(", ")))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::entity::check::Reads;

    const PAGED: PagingRules<u8> = PagingRules {
        sorts: &[("id", 1), ("name", 2)],
        offset: true,
        cursor: false,
    };

    #[test]
    fn reads_only_what_the_route_declares() {
        let f = Reads::new(&[]);
        let p = PAGED.parse(&f).unwrap();
        assert_eq!((p.sort, p.order, p.limit), (Some(1), SortOrder::Asc, 10));
        let mut want: Vec<String> = PAGED.params().into_iter().map(Into::into).collect();
        want.sort();
        assert_eq!(f.names().into_iter().collect::<Vec<_>>(), want);

        let bare: PagingRules<()> = PagingRules {
            sorts: &[],
            offset: false,
            cursor: false,
        };
        let f = Reads::new(&[("rows_limit", "5")]);
        assert_eq!(bare.parse(&f).unwrap().limit, 5);
        assert_eq!(bare.params(), ["rows_limit"]);
        assert_eq!(f.names().len(), 1);
    }

    #[test]
    fn the_offset_refusal_points_at_a_cursor_only_where_there_is_one() {
        let f = Reads::new(&[("rows_offset", "10001")]);
        assert_eq!(
            PAGED.parse(&f).unwrap_err().to_string(),
            "rows_offset: must be a whole number from 0 to 10000"
        );
        let with_cursor = PagingRules {
            cursor: true,
            ..PAGED
        };
        assert_eq!(
            with_cursor.parse(&f).unwrap_err().to_string(),
            "rows_offset: must be a whole number from 0 to 10000 (page further with cursor)"
        );
        let f = Reads::new(&[("cursor", " ")]);
        assert_eq!(with_cursor.parse(&f).unwrap().cursor.as_deref(), Some(""));
    }
}
