//! Operator tasks behind `crm-admin`: ISPs, resellers and login users.

use crate::domain::credentials::{ApiKey, RandomError};
use crate::domain::ids::{IspId, ResellerId, UserId};
use crate::domain::list::rfc3339_seconds;
use crate::domain::scope::Role;
use crate::domain::zone::IspTimeZone;
use crate::store::records::{IspItem, ResellerItem, UserItem};
use crate::store::{Store, StoreError};
use crate::transfer::TransferError;
use crate::transfer::customers::CustomerImport;
use crate::transfer::import::{self, ImportOptions, Quiet, Summary};
use crate::transfer::source::Source;
use aws_sdk_dynamodb::types::AttributeValue;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0} already exists")]
    Exists(String),
    #[error("{0} does not exist")]
    Missing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
}

fn now() -> String {
    rfc3339_seconds(jiff::Timestamp::now())
}

fn name_of(name: &str) -> Result<String, AdminError> {
    crate::domain::text::NAME
        .parse("name", name)
        .map_err(|e| AdminError::Invalid(e.to_string()))
}

/// Adds an ISP whose lists name days in the deployment's `TIME_ZONE`.
pub async fn create_isp(store: &Store, id: IspId, name: &str) -> Result<(), AdminError> {
    create_isp_in(store, id, name, None).await
}

/// Adds an ISP; with `time_zone` its lists' `created_from`/`created_upto` are days in that zone.
pub async fn create_isp_in(
    store: &Store,
    id: IspId,
    name: &str,
    time_zone: Option<IspTimeZone>,
) -> Result<(), AdminError> {
    let item = IspItem {
        ispid: id,
        name: name_of(name)?,
        created_at: now(),
        time_zone: time_zone.map(|z| z.name().to_owned()),
    };
    match store.insert_isp(&item).await? {
        true => Ok(()),
        false => Err(AdminError::Exists(format!("ISP {id}"))),
    }
}

/// What an ISP update changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct IspChange {
    /// Checked like a customer's name (1-100 characters, one line).
    pub name: Option<String>,
    /// `Some(None)`: no zone of its own, the deployment's `TIME_ZONE` applies again.
    pub time_zone: Option<Option<IspTimeZone>>,
}

/// Changes an ISP's name or time zone. Warm API instances apply a new zone within
/// `AUTH_CACHE_SECONDS` (they cache each ISP's zone that long).
pub async fn update_isp(store: &Store, id: IspId, change: IspChange) -> Result<(), AdminError> {
    let mut set = Vec::new();
    let mut remove = Vec::new();
    if let Some(name) = &change.name {
        set.push(("name", AttributeValue::S(name_of(name)?)));
    }
    match change.time_zone {
        Some(Some(zone)) => set.push(("time_zone", AttributeValue::S(zone.name().to_owned()))),
        Some(None) => remove.push("time_zone"),
        None => {}
    }
    if set.is_empty() && remove.is_empty() {
        return Err(AdminError::Invalid(
            "nothing to change: give a name or a time zone".into(),
        ));
    }
    match store.update_isp(id, &set, &remove).await? {
        true => Ok(()),
        false => Err(AdminError::Missing(format!("ISP {id}"))),
    }
}

pub async fn create_reseller(
    store: &Store,
    isp: IspId,
    id: ResellerId,
    name: &str,
) -> Result<(), AdminError> {
    let name = name_of(name)?;
    if store.get_isp(isp).await?.is_none() {
        return Err(AdminError::Missing(format!("ISP {isp}")));
    }
    let item = ResellerItem {
        resellerid: id,
        ispid: isp,
        name,
        created_at: now(),
    };
    match store.insert_reseller(&item).await? {
        true => Ok(()),
        false => Err(AdminError::Exists(format!("reseller {id}"))),
    }
}

#[derive(Debug)]
pub struct NewUser {
    pub userid: UserId,
    pub role: Role,
    pub isp: Option<IspId>,
    pub reseller: Option<ResellerId>,
    /// Keep an existing key (migration); `None` generates one.
    pub api_key: Option<ApiKey>,
}

/// Creates a login user and returns its API key (the only time it can be seen).
pub async fn create_user(store: &Store, new: NewUser) -> Result<ApiKey, AdminError> {
    let invalid = |s: &str| Err(AdminError::Invalid(s.to_owned()));
    let (isp, reseller) = match (new.role, new.isp, new.reseller) {
        (Role::Admin, None, None) => (None, None),
        (Role::Admin, _, _) => {
            return invalid(
                "an admin belongs to the whole platform: give neither --isp nor --reseller",
            );
        }
        (Role::Isp, Some(isp), None) => {
            if store.get_isp(isp).await?.is_none() {
                return Err(AdminError::Missing(format!("ISP {isp}")));
            }
            (Some(isp), None)
        }
        (Role::Isp, None, _) => return invalid("an ISP user needs --isp"),
        (Role::Isp, Some(_), Some(_)) => {
            return invalid("an ISP user belongs to a whole ISP: leave out --reseller");
        }
        (Role::Reseller | Role::Form, isp, Some(reseller)) => {
            let Some(record) = store.get_reseller(reseller).await? else {
                return Err(AdminError::Missing(format!("reseller {reseller}")));
            };
            if isp.is_some_and(|isp| isp != record.ispid) {
                return Err(AdminError::Invalid(format!(
                    "reseller {reseller} belongs to ISP {}",
                    record.ispid
                )));
            }
            (Some(record.ispid), Some(reseller))
        }
        (Role::Reseller, _, None) => return invalid("a reseller user needs --reseller"),
        (Role::Form, _, None) => {
            return invalid("a form key creates customers in one reseller: give --reseller");
        }
    };
    let key = match new.api_key {
        Some(key) => key,
        None => ApiKey::generate()?,
    };
    let at = now();
    let item = UserItem {
        userid: new.userid,
        role: new.role,
        ispid: isp,
        resellerid: reseller,
        enabled: true,
        key_sha256: key.digest().to_hex(),
        created_at: at.clone(),
        updated_at: at,
    };
    match store.insert_user(&item).await? {
        true => Ok(key),
        false => Err(AdminError::Exists(format!("user {}", new.userid))),
    }
}

/// Replaces a user's key with a new one; the old key stops working at once on new
/// instances and within the auth cache time on warm ones.
pub async fn rotate_key(store: &Store, userid: UserId) -> Result<ApiKey, AdminError> {
    let key = ApiKey::generate()?;
    let set = [
        ("key_sha256", AttributeValue::S(key.digest().to_hex())),
        ("updated_at", AttributeValue::S(now())),
    ];
    match store.update_user(userid, &set).await? {
        true => Ok(key),
        false => Err(AdminError::Missing(format!("user {userid}"))),
    }
}

pub async fn set_enabled(store: &Store, userid: UserId, enabled: bool) -> Result<(), AdminError> {
    let set = [
        ("enabled", AttributeValue::Bool(enabled)),
        ("updated_at", AttributeValue::S(now())),
    ];
    match store.update_user(userid, &set).await? {
        true => Ok(()),
        false => Err(AdminError::Missing(format!("user {userid}"))),
    }
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
