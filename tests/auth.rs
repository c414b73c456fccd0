//! Authentication by `userid` + `api_key`: who is refused with which status, that a refused
//! request changes nothing, that key rotation and disabling take effect, and that the clear
//! key is never stored.

mod common;
use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use isp_crm::admin;
use isp_crm::domain::ids::UserId;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

/// POSTs a form to `/api/customer/<route>` with the given credentials (`None`: left out).
async fn call_as(
    app: &TestApp,
    userid: Option<&str>,
    api_key: Option<&str>,
    route: &str,
    params: &[(&str, &str)],
) -> Reply {
    let mut form: Vec<(&str, &str)> = Vec::new();
    if let Some(userid) = userid {
        form.push(("userid", userid));
    }
    if let Some(api_key) = api_key {
        form.push(("api_key", api_key));
    }
    form.extend_from_slice(params);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    app.raw(route, FORM, body).await
}

/// Asserts a refusal: `status` and the envelope `{"result":null,"error":"<text>"}`.
fn refused<'r>(case: &str, reply: &'r Reply, status: StatusCode) -> &'r str {
    assert_eq!(reply.status, status, "{case}: {reply:?}");
    assert_eq!(reply.body["result"], Value::Null, "{case}: {reply:?}");
    let keys: Vec<&str> = reply
        .body
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["result", "error"], "{case}: envelope: {reply:?}");
    let error = reply.error();
    assert!(!error.trim().is_empty(), "{case}: empty error");
    error
}

/// A valid create's fields for an ISP-1 user (reseller 1).
fn create_fields() -> Vec<(&'static str, String)> {
    customer_fields_with(&[("resellerid", "1")])
}

async fn list(app: &TestApp, user: &str, key: &str) -> Reply {
    call_as(app, Some(user), Some(key), "list", &[]).await
}

