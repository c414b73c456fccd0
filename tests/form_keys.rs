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

#[tokio::test]
async fn a_form_key_is_limited_per_source_and_in_all_and_replays_are_free() {
    let app = spawn_app_with(&[
        ("FORM_KEY_CREATES", "4"),
        ("FORM_SOURCE_CREATES", "2"),
        NO_DUPLICATE_GUARD,
    ])
    .await;
    let create = |name: &'static str, key: Option<&'static str>| {
        let app = &app;
        async move {
            let fields = customer_fields_with(&[("name", name)]);
            let params = as_pairs(&fields);
            let headers: Vec<(&str, &str)> =
                key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
            let form = app.signed_form(FORM_USER, &params);
            let mut req = app.http.post(app.route_url("create")).form(&form);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            let resp = req.send().await.unwrap();
            let retry = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let status = resp.status();
            let body: serde_json::Value = resp.json().await.unwrap();
            (status, retry, body)
        }
    };
    // Two creates from this address (127.0.0.1), then 429 for the rest of the window.
    assert_eq!(create("First", Some("k1")).await.0, StatusCode::OK);
    assert_eq!(create("Second", None).await.0, StatusCode::OK);
    let (status, retry, body) = create("Third", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("from this address"),
        "{body}"
    );
    // A replay is answered from its claim and counts nothing.
    let (status, _, body) = create("First", Some("k1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Other sources share the key's own limit (4 in all): 2 more, then 429.
    let caller = app
        .app
        .authenticate(Some("20"), Some(app.key(FORM_USER)))
        .await
        .unwrap();
    let from = |n: u8, name: &str| {
        let mut f: std::collections::HashMap<String, String> = customer_fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        f.insert("name".into(), name.to_owned());
        (f, std::net::IpAddr::from([198, 51, 100, n]))
    };
    for (n, name) in [(1, "Elsewhere One"), (2, "Elsewhere Two")] {
        let (f, ip) = from(n, name);
        app.app
            .create_customer_from(&caller, &f, Some(ip))
            .await
            .unwrap();
    }
    let (f, ip) = from(3, "Elsewhere Three");
    let err = app
        .app
        .create_customer_from(&caller, &f, Some(ip))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("creates in all"), "{err}");
    // Other roles have no such limit.
    for n in 0..5 {
        let name = format!("Isp {n}");
        assert_eq!(
            app.create(ISP1_USER, &[("resellerid", "1"), ("name", &name)])
                .await
                .status,
            StatusCode::OK
        );
    }
    assert_eq!(app.customer_count().await, 4 + 5);
}

#[tokio::test]
async fn an_ipv6_source_is_limited_as_its_64_and_mapped_ipv4_as_its_address() {
    let app = spawn_app_with(&[
        ("FORM_KEY_CREATES", "100"),
        ("FORM_SOURCE_CREATES", "2"),
        NO_DUPLICATE_GUARD,
    ])
    .await;
    let caller = app
        .app
        .authenticate(Some("20"), Some(app.key(FORM_USER)))
        .await
        .unwrap();
    let mut n = 0;
    let mut create_from = |ip: &str| {
        n += 1;
        let mut f: std::collections::HashMap<String, String> = customer_fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        f.insert("name".into(), format!("Source {n}"));
        let ip: std::net::IpAddr = ip.parse().unwrap();
        let app = &app;
        async move { app.app.create_customer_from(&caller, &f, Some(ip)).await }
    };
    // A spammer rotating addresses inside one /64 is one source: 2 creates, then 429.
    create_from("2001:db8:7:1::1").await.unwrap();
    create_from("2001:db8:7:1:ffff:1:2:3").await.unwrap();
    let err = create_from("2001:db8:7:1::abcd").await.unwrap_err();
    assert!(err.to_string().contains("from this IPv6 /64"), "{err}");
    // The next /64 is another source.
    create_from("2001:db8:7:2::1").await.unwrap();
    // An IPv4 address counts once whether it comes plain or IPv4-mapped.
    create_from("198.51.100.9").await.unwrap();
    create_from("::ffff:198.51.100.9").await.unwrap();
    let err = create_from("198.51.100.9").await.unwrap_err();
    assert!(err.to_string().contains("from this address"), "{err}");
    // IPv4 sources are still counted one address at a time.
    create_from("198.51.100.10").await.unwrap();
    assert_eq!(app.customer_count().await, 6);
}
