mod common;
use common::*;

// Invalid parameters and invalid requests are refused with 400/413/415 and the JSON
// envelope, and nothing is written.

use http_body_util::BodyExt;
use jiff::ToSpan;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tower::ServiceExt;

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const JSON: Option<&str> = Some("application/json");
const MAX_BODY: usize = 64 * 1024;
const REQUIRED: [&str; 8] = [
    "type", "name", "mobile", "email", "zipcode", "state", "city", "street",
];

/// (parameters after userid/api_key, the parameter the error must name, a text it must contain)
type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

/// Asserts a failure answer: `status`, and exactly the envelope `{"result":null,"error":"<text>"}`.
/// Returns the error text.
fn failed<'r>(case: &str, reply: &'r Reply, status: StatusCode) -> &'r str {
    assert_eq!(reply.status, status, "{case}: {reply:?}");
    let object = reply
        .body
        .as_object()
        .unwrap_or_else(|| panic!("{case}: body is not an object: {reply:?}"));
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["result", "error"],
        "{case}: envelope keys: {reply:?}"
    );
    assert_eq!(reply.body["result"], Value::Null, "{case}: {reply:?}");
    let error = reply.body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{case}: no error text: {reply:?}"));
    assert!(!error.trim().is_empty(), "{case}: empty error text");
    error
}

/// Asserts a 400 whose error text names `param` (`"<param>: <rule>"`). Returns the text.
fn invalid<'r>(case: &str, reply: &'r Reply, param: &str) -> &'r str {
    let error = failed(case, reply, StatusCode::BAD_REQUEST);
    assert!(
        error.starts_with(&format!("{param}: ")),
        "{case}: error {error:?} should name {param:?}"
    );
    error
}

/// A valid create for `user`: the default fields (and `resellerid=1` for an ISP user), with
/// `without` left out and `set` replacing or adding fields.
fn create_params(user: u64, without: &[&str], set: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = customer_fields()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    match user {
        ISP1_USER | ISP2_USER => fields.push(("resellerid".into(), "1".into())),
        ADMIN => {
            fields.push(("ispid".into(), "1".into()));
            fields.push(("resellerid".into(), "1".into()));
        }
        _ => {}
    }
    fields.retain(|(k, _)| !without.contains(&k.as_str()));
    for (k, v) in set {
        fields.retain(|(name, _)| name != k);
        fields.push((k.to_string(), v.to_string()));
    }
    fields
}

async fn create_as(app: &TestApp, user: u64, without: &[&str], set: &[(&str, &str)]) -> Reply {
    let params = create_params(user, without, set);
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.call(user, "create", &refs).await
}

/// The form body of a valid create by user 5, with `extra` appended as they are.
fn create_form(app: &TestApp, extra: &str) -> String {
    let mut pairs = app.signed_form(ISP1_USER, &[]);
    pairs.extend(create_params(ISP1_USER, &[], &[]));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{body}{extra}")
}

/// The members of a valid create by user 5 as JSON object members (without braces).
fn create_json_members(app: &TestApp) -> String {
    let mut members = vec![
        format!("\"userid\":{ISP1_USER}"),
        format!("\"api_key\":\"{}\"", app.key(ISP1_USER)),
    ];
    for (k, v) in create_params(ISP1_USER, &[], &[]) {
        members.push(format!("{}:{}", Value::from(k), Value::from(v)));
    }
    members.join(",")
}

/// A customer of ISP 1 / reseller 1 with every optional field set, created more than a second
/// ago (so that any write would change its `updated_at`, which has second precision).
async fn target_customer(app: &TestApp) -> u64 {
    let id = create_as(
        app,
        ISP1_USER,
        &[],
        &[
            ("surname", "Orig"),
            ("dob", "1990-01-01"),
            ("uniqueid", "U-1"),
            ("notes", "first notes"),
        ],
    )
    .await
    .id();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    id
}

