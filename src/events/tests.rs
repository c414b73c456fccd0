//! The batch logic against a stand-in sink: chunking, refused entries and their retries, and
//! which record the answer names. tests/events/ runs the same through moto end to end.

use super::*;
use serde_json::{Value, json};
use std::sync::Mutex;

/// Accepts everything except entries whose detail contains `refuse`, which it refuses
/// `times` times (`usize::MAX`: always). Records every call's event ids.
struct FakeSink {
    refuse: Option<&'static str>,
    times: Mutex<usize>,
    whole_call_fails: bool,
    calls: Mutex<Vec<Vec<String>>>,
}

impl FakeSink {
    fn new(refuse: Option<&'static str>, times: usize) -> Self {
        Self {
            refuse,
            times: Mutex::new(times),
            whole_call_fails: false,
            calls: Mutex::default(),
        }
    }

    fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap().clone()
    }
}

fn event_id(e: &Entry) -> String {
    let d: Value = serde_json::from_str(&e.detail).unwrap();
    d["event_id"].as_str().unwrap().to_owned()
}

impl Sink for FakeSink {
    async fn put(&self, entries: &[&Entry]) -> Result<Vec<Option<String>>, EventsError> {
        assert!(entries.len() <= MAX_ENTRIES);
        assert!(entries.iter().map(|e| e.size()).sum::<usize>() <= MAX_REQUEST_BYTES);
        self.calls
            .lock()
            .unwrap()
            .push(entries.iter().map(|e| event_id(e)).collect());
        if self.whole_call_fails {
            return Err(EventsError::PutEvents("ServiceUnavailable".into()));
        }
        let mut times = self.times.lock().unwrap();
        let refused = entries
            .iter()
            .map(|e| match self.refuse {
                Some(marker) if *times > 0 && e.detail.contains(marker) => {
                    Some("InternalFailure: try again".to_owned())
                }
                _ => None,
            })
            .collect::<Vec<_>>();
        if refused.iter().any(Option::is_some) {
            *times = times.saturating_sub(1);
        }
        Ok(refused)
    }
}

fn tables() -> StreamTables {
    StreamTables {
        customers: "c".into(),
        services: "s".into(),
    }
}

/// A service record: `n` its id and sequence number; `notes` pads its size.
fn service_record(n: u64, name: &str, notes: &str) -> Value {
    let image = json!({
        "id": {"N": n.to_string()}, "customerid": {"N": "1"}, "ispid": {"N": "1"},
        "resellerid": {"N": "1"}, "username": {"S": format!("user{n}")},
        "plan": {"S": "p"}, "status": {"S": "Active"}, "notes": {"S": notes},
        "created_at": {"S": "t"}, "updated_at": {"S": "t"}
    });
    json!({
        "eventID": format!("ev{n}"),
        "eventName": name,
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:1:table/s/stream/x",
        "dynamodb": {"SequenceNumber": format!("{}", 1000 + n), "SizeBytes": 1, "NewImage": image}
    })
}

fn batch(records: Vec<Value>) -> Event {
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn inserts(n: u64) -> Event {
    batch((1..=n).map(|i| service_record(i, "INSERT", "")).collect())
}

#[tokio::test]
async fn a_batch_goes_out_in_chunks_of_ten_in_record_order() {
    let sink = FakeSink::new(None, 0);
    let out = publish(&sink, &tables(), &inserts(23), None).await.unwrap();
    let sizes: Vec<usize> = sink.calls().iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 3]);
    assert_eq!(sink.calls()[2], ["ev21", "ev22", "ev23"]);
    assert_eq!(out.sent, 23);
    assert_eq!(out.response, BatchResponse::default());
    assert_eq!(
        serde_json::to_value(&out.response).unwrap(),
        json!({"batchItemFailures": []})
    );
}

#[tokio::test]
async fn chunks_stay_under_the_request_size() {
    // ~60 KB each: four fit in 250,000 bytes, a fifth does not.
    let notes = "x".repeat(60_000);
    let event = batch(
        (1..=9)
            .map(|i| service_record(i, "INSERT", &notes))
            .collect(),
    );
    let sink = FakeSink::new(None, 0);
    let out = publish(&sink, &tables(), &event, None).await.unwrap();
    let sizes: Vec<usize> = sink.calls().iter().map(Vec::len).collect();
    assert_eq!(sizes, [4, 4, 1]);
    assert_eq!(out.sent, 9);
}

