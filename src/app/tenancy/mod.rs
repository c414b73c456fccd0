//! The tenant rules: who may list, create and update ISPs, resellers and login users, and
//! the writes that follow. One implementation for the API's routes (the `App` methods, as
//! the caller, under `domain::tenancy`'s rules, ids taken from the sequences) and for
//! crm-admin (the free functions, as the platform admin, with the ids its operator names):
//! a name, zone or placement rule cannot differ between the two.

mod cache;
mod isps;
mod resellers;
mod users;

pub(super) use cache::TenantCache;
pub use isps::{IspChange, add_isp, update_isp_by};
pub use resellers::{add_reseller, update_reseller};
pub use users::{NewUser, Place, add_user, place_user, rotate_key_by, set_enabled_by};

use super::cursor::fingerprint;
use super::{App, AppError};
use crate::domain::audit::{Audit, now};
use crate::domain::credentials::{ApiKey, RandomError};
use crate::domain::ids::UserId;
use crate::domain::scope::Actor;
use crate::domain::tenancy;
use crate::domain::zone::IspTimeZone;
use crate::domain::{DomainError, Fields, Invalid};
use crate::store::sequences::Sequence;
use crate::store::tenancy::{Stamp, Updated};
use crate::store::{Store, StoreError};

/// Why a tenancy operation failed, as crm-admin tells it; the API maps it to its errors.
#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    /// A rule: bad input, a refused change.
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
}

impl From<Invalid> for TenancyError {
    fn from(e: Invalid) -> Self {
        Self::Domain(e.into())
    }
}

impl From<TenancyError> for AppError {
    fn from(e: TenancyError) -> Self {
        match e {
            TenancyError::Domain(d) => d.into(),
            TenancyError::Exists(what) => {
                DomainError::Conflict(format!("{what} already exists")).into()
            }
            TenancyError::Missing { param, .. } => DomainError::NotFound(param).into(),
            TenancyError::Store(s) => s.into(),
            TenancyError::Random(r) => r.into(),
        }
    }
}

/// The id of a new ISP, reseller or user: named by crm-admin's operator, or the next of its
/// sequence (the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewId<T> {
    Given(T),
    Next,
}

/// A new ISP or reseller: its name, whether it starts enabled, and (an ISP) its time zone.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Checked like a customer's name (1-100 characters, one line).
    pub name: String,
    pub enabled: bool,
    /// An ISP's own zone for its lists' days; `None`: the deployment's `TIME_ZONE`.
    pub time_zone: Option<IspTimeZone>,
}

/// A page of a directory list and the cursor of the next one.
#[derive(Debug)]
pub struct DirectoryPage<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
}

/// A new key, shown once: to the caller that created or rotated it.
#[derive(Debug)]
pub struct IssuedKey {
    pub userid: UserId,
    pub api_key: ApiKey,
}

/// Ids an allocation tries before giving up: ids taken by crm-admin are skipped one by one.
const ALLOCATION_TRIES: usize = 20;

/// The `updated_at`/`updated_by` an update by `by` writes now.
fn stamp(by: Actor) -> Stamp {
    Stamp(Audit::updated(now(), by))
}

/// The rule of an ISP's or reseller's name.
fn name_of(name: &str) -> Result<String, TenancyError> {
    Ok(tenancy::parse_name("name", name)?)
}

/// An ISP's or reseller's update: `Missing` answers 404 for `param`, naming `what`.
fn updated(
    outcome: Updated,
    param: &'static str,
    what: impl FnOnce() -> String,
) -> Result<(), TenancyError> {
    match outcome {
        Updated::Done => Ok(()),
        Updated::Missing => Err(TenancyError::Missing {
            param,
            what: what(),
        }),
    }
}

fn invalid(param: &'static str, rule: &str) -> TenancyError {
    Invalid::new(param, rule).into()
}

/// Takes ids from `seq` until `insert` finds one free (`Ok(true)`).
async fn allocate<F, Fut>(store: &Store, seq: Sequence, mut insert: F) -> Result<u64, TenancyError>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<bool, TenancyError>>,
{
    for _ in 0..ALLOCATION_TRIES {
        let id = store.next_id(seq).await?;
        if insert(id).await? {
            return Ok(id);
        }
    }
    Err(TenancyError::Exists(format!(
        "{ALLOCATION_TRIES} ids in a row from counter {}",
        seq.name()
    )))
}

fn rows_limit(f: &impl Fields) -> Result<i32, Invalid> {
    let n = tenancy::PAGING.parse(f)?.limit;
    Ok(i32::try_from(n).unwrap_or(100))
}

fn cursor_invalid() -> Invalid {
    Invalid::new("cursor", "is not a cursor this API issued")
}

impl App {
    /// Opens `cursor` (if given) for the list named by `canonical`: its page key.
    fn open_cursor(&self, f: &impl Fields, canonical: &str) -> Result<Option<String>, Invalid> {
        let fp = fingerprint(canonical);
        f.optional("cursor")
            .map(|c| self.cursors.open(c, &fp))
            .transpose()
    }

    fn seal_cursor(&self, canonical: &str, after: Option<String>) -> Option<String> {
        after.map(|a| self.cursors.seal(&fingerprint(canonical), &a))
    }
}
