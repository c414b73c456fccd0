//! The webhook routes themselves: URL and scope refusals, paging, a test event and replays.

use super::common::spawn_app;
use super::json;
use super::rig::{Receiver, rig, verify};
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn the_api_refuses_private_urls_and_keeps_tenants_apart() {
    // Deployed settings: no WEBHOOK_ALLOW_HTTP_LOOPBACK.
    let app = &spawn_app().await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/",
        "https://localhost/",
        "ftp://example.com/",
        "http://example.com/",
    ] {
        let reply = app.call(5, "webhook/create", &[("url", url)]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{url}: {reply:?}");
        assert!(reply.error().starts_with("url: "), "{reply:?}");
    }
    let reply = app
        .call(
            5,
            "webhook/create",
            &[("url", "https://hooks.example.com/"), ("types", "Nope")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    let hook = |user, url: &'static str| async move {
        let reply = app.call(user, "webhook/create", &[("url", url)]).await;
        reply.result()["id"].as_str().expect("an id").to_owned()
    };
    let id1 = hook(5, "https://isp1.example.com/").await;
    let id_r1 = hook(7, "https://reseller1.example.com/").await;
    let id2 = hook(6, "https://isp2.example.com/").await;
    let listed = |user| async move {
        let mut ids = app.call(user, "webhook/list", &[]).await.texts("id");
        ids.sort();
        ids
    };
    let mut isp1 = vec![id1.clone(), id_r1.clone()];
    isp1.sort();
    assert_eq!(
        listed(5).await,
        isp1,
        "an ISP user sees its resellers' endpoints too"
    );
    assert_eq!(listed(7).await, vec![id_r1.clone()]);
    assert_eq!(listed(6).await, vec![id2.clone()]);
    let admin = app
        .call(1, "webhook/list", &[("ispid", "2")])
        .await
        .texts("id");
    assert_eq!(admin, vec![id2.clone()]);
    // Another tenant's endpoint does not exist for the caller.
    for (user, id) in [(6, &id1), (7, &id1), (5, &id2), (8, &id_r1)] {
        for route in [
            "webhook/delete",
            "webhook/rotate_secret",
            "webhook/deliveries",
            "webhook/update",
        ] {
            let reply = app.call(user, route, &[("webhookid", id)]).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{user} {route}: {reply:?}"
            );
        }
    }
    let reply = app
        .call(
            7,
            "webhook/create",
            &[("url", "https://x.example.com/"), ("resellerid", "2")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let reply = app.call(6, "webhook/list", &[("ispid", "1")]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let reply = app.call(20, "webhook/list", &[]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "a form key: {reply:?}");
    // Lists never show a secret.
    let body = app.call(5, "webhook/list", &[]).await.body.to_string();
    assert!(
        !body.contains("whsec_") && !body.contains("\"secret\""),
        "{body}"
    );
}

#[tokio::test]
async fn the_list_pages_with_rows_limit_and_cursor() {
    let r = rig().await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(
            r.hook(5, &format!("https://h{i}.example.com/"), &[])
                .await
                .0,
        );
    }
    made.reverse(); // newest first
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("rows_limit", "2")];
        if let Some(c) = &cursor {
            params.push(("cursor", c));
        }
        let page = r.p.app.call(5, "webhook/list", &params).await;
        seen.extend(page.texts("id"));
        cursor = page.body["next"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, made);
}

#[tokio::test]
async fn a_test_event_and_replays_keep_their_webhook_id_and_body() {
    let r = rig().await;
    let hook = Receiver::start().await;
    let (id, secret) = r.hook(5, &hook.url, &[]).await;
    let sender = r.sender(&[]).await;
    let before = r.p.app.call(5, "webhook/list", &[]).await.result()[0]["created_at"]
        .as_str()
        .unwrap()
        .to_owned();

    let test = r.p.app.call(5, "webhook/test", &[("webhookid", &id)]).await;
    let test_id = test
        .result()
        .as_str()
        .expect("the test's webhook-id")
        .to_owned();
    assert_eq!(r.requests(&sender).await, 1);
    r.drain(&sender, Duration::from_secs(5)).await;
    let got = hook.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].headers["webhook-id"], test_id);
    assert_eq!(json(&got[0])["detail-type"], "Webhook Test");
    assert_eq!(json(&got[0])["detail"]["webhookid"], id.as_str());

    r.p.app.create(5, &[("resellerid", "1")]).await.id();
    r.fan_out().await;
    r.drain(&sender, Duration::from_secs(5)).await;
    let created = hook.got()[1].clone();
    assert_eq!(json(&created)["detail-type"], "Customer Created");

    // One message again: the same webhook-id and body, signed anew.
    let msg = created.headers["webhook-id"].clone();
    let reply =
        r.p.app
            .call(
                5,
                "webhook/replay",
                &[("webhookid", &id), ("message", &msg)],
            )
            .await;
    assert_eq!(reply.result()["replayed"], 1);
    assert_eq!(r.requests(&sender).await, 1);
    r.drain(&sender, Duration::from_secs(5)).await;
    let again = hook.got()[2].clone();
    assert_eq!(again.headers["webhook-id"], msg);
    assert_eq!(again.body, created.body);

    // Everything since a time: both messages, once each.
    let reply =
        r.p.app
            .call(
                5,
                "webhook/replay",
                &[("webhookid", &id), ("since", &before)],
            )
            .await;
    assert_eq!(reply.result()["replayed"], 2, "{reply:?}");
    assert_eq!(r.requests(&sender).await, 2);
    r.drain(&sender, Duration::from_secs(5)).await;
    let got = hook.got();
    let mut last_two: Vec<&str> = got[3..]
        .iter()
        .map(|g| g.headers["webhook-id"].as_str())
        .collect();
    last_two.sort_unstable();
    let mut want = vec![msg.as_str(), test_id.as_str()];
    want.sort_unstable();
    assert_eq!(last_two, want);
    assert_eq!(verify(&secret, &got), ["ok"; 5]);

    // Refusals: no such message, neither parameter, a disabled endpoint, another tenant's.
    let unknown =
        r.p.app
            .call(
                5,
                "webhook/replay",
                &[("webhookid", &id), ("message", "msg_nope")],
            )
            .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");
    let neither =
        r.p.app
            .call(5, "webhook/replay", &[("webhookid", &id)])
            .await;
    assert_eq!(neither.status, StatusCode::BAD_REQUEST);
    let other = r.p.app.call(6, "webhook/test", &[("webhookid", &id)]).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    r.p.app
        .call(5, "webhook/update", &[("webhookid", &id), ("enabled", "N")])
        .await
        .result();
    let disabled = r.p.app.call(5, "webhook/test", &[("webhookid", &id)]).await;
    assert_eq!(disabled.status, StatusCode::CONFLICT, "{disabled:?}");
}