fn future_dates() -> Vec<String> {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    vec![
        today.checked_add(2.days()).unwrap().to_string(),
        "2999-01-01".to_owned(),
    ]
}

#[tokio::test]
async fn create_refuses_each_missing_or_empty_required_parameter() {
    let app = spawn_app().await;
    let before = app.customer_count().await;
    let mut cases: Vec<(u64, &str)> = REQUIRED.iter().map(|p| (ISP1_USER, *p)).collect();
    cases.push((ISP1_USER, "resellerid"));
    cases.push((ADMIN, "ispid"));
    cases.push((ADMIN, "resellerid"));
    cases.push((ADMIN, "name"));
    cases.push((RESELLER1_USER, "email"));
    for (user, param) in cases {
        let case = format!("user {user} without {param}");
        let missing = create_as(&app, user, &[param], &[]).await;
        let error = invalid(&case, &missing, param);
        assert!(error.contains("required"), "{case}: {error:?}");
        for empty in ["", "   "] {
            let case = format!("user {user} with {param}={empty:?}");
            let reply = create_as(&app, user, &[], &[(param, empty)]).await;
            assert_eq!(
                invalid(&case, &reply, param),
                error,
                "{case}: an empty value counts as missing"
            );
        }
        assert_eq!(
            app.customer_count().await,
            before,
            "{case}: nothing written"
        );
    }
}

#[tokio::test]
async fn create_refuses_bad_values_naming_the_parameter() {
    let app = spawn_app().await;
    let before = app.customer_count().await;
    let long = |n: usize| "x".repeat(n);
    let mut cases: Vec<(&str, String)> = vec![
        ("type", "Company".into()),
        ("dob", "2026-02-30".into()),
        ("dob", "2023-02-29".into()),
        ("dob", "27-11-2026".into()),
        ("dob", "2026/11/27".into()),
        ("dob", "1849-12-31".into()),
        ("mobile", "12345".into()),
        ("mobile", "1234567890123456".into()),
        ("mobile", "12a45678".into()),
        ("mobile", "phone".into()),
        ("email", "abc".into()),
        ("email", "a@localhost".into()),
        ("email", "a b@x.com".into()),
        ("zipcode", "12$45".into()),
        ("zipcode", "1".into()),
        ("zipcode", "12345678901".into()),
        ("resellerid", "abc".into()),
        ("resellerid", "0".into()),
        ("resellerid", "-1".into()),
        ("resellerid", "1.5".into()),
        ("resellerid", "1e3".into()),
        ("ispid", "abc".into()),
        ("ispid", "0".into()),
        ("name", long(101)),
        ("name", "Some\u{1}Name".into()),
        ("name", "Some\nName".into()),
        ("name", "Some\u{7f}Name".into()),
        ("surname", long(101)),
        ("surname", "a\tb".into()),
        ("uniqueid", long(65)),
        ("state", long(101)),
        ("city", "Pan\u{0}aji".into()),
        ("street", long(256)),
        ("street", "3rd\u{1b}street".into()),
        ("notes", long(4001)),
    ];
    for date in future_dates() {
        cases.push(("dob", date));
    }
    for (param, value) in &cases {
        let case = format!("create with {param}={value:?}");
        let reply = create_as(&app, ISP1_USER, &[], &[(param, value)]).await;
        invalid(&case, &reply, param);
        assert_eq!(
            app.customer_count().await,
            before,
            "{case}: nothing written"
        );
    }
    // The rules' edges are accepted: lengths count characters, not bytes.
    let ok = create_as(&app, ISP1_USER, &[], &[("name", &"é".repeat(100))]).await;
    let id = ok.id();
    assert_eq!(app.stored_attr(id, "name").await, Some("é".repeat(100)));
    assert_eq!(app.customer_count().await, before + 1);
}

