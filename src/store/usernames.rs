//! A part's services in customer order (`by-isp-customer`, `by-reseller-customer`: the keys
//! and `username` of each, ~80 bytes): where the customer list finds the page, in id order,
//! of a `username` pattern that matches too many services to collect in username order.

use super::keys::{self, SERVICES_BY_ISP_CUSTOMER, SERVICES_BY_RESELLER_CUSTOMER};
use super::plan::Part;
use super::query::{Page, Resume, SortCond};
use super::records::Stored;
use super::{Store, StoreError, n};
use crate::domain::ids::CustomerId;

/// The most an entry costs a walk: what the budget reserves per entry.
pub const ENTRY_BYTES: u64 = keys::USERNAME_ENTRY_BYTES;

/// One service as its customer-ordered entry tells it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct UsernameEntry {
    pub customerid: CustomerId,
    pub username: String,
}

impl Stored for UsernameEntry {}

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
        Ok(Some(Page::decode(out)?))
    }
}
