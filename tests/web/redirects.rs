//! A plain HTML form's post (`Accept: text/html…`): 303 to the key's thank-you URL (with
//! the id when its owner asks) or to its error URL with the field and the reason; JSON
//! callers keep today's answers; a filled honeypot is answered as a success and writes
//! nothing.

use super::*;

const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

async fn post_form(app: &TestApp, accept: &str, fields: &[(&str, String)]) -> reqwest::Response {
    let url = format!(
        "{}/api/customer/create?userid={FORM_USER}&api_key={}",
        app.url,
        app.key(FORM_USER)
    );
    no_redirects()
        .post(url)
        .header("accept", accept)
        .form(fields)
        .send()
        .await
        .expect("post")
}

fn location(r: &reqwest::Response) -> &str {
    r.headers()["location"].to_str().unwrap()
}

#[tokio::test]
async fn a_browser_form_post_is_redirected_and_json_callers_are_not() {
    let app = spawn_app_with(&NO_CACHE).await;
    let ok = customer_fields_with(&[("resellerid", "1"), ("name", "Zoë Ñandú 山田")]);
    // No URLs yet: JSON, as today.
    let r = post_form(&app, BROWSER_ACCEPT, &ok).await;
    assert_eq!(r.status(), StatusCode::OK);
    set_web(
        &app,
        &[
            ("form_thanks_url", "https://shop.example/thanks?src=web"),
            ("form_error_url", "https://shop.example/signup"),
        ],
    )
    .await;
    let r = post_form(&app, BROWSER_ACCEPT, &ok).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "https://shop.example/thanks?src=web");
    assert_eq!(r.headers()["cache-control"], "no-store");

    set_web(&app, &[("form_thanks_id", "Y")]).await;
    let before = app.customer_count().await;
    // Another visitor (the same post again would be the duplicate guard's replay).
    let ok = customer_fields_with(&[
        ("resellerid", "1"),
        ("name", "Zoë Ñandú 山田"),
        ("mobile", "99887766"),
    ]);
    let r = post_form(&app, BROWSER_ACCEPT, &ok).await;
    let id: u64 = location(&r)
        .strip_prefix("https://shop.example/thanks?src=web&id=")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{}", location(&r)));
    assert_eq!(app.customer_count().await, before + 1);
    let got = app
        .call(
            ISP1_USER,
            "customer/list",
            &[("customerid", &id.to_string())],
        )
        .await;
    assert_eq!(got.body["result"][0]["name"], "Zoë Ñandú 山田", "{got:?}");

    // Refused: to the error URL with the field and the reason; nothing written.
    let bad = customer_fields_with(&[("resellerid", "1"), ("mobile", "12ab")]);
    let r = post_form(&app, BROWSER_ACCEPT, &bad).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = location(&r);
    assert!(
        loc.starts_with("https://shop.example/signup?field=mobile&reason="),
        "{loc}"
    );
    assert_eq!(app.customer_count().await, before + 1);

    // An API client asking for JSON (or anything) keeps its JSON answers.
    for accept in ["application/json", "*/*"] {
        let r = post_form(&app, accept, &bad).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{accept}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().starts_with("mobile:"),
            "{body}"
        );
    }
    // A wrong key is not the key's: no redirect, the 401 envelope.
    let r = no_redirects()
        .post(format!(
            "{}/api/customer/create?userid=20&api_key={}",
            app.url,
            "y".repeat(50)
        ))
        .header("accept", BROWSER_ACCEPT)
        .form(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_filled_honeypot_answers_as_a_success_and_writes_nothing() {
    let app = spawn_app().await;
    set_web(
        &app,
        &[
            ("form_honeypot", "website_url"),
            ("form_thanks_url", "https://shop.example/thanks"),
        ],
    )
    .await;
    let before = app.customer_count().await;
    let bot = customer_fields_with(&[("resellerid", "1"), ("website_url", "http://spam.example")]);
    let r = post_form(&app, "application/json", &bot).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["result"].as_u64().is_some() && body["error"].is_null(),
        "{body}"
    );
    let r = post_form(&app, BROWSER_ACCEPT, &bot).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "https://shop.example/thanks");
    assert_eq!(app.customer_count().await, before, "nothing written");
    // Sent empty, as a human's browser sends the hidden field: created.
    let human = customer_fields_with(&[("resellerid", "1"), ("website_url", "")]);
    let r = post_form(&app, "application/json", &human).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.customer_count().await, before + 1);
}
