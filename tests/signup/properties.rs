//! Property: any JSON posted to a profiled form key answers a documented status (200, or
//! 400 naming what is wrong) and writes at most one customer.

use super::{deliver_to, fixtures, set_up_key};
use crate::common::*;
use isp_crm::admin::{self, NewUser};
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::ids::{ResellerId, UserId};
use isp_crm::domain::scope::Role;
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Map, Value};

/// Keys that reach into the tools' shapes, and some that do not.
const KEYS: [&str; 12] = [
    "form_response",
    "answers",
    "data",
    "fields",
    "questions",
    "submission",
    "field",
    "ref",
    "value",
    "text",
    "key",
    "x",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(&["work_email", "first_name", "Goa", "a@b.co", "403001"][..])
            .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(&KEYS[..]), inner), 0..6).prop_map(
                |pairs| Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>()
                )
            ),
        ]
    })
}

/// The Typeform fixture with one answer's value replaced by any JSON.
fn mutated_typeform() -> impl Strategy<Value = Value> {
    // The token is the delivery's idempotency key: a reused one with another body is 409 by
    // design, so each case's is made unique (random tokens of 1 character collided).
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    (0usize..10, json_value(), "[a-z0-9]{1,8}").prop_map(|(i, v, token)| {
        let mut body = fixtures::typeform();
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        body["form_response"]["token"] = Value::String(format!("{token}-{n}"));
        let kind = body["form_response"]["answers"][i]["type"]
            .as_str()
            .unwrap_or("text")
            .to_owned();
        body["form_response"]["answers"][i][kind] = v;
        body
    })
}

/// The form keys of the property: one per JSON tool, each set up with its fixture's map.
const KEYS_BY_PROFILE: [(u64, &str, &str); 4] = [
    (FORM_USER, "typeform", fixtures::TYPEFORM_MAP),
    (31, "tally", fixtures::TALLY_MAP),
    (32, "fillout", fixtures::FILLOUT_MAP),
    (33, "json", fixtures::JSON_MAP),
];

#[test]
fn any_json_answers_a_documented_status_and_writes_at_most_one_customer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(async {
        let mut app = spawn_app().await;
        for (user, profile, map) in KEYS_BY_PROFILE {
            if user != FORM_USER {
                let key = ApiKey::generate().unwrap();
                admin::create_user(
                    &app.store,
                    NewUser {
                        userid: UserId(user),
                        role: Role::Form,
                        isp: None,
                        reseller: Some(ResellerId(1)),
                        api_key: Some(key.clone()),
                    },
                )
                .await
                .unwrap();
                app.add_key(user, key.expose());
            }
            set_up_key(&app, user, &[("form_profile", profile), ("form_map", map)])
                .await
                .result();
        }
        app
    });
    let config = ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let case = prop_oneof![
        (0..KEYS_BY_PROFILE.len(), json_value()).prop_map(|(i, v)| (KEYS_BY_PROFILE[i].0, v)),
        mutated_typeform().prop_map(|v| (FORM_USER, v)),
    ];
    proptest!(config, |((user, body) in case)| {
        rt.block_on(async {
            let before = app.customer_count().await;
            let a = deliver_to(&app, user, "application/json", body.to_string(), &[]).await;
            let after = app.customer_count().await;
            prop_assert!(
                [StatusCode::OK, StatusCode::BAD_REQUEST].contains(&a.status),
                "{a:?}"
            );
            prop_assert!(a.body["error"].is_null() || a.body["error"].is_string());
            match a.status {
                StatusCode::OK if !a.replayed => prop_assert_eq!(after, before + 1),
                _ => prop_assert_eq!(after, before),
            }
            Ok(())
        })?;
    });
}