/// The credential cases that must be refused: (case, userid, api_key, status).
fn bad_credentials(
    app: &TestApp,
) -> Vec<(&'static str, Option<String>, Option<String>, StatusCode)> {
    let own = |u: u64| Some(app.key(u).to_owned());
    let text = |s: &str| Some(s.to_owned());
    vec![
        (
            "unknown user",
            text("999"),
            own(ISP1_USER),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "unknown user with the spec key",
            text("4"),
            text(SPEC_KEY),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "wrong key (another user's)",
            text("5"),
            own(ISP2_USER),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "wrong key (the admin's)",
            text("5"),
            own(ADMIN),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "wrong key (upper-cased)",
            text("5"),
            Some(SPEC_KEY.to_uppercase()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "wrong key (a prefix)",
            text("5"),
            text(&SPEC_KEY[..49]),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "missing userid",
            None,
            own(ISP1_USER),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "empty userid",
            text(""),
            own(ISP1_USER),
            StatusCode::UNAUTHORIZED,
        ),
        ("missing api_key", text("5"), None, StatusCode::UNAUTHORIZED),
        (
            "empty api_key",
            text("5"),
            text(""),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "blank api_key",
            text("5"),
            text("   "),
            StatusCode::UNAUTHORIZED,
        ),
        ("no credentials", None, None, StatusCode::UNAUTHORIZED),
        (
            "disabled user",
            text("9"),
            own(DISABLED_USER),
            StatusCode::FORBIDDEN,
        ),
        (
            "disabled user, wrong key",
            text("9"),
            own(ISP1_USER),
            StatusCode::UNAUTHORIZED,
        ),
    ]
}

#[tokio::test]
async fn bad_credentials_are_refused_on_create_and_write_nothing() {
    let app = spawn_app().await;
    let count = app.customer_count().await;
    let fields = create_fields();
    for (case, userid, key, status) in bad_credentials(&app) {
        let reply = call_as(
            &app,
            userid.as_deref(),
            key.as_deref(),
            "create",
            &as_pairs(&fields),
        )
        .await;
        let error = refused(case, &reply, status);
        if status == StatusCode::UNAUTHORIZED {
            assert!(
                error.contains("userid") || error.contains("api_key"),
                "{case}: {error:?}"
            );
        }
        assert_eq!(app.customer_count().await, count, "{case}: nothing written");
    }
    // Unknown user and wrong key answer alike: the answer does not tell which user ids exist.
    let unknown = call_as(
        &app,
        Some("999"),
        Some(SPEC_KEY),
        "create",
        &as_pairs(&fields),
    )
    .await;
    let wrong = call_as(
        &app,
        Some("5"),
        Some(app.key(ISP2_USER)),
        "create",
        &as_pairs(&fields),
    )
    .await;
    assert_eq!(unknown.body, wrong.body);
    // The same create with the right credentials succeeds (the cases fail for their credentials only).
    app.call(ISP1_USER, "create", &as_pairs(&fields)).await.id();
    assert_eq!(app.customer_count().await, count + 1);
}

#[tokio::test]
async fn bad_credentials_are_refused_on_update_delete_and_list() {
    let app = spawn_app().await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let id_text = id.to_string();
    tokio::time::sleep(Duration::from_millis(1100)).await; // updated_at has second precision
    let before = app.stored_customer(id).await;
    let count = app.customer_count().await;
    for (case, userid, key, status) in bad_credentials(&app) {
        let (userid, key) = (userid.as_deref(), key.as_deref());
        let update = [
            ("customerid", id_text.as_str()),
            ("name", "Changed"),
            ("street", "Elsewhere"),
        ];
        let reply = call_as(&app, userid, key, "update", &update).await;
        refused(&format!("update, {case}"), &reply, status);
        assert_eq!(
            app.stored_customer(id).await,
            before,
            "update, {case}: the customer changed"
        );

        let reply = call_as(
            &app,
            userid,
            key,
            "update",
            &[("customerid", &id_text), ("reset_password", "Y")],
        )
        .await;
        refused(&format!("reset_password, {case}"), &reply, status);
        assert_eq!(
            app.stored_customer(id).await,
            before,
            "reset_password, {case}: the customer changed"
        );

        let reply = call_as(&app, userid, key, "delete", &[("customerid", &id_text)]).await;
        refused(&format!("delete, {case}"), &reply, status);
        assert_eq!(app.customer_count().await, count, "delete, {case}");
        assert_eq!(
            app.stored_customer(id).await,
            before,
            "delete, {case}: the customer changed"
        );

        let reply = call_as(&app, userid, key, "list", &[]).await;
        refused(&format!("list, {case}"), &reply, status);
        let reply = call_as(&app, userid, key, "list", &[("show_count", "1")]).await;
        refused(&format!("list count, {case}"), &reply, status);
    }
    // With the right credentials the same requests succeed (the cases fail for their credentials only).
    let reply = app
        .call(
            ISP1_USER,
            "update",
            &[("customerid", &id_text), ("name", "Changed")],
        )
        .await;
    assert_eq!(reply.result(), "done");
    assert_eq!(
        app.call(ISP1_USER, "delete", &[("customerid", &id_text)])
            .await
            .result(),
        "done"
    );
    assert_eq!(app.customer_count().await, count - 1);
}

#[tokio::test]
async fn credentials_in_json_are_checked_the_same_way() {
    let app = spawn_app().await;
    let count = app.customer_count().await;
    let mut members: Vec<String> = create_fields()
        .into_iter()
        .map(|(k, v)| format!("{}:{}", Value::from(k), Value::from(v)))
        .collect();
    members.push(format!("\"userid\":{ISP1_USER}"));
    let cases = [
        (
            "JSON wrong key",
            format!("\"api_key\":\"{}\"", app.key(ISP2_USER)),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "JSON null key",
            "\"api_key\":null".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "JSON numeric key",
            "\"api_key\":12345".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (case, key, status) in cases {
        let body = format!("{{{},{key}}}", members.join(","));
        let reply = app.raw("create", Some("application/json"), body).await;
        refused(case, &reply, status);
        assert_eq!(app.customer_count().await, count, "{case}: nothing written");
    }
    let body = format!(
        "{{{},\"api_key\":\"{}\"}}",
        members.join(","),
        app.key(ISP1_USER)
    );
    app.raw("create", Some("application/json"), body).await.id();
}

#[tokio::test]
async fn a_malformed_userid_is_a_bad_request() {
    let app = spawn_app().await;
    let count = app.customer_count().await;
    let fields = create_fields();
    for userid in ["abc", "0", "-5", "5.0", "1e1", "5abc"] {
        let case = format!("userid={userid:?}");
        let reply = call_as(
            &app,
            Some(userid),
            Some(SPEC_KEY),
            "create",
            &as_pairs(&fields),
        )
        .await;
        let error = refused(&case, &reply, StatusCode::BAD_REQUEST);
        assert!(error.starts_with("userid: "), "{case}: {error:?}");
        assert_eq!(app.customer_count().await, count, "{case}: nothing written");
    }
}

#[tokio::test]
async fn without_a_cache_rotation_and_disabling_take_effect_at_once() {
    let app = spawn_app_with(&[("AUTH_CACHE_SECONDS", "0")]).await;
    let user = ISP1_USER.to_string();
    let old = app.key(ISP1_USER).to_owned();
    assert_eq!(old, SPEC_KEY);
    let fields = create_fields();
    list(&app, &user, &old).await.ids();

    let new = admin::rotate_key(&app.store, UserId(ISP1_USER))
        .await
        .unwrap();
    let new = new.expose().to_owned();
    assert_ne!(new, old);
    refused(
        "old key after rotation",
        &list(&app, &user, &old).await,
        StatusCode::UNAUTHORIZED,
    );
    let count = app.customer_count().await;
    let reply = call_as(&app, Some(&user), Some(&old), "create", &as_pairs(&fields)).await;
    refused("create with the old key", &reply, StatusCode::UNAUTHORIZED);
    assert_eq!(app.customer_count().await, count);
    list(&app, &user, &new).await.ids();
    call_as(&app, Some(&user), Some(&new), "create", &as_pairs(&fields))
        .await
        .id();
    assert_eq!(app.customer_count().await, count + 1);

    admin::set_enabled(&app.store, UserId(ISP1_USER), false)
        .await
        .unwrap();
    refused(
        "disabled",
        &list(&app, &user, &new).await,
        StatusCode::FORBIDDEN,
    );
    let reply = call_as(&app, Some(&user), Some(&new), "create", &as_pairs(&fields)).await;
    refused("create when disabled", &reply, StatusCode::FORBIDDEN);
    assert_eq!(app.customer_count().await, count + 1);

    admin::set_enabled(&app.store, UserId(ISP1_USER), true)
        .await
        .unwrap();
    list(&app, &user, &new).await.ids();
    // Other users are unaffected throughout.
    app.call(ISP2_USER, "list", &[]).await.ids();
}

#[tokio::test]
async fn with_the_default_cache_a_rotated_key_works_within_a_second() {
    let app = spawn_app().await;
    let user = ISP1_USER.to_string();
    // Warm the cache with the old key.
    app.call(ISP1_USER, "list", &[]).await.ids();
    let new = admin::rotate_key(&app.store, UserId(ISP1_USER))
        .await
        .unwrap();
    let new = new.expose();
    // A cached user's record is read again for another key at most once a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reply = call_as(&app, Some(&user), Some(new), "list", &[]).await;
    reply.ids();
    let count = app.customer_count().await;
    let reply = call_as(
        &app,
        Some(&user),
        Some(new),
        "create",
        &as_pairs(&create_fields()),
    )
    .await;
    reply.id();
    assert_eq!(app.customer_count().await, count + 1);
    // A key that was never valid is still refused while the user is cached.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reply = call_as(&app, Some(&user), Some(app.key(ISP2_USER)), "list", &[]).await;
    refused(
        "wrong key with a warm cache",
        &reply,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn with_a_short_cache_disabling_and_rotation_take_effect_after_the_cache_time() {
    let app = spawn_app_with(&[("AUTH_CACHE_SECONDS", "1")]).await;
    let user = ISP1_USER.to_string();
    let old = app.key(ISP1_USER).to_owned();
    let wait = || tokio::time::sleep(Duration::from_millis(1200));

    // Disabling.
    app.call(ISP1_USER, "list", &[]).await.ids();
    admin::set_enabled(&app.store, UserId(ISP1_USER), false)
        .await
        .unwrap();
    wait().await;
    let reply = app.call(ISP1_USER, "list", &[]).await;
    refused(
        "disabled, after the cache time",
        &reply,
        StatusCode::FORBIDDEN,
    );
    let count = app.customer_count().await;
    let reply = app
        .call(ISP1_USER, "create", &as_pairs(&create_fields()))
        .await;
    refused("create when disabled", &reply, StatusCode::FORBIDDEN);
    assert_eq!(app.customer_count().await, count);

    // Enabling again.
    admin::set_enabled(&app.store, UserId(ISP1_USER), true)
        .await
        .unwrap();
    wait().await;
    app.call(ISP1_USER, "list", &[]).await.ids();

    // Rotation: the old key stops working after the cache time.
    let new = admin::rotate_key(&app.store, UserId(ISP1_USER))
        .await
        .unwrap();
    wait().await;
    let reply = call_as(&app, Some(&user), Some(&old), "list", &[]).await;
    refused(
        "old key, after the cache time",
        &reply,
        StatusCode::UNAUTHORIZED,
    );
    call_as(&app, Some(&user), Some(new.expose()), "list", &[])
        .await
        .ids();
}

/// Every string inside an attribute value (nested ones included), plus numbers as text.
fn texts(value: &AttributeValue, out: &mut Vec<String>) {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => out.push(s.clone()),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => out.extend(v.iter().cloned()),
        AttributeValue::B(b) => out.push(String::from_utf8_lossy(b.as_ref()).into_owned()),
        AttributeValue::L(items) => items.iter().for_each(|v| texts(v, out)),
        AttributeValue::M(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            texts(v, out);
        }),
        other => out.push(format!("{other:?}")),
    }
}

#[tokio::test]
async fn stored_users_hold_only_a_digest_of_the_key() {
    let app = spawn_app().await;
    let mut keys: Vec<(u64, String)> = [
        ADMIN,
        ISP1_USER,
        ISP2_USER,
        RESELLER1_USER,
        RESELLER3_USER,
        DISABLED_USER,
        FORM_USER,
    ]
    .iter()
    .map(|u| (*u, app.key(*u).to_owned()))
    .collect();
    // A rotated key is stored the same way.
    let rotated = admin::rotate_key(&app.store, UserId(ISP2_USER))
        .await
        .unwrap();
    keys.retain(|(u, _)| *u != ISP2_USER);
    keys.push((ISP2_USER, rotated.expose().to_owned()));

    let out = app
        .store
        .client
        .scan()
        .table_name(&app.store.tables.users)
        .send()
        .await
        .expect("scan users");
    let items = out.items.unwrap_or_default();
    assert_eq!(items.len(), keys.len(), "one record per user");
    for item in &items {
        let userid = match item.get("userid") {
            Some(AttributeValue::N(n)) => n.parse::<u64>().unwrap(),
            other => panic!("user record without a numeric userid: {other:?}"),
        };
        let mut values = Vec::new();
        for (name, value) in item {
            values.push(name.clone());
            texts(value, &mut values);
        }
        for (owner, key) in &keys {
            for v in &values {
                assert!(
                    !v.contains(key.as_str()),
                    "user {userid}'s record holds user {owner}'s key"
                );
                assert!(
                    !v.to_lowercase().contains(&key.to_lowercase()),
                    "user {userid}'s record holds user {owner}'s key (case changed)"
                );
            }
        }
        let digest = match item.get("key_sha256") {
            Some(AttributeValue::S(s)) => s.as_str(),
            other => panic!("user {userid}: no key_sha256 string: {other:?}"),
        };
        assert_eq!(digest.len(), 64, "user {userid}: {digest}");
        assert!(
            digest.bytes().all(|b| b.is_ascii_hexdigit()),
            "user {userid}: {digest}"
        );
        let key = &keys
            .iter()
            .find(|(u, _)| *u == userid)
            .expect("a seeded user")
            .1;
        assert_eq!(
            digest.to_ascii_lowercase(),
            hex::encode(Sha256::digest(key.as_bytes())),
            "user {userid}: key_sha256 is the SHA-256 of its key"
        );
    }
}

#[tokio::test]
async fn a_flood_of_wrong_keys_costs_no_reads_and_locks_nobody_out() {
    use isp_crm::store::capacity;
    let app = spawn_app().await;
    let right = app.key(ISP1_USER).to_owned();
    let auth = |user: &'static str, key: String| {
        let app = app.app.clone();
        async move {
            capacity::measure(async move { app.authenticate(Some(user), Some(&key)).await.is_ok() })
                .await
        }
    };
    // The right key reads the user and its ISP (is it enabled?) once, then both are cached.
    let (ok, usage) = auth("5", right.clone()).await;
    assert!(ok && usage.calls == 2, "{usage:?}");
    // Wrong keys for a cached user: no read at all, however many.
    for n in 0..50 {
        let (ok, usage) = auth("5", format!("wrong-key-{n:040}")).await;
        assert!(
            !ok && usage.calls == 0,
            "wrong key {n}: {} reads",
            usage.calls
        );
    }
    let (ok, usage) = auth("5", right.clone()).await;
    assert!(
        ok && usage.calls == 0,
        "the right key still works, from the cache"
    );
    // An unknown user: one read, then the refused pair is remembered.
    let (ok, first) = auth("4242", "wrong-key-of-some-length-000000000000".into()).await;
    let (ok2, again) = auth("4242", "wrong-key-of-some-length-000000000000".into()).await;
    assert!(!ok && !ok2 && first.calls == 1 && again.calls == 0);
}

#[tokio::test]
async fn a_wrong_key_retried_after_the_reread_interval_costs_one_read_and_locks_nobody_out() {
    use isp_crm::store::capacity;
    let app = spawn_app().await;
    let right = app.key(ISP1_USER).to_owned();
    let auth = |key: String| {
        let app = app.app.clone();
        async move {
            capacity::measure(async move { app.authenticate(Some("5"), Some(&key)).await.is_ok() })
                .await
        }
    };
    let wrong = || "wrong-key-retried-by-a-spammer-0000000000".to_owned();
    let (ok, usage) = auth(right.clone()).await;
    assert!(ok && usage.calls == 2, "{usage:?}");
    // Past the re-read interval (1 s) a key that does not match the cached one may be a key
    // rotated since: the user is read once more, and the pair is remembered as refused.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (ok, first) = auth(wrong()).await;
    assert!(!ok && first.calls == 1, "{first:?}");
    // Retried at once, and other wrong keys with it: no read (the record was just read).
    for n in 0..20 {
        let key = if n % 2 == 0 {
            wrong()
        } else {
            format!("another-wrong-key-{n:030}")
        };
        let (ok, usage) = auth(key).await;
        assert!(!ok && usage.calls == 0, "retry {n}: {usage:?}");
    }
    // Past the interval again, the same wrong key is known refused: still no read.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (ok, again) = auth(wrong()).await;
    assert!(!ok && again.calls == 0, "{again:?}");
    // And the real user was never locked out: its key works from the cache.
    let (ok, usage) = auth(right).await;
    assert!(ok && usage.calls == 0, "{usage:?}");
}

#[tokio::test]
async fn a_user_flooding_one_instance_gets_429_and_others_do_not() {
    let app = spawn_app_with(&[("USER_REQUESTS_PER_SECOND", "1")]).await;
    // A burst of two, then the bucket is empty for a second.
    app.call(ISP1_USER, "list", &[]).await.ids();
    app.call(ISP1_USER, "list", &[]).await.ids();
    let resp = app
        .http
        .post(format!("{}/api/customer/list", app.url))
        .form(&[("userid", "5"), ("api_key", app.key(ISP1_USER))])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    app.call(ISP2_USER, "list", &[]).await.ids();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.call(ISP1_USER, "list", &[]).await.ids();
}
