//! Restorable deletes (issue 23): a deleted customer vanishes from every list, count and
//! lookup at once, is listed with `deleted=1`, and `customer/restore` brings it back under its
//! id with its counts, in the caller's scope, until `RESTORE_DAYS` pass.

mod common;
use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Every count the kept counts answer for ISP 1 and its reseller 1, and a few list shapes.
async fn counts(app: &TestApp, user: u64) -> Vec<(String, Value)> {
    let shapes: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("type", "Individual")],
        vec![("state", "Goa")],
        vec![("city", "Panaji")],
        vec![("zipcode", "12345")],
        vec![("created_from", "2000-01-01")],
        vec![("name", "Some%")],
        vec![("mobile", "12344444")],
        vec![("email", "abc@email.com")],
    ];
    let mut out = Vec::new();
    for shape in shapes {
        let mut params = shape.clone();
        params.push(("show_count", "1"));
        let reply = app.call(user, "list", &params).await;
        out.push((format!("{shape:?}"), reply.result().clone()));
    }
    out
}

/// The ids a list shape answers, page after page of 100.
async fn listed(app: &TestApp, user: u64, shape: &[(&str, &str)]) -> Vec<u64> {
    let mut params = shape.to_vec();
    params.push(("rows_limit", "100"));
    app.call(user, "list", &params).await.ids()
}

