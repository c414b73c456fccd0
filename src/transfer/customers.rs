//! Customers as an import kind: each row checked as the API checks a create, its reseller
//! read once per file, its kept id checked unused.

use super::Problem;
use super::kind::Kind;
use super::source::Row;
use crate::domain::audit::Audit;
use crate::domain::audit::rfc3339_seconds;
use crate::domain::customer::{self, Customer, CustomerFields};
use crate::domain::entity::{Input, Pick, field};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::scope::{Actor, Placement};
use crate::domain::{Fields, Invalid, text};
use crate::store::bulk::BatchInsert;
use crate::store::records::CustomerItem;
use crate::store::sequences::Sequence;
use crate::store::{Store, StoreError};
use jiff::tz::TimeZone;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// The columns of a customer, in export order: its public fields.
pub const COLUMNS: [&str; customer::FIELDS.len()] =
    crate::field_names!(&[], customer::FIELDS, Pick::All, &[]);

/// What an import reads: the columns, and `old_id`.
const FIELDS: [&str; customer::FIELDS.len() + 1] =
    crate::field_names!(&[], customer::FIELDS, Pick::All, &["old_id"]);

pub struct CustomerImport {
    /// `--isp` / `--reseller`: for rows without those columns.
    isp: Option<IspId>,
    reseller: Option<ResellerId>,
    today: jiff::civil::Date,
    /// Each reseller named, read once: its ISP, or `None` if it does not exist.
    resellers: HashMap<ResellerId, Option<IspId>>,
    /// Each ISP's zone, read with its first reseller: the day a row's creation is counted on.
    zones: HashMap<IspId, TimeZone>,
    /// For ISPs without a zone of their own: `TIME_ZONE`, as the API's (default UTC).
    default_zone: TimeZone,
    old_ids: HashSet<String>,
}

impl CustomerImport {
    /// `default_zone`: the deployment's `TIME_ZONE`, for ISPs without a zone of their own.
    pub fn new(isp: Option<IspId>, reseller: Option<ResellerId>, default_zone: TimeZone) -> Self {
        Self {
            isp,
            reseller,
            today: jiff::Timestamp::now()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date(),
            resellers: HashMap::new(),
            zones: HashMap::new(),
            default_zone,
            old_ids: HashSet::new(),
        }
    }

    /// The row's fields with `--isp` / `--reseller` where it has none.
    fn fields(&self, row: &Row) -> HashMap<String, String> {
        let mut f = row.fields.clone();
        if let Some(isp) = self.isp {
            f.entry("ispid".into()).or_insert(isp.to_string());
        }
        if let Some(r) = self.reseller {
            f.entry("resellerid".into()).or_insert(r.to_string());
        }
        f
    }

    /// Everything about a row that needs no read: the record it makes under `id`.
    fn parse(&self, row: &Row, id: CustomerId) -> Result<(CustomerItem, ResellerId), Invalid> {
        let f = self.fields(row);
        let isp = f.parse_req("ispid", IspId::parse)?;
        let reseller = f.parse_req("resellerid", ResellerId::parse)?;
        let customer = CustomerFields::parse_create(&f, self.today)?;
        let audit = history(&f)?;
        let at = Placement { isp, reseller };
        let zone = self.zones.get(&isp).unwrap_or(&self.default_zone);
        let created = audit.created_at.clone();
        let mut item = CustomerItem::new(id, at, customer, created, Actor::Admin, zone);
        item.audit = audit;
        Ok((item, reseller))
    }
}

impl CustomerImport {
    /// All of a row's problems, not only its first: each refused field is replaced by a
    /// value its rule accepts (or, if optional, removed) and the row read again, so that one
    /// pass through the file shows everything to fix.
    fn every_problem(&self, row: &Row, first: Invalid) -> Problem {
        let mut problems = vec![first];
        let mut row = row.clone();
        while let Some(last) = problems.last() {
            if problems.len() > COLUMNS.len() {
                break;
            }
            match stand_in(last.param) {
                Some(v) => row.fields.insert(last.param.to_owned(), v.to_owned()),
                None => row.fields.remove(last.param),
            };
            match self.parse(&row, CustomerId(1)) {
                Err(e) if !problems.iter().any(|p| p.param == e.param) => problems.push(e),
                _ => break,
            }
        }
        Problem::all(row.line, &problems)
    }
}

/// A value each required field's rule accepts, to read past it (its table's example).
fn stand_in(param: &str) -> Option<&'static str> {
    field(customer::FIELDS, param)
        .filter(|f| Pick::RequiredOnCreate.takes(f.input))
        .map(|f| f.example)
}

/// When and by whom a record was written in the previous system, where the file says (an
/// export of ours does); else now, and the import's own writer (`crm-admin`).
pub(super) fn history(f: &impl Fields) -> Result<Audit, Invalid> {
    let created_at = timestamp(f, "created_at")?.unwrap_or_else(crate::domain::audit::now);
    let updated_at = timestamp(f, "updated_at")?.unwrap_or_else(|| created_at.clone());
    let created_by = f.parse_opt("created_by", text::UNIQUE_ID.parser())?;
    let updated_by = f.parse_opt("updated_by", text::UNIQUE_ID.parser())?;
    let ours = Audit::created(created_at, Actor::Admin);
    Ok(Audit {
        updated_at: Some(updated_at),
        created_by: created_by.or(ours.created_by),
        updated_by: updated_by.or(ours.updated_by),
        created_at: ours.created_at,
    })
}