#[tokio::test]
async fn an_isp_has_at_most_fifty_endpoints_even_when_creates_race() {
    let app = &spawn_app().await;
    let create = |n: usize| async move {
        let url = format!("https://hook{n}.example.com/");
        app.call(5, "webhook/create", &[("url", url.as_str())])
            .await
    };
    let mut first = String::new();
    for n in 0..48 {
        let reply = create(n).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        if n == 0 {
            first = reply.result()["id"].as_str().expect("an id").to_owned();
        }
    }
    // Three at once for the last two places: two are made, one is refused.
    let (a, b, c) = tokio::join!(create(100), create(101), create(102));
    let mut statuses = [a.status, b.status, c.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?} {c:?}"
    );
    let count = |user| async move {
        let reply = app
            .call(user, "webhook/list", &[("rows_limit", "100")])
            .await;
        reply.result().as_array().map_or(0, Vec::len)
    };
    assert_eq!(count(5).await, 50);
    let full = create(103).await;
    assert_eq!(full.status, StatusCode::CONFLICT, "{full:?}");
    assert!(full.error().contains("50 webhook endpoints"), "{full:?}");
    // A delete frees a place; another ISP was never limited by this one.
    let reply = app
        .call(5, "webhook/delete", &[("webhookid", &first)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(create(104).await.status, StatusCode::OK);
    let other = app
        .call(6, "webhook/create", &[("url", "https://isp2.example.com/")])
        .await;
    assert_eq!(other.status, StatusCode::OK, "{other:?}");
}