#[tokio::test]
async fn delete_hides_it_everywhere_and_restore_brings_it_back_with_its_counts() {
    let app = spawn_app().await;
    let kept = app
        .create(ISP1_USER, &[("resellerid", "1"), ("surname", "Kept")])
        .await
        .id();
    let id = app
        .create(ISP1_USER, &[("resellerid", "1"), ("notes", "by mistake")])
        .await
        .id();
    let sid = id.to_string();
    let before = app.stored_customer(id).await;
    let shown_before = app
        .call(ISP1_USER, "list", &[("customerid", &sid)])
        .await
        .result()[0]
        .clone();
    let (isp_counts, reseller_counts) = (
        counts(&app, ISP1_USER).await,
        counts(&app, RESELLER1_USER).await,
    );

    let reply = app
        .call(RESELLER1_USER, "delete", &[("customerid", &sid)])
        .await;
    assert_eq!(reply.result(), "done");

    // Gone from every lookup, list shape and count at once.
    let shapes: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("customerid", &sid)],
        vec![("name", "Some Name")],
        vec![("name", "Some%"), ("sort_field", "name")],
        vec![("mobile", "12344444")],
        vec![("email", "abc@email.com")],
        vec![("zipcode", "12345")],
        vec![("city", "Panaji")],
        vec![("sort_field", "email"), ("sort_order", "desc")],
    ];
    for shape in &shapes {
        for user in [ADMIN, ISP1_USER, RESELLER1_USER] {
            let ids = listed(&app, user, shape).await;
            assert!(
                !ids.contains(&id),
                "{user} {shape:?} lists the deleted {id}"
            );
            let by_id = shape.iter().any(|(k, _)| *k == "customerid");
            assert!(by_id || ids.contains(&kept), "{user} {shape:?} lost {kept}");
        }
    }
    let less = |counts: &[(String, Value)]| -> Vec<(String, Value)> {
        counts
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_u64().unwrap_or(0) - 1)))
            .collect()
    };
    assert_eq!(counts(&app, ISP1_USER).await, less(&isp_counts));
    assert_eq!(counts(&app, RESELLER1_USER).await, less(&reseller_counts));
    let update = app
        .call(ISP1_USER, "update", &[("customerid", &sid), ("notes", "x")])
        .await;
    assert_eq!(update.status, StatusCode::NOT_FOUND, "{update:?}");
    let service = app.create_service(ISP1_USER, id, "gone@isp", &[]).await;
    assert_eq!(service.status, StatusCode::NOT_FOUND, "{service:?}");
    let again = app.call(ISP1_USER, "delete", &[("customerid", &sid)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{again:?}");

    // Listed as restorable, with who deleted it and until when.
    let deleted = app.call(ISP1_USER, "list", &[("deleted", "1")]).await;
    assert_eq!(deleted.ids(), vec![id], "{deleted:?}");
    let row = &deleted.result()[0];
    assert_eq!(row["deleted_by"], RESELLER1_USER.to_string());
    assert_eq!(row["notes"], "by mistake");
    assert!(
        row["restorable_until"]
            .as_str()
            .is_some_and(|t| t > row["deleted_at"].as_str().unwrap_or(""))
    );
    assert!(row.get("portal_password_hash").is_none() && row.get("guard_claim").is_none());

    // Restored: the same id and record (but who changed it last), its counts back.
    let reply = app
        .call(ISP1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(reply.result(), "done");
    let after = app.stored_customer(id).await;
    for (attr, value) in &before {
        match attr.as_str() {
            "updated_at" | "updated_by" => {}
            _ => assert_eq!(after.get(attr), Some(value), "{attr} changed"),
        }
    }
    assert_eq!(
        after.get("updated_by"),
        Some(&AttributeValue::S(ISP1_USER.to_string()))
    );
    let shown = app
        .call(ISP1_USER, "list", &[("customerid", &sid)])
        .await
        .result()[0]
        .clone();
    for field in [
        "name",
        "mobile",
        "email",
        "notes",
        "created_at",
        "resellerid",
    ] {
        assert_eq!(shown[field], shown_before[field], "{field}");
    }
    assert_eq!(counts(&app, ISP1_USER).await, isp_counts);
    assert_eq!(counts(&app, RESELLER1_USER).await, reseller_counts);
    for shape in &shapes {
        assert!(
            listed(&app, ISP1_USER, shape).await.contains(&id),
            "{shape:?}"
        );
    }
    assert!(
        app.call(ISP1_USER, "list", &[("deleted", "1")])
            .await
            .ids()
            .is_empty()
    );

    // Live again: a second restore is refused, a delete works as ever.
    let twice = app
        .call(ISP1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{twice:?}");
    assert!(twice.error().contains("not deleted"), "{twice:?}");
    let service = app.create_service(ISP1_USER, id, "back@isp", &[]).await;
    assert_eq!(service.status, StatusCode::OK, "{service:?}");
}

#[tokio::test]
async fn restore_keeps_to_the_scope_of_delete_and_form_keys_reach_nothing() {
    let app = spawn_app().await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let sid = id.to_string();
    assert_eq!(
        app.call(ISP1_USER, "delete", &[("customerid", &sid)])
            .await
            .result(),
        "done"
    );
    for user in [ISP2_USER, RESELLER3_USER] {
        let reply = app.call(user, "restore", &[("customerid", &sid)]).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{user}: {reply:?}");
        let listed = app.call(user, "list", &[("deleted", "1")]).await;
        assert!(listed.ids().is_empty(), "{user}: {listed:?}");
    }
    let form = app
        .call(FORM_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "{form:?}");
    let form = app.call(FORM_USER, "list", &[("deleted", "1")]).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "{form:?}");
    // Admins see every ISP's copies, or one ISP's or reseller's.
    for params in [vec![], vec![("ispid", "1")], vec![("resellerid", "1")]] {
        let mut p = params.clone();
        p.push(("deleted", "1"));
        assert_eq!(
            app.call(ADMIN, "list", &p).await.ids(),
            vec![id],
            "{params:?}"
        );
    }
    let other = app
        .call(ADMIN, "list", &[("deleted", "1"), ("ispid", "2")])
        .await;
    assert!(other.ids().is_empty());
    // Filters other than the scope's are refused, not ignored.
    let filtered = app
        .call(ISP1_USER, "list", &[("deleted", "1"), ("city", "Panaji")])
        .await;
    assert_eq!(filtered.status, StatusCode::BAD_REQUEST, "{filtered:?}");
    assert!(filtered.error().starts_with("deleted:"), "{filtered:?}");
    let reply = app
        .call(RESELLER1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(reply.result(), "done");
    let missing = app
        .call(ADMIN, "restore", &[("customerid", "999999")])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
}

#[tokio::test]
async fn deleted_customers_page_newest_first() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
        let reply = app
            .call(ISP1_USER, "delete", &[("customerid", &id.to_string())])
            .await;
        assert_eq!(reply.result(), "done");
        ids.push(id);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let first = app
        .call(ISP1_USER, "list", &[("deleted", "1"), ("rows_limit", "2")])
        .await;
    assert_eq!(first.ids(), vec![ids[2], ids[1]], "{first:?}");
    let next = first.body["next"].as_str().expect("a next page").to_owned();
    let second = app
        .call(
            ISP1_USER,
            "list",
            &[("deleted", "1"), ("rows_limit", "2"), ("cursor", &next)],
        )
        .await;
    assert_eq!(second.ids(), vec![ids[0]], "{second:?}");
    assert!(
        second.body.get("next").is_none_or(Value::is_null),
        "{second:?}"
    );
    // Another user's cursor is refused.
    let stolen = app
        .call(
            ADMIN,
            "list",
            &[("deleted", "1"), ("ispid", "1"), ("cursor", &next)],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST, "{stolen:?}");
}

#[tokio::test]
async fn past_the_window_a_restore_is_404_and_with_zero_days_a_delete_is_final() {
    let app = spawn_app().await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let sid = id.to_string();
    app.call(ISP1_USER, "delete", &[("customerid", &sid)])
        .await
        .result();
    // The window ends: TTL has not removed the copy yet (it lags), but it is gone for us.
    app.store
        .client
        .update_item()
        .table_name(&app.store.tables.claims)
        .key("claim", AttributeValue::S(format!("deleted|{id}")))
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", AttributeValue::N("1000".into()))
        .send()
        .await
        .expect("age the copy");
    let reply = app
        .call(ISP1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{reply:?}");
    assert!(
        app.call(ISP1_USER, "list", &[("deleted", "1")])
            .await
            .ids()
            .is_empty()
    );

    let app = spawn_app_with(&[("RESTORE_DAYS", "0")]).await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let sid = id.to_string();
    let claims = app.count_items(&app.store.tables.claims).await;
    assert_eq!(
        app.call(ISP1_USER, "delete", &[("customerid", &sid)])
            .await
            .result(),
        "done"
    );
    // No copy kept, and the create's duplicate guard released with the record; the history
    // gains the delete's entry (who and when, no values: HISTORY_DAYS is its own window).
    assert_eq!(app.count_items(&app.store.tables.claims).await, claims);
    let copy = app
        .store
        .deleted_copy_any(isp_crm::domain::ids::CustomerId(id))
        .await
        .unwrap();
    assert!(copy.is_none());
    let reply = app
        .call(ISP1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{reply:?}");
}

#[tokio::test]
async fn a_create_of_the_same_request_takes_the_guard_and_the_restore_is_refused() {
    let app = spawn_app().await;
    let body = [("resellerid", "1"), ("name", "Guarded One")];
    let id = app.create(ISP1_USER, &body).await.id();
    let sid = id.to_string();
    app.call(ISP1_USER, "delete", &[("customerid", &sid)])
        .await
        .result();
    // The same request again within the duplicate window: a new customer (as before).
    let again = app.create(ISP1_USER, &body).await;
    let other = again.id();
    assert_ne!(other, id);
    let reply = app
        .call(ISP1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{reply:?}");
    assert!(
        reply.error().contains(&format!("customer {other}")),
        "{reply:?}"
    );
    // Once that one is deleted, this one comes back and holds the guard again.
    app.call(ISP1_USER, "delete", &[("customerid", &other.to_string())])
        .await
        .result();
    assert_eq!(
        app.call(ISP1_USER, "restore", &[("customerid", &sid)])
            .await
            .result(),
        "done"
    );
    let replayed = app.create(ISP1_USER, &body).await;
    assert_eq!(replayed.id(), id, "{replayed:?}");
}

#[tokio::test]
async fn a_restore_racing_a_create_of_the_same_request_leaves_one_customer() {
    let app = spawn_app().await;
    for round in 0..4 {
        let name = format!("Racer {round}");
        let body = [("resellerid", "1"), ("name", name.as_str())];
        let id = app.create(ISP1_USER, &body).await.id();
        let sid = id.to_string();
        app.call(ISP1_USER, "delete", &[("customerid", &sid)])
            .await
            .result();
        let restore_params = [("customerid", sid.as_str())];
        let (restore, create) = tokio::join!(
            app.call(ISP1_USER, "restore", &restore_params),
            app.create(ISP1_USER, &body),
        );
        match restore.status {
            // The restore won: the create answers with the restored customer.
            StatusCode::OK => assert_eq!(create.id(), id, "{create:?}"),
            // The create won: a new customer, and the restore names it.
            StatusCode::CONFLICT => {
                assert_ne!(create.id(), id);
                assert!(
                    restore
                        .error()
                        .contains(&format!("customer {}", create.id()))
                );
            }
            other => panic!("restore answered {other}: {restore:?}"),
        }
        let live = app
            .call(
                ISP1_USER,
                "list",
                &[("name", name.as_str()), ("show_count", "1")],
            )
            .await;
        assert_eq!(live.result(), 1, "round {round}");
    }
}
