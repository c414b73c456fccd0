//! The hosted page over HTTP: served by its public id with caching headers and no secret,
//! escaped, posted to as its form key (303 to its thank-you page; refused: the page again
//! with the error at its field, nothing written); unknown, wrong or withdrawn ids are 404.

use super::*;

async fn page_id(app: &TestApp) -> String {
    listed_web(app).await["page"]
        .as_str()
        .expect("a page")
        .to_owned()
}

#[tokio::test]
async fn the_page_is_served_cached_escaped_and_posts_as_its_form_key() {
    let app = spawn_app_with(&NO_CACHE).await;
    let r = set_web(
        &app,
        &[
            ("form_page", "on"),
            ("form_page_title", "Fibre <b>&</b> \"Co\""),
            ("form_page_colour", "#aa3300"),
            ("form_page_fields", "surname,notes"),
            ("form_honeypot", "website_url"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let id = page_id(&app).await;
    let url = format!("{}/signup/{id}", app.url);
    let r = app.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["cache-control"], "public, max-age=300");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'sha256-")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    let etag = h["etag"].to_str().unwrap().to_owned();
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Fibre &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;"),
        "{body}"
    );
    assert!(
        !body.contains(app.key(FORM_USER)),
        "the api_key is never in the page"
    );
    assert!(body.contains("name=\"surname\"") && body.contains("name=\"notes\""));
    assert!(!body.contains("name=\"dob\""));
    assert!(body.contains("name=\"website_url\""));
    let r = app
        .http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // A valid post: 303 to the page's own thank-you page; the customer is the form key's.
    let before = app.customer_count().await;
    let mut fields = customer_fields_with(&[("name", "Ana Łucja"), ("surname", "Nguyễn")]);
    fields.push(("website_url", String::new()));
    let r = no_redirects()
        .post(&url)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("{id}/thanks").as_str());
    assert_eq!(app.customer_count().await, before + 1);
    let r = app.http.get(format!("{url}/thanks")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Thank you"));

    // Refused: the page again, 400, the error at the field, the values kept (escaped).
    let bad = customer_fields_with(&[("mobile", "12ab"), ("name", "<i>Zed</i>")]);
    let r = no_redirects().post(&url).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(
            "id=\"err-mobile\" aria-live=\"polite\">Mobile number must be 6 to 15 digits</p>"
        ),
        "{body}"
    );
    assert!(body.contains("value=\"&lt;i&gt;Zed&lt;/i&gt;\""), "{body}");
    assert_eq!(app.customer_count().await, before + 1, "nothing written");

    // The honeypot filled: the thank-you page, nothing written.
    let mut bot = customer_fields_with(&[("mobile", "55554444")]);
    bot.push(("website_url", "http://spam.example".into()));
    let r = no_redirects().post(&url).form(&bot).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.customer_count().await, before + 1, "nothing written");
}

#[tokio::test]
async fn unknown_wrong_and_withdrawn_ids_are_404() {
    let app = spawn_app_with(&NO_CACHE).await;
    set_web(&app, &[("form_page", "on")]).await;
    let id = page_id(&app).await;
    // No title of its own: headed by its ISP's name.
    let isp: serde_json::Value =
        app.call(ISP1_USER, "isp/list", &[]).await.body["result"][0].clone();
    let html = app
        .http
        .get(format!("{}/signup/{id}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let name = isp["name"].as_str().unwrap();
    assert!(html.contains(&format!("<h1>{name}</h1>")), "{name}: {html}");
    let wrong = format!("20-{}", "0".repeat(32));
    for bad in [wrong.as_str(), "20", "x-y", "999-abc", "5-abc", "20-"] {
        let r = app
            .http
            .get(format!("{}/signup/{bad}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    set_web(&app, &[("form_page", "off")]).await;
    let r = app
        .http
        .get(format!("{}/signup/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = no_redirects()
        .post(format!("{}/signup/{id}", app.url))
        .form(&customer_fields())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_minimum_fill_time_refuses_quick_posts_and_writes_nothing() {
    let app = spawn_app_with(&NO_CACHE).await;
    let r = set_web(&app, &[("form_page", "on"), ("form_min_seconds", "2")]).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = set_web(&app, &[("form_min_seconds", "601")]).await;
    assert!(
        r.error()
            .starts_with("form_min_seconds: must be a whole number"),
        "{r:?}"
    );
    let url = format!("{}/signup/{}", app.url, page_id(&app).await);
    let r = app.http.get(&url).send().await.unwrap();
    assert_eq!(
        r.headers()["cache-control"],
        "no-store",
        "a signed time per view"
    );
    let body = r.text().await.unwrap();
    let stamp = body
        .split("name=\"shown_at\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a shown_at")
        .to_owned();
    let before = app.customer_count().await;
    let post = |stamp: Option<String>| {
        let mut fields = customer_fields();
        if let Some(s) = stamp {
            fields.push(("shown_at", s));
        }
        no_redirects().post(&url).form(&fields).send()
    };
    let r = post(Some(stamp.clone())).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("sent too quickly"));
    for bad in [
        None,
        Some(stamp.replace('.', ".0")),
        Some("1.abc".to_owned()),
    ] {
        let r = post(bad.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(
            r.text().await.unwrap().contains("missing or damaged"),
            "{bad:?}"
        );
    }
    assert_eq!(app.customer_count().await, before, "nothing written");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = post(Some(stamp)).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.customer_count().await, before + 1);
}