#[tokio::test]
async fn update_refuses_bad_input_and_changes_nothing() {
    let app = spawn_app().await;
    let id = target_customer(&app).await;
    let id_text = id.to_string();
    let cid = id_text.as_str();
    let before = app.stored_customer(id).await;
    let updated_at = app.stored_attr(id, "updated_at").await;
    assert!(updated_at.is_some());
    let count = app.customer_count().await;

    let long_name = "x".repeat(101);
    // (parameters after userid/api_key, the parameter the error must name, a text it must contain)
    let cases: Vec<Case> = vec![
        (vec![("name", "New")], "customerid", "required"),
        (
            vec![("customerid", ""), ("name", "New")],
            "customerid",
            "required",
        ),
        (
            vec![("customerid", "abc"), ("name", "New")],
            "customerid",
            "",
        ),
        (vec![("customerid", "0"), ("name", "New")], "customerid", ""),
        (
            vec![("customerid", "-1"), ("name", "New")],
            "customerid",
            "",
        ),
        (
            vec![("customerid", "1.5"), ("name", "New")],
            "customerid",
            "",
        ),
        (vec![("customerid", cid), ("name", "")], "name", ""),
        (vec![("customerid", cid), ("name", "  ")], "name", ""),
        (vec![("customerid", cid), ("type", "")], "type", ""),
        (vec![("customerid", cid), ("mobile", "")], "mobile", ""),
        (vec![("customerid", cid), ("email", "")], "email", ""),
        (vec![("customerid", cid), ("zipcode", "")], "zipcode", ""),
        (vec![("customerid", cid), ("state", "")], "state", ""),
        (vec![("customerid", cid), ("city", "")], "city", ""),
        (vec![("customerid", cid), ("street", "")], "street", ""),
        (vec![("customerid", cid), ("type", "Company")], "type", ""),
        (vec![("customerid", cid), ("mobile", "12")], "mobile", ""),
        (vec![("customerid", cid), ("email", "abc")], "email", ""),
        (vec![("customerid", cid), ("zipcode", "1$")], "zipcode", ""),
        (vec![("customerid", cid), ("dob", "2026-02-30")], "dob", ""),
        (vec![("customerid", cid), ("dob", "2999-01-01")], "dob", ""),
        (
            vec![("customerid", cid), ("name", long_name.as_str())],
            "name",
            "",
        ),
        (vec![("customerid", cid), ("name", "a\u{1}b")], "name", ""),
        (
            vec![
                ("customerid", cid),
                ("name", "New"),
                ("reset_password", "yes"),
            ],
            "reset_password",
            "",
        ),
        (
            vec![("customerid", cid), ("reset_password", "1")],
            "reset_password",
            "",
        ),
        // A valid change next to an invalid one: all or nothing.
        (
            vec![("customerid", cid), ("name", "New"), ("mobile", "abc")],
            "mobile",
            "",
        ),
        (
            vec![
                ("customerid", cid),
                ("street", "New st"),
                ("email", "a@localhost"),
            ],
            "email",
            "",
        ),
        (vec![("customerid", cid)], "customerid", "nothing to update"),
        (
            vec![("customerid", cid), ("utm_source", "x")],
            "customerid",
            "nothing to update",
        ),
        (
            vec![("customerid", cid), ("reset_password", "N")],
            "customerid",
            "nothing to update",
        ),
    ];
    for (params, param, fragment) in &cases {
        let case = format!("update with {params:?}");
        let reply = app.call(ISP1_USER, "update", params).await;
        let error = invalid(&case, &reply, param);
        assert!(
            error.contains(fragment),
            "{case}: {error:?} should contain {fragment:?}"
        );
        assert_eq!(
            app.stored_attr(id, "updated_at").await,
            updated_at,
            "{case}: updated_at changed"
        );
        assert_eq!(
            app.stored_customer(id).await,
            before,
            "{case}: the stored customer changed"
        );
        assert_eq!(app.customer_count().await, count, "{case}");
    }
}

