//! One stream record → at most one event: which record changed how, and what a consumer
//! needs to act on it without calling the API back (docs/events.md has the catalogue).

use super::EventsError;
use super::image::{self, CUSTOMER_FIELDS, SERVICE_FIELDS};
use crate::domain::entity::Field;
use aws_lambda_events::dynamodb::EventRecord;
use serde_dynamo::Item;
use serde_json::{Map, Value};

pub use crate::domain::event::SOURCE;

/// Which table a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Customer,
    Service,
}

impl Entity {
    fn noun(self) -> &'static str {
        match self {
            Self::Customer => "Customer",
            Self::Service => "Service",
        }
    }

    fn fields(self) -> &'static [Field] {
        match self {
            Self::Customer => CUSTOMER_FIELDS,
            Self::Service => SERVICE_FIELDS,
        }
    }

    /// The key under which the event carries the record's public fields.
    fn record_key(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Service => "service",
        }
    }
}

/// One PutEvents entry, before the bus and source are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `Customer Created`, `Service Updated`, ...
    pub detail_type: String,
    /// The JSON `detail`.
    pub detail: String,
    /// When the change was written (the stream record's approximate creation time), epoch seconds.
    pub time: Option<i64>,
}

impl Entry {
    /// Its size as EventBridge counts it against the 256 KB of a PutEvents request: the
    /// UTF-8 bytes of source, detail-type and detail, and 14 for a time.
    pub fn size(&self) -> usize {
        SOURCE.len()
            + self.detail_type.len()
            + self.detail.len()
            + if self.time.is_some() { 14 } else { 0 }
    }
}

fn image<'a>(item: &'a Item, which: &str) -> Result<&'a Item, EventsError> {
    if item.is_empty() {
        // The table's stream must be NEW_AND_OLD_IMAGES (template.yaml).
        return Err(EventsError::Malformed {
            field: which.to_owned(),
            why: "missing: the stream must carry NEW_AND_OLD_IMAGES".into(),
        });
    }
    Ok(item)
}

