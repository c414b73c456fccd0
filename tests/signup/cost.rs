//! Cost stays flat: a warm profiled delivery sends DynamoDB exactly the requests a warm flat
//! create sends (no read of the setup: it travels with the cached form key), and its
//! transaction writes the same items and attributes.

use super::{deliver, fixtures, set_up};
use crate::common::*;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use isp_crm::admin::{self, NewUser};
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::ids::{ResellerId, UserId};
use isp_crm::domain::scope::Role;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

struct Seen {
    moto: String,
    http: reqwest::Client,
    requests: Mutex<Vec<(String, Value)>>,
}

async fn record(State(seen): State<Arc<Seen>>, headers: HeaderMap, body: Bytes) -> Response {
    let parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    seen.requests
        .lock()
        .unwrap()
        .push((operation_of(&headers), parsed));
    forward_to_moto(&seen.http, &seen.moto, &headers, body).await
}

/// The operations of the requests since the last call, and the attribute names of each item
/// its transaction puts.
fn take(seen: &Seen) -> (Vec<String>, Vec<BTreeSet<String>>) {
    let requests = std::mem::take(&mut *seen.requests.lock().unwrap());
    let ops = requests.iter().map(|(op, _)| op.clone()).collect();
    let puts = requests
        .iter()
        .filter(|(op, _)| op == "TransactWriteItems")
        .flat_map(|(_, body)| {
            body["TransactItems"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|item| {
            let kind = item.as_object().and_then(|o| o.keys().next().cloned());
            let attrs = item["Put"]["Item"]
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            std::iter::once(format!("{kind:?}")).chain(attrs).collect()
        })
        .collect();
    (ops, puts)
}

#[tokio::test]
async fn a_warm_profiled_delivery_costs_what_a_warm_flat_create_costs() {
    let seen = Arc::new(Seen {
        moto: std::env::var("DYNAMODB_ENDPOINT").expect("make test sets it"),
        http: reqwest::Client::new(),
        requests: Mutex::default(),
    });
    let router = axum::Router::new()
        .fallback(axum::routing::post(record))
        .with_state(seen.clone());
    let url = serve_on_loopback(router).await;
    // The per-source limit off: a flat create counts against it, a profiled delivery does
    // not (tests below), and its window item would be the one difference.
    let mut app = spawn_app_via(Some(&url), &[("FORM_SOURCE_CREATES", "0")]).await;
    set_up(
        &app,
        &[
            ("form_profile", "typeform"),
            ("form_map", fixtures::TYPEFORM_MAP),
        ],
    )
    .await
    .result();
    // A second, flat form key in the same reseller.
    let flat_key = ApiKey::generate().unwrap();
    admin::create_user(
        &app.store,
        NewUser {
            userid: UserId(21),
            role: Role::Form,
            isp: None,
            reseller: Some(ResellerId(1)),
            api_key: Some(flat_key.clone()),
        },
    )
    .await
    .unwrap();
    app.add_key(21, flat_key.expose());

    // Warm both keys (one create each), then measure a second create of each.
    let typeform = |token: &str| {
        let mut v = fixtures::typeform();
        v["form_response"]["token"] = Value::String(token.into());
        v.to_string()
    };
    deliver(&app, "application/json", typeform("warm-1"), &[])
        .await
        .id();
    let flat = |key: &'static str| {
        let app = &app;
        async move {
            let fields =
                customer_fields_with(&[("name", "Asha Naik"), ("notes", "Fibre 100, IPTV")]);
            app.call_with_headers(
                21,
                "create",
                &as_pairs(&fields),
                &[("Idempotency-Key", key)],
            )
            .await
            .id()
        }
    };
    flat("flat-warm").await;
    take(&seen);

    deliver(&app, "application/json", typeform("measured-1"), &[])
        .await
        .id();
    let (profiled_ops, profiled_puts) = take(&seen);
    flat("flat-measured").await;
    let (flat_ops, flat_puts) = take(&seen);
    assert_eq!(profiled_ops, flat_ops, "the same DynamoDB requests");
    assert_eq!(
        profiled_puts, flat_puts,
        "the same items and attributes written"
    );
    assert!(profiled_ops.contains(&"TransactWriteItems".to_owned()));
}

#[tokio::test]
async fn profiled_deliveries_count_against_the_key_not_the_tools_address() {
    let app = spawn_app_with(&[("FORM_SOURCE_CREATES", "1"), ("FORM_KEY_CREATES", "3")]).await;
    set_up(
        &app,
        &[
            ("form_profile", "typeform"),
            ("form_map", fixtures::TYPEFORM_MAP),
        ],
    )
    .await
    .result();
    let delivery = |token: &str| {
        let mut v = fixtures::typeform();
        v["form_response"]["token"] = Value::String(token.into());
        v.to_string()
    };
    // All from one address (the tool's server): past FORM_SOURCE_CREATES, within the key's.
    for token in ["t1", "t2", "t3"] {
        let a = deliver(&app, "application/json", delivery(token), &[]).await;
        assert_eq!(a.status, reqwest::StatusCode::OK, "{a:?}");
    }
    let a = deliver(&app, "application/json", delivery("t4"), &[]).await;
    assert_eq!(a.status, reqwest::StatusCode::TOO_MANY_REQUESTS, "{a:?}");
    assert!(
        a.body["error"].as_str().unwrap().contains("3 creates"),
        "{a:?}"
    );
}
