//! Services as an import kind: each row checked as the API checks a create; its customer
//! found by the id the file names (kept ids, or through the id map a customer import
//! wrote), its username claimed as the API claims it.

use super::Problem;
use super::TransferError;
use super::customers::history;
use super::kind::Kind;
use super::source::Row;
use crate::domain::Fields;
use crate::domain::entity::{Pick, picked};
use crate::domain::ids::{CustomerId, IspId, ResellerId, ServiceId};
use crate::domain::scope::{Actor, Placement};
use crate::domain::service::{self, ServiceFields};
use crate::store::bulk::{BatchInsert, BatchRefusal};
use crate::store::records::ServiceItem;
use crate::store::sequences::Sequence;
use crate::store::{Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The columns of a service, in export order: its public fields.
pub const COLUMNS: [&str; service::FIELDS.len()] =
    crate::field_names!(&[], service::FIELDS, Pick::All, &[]);

pub struct ServiceImport {
    /// Old customer ids → ours (`--customer-ids`, a customer import's `<file>.ids.csv`).
    customer_ids: Option<HashMap<String, u64>>,
    /// Each customer named, read once: where it is, or `None` if it does not exist.
    customers: HashMap<CustomerId, Option<Placement>>,
    /// Usernames of the file so far, by ISP (case folded).
    usernames: HashSet<(IspId, String)>,
}

impl ServiceImport {
    pub fn new(customer_ids: Option<&Path>) -> Result<Self, TransferError> {
        let customer_ids = match customer_ids {
            None => None,
            Some(path) => {
                let mut map = HashMap::new();
                let mut r = csv::Reader::from_path(path)
                    .map_err(|e| TransferError::File(format!("{}: {e}", path.display())))?;
                for rec in r.records() {
                    let rec =
                        rec.map_err(|e| TransferError::File(format!("{}: {e}", path.display())))?;
                    let (Some(old), Some(Ok(id))) = (rec.get(0), rec.get(1).map(str::parse)) else {
                        return Err(TransferError::File(format!(
                            "{}: rows must be old_id,id",
                            path.display()
                        )));
                    };
                    map.insert(old.to_owned(), id);
                }
                Some(map)
            }
        };
        Ok(Self {
            customer_ids,
            customers: HashMap::new(),
            usernames: HashSet::new(),
        })
    }

    /// The row's fields, its customer id translated through the id map.
    fn fields(&self, row: &Row) -> Result<HashMap<String, String>, Problem> {
        let mut f = row.fields.clone();
        if let (Some(map), Some(old)) = (&self.customer_ids, row.fields.get("customerid")) {
            let id = map.get(old).ok_or_else(|| {
                Problem::new(
                    row.line,
                    "customerid",
                    format!("{old} is not in the customer id map"),
                )
            })?;
            f.insert("customerid".into(), id.to_string());
        }
        Ok(f)
    }

    /// The record a row makes under `id`, at `at`.
    fn parse(
        &self,
        row: &Row,
        id: ServiceId,
    ) -> Result<(ServiceItem, Option<IspId>, Option<ResellerId>), Problem> {
        let f = self.fields(row)?;
        let invalid = |e| Problem::invalid(row.line, e);
        let fields = ServiceFields::parse_create(&f).map_err(invalid)?;
        let isp = f.parse_opt("ispid", IspId::parse).map_err(invalid)?;
        let reseller = f
            .parse_opt("resellerid", ResellerId::parse)
            .map_err(invalid)?;
        let audit = history(&f).map_err(invalid)?;
        let at = self
            .customers
            .get(&fields.customerid)
            .copied()
            .flatten()
            .unwrap_or(Placement {
                isp: IspId(0),
                reseller: ResellerId(0),
            });
        let mut item = ServiceItem::new(id, at, fields, audit.created_at.clone(), Actor::Admin);
        item.audit = audit;
        Ok((item, isp, reseller))
    }
}

impl Kind for ServiceImport {
    type Item = ServiceItem;
    const NAME: &'static str = "services";
    const SEQUENCE: Sequence = Sequence::Service;
    const FIELDS: &'static [&'static str] = &COLUMNS;

    fn required(&self) -> Vec<&'static str> {
        picked(service::FIELDS, Pick::RequiredOnCreate).collect()
    }

    async fn check(
        &mut self,
        store: &Store,
        rows: &[Row],
    ) -> Result<Vec<Result<Option<u64>, Problem>>, StoreError> {
        // The customers this chunk names that are not known yet: one batch read.
        let wanted: Vec<CustomerId> = rows
            .iter()
            .filter_map(|r| self.fields(r).ok()?.get("customerid")?.parse().ok())
            .map(CustomerId)
            .filter(|id| !self.customers.contains_key(id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for id in &wanted {
            self.customers.insert(*id, None);
        }
        for c in store.get_customers(&wanted).await? {
            self.customers.insert(
                c.id,
                Some(Placement {
                    isp: c.ispid,
                    reseller: c.resellerid,
                }),
            );
        }
        let mut results = Vec::with_capacity(rows.len());
        for row in rows {
            let id = match row.fields.get("id") {
                None => Ok(None),
                Some(v) => ServiceId::parse("id", v)
                    .map(Some)
                    .map_err(|e| Problem::invalid(row.line, e)),
            };
            let result = id.and_then(|id| {
                let (item, isp, reseller) = self.parse(row, id.unwrap_or(ServiceId(1)))?;
                let Some(at) = self.customers.get(&item.customerid).copied().flatten() else {
                    return Err(Problem::new(
                        row.line,
                        "customerid",
                        format!("customer {} does not exist", item.customerid),
                    ));
                };
                if isp.is_some_and(|i| i != at.isp) || reseller.is_some_and(|r| r != at.reseller) {
                    return Err(Problem::new(
                        row.line,
                        "customerid",
                        format!(
                            "customer {} is in ISP {} reseller {}, not where the row says",
                            item.customerid, at.isp, at.reseller
                        ),
                    ));
                }
                if !self.usernames.insert((
                    at.isp,
                    crate::domain::service::Username::fold(&item.username),
                )) {
                    return Err(Problem::new(
                        row.line,
                        "username",
                        format!(
                            "{} appears twice in the file for ISP {}",
                            item.username, at.isp
                        ),
                    ));
                }
                Ok((
                    id.map(ServiceId::get),
                    (
                        at.isp,
                        crate::domain::service::Username::fold(&item.username),
                    ),
                ))
            });
            results.push(result);
        }
        // Usernames claimed and kept ids in use: one batch read each.
        let usernames: Vec<(IspId, String)> =
            results.iter().flatten().map(|(_, u)| u.clone()).collect();
        let now = jiff::Timestamp::now().as_second();
        let held = store.usernames_in_use(&usernames, now).await?;
        let kept: Vec<ServiceId> = results
            .iter()
            .flatten()
            .filter_map(|(id, _)| id.map(ServiceId))
            .collect();
        let taken: HashSet<u64> = store
            .get_services(&kept)
            .await?
            .iter()
            .map(|s| s.id.get())
            .collect();
        Ok(rows
            .iter()
            .zip(results)
            .map(|(row, r)| {
                let (id, username) = r?;
                if held.contains(&username) {
                    let name = row.fields.get("username").map_or("", String::as_str);
                    return Err(Problem::new(
                        row.line,
                        "username",
                        format!("{name} is in use in this ISP"),
                    ));
                }
                match id {
                    Some(id) if taken.contains(&id) => {
                        Err(Problem::new(row.line, "id", format!("service {id} exists")))
                    }
                    id => Ok(id),
                }
            })
            .collect())
    }

    fn item(&self, row: &Row, id: u64) -> Result<ServiceItem, Problem> {
        let id = match row.fields.get("id") {
            Some(v) => ServiceId::parse("id", v).map_err(|e| Problem::invalid(row.line, e))?,
            None => ServiceId(id),
        };
        self.parse(row, id).map(|(item, _, _)| item)
    }

    fn id_of(item: &ServiceItem) -> u64 {
        item.id.get()
    }

    async fn write(
        &self,
        store: &Store,
        items: &[ServiceItem],
    ) -> Result<Vec<(usize, String)>, StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let refused = match store.insert_services(items, now).await? {
            BatchInsert::Written => return Ok(Vec::new()),
            BatchInsert::Refused(refused) => refused,
            BatchInsert::Conflict => {
                return Err(StoreError::Busy("import transaction conflict".into()));
            }
        };
        Ok(refused
            .into_iter()
            .filter_map(|(i, why)| {
                let s = items.get(i)?;
                let reason = match why {
                    BatchRefusal::IdTaken => format!("service {} exists", s.id),
                    BatchRefusal::UsernameTaken => {
                        format!("username {} is in use in this ISP", s.username)
                    }
                    BatchRefusal::CustomerMissing => {
                        format!("customer {} is gone or moved", s.customerid)
                    }
                };
                Some((i, reason))
            })
            .collect())
    }

    async fn stored(&self, store: &Store, item: &ServiceItem) -> Result<bool, StoreError> {
        let same = |s: &ServiceItem| {
            (&s.customerid, &s.username, &s.plan, &s.status, &s.notes)
                == (
                    &item.customerid,
                    &item.username,
                    &item.plan,
                    &item.status,
                    &item.notes,
                )
        };
        Ok(store
            .get_service(item.id, true)
            .await?
            .is_some_and(|s| same(&s)))
    }
}
