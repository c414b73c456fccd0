//! CAPTCHA for form keys: the token checked with the provider (here a local stand-in at
//! `CAPTCHA_TURNSTILE_URL` that accepts only `good`), the secret sealed and never listed;
//! no token 400, a refused one 403, nothing written either way.

use super::*;
use axum::routing::post;

/// A siteverify stand-in: success only for the token `good` under the secret set below.
async fn stand_in() -> String {
    async fn verify(body: String) -> axum::Json<serde_json::Value> {
        let form: std::collections::HashMap<String, String> =
            form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
        let ok = form.get("response").map(String::as_str) == Some("good")
            && form.get("secret").map(String::as_str) == Some(SECRET);
        axum::Json(
            serde_json::json!({"success": ok, "error-codes": if ok { vec![] } else { vec!["invalid-input-response"] }}),
        )
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/siteverify", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/siteverify", post(verify));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

const SECRET: &str = "0x4AAAAAAAtest-secret-0000";

#[tokio::test]
async fn a_captcha_key_needs_a_token_the_provider_accepts() {
    let verify = stand_in().await;
    let app = spawn_app_with(&[
        ("AUTH_CACHE_SECONDS", "0"),
        ("CAPTCHA_TURNSTILE_URL", &verify),
    ])
    .await;
    let r = set_web(&app, &[("form_captcha", "turnstile")]).await;
    assert!(
        r.error()
            .starts_with("form_captcha: needs the provider's site key"),
        "{r:?}"
    );
    let r = set_web(
        &app,
        &[
            ("form_captcha", "turnstile"),
            ("form_captcha_site_key", "0x4AAAAAAAsite"),
            ("form_captcha_secret", SECRET),
            ("form_page", "on"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let web = listed_web(&app).await;
    assert_eq!(
        (&web["captcha"], &web["captcha_secret"]),
        (&serde_json::json!("turnstile"), &serde_json::json!(true))
    );
    assert!(!web.to_string().contains(SECRET), "never listed");

    let before = app.customer_count().await;
    let create = |token: Option<&'static str>| {
        let mut fields = customer_fields_with(&[("resellerid", "1")]);
        if let Some(t) = token {
            fields.push(("cf-turnstile-response", t.to_owned()));
        }
        let url = format!(
            "{}/api/customer/create?userid={FORM_USER}&api_key={}",
            app.url,
            app.key(FORM_USER)
        );
        app.http.post(url).form(&fields).send()
    };
    let r = create(None).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("captcha: the CAPTCHA was not solved"),
        "{body}"
    );
    let r = create(Some("bad")).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("captcha: the CAPTCHA check failed"),
        "{body}"
    );
    assert_eq!(app.customer_count().await, before, "nothing written");
    let r = create(Some("good")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.customer_count().await, before + 1);

    // The hosted page shows the widget (allowed by its CSP); a refused token: the page
    // again with the reason, nothing written.
    let url = format!("{}/signup/{}", app.url, web["page"].as_str().unwrap());
    let r = app.http.get(&url).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-src https://challenges.cloudflare.com"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("class=\"cf-turnstile\" data-sitekey=\"0x4AAAAAAAsite\""));
    let mut fields = customer_fields_with(&[("mobile", "77776666")]);
    fields.push(("cf-turnstile-response", "bad".into()));
    let r = no_redirects()
        .post(&url)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("the CAPTCHA check failed"));
    assert_eq!(app.customer_count().await, before + 1, "nothing written");

    // A form tool's deliveries carry no token: a profile and a CAPTCHA do not go together.
    let map = r#"{"type": {"const": "Individual"}, "name": "/n", "mobile": "/m", "email": "/e",
        "zipcode": "/z", "state": "/s", "city": "/c", "street": "/st"}"#;
    let r = set_web(&app, &[("form_profile", "json"), ("form_map", map)]).await;
    assert!(
        r.error()
            .starts_with("form_captcha: a form tool's deliveries"),
        "{r:?}"
    );
    let r = set_web(
        &app,
        &[
            ("form_profile", "json"),
            ("form_map", map),
            ("form_captcha", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = set_web(&app, &[("form_captcha", "hcaptcha")]).await;
    assert!(
        r.error()
            .starts_with("form_captcha: a form tool's deliveries"),
        "{r:?}"
    );

    // An unreachable provider fails closed: 403, nothing written.
    let app2 = spawn_app_with(&[
        ("CAPTCHA_TURNSTILE_URL", "http://127.0.0.1:9/siteverify"),
        ("CAPTCHA_TIMEOUT_MS", "500"),
    ])
    .await;
    let mut all = vec![("target_userid", "20")];
    all.extend([
        ("form_captcha", "turnstile"),
        ("form_captcha_site_key", "site"),
        ("form_captcha_secret", SECRET),
    ]);
    app2.call(ISP1_USER, "user/update", &all).await;
    let url = format!(
        "{}/api/customer/create?userid=20&api_key={}",
        app2.url,
        app2.key(FORM_USER)
    );
    let mut fields = customer_fields_with(&[("resellerid", "1")]);
    fields.push(("cf-turnstile-response", "good".into()));
    let r = app2.http.post(url).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("could not be checked"),
        "{body}"
    );
}
