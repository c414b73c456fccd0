//! An erased customer's stream records. An erase (`customer/erase`) first overwrites the
//! customer and its services with stubs that hold ids only (`erased_at`), then deletes them,
//! so no image after the erase carries its personal data: the customer's stub is the
//! `Customer Erased` event (ids only), and the rest (the services' stubs, the stubs'
//! removals) are no event at all.

use super::EventsError;
use super::image;
use aws_lambda_events::dynamodb::EventRecord;
use serde_dynamo::AttributeValue;
use serde_json::{Map, Value};

/// The attribute that marks a stub.
pub const MARK: &str = "erased_at";

fn number(item: &serde_dynamo::Item, name: &str) -> Result<Value, EventsError> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => {
            n.parse::<u64>()
                .map(Value::from)
                .map_err(|_| EventsError::Malformed {
                    field: name.into(),
                    why: format!("{n:?} is not a whole number"),
                })
        }
        _ => Err(EventsError::Malformed {
            field: name.into(),
            why: "missing from an erased customer's stub".into(),
        }),
    }
}

/// `Some(the detail of a `Customer Erased`, or none)` when the record is an erase's (of a
/// customer's table if `customer`, else of the services'); `None` for any other record.
pub fn erasure(customer: bool, record: &EventRecord) -> Result<Option<Option<Value>>, EventsError> {
    let change = &record.change;
    if change.old_image.contains_key(MARK) && record.event_name == "REMOVE" {
        return Ok(Some(None));
    }
    let new = &change.new_image;
    if !new.contains_key(MARK) {
        return Ok(None);
    }
    if !customer {
        return Ok(Some(None));
    }
    let mut detail = Map::new();
    detail.insert("event_id".into(), Value::String(record.event_id.clone()));
    if let Some(seq) = &change.sequence_number {
        detail.insert("sequence".into(), Value::String(seq.clone()));
    }
    detail.insert("ispid".into(), number(new, "erased_ispid")?);
    detail.insert("resellerid".into(), number(new, "erased_resellerid")?);
    detail.insert("customerid".into(), number(new, "id")?);
    let services: Vec<Value> = match new.get("erased_services") {
        Some(AttributeValue::S(ids)) => ids
            .split(',')
            .filter_map(|s| s.trim().parse::<u64>().ok())
            .map(Value::from)
            .collect(),
        _ => Vec::new(),
    };
    detail.insert("serviceids".into(), Value::Array(services));
    if let Some((key, who)) = image::user(new, "erased_by")? {
        detail.insert(key.into(), who);
    }
    if let Some(AttributeValue::S(at)) = new.get(MARK) {
        detail.insert("erased_at".into(), Value::String(at.clone()));
    }
    Ok(Some(Some(Value::Object(detail))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(name: &str, old: Value, new: Value) -> EventRecord {
        serde_json::from_value(json!({
            "eventID": "e9",
            "eventName": name,
            "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:1:table/t/stream/s",
            "dynamodb": {
                "ApproximateCreationDateTime": 1_800_000_000.0,
                "SequenceNumber": "200",
                "SizeBytes": 10,
                "OldImage": old,
                "NewImage": new,
            }
        }))
        .unwrap()
    }

    fn customer() -> Value {
        json!({
            "id": {"N": "1243"}, "ispid": {"N": "1"}, "resellerid": {"N": "2"},
            "type": {"S": "Individual"}, "name": {"S": "Anita"}, "mobile": {"S": "+919812345678"},
            "email": {"S": "anita@example.com"}, "zipcode": {"S": "403001"},
            "state": {"S": "Goa"}, "city": {"S": "Panaji"}, "street": {"S": "3rd street"},
            "created_at": {"S": "2026-11-27T05:10:00Z"}, "updated_at": {"S": "2026-11-27T05:10:00Z"}
        })
    }

    fn stub() -> Value {
        json!({
            "id": {"N": "1243"}, "erased_at": {"S": "2026-12-07T11:00:00Z"},
            "erased_ispid": {"N": "1"}, "erased_resellerid": {"N": "2"},
            "erased_by": {"S": "5"}, "erased_services": {"S": "7,9"}
        })
    }

    #[test]
    fn a_customers_stub_is_customer_erased_with_ids_only() {
        for (name, old) in [("MODIFY", customer()), ("INSERT", Value::Null)] {
            let d = erasure(true, &record(name, old, stub()))
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(
                d,
                json!({"event_id": "e9", "sequence": "200", "ispid": 1, "resellerid": 2,
                       "customerid": 1243, "serviceids": [7, 9], "userid": 5,
                       "erased_at": "2026-12-07T11:00:00Z"})
            );
        }
    }

    #[test]
    fn the_stubs_removal_and_a_services_stub_are_no_event() {
        let r = record("REMOVE", stub(), Value::Null);
        assert_eq!(erasure(true, &r).unwrap(), Some(None));
        let service_stub = json!({"id": {"N": "7"}, "erased_at": {"S": "t"}});
        let r = record("MODIFY", json!({"id": {"N": "7"}}), service_stub.clone());
        assert_eq!(erasure(false, &r).unwrap(), Some(None));
        let r = record("REMOVE", service_stub, Value::Null);
        assert_eq!(erasure(false, &r).unwrap(), Some(None));
        // Any other record is not an erase's.
        let r = record("REMOVE", customer(), Value::Null);
        assert_eq!(erasure(true, &r).unwrap(), None);
    }
}
