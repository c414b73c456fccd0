//! Operator tasks behind `crm-admin`, and the directory rules it shares with the tenant
//! self-service routes (`directory`: ISPs, resellers and login users).

mod directory;
mod users;
pub use directory::*;
pub use users::*;

use crate::domain::DomainError;
use crate::domain::credentials::RandomError;
use crate::domain::ids::IspId;
use crate::store::{Store, StoreError};
use crate::transfer::TransferError;
use crate::transfer::customers::CustomerImport;
use crate::transfer::import::{self, ImportOptions, Quiet, Summary};
use crate::transfer::source::Source;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    /// A rule of the directory: bad input, an unknown or taken record, a refused change.
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{0} already exists")]
    Exists(String),
    /// `param` names a record that does not exist (`what`).
    #[error("{what} does not exist")]
    Missing { param: &'static str, what: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
}

fn now() -> String {
    crate::domain::audit::now()
}

/// Raises the customer id counter so new customers get ids above `at_least`.
pub async fn raise_customer_ids(store: &Store, at_least: u64) -> Result<u64, AdminError> {
    Ok(store
        .raise_counter(crate::store::keys::CUSTOMER_ID_COUNTER, at_least)
        .await?)
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
) -> Result<Summary, AdminError> {
    let source = Source::json_text(json)?;
    let quiet = Quiet::default();
    let opts = ImportOptions {
        keep_counter,
        ..ImportOptions::default()
    };
    let kind = CustomerImport::new(None, None);
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

/// A maintained customer count beside the number of customers its index holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountCheck {
    /// The count partition: `isp|N` or `reseller|N`.
    pub scope: String,
    pub kept: i64,
    pub actual: u64,
}

impl CountCheck {
    pub fn agrees(&self) -> bool {
        u64::try_from(self.kept).is_ok_and(|k| k == self.actual)
    }
}

/// Compares the maintained counts of `isp` (every ISP if `None`) and of its resellers with
/// the customers their `by-created` indexes hold (a keys-only walk of each: ~100 bytes an
/// entry). Read-only.
pub async fn check_counts(
    store: &Store,
    isp: Option<IspId>,
) -> Result<Vec<CountCheck>, AdminError> {
    use crate::store::customers::{IndexKey, SortCond};
    use crate::store::keys::{CustomerIndex, count};
    let isps = match isp {
        Some(isp) => vec![isp],
        None => store.isp_ids().await?,
    };
    let mut checks = Vec::new();
    for isp in isps {
        let mut keys = vec![(
            count::isp(isp),
            IndexKey::in_isp(CustomerIndex::ByCreated, isp, SortCond::Any),
        )];
        for reseller in store.reseller_ids(isp).await? {
            keys.push((
                count::reseller(reseller),
                IndexKey::in_reseller(CustomerIndex::ByCreated, reseller, SortCond::Any),
            ));
        }
        for (scope, key) in keys {
            let actual = store.count_customers(&key, None).await?.count;
            let kept = store.read_count(&scope).await?.customers;
            checks.push(CountCheck {
                scope,
                kept,
                actual,
            });
        }
    }
    Ok(checks)
}

/// Sets every count that disagrees with its index to the index's number; returns the
/// counts it changed. Creates and deletes made while it runs may be lost from a count that
/// it rewrites: run it when the ISP is quiet, then `check_counts` again.
pub async fn rebuild_counts(
    store: &Store,
    isp: Option<IspId>,
) -> Result<Vec<CountCheck>, AdminError> {
    let wrong: Vec<CountCheck> = check_counts(store, isp)
        .await?
        .into_iter()
        .filter(|c| !c.agrees())
        .collect();
    for check in &wrong {
        store.write_count(&check.scope, check.actual).await?;
    }
    Ok(wrong)
}
