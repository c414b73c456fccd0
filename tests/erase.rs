//! Erasure of one customer (issue 23): `customer/erase` leaves no value of it in any table of
//! the stack, for ISP users and admins only.

mod common;
use common::*;
use reqwest::StatusCode;

async fn customers_counted(app: &TestApp) -> Option<u64> {
    app.call(ISP1_USER, "list", &[("show_count", "1")])
        .await
        .result()
        .as_u64()
}

const DISTINCT: [(&str, &str); 10] = [
    ("name", "Zyxwv"),
    ("surname", "Qjeraseme"),
    ("dob", "1977-07-17"),
    ("mobile", "+919812345678"),
    ("email", "zyx.erase@example.com"),
    ("uniqueid", "ERASE-ID-991"),
    ("zipcode", "ZZ 404"),
    ("state", "Erasestate"),
    ("city", "Erasetown"),
    ("street", "77 Vanishing Lane"),
];

#[tokio::test]
async fn an_erase_leaves_no_value_of_the_customer_in_any_table() {
    let app = spawn_app().await;
    let bystander = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let mut fields = vec![("resellerid", "1"), ("notes", "a secret note 42")];
    fields.extend(DISTINCT);
    let id = app.create(ISP1_USER, &fields).await.id();
    let sid = id.to_string();
    app.call(
        ISP1_USER,
        "update",
        &[("customerid", &sid), ("reset_password", "Y")],
    )
    .await
    .result();
    let s1 = app
        .create_service(ISP1_USER, id, "vanish.one@pppoe", &[("notes", "rack 9")])
        .await
        .id();
    let s2 = app
        .create_service(ISP1_USER, id, "vanish.two@pppoe", &[])
        .await
        .id();
    let before = customers_counted(&app).await;

    // Who may not: a reseller user, a form key (403); another ISP (404); with services, 409.
    for (user, status) in [
        (RESELLER1_USER, StatusCode::FORBIDDEN),
        (FORM_USER, StatusCode::FORBIDDEN),
        (ISP2_USER, StatusCode::NOT_FOUND),
        (ISP1_USER, StatusCode::CONFLICT),
    ] {
        let refused = app.call(user, "erase", &[("customerid", &sid)]).await;
        assert_eq!(refused.status, status, "{user}: {refused:?}");
    }
    let refused = app
        .call(
            ISP1_USER,
            "erase",
            &[("customerid", &sid), ("erase_services", "maybe")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");

    let reply = app
        .call(
            ISP1_USER,
            "erase",
            &[("customerid", &sid), ("erase_services", "Y")],
        )
        .await;
    let report = reply.result();
    assert_eq!(report["customerid"], id);
    assert_eq!(report["was"], "live");
    assert_eq!(
        report["erased"],
        serde_json::json!(["customer", "services", "claims", "history values"])
    );
    assert_eq!(report["serviceids"], serde_json::json!([s1, s2]));
    assert_eq!(
        report["claims"],
        serde_json::json!([
            "duplicate_guard",
            "duplicate_guard",
            "username",
            "duplicate_guard",
            "username"
        ])
    );

    // No table holds any value of it, nor an item of its id or its services' ids.
    let items = app.every_item().await;
    let mut values: Vec<&str> = DISTINCT.iter().map(|(_, v)| *v).collect();
    values.extend([
        "a secret note 42",
        "rack 9",
        "vanish.one@pppoe",
        "vanish.two@pppoe",
    ]);
    values.extend(["zyx.erase", "12345678", "ZZ 404", "argon2"]);
    // In any letter case: some keys hold values folded (`isp|1|name|zyxwv`).
    for (table, item) in &items {
        let item = item.to_lowercase();
        for v in &values {
            let v = v.to_lowercase();
            assert!(!item.contains(&v), "{table} still holds {v:?}: {item}");
        }
    }
    let holds_id = |table: &str, attr: &str, id: u64| {
        let needle = format!("\"{attr}\": N(\"{id}\")");
        items
            .iter()
            .any(|(t, item)| t == table && item.contains(&needle))
    };
    assert!(!holds_id("CustomersTable", "id", id));
    for s in [s1, s2] {
        assert!(!holds_id("ServicesTable", "id", s));
    }
    assert!(!holds_id("ServicesTable", "customerid", id));
    assert!(!holds_id("ClaimsTable", "result", id));
    assert!(
        holds_id("CustomersTable", "id", bystander),
        "the bystander stays"
    );

    // Gone from every answer; counts exact.
    assert_eq!(customers_counted(&app).await, before.map(|n| n - 1));
    for shape in [
        vec![("customerid", sid.as_str())],
        vec![("name", "Zyxwv")],
        vec![],
    ] {
        let ids = app.call(ADMIN, "list", &shape).await.ids();
        assert!(!ids.contains(&id), "{shape:?}");
    }
    // Its history keeps what happened and when, and no value: the names of the fields only.
    let history = app
        .call(
            ISP1_USER,
            "history",
            &[("customerid", &sid), ("rows_limit", "100")],
        )
        .await;
    let kinds = history.texts("kind");
    assert_eq!(
        kinds,
        ["service_created", "service_created", "updated", "created"],
        "{history:?}"
    );
    for entry in history.result().as_array().unwrap() {
        assert!(entry["erased_at"].is_string(), "{entry}");
        for change in entry["changes"].as_array().unwrap() {
            assert!(
                change["old"].is_null() && change["new"].is_null(),
                "{entry}"
            );
        }
    }
    assert!(
        history.result()[3]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "mobile"),
        "{history:?}"
    );
    for route in ["export", "restore", "erase"] {
        let gone = app.call(ISP1_USER, route, &[("customerid", &sid)]).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{route}: {gone:?}");
    }
    let services = app
        .call(ISP1_USER, "service/list", &[("customerid", &sid)])
        .await;
    assert!(services.ids().is_empty(), "{services:?}");
}

#[tokio::test]
async fn a_deleted_customer_is_erased_with_its_restorable_copy() {
    let app = spawn_app().await;
    let mut fields = vec![("resellerid", "1")];
    fields.extend(DISTINCT);
    let id = app.create(ISP1_USER, &fields).await.id();
    let sid = id.to_string();
    app.call(ISP1_USER, "delete", &[("customerid", &sid)])
        .await
        .result();
    let reply = app.call(ADMIN, "erase", &[("customerid", &sid)]).await;
    assert_eq!(reply.result()["was"], "deleted", "{reply:?}");
    assert_eq!(
        reply.result()["erased"],
        serde_json::json!(["restorable copy", "history values"])
    );
    for (table, item) in app.every_item().await {
        for (_, v) in DISTINCT {
            assert!(!item.contains(v), "{table} still holds {v:?}: {item}");
        }
    }
    assert!(
        app.call(ADMIN, "list", &[("deleted", "1")])
            .await
            .ids()
            .is_empty()
    );
    let gone = app
        .call(ISP1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{gone:?}");
}

#[tokio::test]
async fn an_erase_that_stopped_after_its_stubs_is_finished_by_the_next() {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let app = spawn_app().await;
    // What the first step of an erase of customer 77 with service 5 leaves.
    let put = |table: &str, item: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>| {
        app.store
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(
                item.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            ))
            .send()
    };
    put(
        &app.store.tables.customers,
        vec![
            ("id", N("77".into())),
            ("erased_at", S("2026-12-07T11:00:00Z".into())),
            ("erased_ispid", N("1".into())),
            ("erased_resellerid", N("1".into())),
            ("erased_services", S("5".into())),
        ],
    )
    .await
    .unwrap();
    put(
        &app.store.tables.services,
        vec![("id", N("5".into())), ("erased_at", S("t".into()))],
    )
    .await
    .unwrap();
    let other_isp = app.call(ISP2_USER, "erase", &[("customerid", "77")]).await;
    assert_eq!(other_isp.status, StatusCode::NOT_FOUND, "{other_isp:?}");
    let reply = app.call(ISP1_USER, "erase", &[("customerid", "77")]).await;
    assert_eq!(reply.result()["was"], "erased", "{reply:?}");
    assert_eq!(reply.result()["serviceids"], serde_json::json!([5]));
    assert_eq!(app.count_items(&app.store.tables.customers).await, 0);
    assert_eq!(app.count_items(&app.store.tables.services).await, 0);
}
