//! Tenant webhooks end to end against moto: endpoints made through the API, changes written
//! through the API, their stream records handed to change-events (fan-out on) and the
//! delivery queue's messages to webhook-delivery's handler, as the event source mappings
//! would; a scripted receiver on a loopback port; signatures verified by the Standard
//! Webhooks reference library. Each test has its own tables, bus and queues.

mod api;
#[path = "../common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../events/plumbing.rs"]
mod plumbing;
mod rig;
mod sender;
#[path = "../common/tls_server.rs"]
mod tls_server;

use reqwest::StatusCode;
use rig::{Answer, Receiver, faulty_proxy, rig, rig_with_visibility, verify};
use serde_json::Value;
use std::time::Duration;

fn json(g: &rig::Got) -> Value {
    serde_json::from_str(&g.body).expect("a JSON body")
}

#[tokio::test]
async fn a_change_reaches_its_tenants_endpoint_signed_and_no_other() {
    let r = rig().await;
    let isp1 = Receiver::start().await;
    let isp2 = Receiver::start().await;
    let reseller2 = Receiver::start().await;
    let (_, secret) = r.hook(5, &format!("{}/in?tenant=1", isp1.url), &[]).await;
    r.hook(6, &format!("{}/in", isp2.url), &[]).await;
    r.hook(5, &format!("{}/in", reseller2.url), &[("resellerid", "2")])
        .await;
    let id = r.p.app.create(5, &[("resellerid", "1")]).await.id();

    let answers = r.fan_out().await;
    assert!(
        answers.iter().all(|a| a.batch_item_failures.is_empty()),
        "{answers:?}"
    );
    let sender = r.sender(&[]).await;
    assert_eq!(r.drain(&sender, Duration::from_secs(10)).await, 1);

    let got = isp1.got();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].path, "/in");
    assert_eq!(got[0].headers["content-type"], "application/json");
    let doc = json(&got[0]);
    assert_eq!(doc["detail-type"], "Customer Created");
    assert_eq!(doc["source"], "isp-crm");
    assert_eq!(doc["detail"]["customerid"], id);
    assert_eq!(doc["detail"]["customer"]["id"], id);
    assert!(doc.get("account").is_none(), "{doc}");
    let event_id = doc["detail"]["event_id"].as_str().expect("event_id");
    assert_eq!(got[0].headers["webhook-id"], format!("msg_{event_id}"));
    assert_eq!(doc["id"], got[0].headers["webhook-id"].as_str());
    assert_eq!(verify(&secret, &got), ["ok"]);
    // The same request under another secret does not verify.
    let (_, other) = r.hook(5, &format!("{}/x", isp1.url), &[]).await;
    assert_ne!(verify(&other, &got), ["ok"]);

    assert!(
        isp2.got().is_empty(),
        "another ISP's endpoint: {:#?}",
        isp2.got()
    );
    assert!(reseller2.got().is_empty(), "another reseller's endpoint");
}

