//! Change events end to end against moto: writes go through the API (tables with streams,
//! made from template.yaml), the stream records are read back from moto's DynamoDB Streams
//! and handed to the change-events handler in the Lambda event shape, and the events are read
//! from SQS queues that rules on the test's own bus target. Every test has its own tables,
//! bus, rules and queues (unique names), so tests run in parallel.

#[path = "../common/mod.rs"]
mod common;
mod plumbing;

use common::*;
use isp_crm::events::{ATTEMPTS, BatchResponse};
use plumbing::{Plumbing, plumbing, proxy, recorder};
use serde_json::{Value, json};

/// The events' detail types, sorted.
fn sorted_types(events: &[Value]) -> Vec<&str> {
    let mut types: Vec<&str> = events
        .iter()
        .filter_map(|e| e["detail-type"].as_str())
        .collect();
    types.sort_unstable();
    types
}

fn of_type<'a>(events: &'a [Value], detail_type: &str) -> &'a Value {
    let found: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail-type"] == detail_type)
        .collect();
    assert_eq!(found.len(), 1, "one {detail_type} in {events:#?}");
    found[0]
}

/// The event pattern of a worked rule in docs/events.md (the JSON block after `<!-- name -->`),
/// so the rule the docs show is the rule tested here.
fn docs_rule(name: &str) -> String {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.md"))
        .expect("docs/events.md");
    let marker = format!("<!-- {name} -->");
    let after = docs.split_once(&marker).expect("the marker").1;
    let block = after.split_once("```json").expect("a JSON block").1;
    let pattern = block.split_once("```").expect("its end").0;
    serde_json::from_str::<Value>(pattern).expect("valid JSON");
    pattern.to_owned()
}

#[tokio::test]
async fn customers_and_services_changes_reach_a_queue_through_the_bus() {
    let p = plumbing().await;
    let radius_status = p
        .queue_for("radius-status", &docs_rule("rule: radius-status"))
        .await;
    let radius_all = p
        .queue_for("radius-all", &docs_rule("rule: radius-all"))
        .await;
    let (c, s) = one_life_of_each(&p.app).await;
    let customers = hand_streams_to_the_handler(&p).await;
    let events = p.received(&p.all, 6).await;
    every_event_is_one_change_of_isp_1s_user(&events, c);
    each_event_tells_its_change(&events, &customers, s);
    the_worked_rules_of_the_docs_match(&p, &radius_status, &radius_all).await;
}

/// A customer and a service of it, each created, updated and deleted (with a password reset
/// and service_count changes between): their ids.
async fn one_life_of_each(app: &TestApp) -> (u64, u64) {
    let c = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let cid = c.to_string();
    app.call(
        ISP1_USER,
        "update",
        &[("customerid", &cid), ("street", "2nd street")],
    )
    .await
    .result();
    // A password hash only (and below, service_count only): no Customer Updated.
    let reset = app
        .call(
            ISP1_USER,
            "update",
            &[("customerid", &cid), ("reset_password", "Y")],
        )
        .await;
    reset.result();
    let s = app
        .create_service(ISP1_USER, c, "radius.one", &[("status", "Active")])
        .await
        .id();
    let sid = s.to_string();
    app.call(
        ISP1_USER,
        "service/update",
        &[("serviceid", &sid), ("status", "Suspend")],
    )
    .await
    .result();
    app.call(ISP1_USER, "service/delete", &[("serviceid", &sid)])
        .await
        .result();
    app.call(ISP1_USER, "delete", &[("customerid", &cid)])
        .await
        .result();
    (c, s)
}

/// Hands both streams' records to the handler, its EventBridge requests recorded; the
/// customers stream's records.
async fn hand_streams_to_the_handler(p: &Plumbing) -> Value {
    let app = &p.app;
    // The handler's EventBridge requests go through a recorder: PutEvents on the test's bus
    // is all it may send (template.yaml grants exactly that; tests/iam.rs checks the grant).
    let (seen, proxy) = recorder().await;
    let customers = p.stream_batch(&app.store.tables.customers).await;
    let services = p.stream_batch(&app.store.tables.services).await;
    assert_eq!(
        customers["Records"].as_array().unwrap().len(),
        6,
        "{customers:#}"
    );
    assert_eq!(services["Records"].as_array().unwrap().len(), 3);
    assert_eq!(
        p.handle(&customers, Some(&proxy)).await,
        BatchResponse::default()
    );
    assert_eq!(
        p.handle(&services, Some(&proxy)).await,
        BatchResponse::default()
    );
    for (target, bus) in seen.lock().unwrap().iter() {
        assert_eq!(target, "AWSEvents.PutEvents");
        assert!(bus.iter().all(|b| b == &p.bus), "{bus:?}");
    }
    customers
}