#[tokio::test]
async fn a_refused_entry_is_sent_again_and_then_goes_through() {
    let sink = FakeSink::new(Some("user3"), 2);
    let out = publish(&sink, &tables(), &inserts(5), None).await.unwrap();
    assert_eq!(out.failed, None);
    assert_eq!(out.sent, 5);
    // The whole chunk, then only the refused entry, twice.
    assert_eq!(sink.calls()[1..], [vec!["ev3"], vec!["ev3"]]);
}

#[tokio::test]
async fn an_entry_refused_every_time_names_its_record_and_stops_the_batch() {
    let sink = FakeSink::new(Some("user12"), usize::MAX);
    let out = publish(&sink, &tables(), &inserts(25), None).await.unwrap();
    assert_eq!(
        serde_json::to_value(&out.response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "1012"}]})
    );
    // First chunk whole, the second sent with its refused entry retried ATTEMPTS - 1 times,
    // the third never (the mapping sends those records again).
    let calls = sink.calls();
    assert_eq!(calls.len(), 2 + (ATTEMPTS - 1));
    assert!(calls.iter().all(|c| !c.contains(&"ev21".to_owned())));
    assert_eq!(
        out.sent, 19,
        "all of the second chunk but ev12 was accepted"
    );
}

#[tokio::test]
async fn a_call_that_fails_whole_names_the_first_record_of_its_chunk() {
    let mut sink = FakeSink::new(None, 0);
    sink.whole_call_fails = true;
    let out = publish(&sink, &tables(), &inserts(3), None).await.unwrap();
    assert_eq!(sink.calls().len(), ATTEMPTS);
    assert_eq!(out.response.batch_item_failures[0].item_identifier, "1001");
    assert_eq!(out.sent, 0);
}

#[tokio::test]
async fn a_malformed_record_is_reported_and_only_records_before_it_are_sent() {
    let mut records: Vec<Value> = (1..=4).map(|i| service_record(i, "INSERT", "")).collect();
    records[2]["dynamodb"]["NewImage"]["ispid"] = json!({"S": "one"});
    let sink = FakeSink::new(None, 0);
    let out = publish(&sink, &tables(), &batch(records), None)
        .await
        .unwrap();
    assert_eq!(sink.calls(), [vec!["ev1", "ev2"]]);
    assert_eq!(out.response.batch_item_failures[0].item_identifier, "1003");
    let (index, why) = out.failed.unwrap();
    assert_eq!(index, 2);
    assert!(why.contains("ispid"), "{why}");
}

#[tokio::test]
async fn a_record_of_an_unknown_table_fails() {
    let mut records = vec![service_record(1, "INSERT", "")];
    records[0]["eventSourceARN"] = json!("arn:aws:dynamodb:us-east-1:1:table/other/stream/x");
    let sink = FakeSink::new(None, 0);
    let out = publish(&sink, &tables(), &batch(records), None)
        .await
        .unwrap();
    assert!(sink.calls().is_empty());
    assert_eq!(out.response.batch_item_failures.len(), 1);
}

#[tokio::test]
async fn no_time_left_leaves_the_rest_to_the_mapping() {
    let sink = FakeSink::new(None, 0);
    let soon = Instant::now() + CHUNK_TIME / 2;
    let out = publish(&sink, &tables(), &inserts(3), Some(soon))
        .await
        .unwrap();
    assert!(sink.calls().is_empty());
    assert_eq!(out.response.batch_item_failures[0].item_identifier, "1001");
}

#[tokio::test]
async fn a_failed_record_without_sequence_number_fails_the_invocation() {
    let mut records = vec![service_record(1, "INSERT", "")];
    records[0]["eventName"] = json!("TRUNCATE");
    records[0]["dynamodb"]
        .as_object_mut()
        .unwrap()
        .remove("SequenceNumber");
    let sink = FakeSink::new(None, 0);
    let err = publish(&sink, &tables(), &batch(records), None)
        .await
        .unwrap_err();
    assert!(matches!(err, EventsError::NoSequenceNumber(0)), "{err}");
}

#[test]
fn settings_need_a_bus_and_default_to_the_dev_tables() {
    let get = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(
        EventsSettings::from_lookup(get(&[])).unwrap_err().var,
        "EVENT_BUS_NAME"
    );
    let s = EventsSettings::from_lookup(get(&[("EVENT_BUS_NAME", "bus"), ("EVENTS_ENDPOINT", "")]))
        .unwrap();
    assert_eq!(s.endpoint, None);
    assert_eq!(s.tables.customers, "crm-dev-customers");
    let s = EventsSettings::from_lookup(get(&[
        ("EVENT_BUS_NAME", "bus"),
        ("SERVICES_TABLE", "prod-services"),
    ]))
    .unwrap();
    assert_eq!(s.tables.services, "prod-services");
}
