//! Webhook senders can put credentials in headers or in the query string; places must agree.

mod common;
use common::*;
use reqwest::StatusCode;

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn create_fields() -> Vec<(&'static str, String)> {
    let mut f = customer_fields();
    f.push(("resellerid", "1".into()));
    f
}

async fn post(app: &TestApp, query: &str, headers: &[(&str, &str)], body: String) -> Reply {
    let mut req = app
        .http
        .post(format!("{}/api/customer/create{query}", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    Reply {
        status: resp.status(),
        body: resp.json().await.unwrap(),
    }
}

#[tokio::test]
async fn headers_or_query_string_authenticate_a_create() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let fields = create_fields();
    let pairs = as_pairs(&fields);
    let key = app.key(ISP1_USER).to_owned();

    let by_header = post(
        &app,
        "",
        &[("X-Userid", "5"), ("X-Api-Key", &key)],
        form(&pairs),
    )
    .await;
    assert_eq!(by_header.status, StatusCode::OK, "{by_header:?}");
    // A form key may come in the query string (tools that only let you set a URL)...
    let form_key = app.key(FORM_USER).to_owned();
    let form_fields = customer_fields();
    let form_pairs: Vec<(&str, &str)> = form_fields
        .iter()
        .map(|(k, v)| (*k, if *k == "name" { "By Query" } else { v.as_str() }))
        .collect();
    let query = format!("?{}", form(&[("userid", "20"), ("api_key", &form_key)]));
    let by_query = post(&app, &query, &[], form(&form_pairs)).await;
    assert_eq!(by_query.status, StatusCode::OK, "{by_query:?}");
    // ...any other key is refused there once it is known to be right (400, nothing done,
    // rotate it), and a wrong one is 401 as anywhere.
    let query = format!("?{}", form(&[("userid", "5"), ("api_key", &key)]));
    let isp_by_query = post(&app, &query, &[], form(&pairs)).await;
    assert_eq!(
        isp_by_query.status,
        StatusCode::BAD_REQUEST,
        "{isp_by_query:?}"
    );
    // The message says where the key belongs instead, and to rotate it.
    let message = isp_by_query.error();
    assert!(message.starts_with("api_key:"), "{message}");
    for advice in ["body", "X-Userid/X-Api-Key headers", "rotate"] {
        assert!(message.contains(advice), "{advice}: {message}");
    }
    let query = format!(
        "?{}",
        form(&[
            ("userid", "5"),
            ("api_key", "a-wrong-key-of-enough-length-000000")
        ])
    );
    assert_eq!(
        post(&app, &query, &[], form(&pairs)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The same value in two places is fine.
    let mut with_body = pairs.clone();
    with_body.push(("userid", "5"));
    let both = post(
        &app,
        "",
        &[("X-Userid", "5"), ("X-Api-Key", &key)],
        form(&with_body),
    )
    .await;
    assert_eq!(both.status, StatusCode::OK, "{both:?}");
    assert_eq!(app.customer_count().await, 3);
}

#[tokio::test]
async fn disagreeing_places_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let fields = create_fields();
    let key = app.key(ISP1_USER).to_owned();
    let mut pairs = as_pairs(&fields);
    pairs.push(("userid", "5"));
    pairs.push(("api_key", &key));

    let header_other_user = post(&app, "", &[("X-Userid", "6")], form(&pairs)).await;
    assert_eq!(header_other_user.status, StatusCode::BAD_REQUEST);
    assert!(
        header_other_user
            .error()
            .starts_with("userid: given in more than one place"),
        "{header_other_user:?}"
    );
    let query_other_key = post(&app, "?api_key=other", &[], form(&pairs)).await;
    assert_eq!(query_other_key.status, StatusCode::BAD_REQUEST);
    assert!(query_other_key.error().starts_with("api_key:"));
    let wrong_key_in_header = post(
        &app,
        "",
        &[("X-Userid", "5"), ("X-Api-Key", "wrong")],
        form(&pairs[..pairs.len() - 2]),
    )
    .await;
    assert_eq!(wrong_key_in_header.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.customer_count().await, 0);
}
