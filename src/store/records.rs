//! The records as stored, (de)serialised with serde_dynamo. Derived attributes
//! (`name_key`, `mobile_key`, ...) exist only here: they are the sort keys of the indexes.

use super::keys;
use crate::domain::customer::{Customer, CustomerFields};
use crate::domain::ids::{CustomerId, IspId, ResellerId, UserId};
use crate::domain::scope::{Placement, Role};
use crate::domain::text::fold;
use serde::{Deserialize, Serialize};

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
    pub created_at: String,
    /// `<created_at>\x01<id>`: by-created sort key.
    pub created_key: String,
    pub updated_at: String,
    /// argon2id PHC string of the customer-portal password, set by `reset_password=Y`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_password_hash: Option<String>,
}

impl CustomerItem {
    pub fn new(id: CustomerId, at: Placement, f: CustomerFields, now: String) -> Self {
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
            created_at: now.clone(),
            updated_at: now,
            portal_password_hash: None,
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
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserItem {
    pub userid: UserId,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ispid: Option<IspId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resellerid: Option<ResellerId>,
    pub enabled: bool,
    /// Hex SHA-256 of the API key; the key itself is never stored.
    pub key_sha256: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IspItem {
    pub ispid: IspId,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResellerItem {
    pub resellerid: ResellerId,
    pub ispid: IspId,
    pub name: String,
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
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
            created_at: "2026-11-27T05:10:00Z".into(),
            created_key: "2026-11-27T05:10:00Z\u{1}0000000000001243".into(),
            updated_at: "2026-11-27T05:10:00Z".into(),
            portal_password_hash: None,
        }
    }

    #[test]
    fn customer_round_trips_and_keys_have_index_types() {
        let c = customer();
        let item: Item = serde_dynamo::to_item(&c).unwrap();
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
        ] {
            assert!(matches!(item.get(key), Some(AttributeValue::S(_))), "{key}");
        }
        assert!(
            !item.contains_key("surname"),
            "absent optional fields are not stored"
        );
        let back: CustomerItem = serde_dynamo::from_item(item).unwrap();
        assert_eq!(back, c);
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
            created_at: "2026-11-27T05:10:00Z".into(),
            updated_at: "2026-11-27T05:10:00Z".into(),
        };
        let item: Item = serde_dynamo::to_item(&u).unwrap();
        assert!(matches!(item.get("role"), Some(AttributeValue::S(r)) if r == "isp"));
        assert!(matches!(
            item.get("enabled"),
            Some(AttributeValue::Bool(true))
        ));
        assert_eq!(serde_dynamo::from_item::<_, UserItem>(item).unwrap(), u);
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
