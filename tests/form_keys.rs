//! Create-only form keys: what an ISP puts in a signup form tool.

mod common;

use common::*;
use isp_crm::admin::{self, NewUser};
use isp_crm::domain::ids::{ResellerId, UserId};
use isp_crm::domain::scope::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn a_form_key_creates_customers_in_its_reseller_and_nothing_else() {
    let app = spawn_app().await;
    let r = app.create(FORM_USER, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let id = r.body["result"].as_u64().unwrap();
    assert_eq!(
        app.stored_attr(id, "resellerid").await.as_deref(),
        Some("1")
    );
    assert_eq!(app.stored_attr(id, "ispid").await.as_deref(), Some("1"));
    // Naming its own reseller is fine; another is out of scope.
    let r = app
        .create(FORM_USER, &[("resellerid", "1"), ("name", "Own")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = app
        .create(FORM_USER, &[("resellerid", "2"), ("name", "Other")])
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, "resellerid: not in your scope")
    );
    let r = app
        .create(FORM_USER, &[("ispid", "2"), ("name", "Other ISP")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");

    let cid = id.to_string();
    let denied: [(&str, Vec<(&str, &str)>); 7] = [
        ("list", vec![]),
        ("update", vec![("customerid", &cid), ("name", "Changed")]),
        ("delete", vec![("customerid", &cid)]),
        ("service/list", vec![]),
        (
            "service/create",
            vec![("customerid", &cid), ("username", "u1"), ("plan", "p")],
        ),
        ("service/update", vec![("serviceid", "1"), ("plan", "p")]),
        ("service/delete", vec![("serviceid", "1")]),
    ];
    for (route, params) in denied {
        let r = app.call(FORM_USER, route, &params).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{route}: {r:?}");
        assert_eq!(r.error(), "userid: a form key may only create customers");
    }
    assert_eq!(app.customer_count().await, 2);
    assert_eq!(
        app.stored_attr(id, "name").await.as_deref(),
        Some("Some Name")
    );
    assert_eq!(app.count_items(&app.store.tables.services).await, 0);
}

#[tokio::test]
async fn a_form_key_works_from_the_query_string_with_a_json_body() {
    let app = spawn_app().await;
    let url = format!(
        "{}/api/customer/create?userid={FORM_USER}&api_key={}",
        app.url,
        app.key(FORM_USER)
    );
    let body = serde_json::json!({
        "type": "Individual", "name": "Tally Signup", "mobile": 9876543210u64,
        "email": "t@example.com", "zipcode": 403001, "state": "Goa", "city": "Panaji",
        "street": "1 Main Rd", "submitted_at": "2026-11-27T09:00:00Z"
    });
    // One delivery of the submission, as a form tool sends it.
    let deliver = || async {
        app.http
            .post(&url)
            .header("Idempotency-Key", "tally-resp-1")
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let resp = deliver().await;
    assert_eq!(resp.status(), StatusCode::OK);
    let reply: serde_json::Value = resp.json().await.unwrap();
    let id = reply["result"].as_u64().unwrap();
    assert_eq!(
        app.stored_attr(id, "mobile").await.as_deref(),
        Some("9876543210")
    );
    // The form tool re-delivers the submission: the same customer, nothing new.
    let again: serde_json::Value = deliver().await.json().await.unwrap();
    assert_eq!(again["result"].as_u64(), Some(id));
    assert_eq!(app.customer_count().await, 1);
}

#[tokio::test]
async fn crm_admin_binds_a_form_key_to_one_reseller() {
    let app = spawn_app().await;
    let user = |userid, reseller| NewUser {
        userid: UserId(userid),
        role: Role::Form,
        isp: None,
        reseller,
        api_key: None,
    };
    let err = admin::create_user(&app.store, user(40, None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--reseller"), "{err}");
    let err = admin::create_user(&app.store, user(41, Some(ResellerId(99))))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("reseller 99"), "{err}");
    admin::create_user(&app.store, user(42, Some(ResellerId(3))))
        .await
        .unwrap();
}