/// One event of each type, each ISP 1's customer `c`'s, none with a secret.
fn every_event_is_one_change_of_isp_1s_user(events: &[Value], c: u64) {
    let types = sorted_types(events);
    assert_eq!(
        types,
        [
            "Customer Created",
            "Customer Deleted",
            "Customer Updated",
            "Service Created",
            "Service Deleted",
            "Service Updated"
        ],
        "the password reset and the service_count changes made no event"
    );
    for e in events {
        assert_eq!(e["source"], "isp-crm");
        let d = &e["detail"];
        assert_eq!(
            (d["ispid"].as_u64(), d["resellerid"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(d["customerid"], c, "{e}");
        assert!(
            d["event_id"].as_str().is_some_and(|id| !id.is_empty()),
            "{e}"
        );
        assert!(d["updated_at"].is_string(), "{e}");
        // Every write here is ISP 1's user's (updated_by of the deleted records too).
        assert_eq!(d["userid"], ISP1_USER, "{e}");
        let text = e.to_string();
        for secret in ["argon2", "password", "_key", "service_count"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

/// Each event's record, changes and ids (service `s`).
fn each_event_tells_its_change(events: &[Value], customers: &Value, s: u64) {
    let created = &of_type(events, "Customer Created")["detail"];
    assert_eq!(created["customer"]["street"], "3rd street");
    assert_eq!(created["customer"]["name"], "Some Name");
    assert!(
        created["customer"].get("surname").is_none(),
        "absent, not null"
    );
    let first_record = &customers["Records"][0];
    assert_eq!(created["event_id"], first_record["eventID"]);
    assert_eq!(
        created["sequence"],
        first_record["dynamodb"]["SequenceNumber"]
    );
    let updated = &of_type(events, "Customer Updated")["detail"];
    assert_eq!(
        updated["changes"],
        json!({"street": {"old": "3rd street", "new": "2nd street"}})
    );
    let deleted = &of_type(events, "Customer Deleted")["detail"];
    assert_eq!(deleted["customer"]["street"], "2nd street");
    let s_created = &of_type(events, "Service Created")["detail"];
    assert_eq!(
        (
            s_created["serviceid"].as_u64(),
            s_created["service"]["status"].as_str()
        ),
        (Some(s), Some("Active"))
    );
    let s_updated = &of_type(events, "Service Updated")["detail"];
    assert_eq!(
        s_updated["changes"],
        json!({"status": {"old": "Active", "new": "Suspend"}})
    );
    assert_eq!(s_updated["service"]["username"], "radius.one");
    assert_eq!(
        of_type(events, "Service Deleted")["detail"]["service"]["username"],
        "radius.one"
    );
}

/// The worked rules of docs/events.md, on their queues.
async fn the_worked_rules_of_the_docs_match(p: &Plumbing, radius_status: &str, radius_all: &str) {
    let status = p.received(radius_status, 1).await;
    assert_eq!(status.len(), 1, "{status:#?}");
    assert_eq!(status[0]["detail"]["changes"]["status"]["new"], "Suspend");
    let all = p.received(radius_all, 3).await;
    let types = sorted_types(&all);
    assert_eq!(
        types,
        ["Service Created", "Service Deleted", "Service Updated"]
    );
}

/// Creates three customers; the customers stream's three records.
async fn three_creates(p: &Plumbing) -> (Vec<u64>, Value) {
    let mut ids = Vec::new();
    for name in ["First One", "Second One", "Third One"] {
        ids.push(
            p.app
                .create(ISP1_USER, &[("resellerid", "1"), ("name", name)])
                .await
                .id(),
        );
    }
    let batch = p.stream_batch(&p.app.store.tables.customers).await;
    assert_eq!(batch["Records"].as_array().unwrap().len(), 3);
    (ids, batch)
}

fn created_ids(events: &[Value]) -> Vec<u64> {
    let mut ids: Vec<u64> = events
        .iter()
        .filter_map(|e| e["detail"]["customerid"].as_u64())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn a_malformed_record_is_named_and_the_records_before_it_were_sent() {
    let p = plumbing().await;
    let (ids, mut batch) = three_creates(&p).await;
    batch["Records"][1]["dynamodb"]["NewImage"]["ispid"] = json!({"S": "one"});
    let failing = batch["Records"][1]["dynamodb"]["SequenceNumber"].clone();

    let answer = p.handle(&batch, None).await;
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": failing}]})
    );
    // The first went out; nothing after the failed record (the mapping sends it again).
    assert_eq!(created_ids(&p.received(&p.all, 1).await), [ids[0]]);
}

#[tokio::test]
async fn an_entry_putevents_refuses_is_retried_then_named() {
    let p = plumbing().await;
    let (ids, batch) = three_creates(&p).await;
    let failing = batch["Records"][1]["dynamodb"]["SequenceNumber"].clone();
    let (seen, via) = proxy(Some(format!("\"customerid\":{}", ids[1]))).await;

    let answer = p.handle(&batch, Some(&via)).await;
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": failing}]})
    );
    // One call with all three, then the refused entry alone, ATTEMPTS times in all.
    let calls: Vec<usize> = seen.lock().unwrap().iter().map(|(_, b)| b.len()).collect();
    let mut want = vec![3];
    want.extend(std::iter::repeat_n(1, ATTEMPTS - 1));
    assert_eq!(calls, want);
    // The records around it were accepted in the same call; the mapping's retry from the
    // failed record sends the third again (at least once: consumers de-duplicate).
    assert_eq!(created_ids(&p.received(&p.all, 2).await), [ids[0], ids[2]]);
}

/// Issue 23's two events: a restore is `Customer Restored` (the record, the restoring user),
/// an erase is one `Customer Erased` with ids only, and nothing else of the erase.
#[tokio::test]
async fn restores_and_erasures_reach_a_queue_through_the_bus() {
    let p = plumbing().await;
    let app = &p.app;
    let c = app
        .create(ISP1_USER, &[("resellerid", "1"), ("surname", "Erasable")])
        .await
        .id();
    let cid = c.to_string();
    app.call(ISP1_USER, "delete", &[("customerid", &cid)])
        .await
        .result();
    app.call(RESELLER1_USER, "restore", &[("customerid", &cid)])
        .await
        .result();
    let s = app
        .create_service(ISP1_USER, c, "erase.me@pppoe", &[("notes", "rack 7")])
        .await
        .id();
    app.call(
        ISP1_USER,
        "erase",
        &[("customerid", &cid), ("erase_services", "Y")],
    )
    .await
    .result();
    let customers = p.stream_batch(&app.store.tables.customers).await;
    let services = p.stream_batch(&app.store.tables.services).await;
    assert_eq!(p.handle(&customers, None).await, BatchResponse::default());
    assert_eq!(p.handle(&services, None).await, BatchResponse::default());
    let events = p.received(&p.all, 5).await;
    let types = sorted_types(&events);
    assert_eq!(
        types,
        [
            "Customer Created",
            "Customer Deleted",
            "Customer Erased",
            "Customer Restored",
            "Service Created"
        ],
        "the erase's stubs and their removal made no other event"
    );

    let restored = &of_type(&events, "Customer Restored")["detail"];
    assert_eq!(restored["customerid"], c, "{restored}");
    assert_eq!(restored["userid"], RESELLER1_USER, "the restoring user");
    assert_eq!(restored["customer"]["surname"], "Erasable");
    assert_eq!(
        (restored["ispid"].as_u64(), restored["resellerid"].as_u64()),
        (Some(1), Some(1))
    );

    let erased = &of_type(&events, "Customer Erased")["detail"];
    assert_eq!(erased["customerid"], c, "{erased}");
    assert_eq!(erased["serviceids"], json!([s]));
    assert_eq!(erased["userid"], ISP1_USER);
    assert_eq!(
        (erased["ispid"].as_u64(), erased["resellerid"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(erased["erased_at"].is_string(), "{erased}");
    let mut keys: Vec<&str> = erased
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "customerid",
            "erased_at",
            "event_id",
            "ispid",
            "resellerid",
            "sequence",
            "serviceids",
            "userid"
        ],
        "ids only"
    );
    let text = erased.to_string();
    for value in ["Erasable", "erase.me", "rack 7", "Some Name"] {
        assert!(!text.contains(value), "{value} in {text}");
    }
}