#[tokio::test]
async fn delete_refuses_a_missing_or_bad_customerid() {
    let app = spawn_app().await;
    let id = target_customer(&app).await;
    let before = app.stored_customer(id).await;
    let count = app.customer_count().await;
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("customerid", "")],
        vec![("customerid", " ")],
        vec![("customerid", "abc")],
        vec![("customerid", "0")],
        vec![("customerid", "-1")],
        vec![("customerid", "1.5")],
        vec![("customerid", "1e3")],
        vec![("customerid", "9007199254740992")],
    ];
    for params in &cases {
        let case = format!("delete with {params:?}");
        let reply = app.call(ISP1_USER, "delete", params).await;
        invalid(&case, &reply, "customerid");
        assert_eq!(app.customer_count().await, count, "{case}: nothing deleted");
        assert_eq!(
            app.stored_customer(id).await,
            before,
            "{case}: the customer changed"
        );
    }
}

#[tokio::test]
async fn list_refuses_bad_parameters() {
    let app = spawn_app().await;
    target_customer(&app).await;
    let count = app.customer_count().await;
    // (parameters, the parameter the error must name, a text it must contain)
    let cases: Vec<Case> = vec![
        (vec![("rows_limit", "0")], "rows_limit", "1 to 100"),
        (vec![("rows_limit", "101")], "rows_limit", "1 to 100"),
        (vec![("rows_limit", "-1")], "rows_limit", "1 to 100"),
        (vec![("rows_limit", "ten")], "rows_limit", "1 to 100"),
        (vec![("rows_limit", "1.5")], "rows_limit", "1 to 100"),
        (vec![("rows_offset", "-1")], "rows_offset", ""),
        (vec![("rows_offset", "x")], "rows_offset", ""),
        (vec![("sort_field", "city")], "sort_field", ""),
        (vec![("sort_field", "password")], "sort_field", ""),
        (vec![("sort_order", "up")], "sort_order", ""),
        (vec![("show_count", "2")], "show_count", ""),
        (vec![("show_count", "yes")], "show_count", ""),
        (vec![("created_from", "2026-02-30")], "created_from", ""),
        (vec![("created_from", "27-11-2026")], "created_from", ""),
        (vec![("created_upto", "2026-13-01")], "created_upto", ""),
        (
            vec![
                ("created_from", "2026-11-28"),
                ("created_upto", "2026-11-27"),
            ],
            "created_upto",
            "",
        ),
        (vec![("customerid", "abc")], "customerid", ""),
        (vec![("ispid", "0")], "ispid", ""),
        (vec![("resellerid", "-1")], "resellerid", ""),
        (vec![("type", "Company")], "type", ""),
    ];
    for (params, param, fragment) in &cases {
        let case = format!("list with {params:?}");
        let reply = app.call(ISP1_USER, "list", params).await;
        let error = invalid(&case, &reply, param);
        assert!(
            error.contains(fragment),
            "{case}: {error:?} should contain {fragment:?}"
        );
        assert_eq!(app.customer_count().await, count, "{case}");
    }
    // The edges of the ranges are accepted.
    for params in [
        vec![("rows_limit", "1")],
        vec![("rows_limit", "100")],
        vec![("rows_offset", "0")],
        vec![
            ("created_from", "2026-11-27"),
            ("created_upto", "2026-11-27"),
        ],
    ] {
        let reply = app.call(ISP1_USER, "list", &params).await;
        assert!(reply.result().is_array(), "list with {params:?}: {reply:?}");
    }
}