/// An optional RFC 3339 time, stored to the second as the API stores its own.
fn timestamp(f: &impl Fields, name: &'static str) -> Result<Option<String>, Invalid> {
    f.parse_opt(name, |p, v| {
        v.parse::<jiff::Timestamp>()
            .map(rfc3339_seconds)
            .map_err(|_| Invalid::new(p, "must be an RFC 3339 time, e.g. 2024-05-01T09:30:00Z"))
    })
}

/// The part of a record an import gives: what the API returns, without the times the
/// import may have set itself.
fn public(item: &CustomerItem) -> Customer {
    let mut c = Customer::from(item.clone());
    c.audit.created_at.clear();
    c.audit.updated_at = None;
    c
}

impl Kind for CustomerImport {
    type Item = CustomerItem;
    const NAME: &'static str = "customers";
    const SEQUENCE: Sequence = Sequence::Customer;
    const FIELDS: &'static [&'static str] = &FIELDS;

    fn required(&self) -> Vec<&'static str> {
        // The placement columns last, unless `--isp` / `--reseller` stand for them.
        let given = |c: &&str| match *c {
            "ispid" => self.isp.is_some(),
            "resellerid" => self.reseller.is_some(),
            _ => false,
        };
        let taking = |input| customer::FIELDS.iter().filter(move |f| f.input == input);
        taking(Input::Required)
            .chain(taking(Input::Placement))
            .map(|f| f.name)
            .filter(|c| !given(c))
            .collect()
    }

    async fn check(
        &mut self,
        store: &Store,
        rows: &[Row],
    ) -> Result<Vec<Result<Option<u64>, Problem>>, StoreError> {
        let mut results = Vec::with_capacity(rows.len());
        let mut kept = Vec::new();
        for row in rows {
            let id = match row.fields.get("id") {
                None => Ok(None),
                Some(v) => CustomerId::parse("id", v).map(Some),
            };
            let parsed = id.and_then(|id| {
                let (item, reseller) = self.parse(row, id.unwrap_or(CustomerId(1)))?;
                Ok((id, item, reseller))
            });
            let result = match parsed {
                Err(e) => Err(self.every_problem(row, e)),
                Ok((id, item, reseller)) => {
                    if let Entry::Vacant(e) = self.resellers.entry(reseller) {
                        e.insert(store.get_reseller(reseller).await?.map(|r| r.ispid));
                    }
                    if let Entry::Vacant(e) = self.zones.entry(item.ispid) {
                        let zone = store.get_isp(item.ispid).await?.and_then(|i| i.time_zone);
                        let zone = zone.and_then(|z| TimeZone::get(&z).ok());
                        e.insert(zone.unwrap_or_else(|| self.default_zone.clone()));
                    }
                    match self.resellers.get(&reseller).copied().flatten() {
                        None => Err(Problem::new(
                            row.line,
                            "resellerid",
                            format!("reseller {reseller} does not exist"),
                        )),
                        Some(isp) if isp != item.ispid => Err(Problem::new(
                            row.line,
                            "resellerid",
                            format!(
                                "reseller {reseller} belongs to ISP {isp}, not {}",
                                item.ispid
                            ),
                        )),
                        Some(_) => match row.fields.get("old_id") {
                            Some(old) if !self.old_ids.insert(old.clone()) => Err(Problem::new(
                                row.line,
                                "old_id",
                                format!("{old} appears twice in the file"),
                            )),
                            _ => Ok(id.map(CustomerId::get)),
                        },
                    }
                }
            };
            if let Ok(Some(id)) = result {
                kept.push(CustomerId(id));
            }
            results.push(result);
        }
        let taken: HashSet<u64> = store
            .get_customers(&kept)
            .await?
            .iter()
            .map(|c| c.id.get())
            .collect();
        for (row, result) in rows.iter().zip(results.iter_mut()) {
            if let Ok(Some(id)) = result
                && taken.contains(id)
            {
                *result = Err(Problem::new(
                    row.line,
                    "id",
                    format!("customer {id} exists"),
                ));
            }
        }
        Ok(results)
    }

    fn item(&self, row: &Row, id: u64) -> Result<CustomerItem, Problem> {
        let id = match row.fields.get("id") {
            Some(v) => CustomerId::parse("id", v),
            None => Ok(CustomerId(id)),
        };
        id.and_then(|id| self.parse(row, id))
            .map(|(item, _)| item)
            .map_err(|e| Problem::invalid(row.line, e))
    }

    fn id_of(item: &CustomerItem) -> u64 {
        item.id.get()
    }

    async fn write(
        &self,
        store: &Store,
        items: &[CustomerItem],
    ) -> Result<Vec<(usize, String)>, StoreError> {
        match store.insert_customers(items).await? {
            BatchInsert::Written => Ok(Vec::new()),
            BatchInsert::Refused(refused) => Ok(refused
                .into_iter()
                .filter_map(|(i, _)| Some((i, format!("customer {} exists", items.get(i)?.id))))
                .collect()),
            BatchInsert::Conflict => Err(StoreError::Busy("import transaction conflict".into())),
        }
    }

    async fn stored(&self, store: &Store, item: &CustomerItem) -> Result<bool, StoreError> {
        Ok(store
            .get_customer_latest(item.id)
            .await?
            .is_some_and(|c| public(&c) == public(item)))
    }

    fn old_id(row: &Row) -> Option<String> {
        row.fields.get("old_id").cloned()
    }
}
