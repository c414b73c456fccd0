//! Where a cold `rows_offset` in id order starts: counted on the part's ids alone (the
//! keys-only `ids-by-isp`, `ids-by-reseller`), not on whole customers.

use super::capacity::{self, Kind};
use super::keys::{self, IDS_BY_ISP, IDS_BY_RESELLER};
use super::plan::Part;
use super::query::SortCond;
use super::{Item, Store, StoreError, n};
use crate::domain::ids::CustomerId;
use aws_sdk_dynamodb::types::AttributeValue;

/// The most an entry of the id twins costs a walk: what the budget reserves per entry.
pub const ENTRY_BYTES: u64 = keys::ID_ENTRY_BYTES;

/// What `Store::id_at` found, and what reading it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct IdAt {
    /// The order key (id order) of the row at the position; `None` when the part ends
    /// before it.
    pub key: Option<String>,
    pub units: f64,
}

impl Store {
    /// The row `position` entries (from 1) into `part`'s ids in id order (descending with
    /// `desc`), counted after the row whose order key is `after` when given: one Query of
    /// ~15-byte entries (paged past 1 MB, ~60,000 of them). `None` when `after` names no id.
    pub async fn id_at(
        &self,
        part: Part,
        after: Option<&str>,
        position: u32,
        desc: bool,
    ) -> Result<Option<IdAt>, StoreError> {
        let after = match after.map(keys::id_of_key) {
            Some(None) => return Ok(None),
            Some(id) => id,
            None => None,
        };
        let ((index, (pk, sk)), partition) = match part {
            Part::Isp(isp) => (IDS_BY_ISP, isp.get()),
            Part::Reseller { reseller, .. } => (IDS_BY_RESELLER, reseller.get()),
        };
        // The index's sort key is the table's key, `id`: two attributes name the entry.
        let mut start = after
            .map(|id| Item::from([(pk.to_owned(), n(partition)), (sk.to_owned(), n(id.get()))]));
        let (mut left, mut found) = (
            position,
            IdAt {
                key: None,
                units: 0.0,
            },
        );
        while left > 0 {
            let table = &self.tables.customers;
            let out = self
                .index_query(table, index, (pk, sk), n(partition), &SortCond::Any)
                .scan_index_forward(!desc)
                .limit(i32::try_from(left).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            capacity::record(Kind::Read, out.consumed_capacity());
            found.units += capacity::computed_read(out.items(), false);
            let got = u32::try_from(out.items().len()).unwrap_or(u32::MAX);
            if got >= left {
                let last = out.items().last().and_then(|item| item.get(sk));
                let id = match last {
                    Some(AttributeValue::N(id)) => id
                        .parse()
                        .map(CustomerId)
                        .map_err(|_| StoreError::Corrupt(format!("{index}: id {id}")))?,
                    other => return Err(StoreError::Corrupt(format!("{index}: id {other:?}"))),
                };
                found.key = Some(keys::id_part(id));
                return Ok(Some(found));
            }
            left -= got;
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(Some(found))
    }
}