#[tokio::test]
async fn request_level_errors_answer_with_the_envelope_and_write_nothing() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let count = app.customer_count().await;
    let valid_form = create_form(&app, "");
    let members = create_json_members(&app);
    let over = create_form(&app, &format!("&pad={}", "x".repeat(MAX_BODY)));
    assert!(over.len() > MAX_BODY);
    let multipart_dup = format!(
        "--B\r\nContent-Disposition: form-data; name=\"userid\"\r\n\r\n5\r\n\
         --B\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n{key}\r\n\
         --B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\na\r\n\
         --B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nb\r\n--B--\r\n",
        key = app.key(ISP1_USER)
    );
    // (case, content type, body, status, a text the error must contain)
    let cases: Vec<(&str, Option<&str>, String, StatusCode, &str)> = vec![
        (
            "text/plain",
            Some("text/plain"),
            valid_form.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "text/plain",
        ),
        (
            "application/xml",
            Some("application/xml"),
            valid_form.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "",
        ),
        (
            "body over 64 KiB",
            FORM,
            over,
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
        ),
        (
            "form name twice",
            FORM,
            create_form(&app, "&name=a&name=b"),
            StatusCode::BAD_REQUEST,
            "given more than once",
        ),
        (
            "form userid twice",
            FORM,
            create_form(&app, "&userid=5"),
            StatusCode::BAD_REQUEST,
            "given more than once",
        ),
        (
            "JSON name twice",
            JSON,
            format!("{{{members},\"name\":\"a\",\"name\":\"b\"}}"),
            StatusCode::BAD_REQUEST,
            "given more than once",
        ),
        (
            "multipart name twice",
            Some("multipart/form-data; boundary=B"),
            multipart_dup,
            StatusCode::BAD_REQUEST,
            "given more than once",
        ),
        (
            "JSON cut short",
            JSON,
            format!("{{{members},\"notes\":"),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            "JSON not JSON",
            JSON,
            valid_form.clone(),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            "JSON empty body",
            JSON,
            String::new(),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            "JSON array",
            JSON,
            format!("[{{{members}}}]"),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            "JSON string",
            JSON,
            "\"userid=5\"".into(),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            "JSON trailing data",
            JSON,
            format!("{{{members}}} {{"),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            "JSON nested object",
            JSON,
            format!("{{{members},\"notes\":{{\"a\":1}}}}"),
            StatusCode::BAD_REQUEST,
            "notes",
        ),
        (
            "JSON nested array",
            JSON,
            format!("{{{members},\"notes\":[\"a\"]}}"),
            StatusCode::BAD_REQUEST,
            "notes",
        ),
    ];
    for (case, content_type, body, status, fragment) in cases {
        let reply = app.raw("create", content_type, body).await;
        let error = failed(case, &reply, status);
        assert!(
            error.contains(fragment),
            "{case}: {error:?} should contain {fragment:?}"
        );
        assert_eq!(app.customer_count().await, count, "{case}: nothing written");
    }

    // The same bodies are accepted as they should be (the cases above fail for their reason only).
    let ok = app.raw("create", FORM, valid_form).await;
    ok.id();
    let ok = app.raw("create", JSON, format!("{{{members}}}")).await;
    ok.id();
    // A boolean is read as its text (a form tool's consent checkbox, ignored here).
    let ok = app
        .raw("create", JSON, format!("{{{members},\"consent\":true}}"))
        .await;
    ok.id();
    assert_eq!(app.customer_count().await, count + 3);
}

