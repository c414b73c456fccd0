//! A replayed delivery creates nothing: the idempotency key comes from the signed body
//! (the tool's submission id, or the map's pointer), never from a header or query
//! parameter a replayer could change; and a signed Typeform or Tally delivery older than
//! the idempotency claim is refused.

use super::fixtures::*;
use super::{Answer, deliver, set_up};
use crate::common::*;
use isp_crm::domain::signup::{Profile, SigningSecret};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// POSTs as `deliver` does, with `extra` appended to the query string.
async fn deliver_query(
    app: &TestApp,
    extra: &str,
    body: String,
    headers: &[(&str, &str)],
) -> Answer {
    let url = format!(
        "{}/api/customer/create?userid={FORM_USER}&api_key={}&{extra}",
        app.url,
        app.key(FORM_USER)
    );
    let mut req = app
        .http
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let replayed = resp.headers().get("idempotent-replayed").is_some();
    let body: Value = resp.json().await.expect("JSON answer");
    Answer {
        status,
        replayed,
        body,
    }
}

#[tokio::test]
async fn a_signed_replay_with_a_new_sender_key_creates_nothing() {
    let app = spawn_app().await;
    let secret = "typeform-secret-for-replays-0001";
    set_up(
        &app,
        &[
            ("form_profile", "typeform"),
            ("form_map", TYPEFORM_MAP),
            ("signing_secret", secret),
        ],
    )
    .await
    .result();
    let secret = SigningSecret::parse("s", secret).unwrap();
    let body = typeform().to_string();
    let sig = secret.sign(Profile::Typeform, body.as_bytes());
    let first = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("typeform-signature", &sig)],
    )
    .await
    .id();
    // The same signed body, replayed with a fresh key in the header, then in the query.
    let header = deliver(
        &app,
        "application/json",
        body.clone(),
        &[
            ("typeform-signature", &sig),
            ("Idempotency-Key", "replay-1"),
        ],
    )
    .await;
    assert_eq!((header.id(), header.replayed), (first, true));
    let query = deliver_query(
        &app,
        "idempotency_key=replay-2",
        body,
        &[("typeform-signature", &sig)],
    )
    .await;
    assert_eq!((query.id(), query.replayed), (first, true));
    assert_eq!(app.customer_count().await, 1);
}

#[tokio::test]
async fn an_unsigned_tools_own_id_beats_the_senders_key() {
    let app = spawn_app_with(&[("AUTH_CACHE_SECONDS", "0")]).await;
    set_up(
        &app,
        &[("form_profile", "fillout"), ("form_map", FILLOUT_MAP)],
    )
    .await
    .result();
    let body = fillout().to_string();
    let first = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("Idempotency-Key", "k-1")],
    )
    .await
    .id();
    let again = deliver(
        &app,
        "application/json",
        body,
        &[("Idempotency-Key", "k-2")],
    )
    .await;
    assert_eq!((again.id(), again.replayed), (first, true));
    assert_eq!(app.customer_count().await, 1);

    // A json key with no id of its own: the sender's key is still used (and unsigned).
    let map = JSON_MAP.replace(
        r#""idempotency_key": "/lead/id""#,
        r#""city": "/address/town""#,
    );
    set_up(&app, &[("form_profile", "json"), ("form_map", &map)])
        .await
        .result();
    let body = json_payload().to_string();
    let a = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("Idempotency-Key", "lead-a")],
    )
    .await
    .id();
    let b = deliver(
        &app,
        "application/json",
        body,
        &[("Idempotency-Key", "lead-a")],
    )
    .await;
    assert_eq!((b.id(), b.replayed), (a, true));
}

#[tokio::test]
async fn a_signed_delivery_older_than_the_claim_is_refused() {
    let app = spawn_app_with(&[
        ("IDEMPOTENCY_TTL_SECONDS", "3600"),
        ("AUTH_CACHE_SECONDS", "0"),
    ])
    .await;
    let old = minutes_ago(61);
    for (profile, map, header, edit) in [
        (
            Profile::Typeform,
            TYPEFORM_MAP,
            "typeform-signature",
            (|v: &mut Value, t: &str| v["form_response"]["submitted_at"] = json!(t))
                as fn(&mut Value, &str),
        ),
        (Profile::Tally, TALLY_MAP, "tally-signature", |v, t| {
            v["createdAt"] = json!(t);
            v["data"]["createdAt"] = json!(t);
        }),
    ] {
        let secret = "a-signing-secret-for-age-checks";
        set_up(
            &app,
            &[
                ("form_profile", profile.as_str()),
                ("form_map", map),
                ("signing_secret", secret),
            ],
        )
        .await
        .result();
        let secret = SigningSecret::parse("s", secret).unwrap();
        let mut v = match profile {
            Profile::Typeform => typeform(),
            _ => tally(),
        };
        edit(&mut v, &old);
        let body = v.to_string();
        let sig = secret.sign(profile, body.as_bytes());
        let a = deliver(&app, "application/json", body, &[(header, &sig)]).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{profile:?}: {a:?}");
        assert!(
            a.error().contains("older than IDEMPOTENCY_TTL_SECONDS"),
            "{a:?}"
        );
        // No submission time at all: refused too.
        let mut v = match profile {
            Profile::Typeform => typeform(),
            _ => tally(),
        };
        edit(&mut v, "");
        let body = v.to_string();
        let sig = secret.sign(profile, body.as_bytes());
        let a = deliver(&app, "application/json", body, &[(header, &sig)]).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{profile:?}: {a:?}");
        assert!(a.error().contains("submission time"), "{a:?}");
    }
    assert_eq!(app.customer_count().await, 0);
}
