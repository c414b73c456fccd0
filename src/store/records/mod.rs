//! The records as stored, (de)serialised with serde_dynamo. Derived attributes
//! (`name_key`, `mobile_key`, ...) exist only here: they are the sort keys of the indexes.

use super::Item;
use super::keys;
use crate::domain::audit::Audit;
use crate::domain::customer::{Customer, CustomerFields};
use crate::domain::ids::{CustomerId, IspId, ResellerId, ServiceId};
use crate::domain::list::DayNumber;
use crate::domain::scope::{Actor, Placement};
use crate::domain::service::{Service, ServiceFields};
use crate::domain::text::fold;
use aws_sdk_dynamodb::types::AttributeValue;
use jiff::tz::TimeZone;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod tenants;
pub use tenants::{IspItem, ResellerItem, UserItem};

/// A record as an item: its own attributes through serde, and for the audited records the
/// four audit attributes beside them, read and written here rather than through
/// `#[serde(flatten)]` (which buffers every attribute of every item it reads, and made the
/// API's binary ~19 KB larger).
pub trait Stored: Sized {
    /// Whether it has audit fields (`audit`, `audit_mut` answer `Some`).
    const AUDITED: bool = false;
    fn audit(&self) -> Option<&Audit> {
        None
    }
    fn audit_mut(&mut self) -> Option<&mut Audit> {
        None
    }
    /// Index keys derived from its fields at each write and never read back, so records
    /// written before a key existed read as well as new ones, and get it at their next put.
    fn derived_keys(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// The item a record is stored as. An absent audit field is left out (no `NULL`
/// attribute), where the API's answers show it as `null`.
pub fn to_item<T: Stored + Serialize>(record: &T) -> Result<Item, serde_dynamo::Error> {
    let mut item: Item = serde_dynamo::to_item(record)?;
    if let Some(audit) = record.audit() {
        put_audit(&mut item, audit);
    }
    for (name, key) in record.derived_keys() {
        item.insert(name.to_owned(), AttributeValue::S(key));
    }
    Ok(item)
}

/// The record an item holds.
pub fn from_item<T: Stored + DeserializeOwned>(mut item: Item) -> Result<T, serde_dynamo::Error> {
    let audit = match T::AUDITED {
        true => Some(take_audit(&mut item)?),
        false => None,
    };
    let mut record: T = serde_dynamo::from_item(item)?;
    if let (Some(audit), Some(slot)) = (audit, record.audit_mut()) {
        *slot = audit;
    }
    Ok(record)
}

// The audit halves of `to_item` and `from_item`, compiled once rather than into each
// record type's copy of them.
#[inline(never)]
fn put_audit(item: &mut Item, audit: &Audit) {
    for (name, value) in audit.present() {
        item.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
    }
}

#[inline(never)]
fn take_audit(item: &mut Item) -> Result<Audit, serde_dynamo::Error> {
    let mut fields = Item::new();
    for name in crate::domain::entity::AUDIT.iter().map(|f| f.name) {
        if let Some(value) = item.remove(name) {
            fields.insert(name.to_owned(), value);
        }
    }
    serde_dynamo::from_item(fields)
}

/// `Stored` for a record with an `audit` member.
macro_rules! audited {
    ($($t:ty),*) => {$(
        impl Stored for $t {
            const AUDITED: bool = true;
            fn audit(&self) -> Option<&Audit> {
                Some(&self.audit)
            }
            fn audit_mut(&mut self) -> Option<&mut Audit> {
                Some(&mut self.audit)
            }
        }
    )*};
}
audited!(ServiceItem, UserItem, IspItem, ResellerItem);

impl Stored for CustomerItem {
    const AUDITED: bool = true;
    fn audit(&self) -> Option<&Audit> {
        Some(&self.audit)
    }
    fn audit_mut(&mut self) -> Option<&mut Audit> {
        Some(&mut self.audit)
    }
    fn derived_keys(&self) -> Vec<(&'static str, String)> {
        facet_keys(self.id, &self.ctype, &self.state, &self.city)
    }
}

/// The sort keys of `by-type`, `by-state` and `by-city` (and their twins): `<value>\x01<id>`,
/// the value as stored (their filters are exact). `Patch` writes the one of a changed field.
pub fn facet_keys(
    id: CustomerId,
    ctype: &str,
    state: &str,
    city: &str,
) -> Vec<(&'static str, String)> {
    use keys::CustomerIndex::{ByCity, ByState, ByType};
    [(ByType, ctype), (ByState, state), (ByCity, city)]
        .into_iter()
        .map(|(index, value)| (index.key_attrs().1, keys::sort_key(value, id)))
        .collect()
}
impl Stored for ClaimItem {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerItem {
    pub id: CustomerId,
    pub ispid: IspId,
    pub resellerid: ResellerId,
    #[serde(rename = "type")]
    pub ctype: String,
    pub name: String,
    /// `<folded name>\x01<id>`: by-name sort key.
    pub name_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dob: Option<String>,
    pub mobile: String,
    /// `<mobile>\x01<id>`: by-mobile sort key.
    pub mobile_key: String,
    pub email: String,
    /// `<folded email>\x01<id>`: by-email sort key.
    pub email_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniqueid: Option<String>,
    pub zipcode: String,
    /// `<zipcode>\x01<id>`: by-zipcode sort key.
    pub zipcode_key: String,
    pub state: String,
    pub city: String,
    pub street: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// `<created_at>\x01<id>`: by-created sort key.
    pub created_key: String,
    /// The day of `created_at` in the ISP's zone when it was written, `yyyymmdd`: the day
    /// whose count holds the customer (`store::counts`). Never changes, so a delete takes
    /// the customer from the count it was added to, whatever the zone is by then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_day_key: Option<u32>,
    /// argon2id PHC string of the customer-portal password, set by `reset_password=Y`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_password_hash: Option<String>,
    /// How many services the customer has: kept by the service transactions, checked by
    /// the customer delete (which is refused while it is above 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_count: Option<u64>,
    /// The claim its create's guard wrote (duplicate guard or idempotency key), and until
    /// when it holds: a delete releases a duplicate guard's, a restore takes it back (or is
    /// refused when a create of the same request took it meanwhile), an erase removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard_claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard_until: Option<i64>,
    /// When it was last brought back by `customer/restore`: its stream's INSERT is then a
    /// `Customer Restored` event, not `Created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_at: Option<String>,
    /// The key its history's values are sealed under (`store::history::HistorySeal`): kept
    /// here and in its restorable copy only, so it goes with the customer's data. Absent
    /// until its first history entry with values (records older than the history, imports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_seal_key: Option<String>,
    /// Who created it and who last changed it, and when; an absent one is left out.
    #[serde(skip)]
    pub audit: Audit,
}

impl CustomerItem {
    /// A new record created at `now` by `by`, its creation counted on its day in `zone` (its
    /// ISP's).
    pub fn new(
        id: CustomerId,
        at: Placement,
        f: CustomerFields,
        now: String,
        by: Actor,
        zone: &TimeZone,
    ) -> Self {
        Self {
            id,
            ispid: at.isp,
            resellerid: at.reseller,
            ctype: f.ctype.as_str().to_owned(),
            name_key: keys::sort_key(&fold(&f.name), id),
            name: f.name,
            surname: f.surname,
            dob: f.dob.map(|d| d.to_string()),
            mobile_key: keys::sort_key(f.mobile.as_str(), id),
            mobile: f.mobile.as_str().to_owned(),
            email_key: keys::sort_key(&f.email.folded(), id),
            email: f.email.as_str().to_owned(),
            uniqueid: f.uniqueid,
            zipcode_key: keys::sort_key(f.zipcode.as_str(), id),
            zipcode: f.zipcode.as_str().to_owned(),
            state: f.state,
            city: f.city,
            street: f.street,
            notes: f.notes,
            created_key: keys::sort_key(&now, id),
            created_day_key: DayNumber::of_instant(&now, zone).map(|d| d.0),
            portal_password_hash: None,
            service_count: None,
            guard_claim: None,
            guard_until: None,
            restored_at: None,
            history_seal_key: None,
            audit: Audit::created(now, by),
        }
    }
}

impl From<CustomerItem> for Customer {
    fn from(i: CustomerItem) -> Self {
        Self {
            id: i.id,
            ispid: i.ispid,
            resellerid: i.resellerid,
            ctype: i.ctype,
            name: i.name,
            surname: i.surname,
            dob: i.dob,
            mobile: i.mobile,
            email: i.email,
            uniqueid: i.uniqueid,
            zipcode: i.zipcode,
            state: i.state,
            city: i.city,
            street: i.street,
            notes: i.notes,
            audit: i.audit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceItem {
    pub id: ServiceId,
    pub customerid: CustomerId,
    /// The customer's ISP and reseller, copied: scope is checked on the service itself.
    pub ispid: IspId,
    pub resellerid: ResellerId,
    pub username: String,
    /// `<folded username>\x01<id>`: by-username sort key.
    pub username_key: String,
    pub plan: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The claim its create's guard wrote, as `CustomerItem::guard_claim` (an erase of its
    /// customer removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard_claim: Option<String>,
    /// Its customer's `history_seal_key`, copied at its create, so an update of it needs no
    /// read of the customer (a customer with services is never deleted, so the copy never
    /// outlives the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_seal_key: Option<String>,
    /// Who created it and who last changed it, and when; an absent one is left out.
    #[serde(skip)]
    pub audit: Audit,
}

impl ServiceItem {
    pub fn new(id: ServiceId, at: Placement, f: ServiceFields, now: String, by: Actor) -> Self {
        Self {
            id,
            customerid: f.customerid,
            ispid: at.isp,
            resellerid: at.reseller,
            username_key: keys::username_key(&f.username.folded(), id),
            username: f.username.as_str().to_owned(),
            plan: f.plan,
            status: f.status.as_str().to_owned(),
            notes: f.notes,
            guard_claim: None,
            history_seal_key: None,
            audit: Audit::created(now, by),
        }
    }

    pub fn placement(&self) -> Placement {
        Placement {
            isp: self.ispid,
            reseller: self.resellerid,
        }
    }
}

impl From<ServiceItem> for Service {
    fn from(i: ServiceItem) -> Self {
        Self {
            id: i.id,
            customerid: i.customerid,
            ispid: i.ispid,
            resellerid: i.resellerid,
            username: i.username,
            plan: i.plan,
            status: i.status,
            notes: i.notes,
            audit: i.audit,
        }
    }
}

/// A claim on a unique value (see `keys::claim`). `result` is the id of the record the
/// claim protects; `fingerprint` the hash of the request that made it (idempotency keys);
/// `expires_at` (epoch seconds) is the table's TTL attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimItem {
    pub claim: String,
    pub result: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl ClaimItem {
    /// TTL deletion lags (up to days): an expired claim counts as absent.
    pub fn is_live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::scope::Role;
    use aws_sdk_dynamodb::types::AttributeValue;
    use std::collections::HashMap;

    type Item = HashMap<String, AttributeValue>;

    fn customer() -> CustomerItem {
        CustomerItem {
            id: CustomerId(1243),
            ispid: IspId(1),
            resellerid: ResellerId(1),
            ctype: "Individual".into(),
            name: "Some Name".into(),
            name_key: "some name\u{1}0000000000001243".into(),
            surname: None,
            dob: Some("1990-01-31".into()),
            mobile: "12344444".into(),
            mobile_key: "12344444\u{1}0000000000001243".into(),
            email: "Abc@Email.com".into(),
            email_key: "abc@email.com\u{1}0000000000001243".into(),
            uniqueid: None,
            zipcode: "12345".into(),
            zipcode_key: "12345\u{1}0000000000001243".into(),
            state: "Goa".into(),
            city: "Panaji".into(),
            street: "3rd street".into(),
            notes: None,
            created_key: "2026-11-27T05:10:00Z\u{1}0000000000001243".into(),
            created_day_key: Some(20261127),
            portal_password_hash: None,
            service_count: None,
            guard_claim: None,
            guard_until: None,
            restored_at: None,
            history_seal_key: None,
            audit: Audit {
                created_at: "2026-11-27T05:10:00Z".into(),
                updated_at: Some("2026-11-27T05:10:00Z".into()),
                created_by: Some("5".into()),
                updated_by: None,
            },
        }
    }

    #[test]
    fn customer_round_trips_and_keys_have_index_types() {
        let c = customer();
        let item: Item = super::to_item(&c).unwrap();
        // Index key attributes must have the types template.yaml declares.
        assert!(matches!(item.get("id"), Some(AttributeValue::N(n)) if n == "1243"));
        assert!(matches!(item.get("ispid"), Some(AttributeValue::N(_))));
        assert!(matches!(item.get("resellerid"), Some(AttributeValue::N(_))));
        for key in [
            "name_key",
            "mobile_key",
            "email_key",
            "zipcode_key",
            "created_key",
            "type_key",
            "state_key",
            "city_key",
        ] {
            assert!(matches!(item.get(key), Some(AttributeValue::S(_))), "{key}");
        }
        assert!(
            !item.contains_key("surname"),
            "absent optional fields are not stored"
        );
        assert!(
            !item.contains_key("updated_by") && item.contains_key("created_by"),
            "nor absent audit fields"
        );
        let back: CustomerItem = super::from_item(item).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn service_and_claim_round_trip() {
        let s = ServiceItem {
            id: ServiceId(3),
            customerid: CustomerId(1243),
            ispid: IspId(1),
            resellerid: ResellerId(2),
            username: "John@ISP".into(),
            username_key: "john@isp\u{1}0000000000000003".into(),
            plan: "100M".into(),
            status: "Active".into(),
            notes: None,
            guard_claim: None,
            history_seal_key: None,
            audit: Audit {
                created_at: "2026-11-27T05:10:00Z".into(),
                updated_at: Some("2026-11-27T05:10:00Z".into()),
                created_by: Some("crm-admin".into()),
                updated_by: Some("7".into()),
            },
        };
        let item: Item = super::to_item(&s).unwrap();
        for key in ["id", "customerid", "ispid", "resellerid"] {
            assert!(matches!(item.get(key), Some(AttributeValue::N(_))), "{key}");
        }
        assert!(matches!(
            item.get("username_key"),
            Some(AttributeValue::S(_))
        ));
        assert_eq!(super::from_item::<ServiceItem>(item).unwrap(), s);
        let c = ClaimItem {
            claim: "idem|5|k".into(),
            result: 9,
            fingerprint: Some("ab".into()),
            expires_at: Some(100),
        };
        let item: Item = super::to_item(&c).unwrap();
        assert!(matches!(item.get("expires_at"), Some(AttributeValue::N(n)) if n == "100"));
        assert_eq!(super::from_item::<ClaimItem>(item).unwrap(), c);
        assert!(c.is_live(99) && !c.is_live(100));
    }

    #[test]
    fn an_isp_without_a_zone_has_no_attribute_and_old_items_read() {
        let mut isp = IspItem {
            ispid: IspId(4),
            name: "ISP Four".into(),
            time_zone: None,
            enabled: true,
            audit: Audit {
                created_at: "2026-11-27T05:10:00Z".into(),
                updated_at: None,
                created_by: None,
                updated_by: None,
            },
        };
        let item: Item = super::to_item(&isp).unwrap();
        assert!(!item.contains_key("time_zone"));
        assert_eq!(super::from_item::<IspItem>(item).unwrap(), isp);
        isp.time_zone = Some("Asia/Kolkata".into());
        let item: Item = super::to_item(&isp).unwrap();
        assert!(matches!(item.get("time_zone"), Some(AttributeValue::S(z)) if z == "Asia/Kolkata"));
        assert_eq!(super::from_item::<IspItem>(item).unwrap(), isp);
    }

    #[test]
    fn user_round_trips_with_role_as_text() {
        let u = UserItem {
            userid: UserId(5),
            role: Role::Isp,
            ispid: Some(IspId(1)),
            resellerid: None,
            enabled: true,
            key_sha256: "00".repeat(32),
            form_profile: None,
            form_map: None,
            form_secret: None,
            form_web: None,
            audit: Audit {
                created_at: "2026-11-27T05:10:00Z".into(),
                updated_at: Some("2026-11-27T05:10:00Z".into()),
                created_by: Some("1".into()),
                updated_by: None,
            },
        };
        let item: Item = super::to_item(&u).unwrap();
        assert!(matches!(item.get("role"), Some(AttributeValue::S(r)) if r == "isp"));
        assert!(matches!(
            item.get("enabled"),
            Some(AttributeValue::Bool(true))
        ));
        assert_eq!(super::from_item::<UserItem>(item).unwrap(), u);
    }

    /// A stored item holds its entity's declared fields, and otherwise only what the store
    /// derives or keeps to itself (never returned, never in an event).
    #[test]
    fn stored_attributes_are_the_declared_fields_and_store_only_ones() {
        use crate::domain::entity::{Field, Kind, Pick, picked};
        use crate::events::is_secret_or_derived;
        let check = |item: Item, fields: &[Field]| {
            let public: std::collections::BTreeSet<_> = item
                .keys()
                .map(String::as_str)
                .filter(|k| !is_secret_or_derived(k))
                .collect();
            assert_eq!(public, picked(fields, Pick::All).collect());
            for f in fields {
                let number = matches!(item.get(f.name), Some(AttributeValue::N(_)));
                assert_eq!(number, f.kind == Kind::Number, "{}", f.name);
            }
        };
        let mut c = customer();
        c.surname = Some("S".into());
        c.uniqueid = Some("U".into());
        c.notes = Some("N".into());
        c.audit.updated_by = Some("5".into());
        c.portal_password_hash = Some("$argon2id$".into());
        c.service_count = Some(1);
        c.history_seal_key = Some("k".into());
        check(super::to_item(&c).unwrap(), crate::domain::customer::FIELDS);
        let mut s = ServiceItem::new(
            ServiceId(3),
            Placement {
                isp: IspId(1),
                reseller: ResellerId(2),
            },
            ServiceFields {
                customerid: CustomerId(1),
                username: crate::domain::service::Username::parse("u", "u").unwrap(),
                plan: "p".into(),
                status: crate::domain::service::ServiceStatus::Active,
                notes: Some("n".into()),
            },
            "t".into(),
            Actor::Admin,
        );
        s.history_seal_key = Some("k".into());
        check(super::to_item(&s).unwrap(), crate::domain::service::FIELDS);
    }

    #[test]
    fn list_view_never_carries_the_password_hash() {
        let mut c = customer();
        c.portal_password_hash = Some("$argon2id$v=19$...".into());
        let json = serde_json::to_value(Customer::from(c)).unwrap();
        assert!(json.get("portal_password_hash").is_none());
        assert_eq!(json["type"], "Individual");
        assert_eq!(json["surname"], serde_json::Value::Null);
    }
}
