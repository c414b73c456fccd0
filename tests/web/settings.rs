//! A form key's web settings: checked when set (400, nothing written), by whom, listed,
//! kept when absent and cleared when empty, and crm-admin's `user web`.

use super::*;
use serde_json::json;

#[tokio::test]
async fn web_settings_are_checked_set_listed_and_cleared() {
    let app = spawn_app().await;
    let refused = [
        (
            ("form_origins", "http://shop.example"),
            "form_origins: \"http://shop.example\" must start with https://",
        ),
        (
            ("form_origins", "https://shop.example/"),
            "form_origins: \"https://shop.example/\" is not an origin",
        ),
        (
            ("form_origins", "*"),
            "form_origins: \"*\" must start with https://",
        ),
        (
            ("form_origins", "http://localhost:8080"),
            "form_origins: \"http://localhost:8080\": http://localhost-style addresses are allowed only where",
        ),
        (
            ("form_thanks_url", "javascript:alert(1)//"),
            "form_thanks_url:",
        ),
        (
            ("form_thanks_url", "https://shop.example/t#top"),
            "form_thanks_url: must not have a #fragment",
        ),
        (
            ("form_error_url", "https://user@shop.example/"),
            "form_error_url:",
        ),
        (
            ("form_thanks_id", "Y"),
            "form_thanks_id: needs a thank-you URL",
        ),
        (
            ("form_honeypot", "email"),
            "form_honeypot: \"email\" is a parameter the API reads",
        ),
        (("form_honeypot", "<b>"), "form_honeypot: must be 1 to 40"),
        (("form_page", "yes"), "form_page: must be on"),
    ];
    for ((k, v), expected) in refused {
        let r = set_web(&app, &[(k, v)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{k}={v}: {r:?}");
        assert!(r.error().starts_with(expected), "{expected}: {r:?}");
    }
    assert_eq!(
        listed_web(&app).await,
        serde_json::Value::Null,
        "nothing written"
    );
    let r = set_web(&app, &[]).await;
    assert!(
        r.error()
            .starts_with("form_profile: is required, unless a web setting"),
        "{r:?}"
    );

    // Not a form key: 400; a form key itself may not set its own: 403.
    let r = app
        .call(
            ISP1_USER,
            "user/update",
            &[("target_userid", "7"), ("form_page", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
    let r = app
        .call(
            FORM_USER,
            "user/update",
            &[("target_userid", "20"), ("form_page", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");

    let r = set_web(
        &app,
        &[
            (
                "form_origins",
                "https://shop.example, https://www.shop.example:8443",
            ),
            ("form_thanks_url", "https://shop.example/thanks?from=form"),
            ("form_error_url", "https://shop.example/signup"),
            ("form_thanks_id", "Y"),
            ("form_honeypot", "website_url"),
            ("form_page", "on"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let web = listed_web(&app).await;
    let page = web["page"].as_str().unwrap().to_owned();
    assert!(page.starts_with("20-") && page.len() == 3 + 32, "{page}");
    assert_eq!(
        web,
        json!({
            "origins": ["https://shop.example", "https://www.shop.example:8443"],
            "thanks_url": "https://shop.example/thanks?from=form",
            "error_url": "https://shop.example/signup",
            "thanks_with_id": true,
            "honeypot": "website_url",
            "page": page,
            "page_title": null,
            "page_logo": null,
            "page_colour": null,
            "page_fields": [],
            "min_seconds": 0,
            "unstamped": "refuse",
            "captcha": null,
            "captcha_site_key": null,
            "captcha_secret": false,
        })
    );
    // Absent: kept; `on` keeps the page's id, `new` changes it; empty clears.
    set_web(&app, &[("form_page", "on"), ("form_honeypot", "")]).await;
    let web = listed_web(&app).await;
    assert_eq!(
        (web["page"].as_str(), &web["honeypot"]),
        (Some(page.as_str()), &serde_json::Value::Null)
    );
    assert_eq!(web["origins"].as_array().map(Vec::len), Some(2));
    set_web(&app, &[("form_page", "new")]).await;
    assert_ne!(listed_web(&app).await["page"].as_str(), Some(page.as_str()));
    let r = set_web(
        &app,
        &[
            ("form_origins", ""),
            ("form_thanks_url", ""),
            ("form_error_url", ""),
            ("form_thanks_id", "N"),
            ("form_page", "off"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        listed_web(&app).await,
        serde_json::Value::Null,
        "all cleared: removed"
    );
}

#[tokio::test]
async fn local_origins_only_where_the_deployment_allows_them() {
    let app = spawn_app_with(&LOCAL).await;
    let r = set_web(
        &app,
        &[
            (
                "form_origins",
                "http://localhost:8080 http://127.0.0.1:9000",
            ),
            ("form_thanks_url", "http://localhost:8080/thanks"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = set_web(&app, &[("form_origins", "http://shop.example")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
}

#[tokio::test]
async fn crm_admin_sets_the_same_settings() {
    let app = spawn_app().await;
    let out = crm_admin(
        &app.prefix(),
        &[
            "user",
            "web",
            "--userid",
            "20",
            "--origins",
            "https://shop.example",
            "--page",
            "on",
            "--unstamped",
            "allow",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let web = listed_web(&app).await;
    assert_eq!(web["origins"], json!(["https://shop.example"]));
    assert!(web["page"].as_str().is_some());
    assert_eq!(web["unstamped"], "allow");
    let out = crm_admin(
        &app.prefix(),
        &[
            "user",
            "web",
            "--userid",
            "20",
            "--origins",
            "http://x.example",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must start with https://"));
}
