//! A customer's history keeps no value of it once its data is gone (issue 23): the values are
//! sealed under a key of the customer's own, kept on its record and its restorable copy only,
//! so a final delete, the end of its restore window or an erase leaves entries that say who
//! changed which field when, and no value anyone can read.

mod common;
use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Values this test writes, found nowhere once the customer's data is gone.
const STREET: &str = "7 Sealed Lane";
const NEW_STREET: &str = "9 Hidden Road";
const PLAN: &str = "Plan Quietly Kept";

async fn history(app: &TestApp, id: u64) -> Vec<Value> {
    let reply = app
        .call(
            ISP1_USER,
            "history",
            &[("customerid", &id.to_string()), ("rows_limit", "100")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.result().as_array().expect("rows").clone()
}

/// Every value shown by a history's changes, old and new.
fn values(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .flat_map(|e| e["changes"].as_array().cloned().unwrap_or_default())
        .flat_map(|c| [c["old"].clone(), c["new"].clone()])
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Items of the stack that hold one of `texts` in clear, with their table.
async fn holding(app: &TestApp, texts: &[&str]) -> Vec<(String, String)> {
    app.every_item()
        .await
        .into_iter()
        .filter(|(_, item)| texts.iter().any(|t| item.contains(t)))
        .collect()
}

/// A customer with a street change and a service whose plan changed: entries with values.
async fn customer_with_history(app: &TestApp) -> u64 {
    let id = app
        .create(ISP1_USER, &[("resellerid", "1"), ("street", STREET)])
        .await
        .id();
    let sid = id.to_string();
    let reply = app
        .call(
            ISP1_USER,
            "update",
            &[("customerid", &sid), ("street", NEW_STREET)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let service = app
        .create_service(ISP1_USER, id, "sealed.one@pppoe", &[])
        .await
        .id()
        .to_string();
    for params in [
        vec![("serviceid", service.as_str()), ("plan", PLAN)],
        vec![("serviceid", service.as_str())],
    ] {
        let route = match params.len() {
            2 => "service/update",
            _ => "service/delete",
        };
        let reply = app.call(ISP1_USER, route, &params).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }
    id
}

fn gone(entries: &[Value]) -> bool {
    entries.iter().all(|e| {
        let with_fields = e["changes"]
            .as_array()
            .is_some_and(|c| !c.is_empty() && c.iter().all(|c| c["field"].is_string()));
        !with_fields || e["values_gone"] == Value::Bool(true)
    })
}

#[tokio::test]
async fn history_values_are_sealed_and_go_when_the_restore_window_ends() {
    let app = spawn_app().await;
    let id = customer_with_history(&app).await;
    let shown = values(&history(&app, id).await);
    for v in [STREET, NEW_STREET, PLAN] {
        assert!(shown.iter().any(|s| s == v), "{v} not in {shown:?}");
    }
    // Stored, the entries hold no value in clear: only the customer record does.
    let held = holding(&app, &[NEW_STREET, PLAN]).await;
    assert!(
        held.iter().all(|(table, _)| table == "CustomersTable"),
        "{held:?}"
    );

    let sid = id.to_string();
    let reply = app.call(ISP1_USER, "delete", &[("customerid", &sid)]).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    // Restorable: the copy holds the key, the values still show.
    let entries = history(&app, id).await;
    assert!(values(&entries).iter().any(|s| s == NEW_STREET));
    assert!(
        entries
            .iter()
            .all(|e| e["values_gone"] == Value::Bool(false))
    );

    // The window ends (the copy's expiry passes before TTL removes it): the values are gone
    // for the API at once, and restore is 404 as before.
    let copy = isp_crm::store::keys::claim::deleted(isp_crm::domain::ids::CustomerId(id));
    app.store
        .client
        .update_item()
        .table_name(&app.store.tables.claims)
        .key("claim", AttributeValue::S(copy.clone()))
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("expire the copy");
    let entries = history(&app, id).await;
    assert_eq!(entries.len(), 6, "{entries:?}");
    assert!(values(&entries).is_empty(), "{entries:?}");
    assert!(gone(&entries), "{entries:?}");
    assert_eq!(entries[0]["kind"], "deleted");
    let restore = app
        .call(ISP1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(restore.status, StatusCode::NOT_FOUND, "{restore:?}");

    // TTL removes the copy: no value of the customer is left anywhere in the stack.
    app.store
        .client
        .delete_item()
        .table_name(&app.store.tables.claims)
        .key("claim", AttributeValue::S(copy))
        .send()
        .await
        .expect("TTL's delete");
    let held = holding(&app, &[STREET, NEW_STREET, PLAN]).await;
    assert!(held.is_empty(), "{held:?}");
    let entries = history(&app, id).await;
    assert!(values(&entries).is_empty() && gone(&entries), "{entries:?}");
}

#[tokio::test]
async fn a_final_delete_takes_the_history_values_with_it() {
    let app = spawn_app_with(&[("RESTORE_DAYS", "0")]).await;
    let id = customer_with_history(&app).await;
    assert!(values(&history(&app, id).await).iter().any(|s| s == PLAN));
    let reply = app
        .call(ISP1_USER, "delete", &[("customerid", &id.to_string())])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let entries = history(&app, id).await;
    assert_eq!(
        entries.len(),
        6,
        "who, when and which fields stay: {entries:?}"
    );
    assert!(values(&entries).is_empty() && gone(&entries), "{entries:?}");
    let held = holding(&app, &[STREET, NEW_STREET, PLAN]).await;
    assert!(held.is_empty(), "{held:?}");
}

#[tokio::test]
async fn records_older_than_the_history_get_their_key_on_first_use() {
    let app = spawn_app().await;
    // A customer and a service stored before keys existed (or imported): no key on either.
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let service = app
        .create_service(ISP1_USER, id, "older.one@pppoe", &[])
        .await
        .id();
    for (table, key) in [
        (&app.store.tables.customers, id),
        (&app.store.tables.services, service),
    ] {
        app.store
            .client
            .update_item()
            .table_name(table)
            .key("id", AttributeValue::N(key.to_string()))
            .update_expression("REMOVE history_seal_key")
            .send()
            .await
            .expect("remove the key");
    }
    assert_eq!(app.stored_attr(id, "history_seal_key").await, None);
    // ... and no entry sealed under the key just removed (none were written before keys).
    for entry in app.stored_history(id).await {
        app.store
            .client
            .delete_item()
            .table_name(&app.store.tables.claims)
            .key("claim", entry["claim"].clone())
            .send()
            .await
            .expect("delete an entry");
    }
    // Two first writes at once (the service's and the customer's) agree on one key.
    let sid = id.to_string();
    let service_id = service.to_string();
    let plan = [("serviceid", service_id.as_str()), ("plan", PLAN)];
    let street = [("customerid", sid.as_str()), ("street", NEW_STREET)];
    let (a, b) = tokio::join!(
        app.call(ISP1_USER, "service/update", &plan),
        app.call(ISP1_USER, "update", &street),
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::OK, StatusCode::OK),
        "{a:?} {b:?}"
    );
    assert!(app.stored_attr(id, "history_seal_key").await.is_some());
    let shown = values(&history(&app, id).await);
    for v in [NEW_STREET, PLAN] {
        assert!(shown.iter().any(|s| s == v), "{v} not in {shown:?}");
    }
    // The service keeps its copy of the key: its next update reads no customer.
    let out = app
        .store
        .client
        .get_item()
        .table_name(&app.store.tables.services)
        .key("id", AttributeValue::N(service_id.clone()))
        .send()
        .await
        .expect("get");
    assert_eq!(
        out.item.and_then(|i| i.get("history_seal_key").cloned()),
        app.stored_customer(id)
            .await
            .get("history_seal_key")
            .cloned()
    );
}
