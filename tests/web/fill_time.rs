//! The minimum fill time of a form key's own HTML form (not the hosted page): its script
//! fetches a signed `shown_at` from `GET /signup/{id}/stamp` (JSON, never cached, readable by
//! the key's origins only) into a hidden field, and `customer/create` refuses a post sooner
//! than `form_min_seconds` after it, or with a damaged stamp; a post without one is refused
//! or passed as `form_unstamped` says. A refusal writes nothing.

use super::*;

const SITE: &str = "http://127.0.0.1:8123";

async fn public_id(app: &TestApp) -> String {
    listed_web(app).await["page"]
        .as_str()
        .expect("a public id")
        .to_owned()
}

async fn fetch_stamp(app: &TestApp, id: &str, origin: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/signup/{id}/stamp", app.url))
        .header("origin", origin)
        .send()
        .await
        .expect("stamp")
}

async fn stamp_of(app: &TestApp, id: &str) -> String {
    let r = fetch_stamp(app, id, SITE).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.expect("JSON");
    body["result"]["shown_at"]
        .as_str()
        .expect("a shown_at")
        .to_owned()
}

/// The key's own form posted as a browser's script would (JSON answers), named `name`.
async fn create(app: &TestApp, name: &str, shown_at: Option<&str>) -> Reply {
    let mut fields = customer_fields_with(&[("resellerid", "1"), ("name", name)]);
    if let Some(s) = shown_at {
        fields.push(("shown_at", s.to_owned()));
    }
    app.call(FORM_USER, "customer/create", &as_pairs(&fields))
        .await
}

#[tokio::test]
async fn the_stamp_is_fresh_json_for_the_keys_origins_only() {
    let app = spawn_app_with(&[NO_CACHE[0], LOCAL[0]]).await;
    let r = set_web(
        &app,
        &[
            ("form_page", "on"),
            ("form_min_seconds", "3"),
            ("form_origins", SITE),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let id = public_id(&app).await;
    let r = fetch_stamp(&app, &id, SITE).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["access-control-allow-origin"], SITE);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], serde_json::Value::Null);
    assert_eq!(body["result"]["min_seconds"], 3);
    let shown_at = body["result"]["shown_at"].as_str().expect("a stamp");
    let (at, _) = shown_at.split_once('.').expect("<time>.<signature>");
    let now = jiff::Timestamp::now().as_second();
    let at: i64 = at.parse().expect("unix seconds");
    assert!((now - at).abs() <= 5, "signed now: {at} vs {now}");

    // Another origin gets the same answer without CORS: its script cannot read it.
    let r = fetch_stamp(&app, &id, "https://evil.example").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("access-control-allow-origin").is_none());

    // A wrong token, an unknown user, a malformed id, a withdrawn id: one 404 for all.
    let (user, _) = id.split_once('-').unwrap();
    let withdrawn = id.clone();
    for bad in [
        format!("{user}-nottheid"),
        "999-abc".into(),
        "nodash".into(),
    ] {
        let r = fetch_stamp(&app, &bad, SITE).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().starts_with("form: no such"));
    }
    set_web(&app, &[("form_page", "new")]).await;
    let r = fetch_stamp(&app, &withdrawn, SITE).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_keys_own_form_is_refused_before_the_minimum_and_created_after() {
    let app = spawn_app_with(&NO_CACHE).await;
    set_web(&app, &[("form_page", "on"), ("form_min_seconds", "2")]).await;
    let id = public_id(&app).await;
    let before = app.customer_count().await;

    let stamp = stamp_of(&app, &id).await;
    let r = create(&app, "Quick Quentin", Some(&stamp)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
    assert!(r.error().starts_with("shown_at: sent too quickly"), "{r:?}");
    for bad in [stamp.replace('.', ".0"), "1.abc".into(), "garbage".into()] {
        let r = create(&app, "Damaged Dora", Some(&bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.error().contains("missing or damaged"), "{r:?}");
    }
    // No stamp (the form's script did not run): refused unless the key allows it.
    for missing in [None, Some("")] {
        let r = create(&app, "Scriptless Sam", missing).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
        assert!(r.error().starts_with("shown_at: missing"), "{r:?}");
    }
    assert_eq!(app.customer_count().await, before, "nothing written");

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = create(&app, "Patient Pat", Some(&stamp)).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(app.customer_count().await, before + 1);

    // form_unstamped=allow: a post without a stamp passes; one with a stamp is still checked.
    let r = set_web(&app, &[("form_unstamped", "allow")]).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(listed_web(&app).await["unstamped"], "allow");
    let r = create(&app, "Scriptless Sam", None).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let fresh = stamp_of(&app, &id).await;
    let r = create(&app, "Quick Again Quinn", Some(&fresh)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
    assert_eq!(app.customer_count().await, before + 2);

    let r = set_web(&app, &[("form_unstamped", "maybe")]).await;
    assert_eq!(r.error(), "form_unstamped: must be allow or refuse");
    set_web(&app, &[("form_unstamped", "")]).await;
    assert_eq!(listed_web(&app).await["unstamped"], "refuse");

    // Without a minimum, nothing is asked of a post.
    set_web(&app, &[("form_min_seconds", "0")]).await;
    let r = create(&app, "No Minimum Nia", None).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
}

#[tokio::test]
async fn a_plain_form_sent_too_quickly_goes_to_the_error_page_with_the_reason() {
    let app = spawn_app_with(&NO_CACHE).await;
    set_web(
        &app,
        &[
            ("form_page", "on"),
            ("form_min_seconds", "4"),
            ("form_thanks_url", "https://shop.example/thanks"),
            ("form_error_url", "https://shop.example/signup"),
        ],
    )
    .await;
    let stamp = stamp_of(&app, &public_id(&app).await).await;
    let before = app.customer_count().await;
    let post = |name: &'static str| {
        let mut fields = customer_fields_with(&[("resellerid", "1"), ("name", name)]);
        fields.push(("shown_at", stamp.clone()));
        no_redirects()
            .post(format!(
                "{}/api/customer/create?userid={FORM_USER}&api_key={}",
                app.url,
                app.key(FORM_USER)
            ))
            .header("accept", "text/html,*/*;q=0.8")
            .form(&fields)
            .send()
    };
    let r = post("Hasty Hana").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://shop.example/signup?field=shown_at&reason=sent+too+quickly"),
        "{location}"
    );
    assert_eq!(app.customer_count().await, before);
    // 4 s, not 1: on a loaded machine the stamp, the count and the post took over a second.
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let r = post("Calm Cora").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "https://shop.example/thanks");
    assert_eq!(app.customer_count().await, before + 1);
}
