//! CORS on `customer/create`: a preflight from an allowed origin of the form key named in
//! the query string is 204 with the method, headers and max age; a POST from it carries
//! `Access-Control-Allow-Origin` for that origin (never `*`, never credentials); any other
//! origin, another role's key, a wrong key and every other method get no CORS headers.

use super::*;

const SHOP: &str = "https://shop.example";

async fn preflight(app: &TestApp, user: u64, origin: &str) -> reqwest::Response {
    let url = format!(
        "{}/api/customer/create?userid={user}&api_key={}",
        app.url,
        app.key(user)
    );
    app.http
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight")
}

fn cors(r: &reqwest::Response) -> Vec<(String, String)> {
    r.headers()
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("access-control-"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect()
}

async fn create_from(app: &TestApp, origin: &str) -> reqwest::Response {
    let url = format!(
        "{}/api/customer/create?userid={FORM_USER}&api_key={}",
        app.url,
        app.key(FORM_USER)
    );
    app.http
        .post(url)
        .header("origin", origin)
        .form(&customer_fields_with(&[("resellerid", "1")]))
        .send()
        .await
        .expect("create")
}

#[tokio::test]
async fn an_allowed_origin_gets_its_preflight_and_reads_the_reply() {
    let app = spawn_app_with(&NO_CACHE).await;
    // No origins yet: the preflight is today's 405, without CORS headers.
    let r = preflight(&app, FORM_USER, SHOP).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(cors(&r).is_empty());

    set_web(&app, &[("form_origins", SHOP)]).await;
    let r = preflight(&app, FORM_USER, SHOP).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let headers = cors(&r);
    let get = |k: &str| {
        headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("access-control-allow-origin"), Some(SHOP));
    assert_eq!(get("access-control-allow-methods"), Some("POST"));
    assert!(
        get("access-control-allow-headers")
            .unwrap()
            .contains("content-type")
    );
    assert_eq!(get("access-control-max-age"), Some("600"));
    assert_eq!(get("access-control-allow-credentials"), None);
    assert_eq!(r.headers()["vary"], "origin");

    let r = create_from(&app, SHOP).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], SHOP);
    assert_eq!(r.headers()["vary"], "origin");
    assert!(
        r.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["result"].as_u64().is_some(), "{body}");

    // Another origin: no CORS headers on either (the browser blocks the reply).
    for other in ["https://evil.example", "https://shop.example:444", "null"] {
        let r = preflight(&app, FORM_USER, other).await;
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{other}");
        assert!(cors(&r).is_empty(), "{other}");
        let r = create_from(&app, other).await;
        assert!(cors(&r).is_empty(), "{other}");
    }
}

#[tokio::test]
async fn other_keys_methods_and_wrong_keys_get_no_cors() {
    let app = spawn_app().await;
    set_web(&app, &[("form_origins", SHOP)]).await;
    // Another role's key with the same origin, a wrong key.
    let r = preflight(&app, ISP1_USER, SHOP).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(cors(&r).is_empty());
    let r = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!(
                "{}/api/customer/create?userid=20&api_key={}",
                app.url,
                "x".repeat(50)
            ),
        )
        .header("origin", SHOP)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(cors(&r).is_empty());
    // A preflight for another method; OPTIONS on another route; GET: 405 as ever.
    let r = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!(
                "{}/api/customer/create?userid=20&api_key={}",
                app.url,
                app.key(FORM_USER)
            ),
        )
        .header("origin", SHOP)
        .header("access-control-request-method", "DELETE")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    for (method, path) in [
        (reqwest::Method::OPTIONS, "/api/customer/list"),
        (reqwest::Method::GET, "/api/customer/create"),
        (reqwest::Method::PUT, "/api/customer/create"),
    ] {
        let r = app
            .http
            .request(method.clone(), format!("{}{path}", app.url))
            .header("origin", SHOP)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(cors(&r).is_empty(), "{method} {path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "method not allowed: use POST");
    }
}
