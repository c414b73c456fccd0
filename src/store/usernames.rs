//! A part's services in customer order (`by-isp-customer`, `by-reseller-customer`: the keys
//! and `username` of each, ~80 bytes): where the customer list finds the page, in id order,
//! of a `username` pattern that matches too many services to collect in username order.

use super::keys::{self, SERVICES_BY_ISP_CUSTOMER, SERVICES_BY_RESELLER_CUSTOMER};
use super::plan::Part;
use super::query::{Page, Resume, SortCond};
use super::{Item, Store, StoreError, n};
use crate::domain::ids::CustomerId;
use aws_sdk_dynamodb::types::AttributeValue;

/// The most an entry costs a walk: what the budget reserves per entry.
pub const ENTRY_BYTES: u64 = keys::USERNAME_ENTRY_BYTES;

/// One service as its customer-ordered entry tells it.
pub struct UsernameEntry {
    pub customerid: CustomerId,
    pub username: String,
}

/// An entry's two attributes, read by hand: a serde decoder of its own would cost the binary
/// more than this.
fn entry_of(mut item: Item) -> Result<UsernameEntry, StoreError> {
    match (item.remove("customerid"), item.remove("username")) {
        (Some(AttributeValue::N(id)), Some(AttributeValue::S(username))) => Ok(UsernameEntry {
            customerid: id
                .parse()
                .map(CustomerId)
                .map_err(|_| StoreError::Corrupt("service entry".into()))?,
            username,
        }),
        _ => Err(StoreError::Corrupt("service entry".into())),
    }
}

impl Store {
    /// One page of `part`'s services in customer order (descending with `desc`), past the
    /// customer whose order key (id order) is `after`, or from `start` (a page's `next`).
    /// `None` when `after` names no customer.
    pub async fn usernames_in_customer_order(
        &self,
        part: Part,
        after: Option<&str>,
        desc: bool,
        limit: i32,
        start: Option<Resume>,
    ) -> Result<Option<Page<UsernameEntry>>, StoreError> {
        let past = match after.map(keys::id_of_key) {
            Some(None) => return Ok(None),
            Some(Some(id)) => Some(id.get()),
            None => None,
        };
        let ((index, attrs), partition) = match part {
            Part::Isp(isp) => (SERVICES_BY_ISP_CUSTOMER, isp.get()),
            Part::Reseller { reseller, .. } => (SERVICES_BY_RESELLER_CUSTOMER, reseller.get()),
        };
        let sort = match (past, desc) {
            (None, _) => SortCond::Any,
            (Some(id), false) => SortCond::Above(id),
            (Some(id), true) => SortCond::Below(id),
        };
        let out = self
            .index_query(&self.tables.services, index, attrs, n(partition), &sort)
            .scan_index_forward(!desc)
            .limit(limit)
            .set_exclusive_start_key(start.map(|r| r.0))
            .send()
            .await?;
        super::capacity::record(super::capacity::Kind::Read, out.consumed_capacity());
        let units = super::capacity::computed_read(out.items(), false);
        Ok(Some(Page {
            next: out.last_evaluated_key.map(Resume),
            items: (out.items.unwrap_or_default().into_iter())
                .map(entry_of)
                .collect::<Result<_, _>>()?,
            units,
        }))
    }
}
