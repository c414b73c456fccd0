//! Tally, Jotform, Fillout and json deliveries (Typeform's: main.rs).

use super::fixtures::*;
use super::{deliver, set_up};
use crate::common::*;
use isp_crm::domain::signup::{Profile, SigningSecret};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn tally_deliveries_are_signed_mapped_by_key_or_label_and_replayed() {
    let app = spawn_app().await;
    let secret = "tally-signing-secret-from-the-dashboard";
    let r = set_up(
        &app,
        &[
            ("form_profile", "tally"),
            ("form_map", TALLY_MAP),
            ("signing_secret", secret),
        ],
    )
    .await;
    assert_eq!(r.body["signing_secret"], secret, "shown once, when set");
    let secret = SigningSecret::parse("s", secret).unwrap();
    let body = tally().to_string();
    let sig = secret.sign(Profile::Tally, body.as_bytes());
    let a = deliver(&app, "application/json", body.clone(), &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");
    let a = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("tally-signature", "AAAA")],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");
    let a = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("Tally-Signature", &sig)],
    )
    .await;
    let id = a.id();
    assert_eq!(
        app.stored_attr(id, "name").await.as_deref(),
        Some("Ravi Kumar")
    );
    assert_eq!(
        app.stored_attr(id, "zipcode").await.as_deref(),
        Some("403601")
    );
    // Checkboxes: the chosen options' text, in order.
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("Fibre 100, IPTV")
    );
    // A null answer to an optional field: absent.
    assert_eq!(app.stored_attr(id, "uniqueid").await, None);
    let again = deliver(&app, "application/json", body, &[("tally-signature", &sig)]).await;
    assert_eq!((again.id(), again.replayed), (id, true));
    assert_eq!(app.customer_count().await, 1);
}

#[tokio::test]
async fn jotform_multipart_deliveries_read_raw_request_parts() {
    let app = spawn_app().await;
    set_up(
        &app,
        &[("form_profile", "jotform"), ("form_map", JOTFORM_MAP)],
    )
    .await
    .result();
    let (ct, body) = jotform_body(&jotform_raw_request(), "6084250982513018472");
    let a = deliver(&app, &ct, body.clone(), &[]).await;
    let id = a.id();
    assert_eq!(app.stored_attr(id, "name").await.as_deref(), Some("Zoë"));
    assert_eq!(
        app.stored_attr(id, "surname").await.as_deref(),
        Some("D'Souza")
    );
    assert_eq!(
        app.stored_attr(id, "mobile").await.as_deref(),
        Some("9876543212")
    );
    assert_eq!(
        app.stored_attr(id, "zipcode").await.as_deref(),
        Some("403507")
    );
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("Fibre 300, IPTV")
    );
    assert_eq!(app.stored_attr(id, "uniqueid").await, None);
    let again = deliver(&app, &ct, body, &[]).await;
    assert_eq!((again.id(), again.replayed), (id, true));

    // A missing part and a wrong type, named with Jotform's field.
    let mut raw = jotform_raw_request();
    raw["q4_email"] = json!({"a": "b"});
    let (ct, body) = jotform_body(&raw, "6084250982513018473");
    let a = deliver(&app, &ct, body, &[]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{a:?}");
    assert!(
        a.error()
            .starts_with("email (Jotform field \"q4_email\"): must be"),
        "{a:?}"
    );
    let mut raw = jotform_raw_request();
    raw["q6_address"]["postal"] = json!("");
    let (ct, body) = jotform_body(&raw, "6084250982513018474");
    let a = deliver(&app, &ct, body, &[]).await;
    assert_eq!(
        (a.status, a.error()),
        (
            StatusCode::BAD_REQUEST,
            "zipcode (Jotform field \"q6_address[postal]\"): is required"
        )
    );
    assert_eq!(app.customer_count().await, 1);
}