/// The event for one stream record of `entity`'s table, or `None` when the write changed
/// nothing a consumer cares about (a customer's `service_count` or portal password,
/// `updated_at` alone).
pub fn entry_for(entity: Entity, record: &EventRecord) -> Result<Option<Entry>, EventsError> {
    // An erase's records carry no personal data: the customer's stub is `Customer Erased`.
    if let Some(erased) = super::erased::erasure(entity == Entity::Customer, record)? {
        let created = record.change.approximate_creation_date_time.timestamp();
        return Ok(erased.map(|detail| Entry {
            detail_type: "Customer Erased".into(),
            detail: detail.to_string(),
            time: (created > 0).then_some(created),
        }));
    }
    let fields = entity.fields();
    let change = &record.change;
    let (verb, record_image, user_attr, changes) = match record.event_name.as_str() {
        // A restored customer is written anew under its id, marked `restored_at`.
        "INSERT" if image(&change.new_image, "NewImage")?.contains_key("restored_at") => {
            let new = image(&change.new_image, "NewImage")?;
            (
                "Restored",
                image::public_record(new, fields)?,
                image::user(new, "updated_by")?,
                None,
            )
        }
        "INSERT" => {
            let new = image(&change.new_image, "NewImage")?;
            (
                "Created",
                image::public_record(new, fields)?,
                image::user(new, "created_by")?,
                None,
            )
        }
        "MODIFY" => {
            let old = image::public_record(image(&change.old_image, "OldImage")?, fields)?;
            let new_item = image(&change.new_image, "NewImage")?;
            let new = image::public_record(new_item, fields)?;
            let diff = image::changes(&old, &new, fields);
            if diff.is_empty() {
                return Ok(None);
            }
            (
                "Updated",
                new,
                image::user(new_item, "updated_by")?,
                Some(diff),
            )
        }
        // A delete records no actor of its own: the old image's updated_by is the last
        // user who wrote the record (docs/events.md says so).
        "REMOVE" => {
            let old = image(&change.old_image, "OldImage")?;
            (
                "Deleted",
                image::public_record(old, fields)?,
                image::user(old, "updated_by")?,
                None,
            )
        }
        other => {
            return Err(EventsError::Malformed {
                field: "eventName".into(),
                why: format!("{other:?} is not INSERT, MODIFY or REMOVE"),
            });
        }
    };
    if record.event_id.is_empty() {
        return Err(EventsError::Malformed {
            field: "eventID".into(),
            why: "missing: events need it as their stable id".into(),
        });
    }

    let mut detail = Map::new();
    detail.insert("event_id".into(), Value::String(record.event_id.clone()));
    if let Some(seq) = &change.sequence_number {
        detail.insert("sequence".into(), Value::String(seq.clone()));
    }
    for name in ["ispid", "resellerid"] {
        detail.insert(name.into(), image::required(&record_image, name)?.clone());
    }
    match entity {
        Entity::Customer => {
            detail.insert(
                "customerid".into(),
                image::required(&record_image, "id")?.clone(),
            );
        }
        Entity::Service => {
            let customer = image::required(&record_image, "customerid")?;
            detail.insert("customerid".into(), customer.clone());
            detail.insert(
                "serviceid".into(),
                image::required(&record_image, "id")?.clone(),
            );
        }
    }
    if let Some((key, who)) = user_attr {
        detail.insert(key.into(), who);
    }
    let updated_at = image::required(&record_image, "updated_at")?.clone();
    detail.insert("updated_at".into(), updated_at);
    if let Some(diff) = changes {
        detail.insert("changes".into(), Value::Object(diff));
    }
    detail.insert(entity.record_key().into(), Value::Object(record_image));

    let created = change.approximate_creation_date_time.timestamp();
    Ok(Some(Entry {
        detail_type: format!("{} {verb}", entity.noun()),
        detail: Value::Object(detail).to_string(),
        // Absent from a record (aws_lambda_events then reads 0): EventBridge stamps its own.
        time: (created > 0).then_some(created),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(name: &str, old: Value, new: Value) -> EventRecord {
        serde_json::from_value(json!({
            "eventID": "e1",
            "eventName": name,
            "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:1:table/t/stream/s",
            "dynamodb": {
                "ApproximateCreationDateTime": 1_800_000_000.0,
                "SequenceNumber": "100",
                "SizeBytes": 10,
                "OldImage": old,
                "NewImage": new,
            }
        }))
        .unwrap()
    }

    fn service(status: &str, updated_at: &str) -> Value {
        json!({
            "id": {"N": "3"}, "customerid": {"N": "1243"}, "ispid": {"N": "1"},
            "resellerid": {"N": "2"}, "username": {"S": "john@isp"},
            "username_key": {"S": "john@isp\u{1}0000000000000003"}, "plan": {"S": "100M"},
            "status": {"S": status}, "created_at": {"S": "2026-11-27T05:10:00Z"},
            "updated_at": {"S": updated_at}, "updated_by": {"S": "5"}
        })
    }

    fn detail(e: &Entry) -> Value {
        serde_json::from_str(&e.detail).unwrap()
    }

    #[test]
    fn a_status_change_names_old_and_new() {
        let r = record(
            "MODIFY",
            service("Active", "2026-11-27T05:10:00Z"),
            service("Suspend", "2026-11-28T09:00:00Z"),
        );
        let e = entry_for(Entity::Service, &r).unwrap().unwrap();
        assert_eq!(e.detail_type, "Service Updated");
        assert_eq!(e.time, Some(1_800_000_000));
        let d = detail(&e);
        assert_eq!(
            d["changes"],
            json!({"status": {"old": "Active", "new": "Suspend"}})
        );
        assert_eq!(d["event_id"], "e1");
        assert_eq!(d["sequence"], "100");
        assert_eq!(d["serviceid"], 3);
        assert_eq!(d["customerid"], 1243);
        assert_eq!(d["userid"], 5);
        assert_eq!(d["updated_at"], "2026-11-28T09:00:00Z");
        assert_eq!(d["service"]["status"], "Suspend");
        assert!(!e.detail.contains("_key"), "{}", e.detail);
        assert_eq!(
            e.size(),
            "isp-crm".len() + e.detail_type.len() + e.detail.len() + 14
        );
    }

    #[test]
    fn updated_at_alone_is_no_event_and_absent_users_are_omitted() {
        let mut new = service("Active", "2026-11-28T09:00:00Z");
        new["updated_by"] = json!({"S": "6"});
        let r = record("MODIFY", service("Active", "2026-11-27T05:10:00Z"), new);
        assert_eq!(entry_for(Entity::Service, &r).unwrap(), None);

        let mut created = service("NewRequest", "2026-11-27T05:10:00Z");
        created.as_object_mut().unwrap().remove("updated_by");
        let r = record("INSERT", Value::Null, created);
        let d = detail(&entry_for(Entity::Service, &r).unwrap().unwrap());
        assert!(d.get("userid").is_none(), "{d}");
        assert!(d["service"].get("notes").is_none(), "{d}");
    }

    #[test]
    fn a_restored_record_is_restored_by_the_restoring_user() {
        let mut restored = service("Active", "2026-12-01T08:00:00Z");
        restored["updated_by"] = json!({"S": "7"});
        restored["restored_at"] = json!({"S": "2026-12-01T08:00:00Z"});
        restored["guard_claim"] = json!({"S": "recent|5|abc"});
        let r = record("INSERT", Value::Null, restored);
        let e = entry_for(Entity::Service, &r).unwrap().unwrap();
        assert_eq!(e.detail_type, "Service Restored");
        let d = detail(&e);
        assert_eq!(d["userid"], 7);
        assert!(
            !e.detail.contains("restored_at") && !e.detail.contains("guard"),
            "{d}"
        );
    }

    #[test]
    fn an_erased_customers_stub_is_customer_erased_and_its_removal_nothing() {
        let stub = json!({
            "id": {"N": "1243"}, "erased_at": {"S": "2026-12-07T11:00:00Z"},
            "erased_ispid": {"N": "1"}, "erased_resellerid": {"N": "2"}, "erased_by": {"S": "5"}
        });
        let e = entry_for(
            Entity::Customer,
            &record("MODIFY", Value::Null, stub.clone()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(e.detail_type, "Customer Erased");
        assert_eq!(e.time, Some(1_800_000_000));
        let r = record("REMOVE", stub, Value::Null);
        assert_eq!(entry_for(Entity::Customer, &r).unwrap(), None);
    }

    #[test]
    fn missing_images_and_ids_are_malformed() {
        let r = record("MODIFY", Value::Null, service("Active", "t"));
        assert!(entry_for(Entity::Service, &r).is_err());
        let mut no_ispid = service("Active", "t");
        no_ispid.as_object_mut().unwrap().remove("ispid");
        let r = record("REMOVE", no_ispid, Value::Null);
        let err = entry_for(Entity::Service, &r).unwrap_err();
        assert!(err.to_string().contains("ispid"), "{err}");
    }
}
