//! Operator tasks behind `crm-admin`: ISPs, resellers and login users.

use crate::domain::Fields;
use crate::domain::credentials::{ApiKey, RandomError};
use crate::domain::customer::CustomerFields;
use crate::domain::ids::{CustomerId, IspId, ResellerId, UserId};
use crate::domain::list::rfc3339_seconds;
use crate::domain::scope::{Placement, Role};
use crate::store::customers::CustomerInsert;
use crate::store::records::{CustomerItem, IspItem, ResellerItem, UserItem};
use crate::store::{Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

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
}

fn now() -> String {
    rfc3339_seconds(jiff::Timestamp::now())
}

fn name_of(name: &str) -> Result<String, AdminError> {
    crate::domain::text::NAME
        .parse("name", name)
        .map_err(|e| AdminError::Invalid(e.to_string()))
}

pub async fn create_isp(store: &Store, id: IspId, name: &str) -> Result<(), AdminError> {
    let item = IspItem {
        ispid: id,
        name: name_of(name)?,
        created_at: now(),
    };
    match store.insert_isp(&item).await? {
        true => Ok(()),
        false => Err(AdminError::Exists(format!("ISP {id}"))),
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

/// Imports customers with the ids they had in a previous system (a JSON array of flat
/// objects with `id`, `ispid`, `resellerid` and the create fields). Every record is checked
/// as the API checks a create, and no id may be in use, before any is written. Unless
/// `keep_counter`, the id counter is then raised past the highest imported id, so that new
/// customers never run into imported ones.
pub async fn import_customers(
    store: &Store,
    json: &str,
    keep_counter: bool,
) -> Result<Vec<CustomerId>, AdminError> {
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(json)
        .map_err(|e| AdminError::Invalid(format!("customers file: {e}")))?;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let mut items = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        let at =
            |e: crate::domain::Invalid| AdminError::Invalid(format!("customer #{}: {e}", n + 1));
        let fields: HashMap<String, String> = row
            .iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k.clone(), s.clone())),
                serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
                _ => None,
            })
            .collect();
        let id = fields.parse_req("id", CustomerId::parse).map_err(at)?;
        let isp = fields.parse_req("ispid", IspId::parse).map_err(at)?;
        let reseller = fields
            .parse_req("resellerid", ResellerId::parse)
            .map_err(at)?;
        let record = store
            .get_reseller(reseller)
            .await?
            .filter(|r| r.ispid == isp)
            .ok_or_else(|| {
                AdminError::Missing(format!(
                    "customer #{}: reseller {reseller} of ISP {isp}",
                    n + 1
                ))
            })?;
        let placement = Placement {
            isp: record.ispid,
            reseller,
        };
        let customer = CustomerFields::parse_create(&fields, today).map_err(at)?;
        let created = match fields.get("created_at") {
            None => now(),
            Some(v) => v
                .parse::<jiff::Timestamp>()
                .map(rfc3339_seconds)
                .map_err(|_| {
                    at(crate::domain::Invalid::new(
                        "created_at",
                        "must be an RFC 3339 time",
                    ))
                })?,
        };
        items.push(CustomerItem::new(id, placement, customer, created));
    }
    let ids: Vec<CustomerId> = items.iter().map(|i| i.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != ids.len() {
        return Err(AdminError::Invalid(
            "customers file: an id appears twice".into(),
        ));
    }
    if let Some(taken) = store.get_customers(&ids).await?.first() {
        return Err(AdminError::Exists(format!("customer {}", taken.id)));
    }
    let now = jiff::Timestamp::now().as_second();
    for item in &items {
        // Still conditional: a customer created meanwhile under the same id is not overwritten.
        // The same transaction as the API's create, so the ISP's and reseller's counts follow.
        if store.insert_customer_claiming(item, &[], &[], now).await? != CustomerInsert::Written {
            return Err(AdminError::Exists(format!(
                "customer {} (created during the import)",
                item.id
            )));
        }
    }
    if let (false, Some(max)) = (keep_counter, unique.last()) {
        raise_customer_ids(store, max.get()).await?;
    }
    Ok(ids)
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
