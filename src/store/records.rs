//! The records as stored, (de)serialised with serde_dynamo. Derived attributes
//! (`name_lc`, `isp_mobile`, ...) exist only here, for the indexes and case-insensitive matching.

use super::keys;
use crate::domain::customer::{Customer, CustomerFields};
use crate::domain::ids::{CustomerId, IspId, ResellerId, UserId};
use crate::domain::scope::{Placement, Role};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerItem {
    pub id: CustomerId,
    pub ispid: IspId,
    pub resellerid: ResellerId,
    #[serde(rename = "type")]
    pub ctype: String,
    pub name: String,
    pub name_lc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dob: Option<String>,
    pub mobile: String,
    pub isp_mobile: String,
    pub email: String,
    pub email_lc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniqueid: Option<String>,
    pub zipcode: String,
    pub isp_zipcode: String,
    pub state: String,
    pub city: String,
    pub street: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub created_at: String,
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
            name_lc: f.name.to_lowercase(),
            name: f.name,
            surname: f.surname,
            dob: f.dob.map(|d| d.to_string()),
            isp_mobile: keys::isp_mobile(at.isp, &f.mobile),
            mobile: f.mobile.as_str().to_owned(),
            email_lc: f.email.folded(),
            email: f.email.as_str().to_owned(),
            uniqueid: f.uniqueid,
            isp_zipcode: keys::isp_zipcode(at.isp, &f.zipcode),
            zipcode: f.zipcode.as_str().to_owned(),
            state: f.state,
            city: f.city,
            street: f.street,
            notes: f.notes,
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
            name_lc: "some name".into(),
            surname: None,
            dob: Some("1990-01-31".into()),
            mobile: "12344444".into(),
            isp_mobile: "1#12344444".into(),
            email: "Abc@Email.com".into(),
            email_lc: "abc@email.com".into(),
            uniqueid: None,
            zipcode: "12345".into(),
            isp_zipcode: "1#12345".into(),
            state: "Goa".into(),
            city: "Panaji".into(),
            street: "3rd street".into(),
            notes: None,
            created_at: "2026-11-27T05:10:00Z".into(),
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
        assert!(matches!(item.get("isp_mobile"), Some(AttributeValue::S(_))));
        assert!(matches!(item.get("created_at"), Some(AttributeValue::S(_))));
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
