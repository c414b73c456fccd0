//! Login users, ISPs and resellers: small tables read by key, written whole when created
//! and by typed updates after; their lists in `lists`.

mod lists;

pub use lists::{PageKey, Paged, UserPartition};

use super::records::{IspItem, ResellerItem, UserItem};
use super::{Item, Store, StoreError, conditional_write, n, s};
use crate::domain::ids::{IspId, ResellerId, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use serde::Serialize;

/// The outcome of a create: written, or its id was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Inserted {
    Done,
    Taken,
}

/// The outcome of an update: written, or there is no such record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Updated {
    Done,
    Missing,
}

/// What an update writes of its record's audit fields: `Audit::updated`'s pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp(pub [(&'static str, String); 2]);

impl Stamp {
    fn set(&self) -> Vec<(&'static str, AttributeValue)> {
        self.0.iter().map(|(name, v)| (*name, s(v))).collect()
    }
}

/// What an ISP update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IspUpdate {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    /// `Some(None)`: no zone of its own (the attribute is removed).
    pub time_zone: Option<Option<String>>,
    pub stamp: Stamp,
}

/// What a reseller update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResellerUpdate {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub stamp: Stamp,
}

/// What a user update changes: a new key (its hex SHA-256), its state, or a form key's
/// setup (`Some(None)` removes the attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserUpdate {
    pub key_sha256: Option<String>,
    pub enabled: Option<bool>,
    pub form: Option<FormAttributes>,
    /// A form key's web settings, JSON (`domain::signup::WebSettings`); `Some(None)` removes
    /// them.
    pub web: Option<Option<String>>,
    pub stamp: Stamp,
}

/// A form key's profile, map and sealed secret, written together; `None` removes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormAttributes {
    pub profile: Option<String>,
    pub map: Option<String>,
    pub secret: Option<String>,
}