#[tokio::test]
async fn retries_on_500_and_timeouts_then_succeeds_with_one_webhook_id() {
    let r = rig().await;
    let hook = Receiver::start().await;
    hook.script(&[
        Answer::Status(500),
        Answer::Slow(Duration::from_millis(1500)),
        Answer::Status(429),
    ]);
    let (_, secret) = r.hook(5, &hook.url, &[("types", "Customer Created")]).await;
    r.p.app.create(5, &[("resellerid", "1")]).await.id();
    r.fan_out().await;
    let sender = r.sender(&[]).await;

    // First attempt: 500, left on the queue for the next step of the schedule (1 s here).
    let (answer, n) = r.round(&sender).await;
    assert_eq!((n, answer.batch_item_failures.len()), (1, 1));
    let (_, n) = r.round(&sender).await;
    assert_eq!(n, 0, "hidden until its retry is due");
    r.drain(&sender, Duration::from_secs(20)).await;

    let got = hook.got();
    assert_eq!(got.len(), 4, "500, timeout, 429, then 200: {got:#?}");
    let ids: Vec<&str> = got
        .iter()
        .map(|g| g.headers["webhook-id"].as_str())
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert!(got.iter().all(|g| g.body == got[0].body));
    assert_eq!(verify(&secret, &got), ["ok", "ok", "ok", "ok"]);
    let endpoint = r.p.app.call(5, "webhook/list", &[]).await.result()[0].clone();
    assert!(
        endpoint.get("failing_since").is_none(),
        "a success ends the streak: {endpoint}"
    );

    // The delivery log: every attempt, newest first, two a page.
    let hook_id = endpoint["id"].as_str().unwrap().to_owned();
    let mut log: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("webhookid", hook_id.as_str()), ("rows_limit", "2")];
        if let Some(c) = &cursor {
            params.push(("cursor", c));
        }
        let page = r.p.app.call(5, "webhook/deliveries", &params).await;
        let rows = page.result().as_array().unwrap().clone();
        assert!(rows.len() <= 2);
        log.extend(rows);
        cursor = page.body["next"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    let summary: Vec<(u64, &str, Option<u64>)> = log
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["outcome"].as_str().unwrap(),
                a["status"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (4, "delivered", Some(200)),
            (3, "retrying", Some(429)),
            (2, "retrying", None),
            (1, "retrying", Some(500))
        ]
    );
    assert!(
        log[2]["error"].as_str().unwrap().contains("timed out"),
        "{}",
        log[2]
    );
    assert!(
        log.iter()
            .all(|a| a["id"] == ids[0] && a["type"] == "Customer Created")
    );
    // Another tenant's log does not exist for it.
    let reply =
        r.p.app
            .call(6, "webhook/deliveries", &[("webhookid", &hook_id)])
            .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_the_event_when_it_is_up() {
    let r = rig().await;
    // A port nothing listens on, then a receiver on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    r.hook(5, &format!("http://127.0.0.1:{port}/in"), &[]).await;
    r.p.app.create(5, &[("resellerid", "1")]).await.id();
    r.fan_out().await;
    let sender = r.sender(&[]).await;
    let (answer, n) = r.round(&sender).await;
    assert_eq!(
        (n, answer.batch_item_failures.len()),
        (1, 1),
        "connection refused: retried"
    );
    let endpoint = r.p.app.call(5, "webhook/list", &[]).await.result()[0].clone();
    assert!(endpoint["failing_since"].is_string(), "{endpoint}");

    let got = std::sync::Arc::new(std::sync::Mutex::new(0));
    let seen = got.clone();
    let router = axum::Router::new().fallback(move || {
        let seen = seen.clone();
        async move {
            *seen.lock().unwrap() += 1;
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    r.drain(&sender, Duration::from_secs(10)).await;
    assert_eq!(*got.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_410_a_400_and_a_redirect_are_final() {
    for answer in [Answer::Status(410), Answer::Status(400), Answer::Redirect] {
        let r = rig().await;
        let hook = Receiver::start().await;
        hook.script(std::slice::from_ref(&answer));
        r.hook(5, &hook.url, &[]).await;
        r.p.app.create(5, &[("resellerid", "1")]).await.id();
        r.fan_out().await;
        let sender = r.sender(&[]).await;
        let (reply, n) = r.round(&sender).await;
        assert_eq!(
            (n, reply.batch_item_failures.len()),
            (1, 0),
            "{answer:?}: done with"
        );
        tokio::time::sleep(Duration::from_millis(1200)).await;
        r.drain(&sender, Duration::from_secs(3)).await;
        let got = hook.got();
        assert_eq!(
            got.len(),
            1,
            "{answer:?}: one request, no retry, no redirect followed: {got:#?}"
        );
    }
}

#[tokio::test]
async fn a_disabled_or_deleted_endpoint_receives_nothing_and_reenabled_resumes() {
    let r = rig().await;
    let hook = Receiver::start().await;
    let (id, _) = r.hook(5, &hook.url, &[]).await;
    let gone = Receiver::start().await;
    let (gone_id, _) = r.hook(5, &gone.url, &[]).await;
    r.p.app.create(5, &[("resellerid", "1")]).await.id();
    r.fan_out().await;
    r.p.app
        .call(5, "webhook/update", &[("webhookid", &id), ("enabled", "N")])
        .await
        .result();
    r.p.app
        .call(5, "webhook/delete", &[("webhookid", &gone_id)])
        .await
        .result();
    let sender = r.sender(&[]).await;
    assert_eq!(r.drain(&sender, Duration::from_secs(5)).await, 2);
    assert!(hook.got().is_empty() && gone.got().is_empty());

    r.p.app
        .call(5, "webhook/update", &[("webhookid", &id), ("enabled", "Y")])
        .await
        .result();
    r.p.app
        .create(5, &[("resellerid", "1"), ("name", "Second")])
        .await
        .id();
    r.fan_out().await; // both creates' records again: the first is delivered now too
    r.drain(&sender, Duration::from_secs(5)).await;
    let types: Vec<String> = hook
        .got()
        .iter()
        .map(|g| {
            json(g)["detail"]["customer"]["name"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert!(types.contains(&"Second".to_owned()), "{types:?}");
}

#[tokio::test]
async fn rotating_the_secret_signs_with_the_new_one() {
    let r = rig().await;
    let hook = Receiver::start().await;
    let (id, old) = r.hook(5, &hook.url, &[]).await;
    let rotated =
        r.p.app
            .call(5, "webhook/rotate_secret", &[("webhookid", &id)])
            .await;
    let new = rotated.result()["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    assert!(new.starts_with("whsec_") && new != old);
    r.p.app.create(5, &[("resellerid", "1")]).await.id();
    r.fan_out().await;
    r.drain(&r.sender(&[]).await, Duration::from_secs(5)).await;
    let got = hook.got();
    assert_eq!(verify(&new, &got), ["ok"]);
    assert_ne!(verify(&old, &got), ["ok"]);
}

#[tokio::test]
async fn an_endpoint_failing_for_days_is_disabled() {
    let r = rig().await;
    let hook = Receiver::start().await;
    hook.script(&[Answer::Status(503)]);
    let (id, _) = r.hook(5, &hook.url, &[]).await;
    // Its failure streak began six days ago.
    r.p.app
        .store
        .client
        .update_item()
        .table_name(&r.p.app.store.tables.claims)
        .key(
            "claim",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("webhook|{id}")),
        )
        .update_expression("SET failing_since = :t")
        .expression_attribute_values(
            ":t",
            aws_sdk_dynamodb::types::AttributeValue::S("2026-01-01T00:00:00Z".into()),
        )
        .send()
        .await
        .expect("backdate");
    let notices =
        r.p.queue_for("disabled", r#"{"detail-type":["Webhook Disabled"]}"#)
            .await;
    r.p.app.create(5, &[("resellerid", "1")]).await.id();
    r.fan_out().await;
    let sender = r.sender(&[]).await;
    let (reply, _) = r.round(&sender).await;
    assert!(
        reply.batch_item_failures.is_empty(),
        "no more retries once disabled"
    );
    // One notice event on the bus: ids and the reason.
    let got = r.p.received(&notices, 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["source"], "isp-crm");
    let detail = &got[0]["detail"];
    assert_eq!(
        (detail["webhookid"].as_str(), detail["ispid"].as_u64()),
        (Some(id.as_str()), Some(1)),
        "{detail}"
    );
    assert!(
        detail["reason"]
            .as_str()
            .unwrap_or("")
            .contains("failing since"),
        "{detail}"
    );
    let e = r.p.app.call(5, "webhook/list", &[]).await.result()[0].clone();
    assert_eq!(e["enabled"], false, "{e}");
    assert!(
        e["disabled_reason"]
            .as_str()
            .unwrap_or("")
            .contains("failing since"),
        "{e}"
    );

    r.p.app
        .call(5, "webhook/update", &[("webhookid", &id), ("enabled", "1")])
        .await
        .result();
    let e = r.p.app.call(5, "webhook/list", &[]).await.result()[0].clone();
    assert_eq!(e["enabled"], true);
    assert!(
        e.get("failing_since").is_none() && e.get("disabled_reason").is_none(),
        "{e}"
    );
}

#[tokio::test]
async fn a_url_that_resolves_to_loopback_is_refused_at_delivery_without_the_setting() {
    let r = rig().await;
    let hook = Receiver::start().await;
    let port = hook.url.rsplit(':').next().unwrap().to_owned();
    // Allowed by the API (local setting), refused by a sender without it: `localhost` resolves
    // to 127.0.0.1, a loopback address.
    r.hook(5, &format!("http://localhost:{port}/in"), &[]).await;
    r.hook(5, &hook.url, &[]).await;
    r.p.app.create(5, &[("resellerid", "1")]).await.id();
    r.fan_out().await;
    let sender = r.sender(&[("WEBHOOK_ALLOW_HTTP_LOOPBACK", "0")]).await;
    let (reply, n) = r.round(&sender).await;
    assert_eq!(
        (n, reply.batch_item_failures.len()),
        (2, 0),
        "refused for good, not retried"
    );
    assert!(hook.got().is_empty(), "{:#?}", hook.got());
}

#[tokio::test]
async fn faults_between_the_sender_and_aws_lose_no_delivery() {
    let r = rig_with_visibility(1).await;
    let hook = Receiver::start().await;
    r.hook(5, &hook.url, &[]).await;
    for i in 0..5 {
        r.p.app
            .create(5, &[("resellerid", "1"), ("name", &format!("Fault {i}"))])
            .await
            .id();
    }
    r.fan_out().await;
    // Every third DynamoDB or SQS call of the sender fails (endpoint reads, log writes,
    // retries' scheduling), a few of them past the SDK's own retries.
    let (injected, proxy) = faulty_proxy(0.35, 24).await;
    let sender = r.sender_via(&proxy, &[]).await;
    r.drain(&sender, Duration::from_secs(40)).await;
    let mut ids: Vec<String> = hook
        .got()
        .iter()
        .map(|g| g.headers["webhook-id"].clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        5,
        "every event delivered (at least once): {ids:?}"
    );
    assert!(*injected.lock().unwrap() > 5, "faults were injected");
}
