//! Creates that happen once: idempotency keys and the duplicate-submission guard.

mod common;

use common::*;
use reqwest::StatusCode;

fn id_of(r: &Reply) -> u64 {
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    r.body["result"]
        .as_u64()
        .unwrap_or_else(|| panic!("no id in {r:?}"))
}

async fn create_with_key(app: &TestApp, key: &str, name: &str) -> Reply {
    let mut fields = customer_fields();
    fields.retain(|(k, _)| *k != "name");
    fields.push(("name", name.to_owned()));
    fields.push(("resellerid", "1".to_owned()));
    let params = as_pairs(&fields);
    app.call_with_headers(ISP1_USER, "create", &params, &[("Idempotency-Key", key)])
        .await
}

#[tokio::test]
async fn twenty_concurrent_deliveries_with_one_key_make_one_customer() {
    let app = spawn_app().await;
    let replies = futures_util::future::join_all(
        (0..20).map(|_| create_with_key(&app, "typeform-7f3a9c", "Webhook Once")),
    )
    .await;
    let first = id_of(&replies[0]);
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        assert_eq!(
            r.body, replies[0].body,
            "every delivery gets the same answer"
        );
    }
    assert_eq!(app.customer_count().await, 1);
    assert_eq!(
        app.stored_attr(first, "name").await.as_deref(),
        Some("Webhook Once")
    );
}

