//! Operator tasks behind `crm-admin`: its tenancy commands (`tenancy`: the app's rules as
//! the platform admin), raising id sequences, importing customers from code, checking and
//! rebuilding the customer counts.

mod tenancy;
pub use tenancy::*;

use crate::domain::ids::IspId;
use crate::store::sequences::Sequence;
use crate::store::{Store, StoreError};
use crate::transfer::TransferError;
use crate::transfer::customers::CustomerImport;
use crate::transfer::import;
use crate::transfer::options::{ImportOptions, Quiet, Summary};
use crate::transfer::source::Source;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
}

/// Raises the customer id sequence so new customers get ids above `at_least`.
pub async fn raise_customer_ids(store: &Store, at_least: u64) -> Result<u64, AdminError> {
    Ok(store.raise_ids(Sequence::Customer, at_least).await?)
}

/// Imports customers from today's JSON format (an array of flat objects with `ispid`,
/// `resellerid`, the create fields and, to keep it, the `id` of a previous system), as
/// `crm-admin customer import` does a file but without a journal: every record is checked
/// as the API checks a create, and no kept id may be in use, before any is written. Unless
/// `keep_counter`, the id counter is raised past the highest kept id first.
pub async fn import_customers(
    store: &Store,
    json: &str,
    keep_counter: bool,
    default_zone: &jiff::tz::TimeZone,
) -> Result<Summary, AdminError> {
    let source = Source::json_text(json)?;
    let quiet = Quiet::default();
    let opts = ImportOptions {
        keep_counter,
        ..ImportOptions::default()
    };
    let kind = CustomerImport::new(None, None, default_zone.clone());
    match import::import(store, &source, None, kind, &opts, &quiet).await {
        Err(TransferError::Refused(n)) => {
            let first = quiet
                .problems
                .lock()
                .ok()
                .and_then(|p| p.first().map(ToString::to_string))
                .unwrap_or_default();
            Err(AdminError::Invalid(format!(
                "{n} records refused, first {first}"
            )))
        }
        other => Ok(other?),
    }
}

pub use crate::store::counts::Recount as CountCheck;

/// Compares every maintained count of `isp` (every ISP if `None`) and of its resellers
/// (totals, types, and each value of state, city and zipcode) with its customers counted one
/// by one (`Store::recount_isp`: a walk of the ISP's customers). Read-only.
pub async fn check_counts(
    store: &Store,
    isp: Option<IspId>,
) -> Result<Vec<CountCheck>, AdminError> {
    let mut checks = Vec::new();
    for isp in isps_of(store, isp).await? {
        let resellers = store.reseller_ids(isp).await?;
        checks.extend(store.recount_isp(isp, &resellers).await?.0);
    }
    Ok(checks)
}

async fn isps_of(store: &Store, isp: Option<IspId>) -> Result<Vec<IspId>, AdminError> {
    Ok(match isp {
        Some(isp) => vec![isp],
        None => store.isp_ids().await?,
    })
}

/// Rewrites every count partition that disagrees with the customers; returns the counts
/// it changed. Creates and deletes made while it runs may be lost from a partition that it
/// rewrites: run it when the ISP is quiet, then `check_counts` again.
pub async fn rebuild_counts(
    store: &Store,
    isp: Option<IspId>,
) -> Result<Vec<CountCheck>, AdminError> {
    let mut fixed = Vec::new();
    for isp in isps_of(store, isp).await? {
        let resellers = store.reseller_ids(isp).await?;
        let (checks, wrong) = store.recount_isp(isp, &resellers).await?;
        if !wrong.is_empty() {
            store.rebuild_counts(isp, &wrong).await?;
        }
        fixed.extend(checks.into_iter().filter(|c| !c.agrees()));
    }
    Ok(fixed)
}