/// A parameter given twice is an error even when one of the two values is JSON `null`.
#[tokio::test]
async fn a_json_parameter_given_twice_is_refused_even_when_one_is_null() {
    let app = spawn_app().await;
    let count = app.customer_count().await;
    let members = create_json_members(&app);
    for (case, extra) in [
        ("notes twice, the first null", r#""notes":null,"notes":"b""#),
        (
            "notes twice, the second null",
            r#""notes":"a","notes":null"#,
        ),
        ("notes twice, both null", r#""notes":null,"notes":null"#),
    ] {
        let reply = app
            .raw("create", JSON, format!("{{{members},{extra}}}"))
            .await;
        let error = failed(case, &reply, StatusCode::BAD_REQUEST);
        assert!(
            error.contains("notes: given more than once"),
            "{case}: {error:?}"
        );
        assert_eq!(app.customer_count().await, count, "{case}: nothing written");
    }
}

#[tokio::test]
async fn body_limit_is_64_kib_with_or_without_content_length() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let count = app.customer_count().await;
    let exact = |extra: usize| {
        let start = create_form(&app, "&pad=");
        let body = format!("{start}{}", "x".repeat(MAX_BODY + extra - start.len()));
        assert_eq!(body.len(), MAX_BODY + extra);
        body
    };

    // Through the router directly: a body with no Content-Length header.
    let send = |body: String| {
        let router = app.router.clone();
        async move {
            let req = axum::http::Request::post("/api/customer/create")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from_stream(futures_util::stream::iter(
                    body.into_bytes()
                        .chunks(1000)
                        .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
                        .collect::<Vec<_>>(),
                )))
                .unwrap();
            assert!(req.headers().get("content-length").is_none());
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status();
            let ct = resp.headers().get("content-type").cloned();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(
                ct.as_ref().map(|v| v.to_str().unwrap()),
                Some("application/json")
            );
            Reply {
                status,
                body: serde_json::from_slice(&bytes).expect("JSON body"),
            }
        }
    };
    let reply = send(exact(1)).await;
    failed(
        "streamed body of 64 KiB + 1",
        &reply,
        StatusCode::PAYLOAD_TOO_LARGE,
    );
    let reply = app.raw("create", FORM, exact(1)).await;
    failed("body of 64 KiB + 1", &reply, StatusCode::PAYLOAD_TOO_LARGE);
    let reply = app.raw("create", FORM, exact(MAX_BODY)).await;
    failed("body of 128 KiB", &reply, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.customer_count().await, count, "nothing written");

    // Exactly 64 KiB is within the limit, and the unknown `pad` is ignored.
    let id = app.raw("create", FORM, exact(0)).await.id();
    assert_eq!(app.stored_attr(id, "pad").await, None);
    send(exact(0)).await.id();
    assert_eq!(app.customer_count().await, count + 2);
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let app = spawn_app().await;
    let count = app.customer_count().await;
    let id = create_as(
        &app,
        ISP1_USER,
        &[],
        &[("utm_source", "x"), ("submit", "Save"), ("password", "p")],
    )
    .await
    .id();
    assert_eq!(app.customer_count().await, count + 1);
    for attr in ["utm_source", "submit", "password"] {
        assert_eq!(
            app.stored_attr(id, attr).await,
            None,
            "{attr} is not stored"
        );
    }
    assert_eq!(
        app.stored_attr(id, "name").await.as_deref(),
        Some("Some Name")
    );

    // JSON too, where `null` counts as absent.
    let body = format!(
        "{{{},\"utm_source\":\"x\",\"campaign\":7,\"surname\":null}}",
        create_json_members(&app)
    );
    let id = app.raw("create", JSON, body).await.id();
    assert_eq!(app.stored_attr(id, "utm_source").await, None);
    assert_eq!(app.stored_attr(id, "campaign").await, None);
    assert_eq!(app.customer_count().await, count + 2);

    let reply = app
        .call(
            ISP1_USER,
            "update",
            &[
                ("customerid", &id.to_string()),
                ("city", "Margao"),
                ("utm_source", "x"),
            ],
        )
        .await;
    assert_eq!(reply.result(), "done");
    assert_eq!(app.stored_attr(id, "city").await.as_deref(), Some("Margao"));
    let reply = app
        .call(
            ISP1_USER,
            "list",
            &[("customerid", &id.to_string()), ("utm_source", "x")],
        )
        .await;
    assert_eq!(reply.ids(), vec![id]);
    let reply = app
        .call(
            ISP1_USER,
            "delete",
            &[("customerid", &id.to_string()), ("utm_source", "x")],
        )
        .await;
    assert_eq!(reply.result(), "done");
    assert_eq!(app.customer_count().await, count + 1);
}