#[tokio::test]
async fn a_retry_after_a_lost_response_gets_the_same_id_and_writes_nothing() {
    let app = spawn_app().await;
    let id = id_of(&create_with_key(&app, "retry-1", "Lost Reply").await);
    let counter = app.counter("customer_id").await;
    let claims = app.count_items(&app.store.tables.claims).await;

    let again = create_with_key(&app, "retry-1", "Lost Reply").await;
    assert_eq!(id_of(&again), id);
    assert_eq!(app.customer_count().await, 1);
    assert_eq!(
        app.counter("customer_id").await,
        counter,
        "no id was allocated"
    );
    assert_eq!(app.count_items(&app.store.tables.claims).await, claims);
    // The key may also come as a parameter (tools that cannot set headers).
    let mut params = customer_fields();
    params.retain(|(k, _)| *k != "name");
    params.extend([
        ("name", "Lost Reply".to_owned()),
        ("resellerid", "1".to_owned()),
        ("idempotency_key", "retry-1".to_owned()),
    ]);
    let p = as_pairs(&params);
    assert_eq!(id_of(&app.call(ISP1_USER, "create", &p).await), id);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_conflict() {
    let app = spawn_app().await;
    id_of(&create_with_key(&app, "k-1", "First Body").await);
    let counter = app.counter("customer_id").await;
    let r = create_with_key(&app, "k-1", "Second Body").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{r:?}");
    assert_eq!(
        r.error(),
        "idempotency_key: already used for a different request"
    );
    assert_eq!(app.customer_count().await, 1);
    assert_eq!(app.counter("customer_id").await, counter);
}

#[tokio::test]
async fn keys_belong_to_their_caller_and_must_agree_across_places() {
    let app = spawn_app().await;
    let mine = id_of(&create_with_key(&app, "shared-key", "Same Body").await);
    let mut fields = customer_fields();
    fields.push(("resellerid", "1".to_owned()));
    fields.retain(|(k, _)| *k != "name");
    fields.push(("name", "Same Body".to_owned()));
    let p = as_pairs(&fields);
    let theirs = app
        .call_with_headers(
            RESELLER1_USER,
            "create",
            &p,
            &[("Idempotency-Key", "shared-key")],
        )
        .await;
    assert_ne!(id_of(&theirs), mine, "another user's key is another key");

    let mut with_param = p.clone();
    with_param.push(("idempotency_key", "one"));
    let r = app
        .call_with_headers(
            ISP1_USER,
            "create",
            &with_param,
            &[("Idempotency-Key", "two")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
    assert!(
        r.error()
            .starts_with("idempotency_key: given in more than one place")
    );
    let r = app
        .call_with_headers(
            ISP1_USER,
            "create",
            &p,
            &[("Idempotency-Key", "no spaces allowed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
    assert_eq!(app.customer_count().await, 2);
}

#[tokio::test]
async fn an_expired_key_creates_anew() {
    let app = spawn_app_with(&[("IDEMPOTENCY_TTL_SECONDS", "1")]).await;
    let first = id_of(&create_with_key(&app, "short-lived", "Twice").await);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let second = id_of(&create_with_key(&app, "short-lived", "Twice").await);
    assert_ne!(first, second);
    assert_eq!(app.customer_count().await, 2);
}

#[tokio::test]
async fn identical_creates_within_the_window_return_the_first_customer() {
    let app = spawn_app().await;
    let first = id_of(&app.create(ISP1_USER, &[("resellerid", "1")]).await);
    let replies = futures_util::future::join_all(
        (0..5).map(|_| app.create(ISP1_USER, &[("resellerid", "1")])),
    )
    .await;
    for r in &replies {
        assert_eq!(id_of(r), first, "a double click is one customer");
    }
    assert_eq!(app.customer_count().await, 1);
    // Another body, or another caller, is another customer.
    let other = id_of(
        &app.create(ISP1_USER, &[("resellerid", "1"), ("name", "Else")])
            .await,
    );
    assert_ne!(other, first);
    let reseller = id_of(&app.create(RESELLER1_USER, &[]).await);
    assert_ne!(reseller, first);
    assert_eq!(app.customer_count().await, 3);
}

#[tokio::test]
async fn the_guard_can_be_switched_off() {
    let app = spawn_app_with(&[("DUPLICATE_WINDOW_SECONDS", "0")]).await;
    let a = id_of(&app.create(ISP1_USER, &[("resellerid", "1")]).await);
    let b = id_of(&app.create(ISP1_USER, &[("resellerid", "1")]).await);
    assert_ne!(a, b);
    // No guard claim: the claims table holds the two creates' history entries only.
    let out = app
        .store
        .client
        .scan()
        .table_name(&app.store.tables.claims)
        .send()
        .await
        .unwrap();
    let kinds: Vec<&str> = out
        .items()
        .iter()
        .map(|i| i["claim"].as_s().unwrap().split('|').next().unwrap())
        .collect();
    assert_eq!(kinds, ["history", "history"]);
}

#[tokio::test]
async fn service_creates_are_idempotent_too() {
    let app = spawn_app().await;
    let customer = id_of(&app.create(ISP1_USER, &[("resellerid", "1")]).await);
    let cid = customer.to_string();
    let params = [
        ("customerid", cid.as_str()),
        ("username", "pppoe1"),
        ("plan", "50M"),
    ];
    let replies = futures_util::future::join_all((0..10).map(|_| {
        app.call_with_headers(
            ISP1_USER,
            "service/create",
            &params,
            &[("Idempotency-Key", "svc-1")],
        )
    }))
    .await;
    let first = id_of(&replies[0]);
    for r in &replies {
        assert_eq!(id_of(r), first, "{r:?}");
    }
    assert_eq!(app.count_items(&app.store.tables.services).await, 1);
    assert_eq!(
        app.stored_attr(customer, "service_count").await.as_deref(),
        Some("1")
    );
    let r = app
        .call_with_headers(
            ISP1_USER,
            "service/create",
            &[
                ("customerid", &cid),
                ("username", "pppoe2"),
                ("plan", "50M"),
            ],
            &[("Idempotency-Key", "svc-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{r:?}");
}

#[tokio::test]
async fn after_a_delete_the_same_body_is_a_new_customer_but_a_key_keeps_its_answer() {
    let app = spawn_app().await;
    let first = id_of(&app.create(ISP1_USER, &[("resellerid", "1")]).await);
    let r = app
        .call(ISP1_USER, "delete", &[("customerid", &first.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let second = id_of(&app.create(ISP1_USER, &[("resellerid", "1")]).await);
    assert_ne!(
        second, first,
        "the guard's claim pointed at a deleted customer"
    );
    assert_eq!(
        id_of(&app.create(ISP1_USER, &[("resellerid", "1")]).await),
        second
    );

    // An idempotency key's answer stands: a retry of a create whose customer was deleted
    // since is still that create, not a new one.
    let keyed = id_of(&create_with_key(&app, "k-deleted", "Keyed").await);
    let r = app
        .call(ISP1_USER, "delete", &[("customerid", &keyed.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        id_of(&create_with_key(&app, "k-deleted", "Keyed").await),
        keyed
    );
    assert_eq!(app.customer_count().await, 1);
}

/// Sends one customer create twice, with `key` as its Idempotency-Key (none: the duplicate
/// guard answers the second): the replay is 200 with the first id and says so in a header.
async fn a_replay_says_so(app: &TestApp, key: Option<&str>) {
    let mut form: Vec<(String, String)> = customer_fields()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    form.push(("resellerid".into(), "1".into()));
    form.push(("userid".into(), ISP1_USER.to_string()));
    form.push(("api_key".into(), app.key(ISP1_USER).to_owned()));
    let send = || {
        let mut request = app.http.post(format!("{}/api/customer/create", app.url));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.form(&form).send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_id = first.json::<serde_json::Value>().await.unwrap()["result"].clone();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again_id = again.json::<serde_json::Value>().await.unwrap()["result"].clone();
    assert_eq!(first_id, again_id);
}

#[tokio::test]
async fn a_replayed_answer_says_so_in_a_header() {
    let app = spawn_app().await;
    a_replay_says_so(&app, Some("replay-header")).await;
}

#[tokio::test]
async fn a_duplicate_guard_replay_says_so_in_a_header_too() {
    let app = spawn_app().await;
    a_replay_says_so(&app, None).await;
    assert_eq!(app.customer_count().await, 1);
}