#[tokio::test]
async fn fillout_and_json_deliveries() {
    let app = spawn_app_with(&[("AUTH_CACHE_SECONDS", "0")]).await;
    set_up(
        &app,
        &[("form_profile", "fillout"), ("form_map", FILLOUT_MAP)],
    )
    .await
    .result();
    let body = fillout().to_string();
    let id = deliver(&app, "application/json", body.clone(), &[])
        .await
        .id();
    assert_eq!(
        app.stored_attr(id, "name").await.as_deref(),
        Some("Meera Pai")
    );
    assert_eq!(
        app.stored_attr(id, "dob").await.as_deref(),
        Some("1990-01-31")
    );
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("Fibre 100, Static IP")
    );
    let again = deliver(&app, "application/json", body, &[]).await;
    assert_eq!((again.id(), again.replayed), (id, true));
    // Wrapped in `submission`, as some deliveries are: read the same.
    let mut wrapped =
        json!({"formId": "gHretr3UKYus", "formName": "Signup", "submission": fillout()});
    wrapped["submission"]["submissionId"] = json!("another-submission");
    let id2 = deliver(&app, "application/json", wrapped.to_string(), &[])
        .await
        .id();
    assert_ne!(id, id2);

    // json: pointers, the map's own idempotency key, an X-Signature.
    let r = set_up(
        &app,
        &[
            ("form_profile", "json"),
            ("form_map", JSON_MAP),
            ("signing_secret", "json-sender-secret-0001"),
        ],
    )
    .await;
    r.result();
    let secret = SigningSecret::parse("s", "json-sender-secret-0001").unwrap();
    let body = json_payload().to_string();
    let sig = secret.sign(Profile::Json, body.as_bytes());
    let a = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("x-signature", &sig)],
    )
    .await;
    let id = a.id();
    assert_eq!(
        app.stored_attr(id, "type").await.as_deref(),
        Some("Organisation")
    );
    assert_eq!(app.stored_attr(id, "surname").await.as_deref(), Some("Rao"));
    assert_eq!(
        app.stored_attr(id, "notes").await.as_deref(),
        Some("web, fibre")
    );
    let again = deliver(
        &app,
        "application/json",
        body.clone(),
        &[("x-signature", &sig)],
    )
    .await;
    assert_eq!((again.id(), again.replayed), (id, true));
    let a = deliver(&app, "application/json", body, &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{a:?}");

    // Back to `fields`: nested JSON is today's 400 again, flat fields create.
    set_up(&app, &[("form_profile", "fields")]).await.result();
    let a = deliver(&app, "application/json", json_payload().to_string(), &[]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{a:?}");
    assert_eq!(app.create(FORM_USER, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn missing_and_wrong_typed_answers_name_the_tools_field() {
    let app = spawn_app_with(&[("AUTH_CACHE_SECONDS", "0")]).await;
    let tally_without_email = {
        let mut v = tally();
        v["data"]["fields"][1]["value"] = json!(null);
        v
    };
    let tally_object_phone = {
        let mut v = tally();
        v["data"]["fields"][2]["value"] = json!({"country": "IN"});
        v
    };
    let fillout_without_city = {
        let mut v = fillout();
        let questions = v["questions"].as_array_mut().unwrap();
        questions.retain(|q| q["name"] != "City");
        v
    };
    let fillout_bad_dob = {
        let mut v = fillout();
        v["questions"][8]["value"] = json!("31/01/1990");
        v
    };
    let json_nested_email = {
        let mut v = json_payload();
        v["lead"]["contact"]["email"] = json!({"work": "a@b.co"});
        v
    };
    let cases = [
        (
            "tally",
            TALLY_MAP,
            tally_without_email,
            "email (Tally field \"question_nPEzOv\"): is required",
        ),
        (
            "tally",
            TALLY_MAP,
            tally_object_phone,
            "mobile (Tally field \"Phone\"): must be text, a number, a yes/no or a choice, not an object",
        ),
        (
            "fillout",
            FILLOUT_MAP,
            fillout_without_city,
            "city (Fillout question \"City\"): is required",
        ),
        (
            "fillout",
            FILLOUT_MAP,
            fillout_bad_dob,
            "dob (Fillout question \"q9dOb6\"): ",
        ),
        (
            "json",
            JSON_MAP,
            json_nested_email,
            "email (JSON Pointer \"/lead/contact/email\"): must be text",
        ),
    ];
    for (profile, map, body, expected) in cases {
        set_up(&app, &[("form_profile", profile), ("form_map", map)])
            .await
            .result();
        let a = deliver(&app, "application/json", body.to_string(), &[]).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{profile}: {a:?}");
        assert!(a.error().starts_with(expected), "{expected}: {a:?}");
    }
    assert_eq!(app.customer_count().await, 0);
}