/// The name and state of an ISP or reseller update.
fn named(set: &mut Vec<(&'static str, AttributeValue)>, name: Option<&str>, enabled: Option<bool>) {
    if let Some(name) = name {
        set.push(("name", s(name)));
    }
    if let Some(enabled) = enabled {
        set.push(("enabled", AttributeValue::Bool(enabled)));
    }
}

impl Store {
    /// Writes a record unless one with the same key exists.
    async fn put_new<T: Serialize + crate::store::records::Stored>(
        &self,
        table: &str,
        key: &str,
        record: &T,
    ) -> Result<Inserted, StoreError> {
        let item: Item = crate::store::records::to_item(record)?;
        let res = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", key)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        Ok(match conditional_write(res)? {
            true => Inserted::Done,
            false => Inserted::Taken,
        })
    }

    pub async fn get_user(&self, id: UserId) -> Result<Option<UserItem>, StoreError> {
        self.get_by_key(&self.tables.users, "userid", id.get())
            .await
    }

    pub async fn get_isp(&self, id: IspId) -> Result<Option<IspItem>, StoreError> {
        self.get_by_key(&self.tables.isps, "ispid", id.get()).await
    }

    /// Opens the client's connection (DNS, TCP, TLS) and pays its other first-use costs
    /// (credentials, the first signing) before a request needs them: an eventually consistent
    /// read of user 0, which no user is (0.5 read unit).
    pub async fn preconnect(&self) -> Result<(), StoreError> {
        self.get_by_key::<UserItem>(&self.tables.users, "userid", 0)
            .await
            .map(|_| ())
    }

    pub async fn get_reseller(&self, id: ResellerId) -> Result<Option<ResellerItem>, StoreError> {
        self.get_by_key(&self.tables.resellers, "resellerid", id.get())
            .await
    }

    pub async fn insert_user(&self, user: &UserItem) -> Result<Inserted, StoreError> {
        self.put_new(&self.tables.users, "userid", user).await
    }

    pub async fn insert_isp(&self, isp: &IspItem) -> Result<Inserted, StoreError> {
        self.put_new(&self.tables.isps, "ispid", isp).await
    }

    pub async fn insert_reseller(&self, reseller: &ResellerItem) -> Result<Inserted, StoreError> {
        self.put_new(&self.tables.resellers, "resellerid", reseller)
            .await
    }

    /// Writes a user's new key or state; `Missing` if there is no such user.
    pub async fn update_user(
        &self,
        id: UserId,
        update: &UserUpdate,
    ) -> Result<Updated, StoreError> {
        // The field first, then the stamp: the expression 0.2 wrote.
        let mut set = Vec::new();
        if let Some(digest) = &update.key_sha256 {
            set.push(("key_sha256", s(digest.as_str())));
        }
        if let Some(enabled) = update.enabled {
            set.push(("enabled", AttributeValue::Bool(enabled)));
        }
        let mut remove = Vec::new();
        if let Some(form) = &update.form {
            for (attr, value) in [
                ("form_profile", &form.profile),
                ("form_map", &form.map),
                ("form_secret", &form.secret),
            ] {
                match value {
                    Some(v) => set.push((attr, s(v.as_str()))),
                    None => remove.push(attr),
                }
            }
        }
        match &update.web {
            Some(Some(web)) => set.push(("form_web", s(web.as_str()))),
            Some(None) => remove.push("form_web"),
            None => {}
        }
        set.extend(update.stamp.set());
        self.update_existing(&self.tables.users, "userid", id.get(), &set, &remove)
            .await
    }

    /// Renames, enables or disables an ISP, sets or clears its time zone; `Missing` if there
    /// is no such ISP.
    pub async fn update_isp(&self, id: IspId, update: &IspUpdate) -> Result<Updated, StoreError> {
        let mut set = update.stamp.set();
        named(&mut set, update.name.as_deref(), update.enabled);
        let mut remove = Vec::new();
        match &update.time_zone {
            Some(Some(zone)) => set.push(("time_zone", s(zone.as_str()))),
            Some(None) => remove.push("time_zone"),
            None => {}
        }
        self.update_existing(&self.tables.isps, "ispid", id.get(), &set, &remove)
            .await
    }

    /// Renames, enables or disables a reseller; `Missing` if there is no such reseller.
    pub async fn update_reseller(
        &self,
        id: ResellerId,
        update: &ResellerUpdate,
    ) -> Result<Updated, StoreError> {
        let mut set = update.stamp.set();
        named(&mut set, update.name.as_deref(), update.enabled);
        self.update_existing(&self.tables.resellers, "resellerid", id.get(), &set, &[])
            .await
    }

    /// One UpdateItem of the item with numeric key `key` = `id`, only if it exists.
    async fn update_existing(
        &self,
        table: &str,
        key: &str,
        id: u64,
        set: &[(&str, AttributeValue)],
        remove: &[&str],
    ) -> Result<Updated, StoreError> {
        let mut req = self
            .client
            .update_item()
            .table_name(table)
            .key(key, n(id))
            .condition_expression("attribute_exists(#key)")
            .expression_attribute_names("#key", key)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let mut sets = Vec::new();
        for (i, (attr, value)) in set.iter().enumerate() {
            sets.push(format!("#a{i} = :v{i}"));
            req = req
                .expression_attribute_names(format!("#a{i}"), *attr)
                .expression_attribute_values(format!(":v{i}"), value.clone());
        }
        let mut removes = Vec::new();
        for (i, attr) in remove.iter().enumerate() {
            removes.push(format!("#r{i}"));
            req = req.expression_attribute_names(format!("#r{i}"), *attr);
        }
        let mut expression = Vec::new();
        if !sets.is_empty() {
            expression.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            expression.push(format!("REMOVE {}", removes.join(", ")));
        }
        let written = conditional_write(req.update_expression(expression.join(" ")).send().await)?;
        Ok(if written {
            Updated::Done
        } else {
            Updated::Missing
        })
    }
}
