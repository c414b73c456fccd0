//! The spec's curl examples, with their bodies exactly as `curl -d` sends them.

mod common;
use common::*;
use isp_crm::admin;
use reqwest::StatusCode;
use serde_json::json;

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

#[tokio::test]
async fn every_curl_example_gives_the_documented_response() {
    let app = spawn_app().await;
    // As in `make dev`: the next id is 1243 (the create example's answer) and customer 1423
    // (the delete example's) exists.
    admin::raise_customer_ids(&app.store, 1242).await.unwrap();
    let seed = r#"[{"id":1423,"ispid":1,"resellerid":1,"type":"Individual","name":"Demo","mobile":"12345678",
        "email":"demo@example.com","zipcode":"403001","state":"Goa","city":"Panaji","street":"1st street"}]"#;
    admin::import_customers(&app.store, seed, true, &jiff::tz::TimeZone::UTC)
        .await
        .unwrap();

    // curl -d joins the -d values with '&' and sends them as they are (spaces included).
    let created = app
        .raw(
            "create",
            FORM,
            "userid=5&api_key=0f9895fb407c83e5ea128082098b47681aa75d6944576423c4&resellerid=1&type=Individual&name=Some Name&mobile=12344444&email=abc@email.com&zipcode=12345&state=Goa&city=Panaji&street=3rd street",
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body, json!({"result": 1243, "error": null}));

    let updated = app
        .raw(
            "update",
            FORM,
            "userid=5&api_key=0f9895fb407c83e5ea128082098b47681aa75d6944576423c4&customerid=1243&street=2nd street",
        )
        .await;
    assert_eq!(updated.body, json!({"result": "done", "error": null}));
    assert_eq!(
        app.stored_attr(1243, "street").await.as_deref(),
        Some("2nd street")
    );

    let deleted = app
        .raw(
            "delete",
            FORM,
            "userid=5&api_key=0f9895fb407c83e5ea128082098b47681aa75d6944576423c4&customerid=1423",
        )
        .await;
    assert_eq!(deleted.body, json!({"result": "done", "error": null}));
    assert_eq!(app.stored_attr(1423, "id").await, None);

    let listed = app
        .raw(
            "list",
            FORM,
            "userid=5&api_key=0f9895fb407c83e5ea128082098b47681aa75d6944576423c4",
        )
        .await;
    assert_eq!(listed.ids(), vec![1243]);
    let row = &listed.result()[0];
    let expected_fields = [
        "id",
        "ispid",
        "resellerid",
        "type",
        "name",
        "surname",
        "dob",
        "mobile",
        "email",
        "uniqueid",
        "zipcode",
        "state",
        "city",
        "street",
        "notes",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
    ];
    let keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys, expected_fields,
        "the contract's customer object, in order"
    );
    assert_eq!(row["street"], "2nd street");
    assert_eq!(row["surname"], serde_json::Value::Null);
    let created_at = row["created_at"].as_str().unwrap();
    assert!(
        created_at.parse::<jiff::Timestamp>().is_ok() && created_at.ends_with('Z'),
        "{created_at}"
    );
}
