//! Property tests of every parser a request goes through: bodies (form, JSON, multipart, none),
//! credentials in the body, query string and headers, values (mobile, email, zipcode, type,
//! dates, patterns, idempotency keys, usernames, service statuses, free text, ids, time zones,
//! flags, roles), the records of creates, updates and lists, and cursors. No input panics; each
//! is a clear 4xx or a valid value, and a valid value parses again to itself. Then random
//! requests on every route of the contract, through the router.
//!
//! Fixed seeds: CI runs the same cases every time, and a failure reproduces. Each property
//! test takes under 1 s; the router test ~6 s, nearly all of it moto.

mod common;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request};
use bytes::Bytes;
use common::*;
use isp_crm::app::cursor::CursorSeal;
use isp_crm::domain::Fields;
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::customer::{
    CustomerFields, CustomerType, CustomerUpdate, Email, Mobile, Zipcode, parse_date, parse_dob,
};
use isp_crm::domain::idempotency::IdempotencyKey;
use isp_crm::domain::ids::{CustomerId, IspId, MAX_ID, ResellerId, ServiceId, UserId};
use isp_crm::domain::list::{ListRequest, MAX_LIMIT, MAX_OFFSET, Pattern};
use isp_crm::domain::service::{
    PLAN, ServiceFields, ServiceListRequest, ServiceStatus, ServiceUpdate, Username,
};
use isp_crm::domain::tenancy::{DirectoryUpdate, parse_flag, parse_role};
use isp_crm::domain::text::{self, TextRule};
use isp_crm::domain::zone::IspTimeZone;
use isp_crm::domain::{Invalid, scope::Actor};
use isp_crm::http::contract::{self, Route};
use isp_crm::http::{ApiError, Params, RequestError, credentials};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::collections::{BTreeMap, HashMap, HashSet};
use tower::ServiceExt;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_127),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that looks like what forms send, with the characters that break parsers.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "[0-9+() .-]{0,24}",
        "[a-zA-Z0-9._%+@-]{0,30}",
        "\\PC{0,20}",
        ".{0,8}",
    ]
}

/// Values a parser accepts, or nearly: ids, statuses, flags, roles, zones, dates, lengths at
/// the limits. Mixed with `texty`, so that records parse past their first field.
const NEAR_VALID: [&str; 44] = [
    "1",
    "2",
    " 3 ",
    "007",
    "0",
    "-1",
    "9007199254740991",
    "9007199254740992",
    "18446744073709551616",
    "Individual",
    "organization",
    "Active",
    "npd",
    "NewRequest",
    "Gone",
    "Y",
    "n",
    "TRUE",
    "0 ",
    "maybe",
    "admin",
    "Isp",
    "reseller",
    "form",
    "root",
    "Asia/Kolkata",
    "america/new_york",
    "UTC",
    "Etc/GMT+5",
    "Asia/../Asia/Kolkata",
    "2026-02-28",
    "2026-02-30",
    "1849-12-31",
    "12344444",
    "+91 (98765) 43210",
    "abc@email.com",
    "a@localhost",
    "403 001",
    "asc",
    "DESC",
    "username",
    "%",
    "panaji.cafe",
    "a b",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => texty(),
        3 => proptest::sample::select(&NEAR_VALID[..]).prop_map(str::to_owned),
        1 => (1usize..130, any::<bool>()).prop_map(|(n, nl)| {
            let line = "x".repeat(n);
            if nl { format!("{line}\n{line}") } else { line }
        }),
        1 => "[a-zA-Z0-9._@+-]{60,70}",
        1 => Just(String::new()),
    ]
}

/// Every parameter name a route reads, the credentials, and a few it does not know.
fn parameter_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = contract::ROUTES
        .iter()
        .flat_map(|r| r.params.iter().copied())
        .chain(contract::EVERY_ROUTE.iter().map(|place| place.param))
        .chain(["nope", "Name", ""])
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn fields() -> impl Strategy<Value = HashMap<String, String>> {
    proptest::collection::vec(
        (proptest::sample::select(parameter_names()), value()),
        0..10,
    )
    .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

const CONTENT_TYPES: [&str; 8] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/vnd.api+json",
    "multipart/form-data; boundary=XyZ",
    "multipart/form-data",
    "text/plain",
    "application/json; charset=latin1",
    ";;;",
];

/// Bytes a header value may hold (`HeaderValue::from_bytes`): visible ASCII, tab, and the
/// bytes above 0x7f, which are not visible ASCII and so cannot be read as text.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "[ -~]{0,20}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(
            prop_oneof![0x20u8..0x7f, Just(b'\t'), 0x80u8..=0xff],
            0..12
        ),
    ]
}

fn json_body(pairs: &[(String, String)]) -> Vec<u8> {
    serde_json::Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
            .collect(),
    )
    .to_string()
    .into_bytes()
}

fn multipart_body(pairs: &[(String, String)]) -> Vec<u8> {
    let mut s = String::new();
    for (k, v) in pairs {
        s.push_str(&format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    s.push_str("--XyZ--\r\n");
    s.into_bytes()
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let pairs = || proptest::collection::vec(("[a-z_]{1,12}", texty()), 0..6);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        pairs().prop_map(|pairs| {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
                .into_bytes()
        }),
        proptest::collection::vec(
            (
                "[a-z_]{1,12}",
                prop_oneof![
                    texty().prop_map(serde_json::Value::from),
                    any::<i64>().prop_map(serde_json::Value::from),
                    any::<f64>().prop_map(serde_json::Value::from),
                    any::<bool>().prop_map(serde_json::Value::from),
                    Just(serde_json::Value::Null),
                    Just(serde_json::json!({"nested": [1]})),
                ]
            ),
            0..6
        )
        .prop_map(|pairs| {
            serde_json::Value::Object(pairs.into_iter().collect())
                .to_string()
                .into_bytes()
        }),
        pairs().prop_map(|pairs| multipart_body(&pairs)),
    ]
}

/// A refused value names its parameter and a rule: the client sees `param: rule` with 400.
fn clear(e: &Invalid, param: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.param, param);
    prop_assert!(!e.rule.trim().is_empty(), "{param}: an empty rule");
    Ok(())
}

/// A refused body or credential is a 4xx envelope, never a 5xx.
fn client_error(e: RequestError) -> Result<(), TestCaseError> {
    let status = ApiError::from(e).status();
    prop_assert!(status.is_client_error(), "{status}");
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn bodies_parse_or_are_refused(
        ct in proptest::option::of(prop_oneof![
            3 => proptest::sample::select(&CONTENT_TYPES[..]).prop_map(|c| c.as_bytes().to_vec()),
            1 => header_bytes(),
        ]),
        bytes in body(),
    ) {
        let mut headers = HeaderMap::new();
        if let Some(ct) = ct.and_then(|c| HeaderValue::from_bytes(&c).ok()) {
            headers.insert("content-type", ct);
        }
        match runtime().block_on(Params::from_body(&headers, Bytes::from(bytes))) {
            // What was read is what a form of the same pairs reads.
            Ok(params) => {
                let form = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params.pairs())
                    .finish();
                prop_assert_eq!(Params::from_form(form.as_bytes()), Ok(params));
            }
            Err(e) => client_error(e)?,
        }
    }

    #[test]
    fn values_are_refused_or_parse_to_a_fixed_point(v in texty()) {
        if let Ok(m) = Mobile::parse("mobile", &v) {
            prop_assert_eq!(Mobile::parse("mobile", m.as_str()).ok(), Some(m));
        }
        if let Ok(e) = Email::parse("email", &v) {
            prop_assert_eq!(Email::parse("email", e.as_str()).ok(), Some(e));
        }
        if let Ok(z) = Zipcode::parse("zipcode", &v) {
            prop_assert_eq!(Zipcode::parse("zipcode", z.as_str()).ok(), Some(z));
        }
        if let Ok(t) = CustomerType::parse("type", &v) {
            prop_assert_eq!(CustomerType::parse("type", t.as_str()).ok(), Some(t));
        }
        if let Ok(d) = parse_date("created_from", &v) {
            prop_assert_eq!(parse_date("created_from", &d.to_string()).ok(), Some(d));
        }
        let today = jiff::civil::date(2026, 11, 27);
        if let Ok(d) = parse_dob("dob", &v, today) {
            prop_assert!(d <= today);
        }
        if let Ok(k) = IdempotencyKey::parse("idempotency_key", &v) {
            prop_assert_eq!(k.as_str(), v.trim());
        }
        // A pattern always matches the text it was made from, without its wildcards.
        let p = Pattern::new(&v, true);
        prop_assert!(p.matches(&v.replace('%', "")) || v.contains('%'));
        for e in [Mobile::parse("mobile", &v).err(), Email::parse("email", &v).err()].into_iter().flatten() {
            prop_assert!(!e.rule.is_empty());
        }
    }

    /// The values of services, ISPs, resellers and users, and the ids of every route.
    #[test]
    fn service_and_tenancy_values_are_refused_or_parse_to_a_fixed_point(v in value()) {
        match Username::parse("username", &v) {
            Ok(u) => {
                prop_assert_eq!(u.as_str(), v.trim());
                prop_assert!((1..=Username::MAX).contains(&u.as_str().len()));
                prop_assert!(!u.as_str().contains('%'), "the list's wildcard");
                let folded = Username::parse("username", &u.folded()).map(|f| f.folded());
                prop_assert_eq!(folded, Ok(u.folded()));
            }
            Err(e) => clear(&e, "username")?,
        }
        match ServiceStatus::parse("status", &v) {
            Ok(s) => {
                prop_assert!(s.as_str().eq_ignore_ascii_case(v.trim()));
                prop_assert_eq!(ServiceStatus::parse("status", s.as_str()), Ok(s));
            }
            Err(e) => clear(&e, "status")?,
        }
        let rules: [(&'static str, TextRule); 6] = [
            ("name", text::NAME),
            ("city", text::PLACE),
            ("uniqueid", text::UNIQUE_ID),
            ("street", text::STREET),
            ("notes", text::NOTES),
            ("plan", PLAN),
        ];
        for (param, rule) in rules {
            match rule.parse(param, &v) {
                Ok(t) => {
                    prop_assert_eq!(t.as_str(), v.trim());
                    prop_assert!(!t.is_empty() && t.chars().count() <= rule.max);
                    let allowed = |c: char| !c.is_control() || (rule.multiline && "\n\r\t".contains(c));
                    prop_assert!(t.chars().all(allowed), "{param}: {t:?}");
                    prop_assert_eq!(rule.parse(param, &t), Ok(t.clone()));
                }
                Err(e) => clear(&e, param)?,
            }
        }
        // Every id type shares one rule: a positive decimal number up to 2^53 - 1.
        let ids = [
            ("userid", UserId::parse("userid", &v).map(UserId::get)),
            ("ispid", IspId::parse("ispid", &v).map(IspId::get)),
            ("resellerid", ResellerId::parse("resellerid", &v).map(ResellerId::get)),
            ("customerid", CustomerId::parse("customerid", &v).map(CustomerId::get)),
            ("serviceid", ServiceId::parse("serviceid", &v).map(ServiceId::get)),
        ];
        let expected = v.trim().parse::<u64>().ok().filter(|n| (1..=MAX_ID).contains(n));
        for (param, id) in ids {
            match id {
                Ok(n) => {
                    prop_assert_eq!(Some(n), expected);
                    prop_assert!(v.trim().bytes().all(|b| b.is_ascii_digit()), "{v:?}");
                    prop_assert_eq!(CustomerId::parse(param, &n.to_string()), Ok(CustomerId(n)));
                }
                Err(e) => {
                    prop_assert!(expected.is_none() || !v.trim().bytes().all(|b| b.is_ascii_digit()));
                    clear(&e, param)?;
                }
            }
        }
        match IspTimeZone::parse("time_zone", &v) {
            Ok(z) => {
                prop_assert!(z.name().eq_ignore_ascii_case(v.trim()), "{v:?} -> {z}");
                prop_assert_eq!(IspTimeZone::parse("time_zone", z.name()), Ok(z.clone()));
                prop_assert_eq!(IspTimeZone::parse_change("time_zone", &v), Ok(Some(z)));
            }
            Err(e) => {
                clear(&e, "time_zone")?;
                // An empty change clears the zone; anything else is refused as the parse is.
                let change = IspTimeZone::parse_change("time_zone", &v);
                prop_assert_eq!(change.is_ok(), v.trim().is_empty());
            }
        }
        match parse_flag("enabled", &v) {
            Ok(b) => {
                let word = if b { "Y" } else { "N" };
                prop_assert_eq!(parse_flag("enabled", word), Ok(b));
            }
            Err(e) => clear(&e, "enabled")?,
        }
        match parse_role("role", &v) {
            Ok(r) => {
                prop_assert!(r.as_str().eq_ignore_ascii_case(v.trim()));
                prop_assert_eq!(parse_role("role", r.as_str()), Ok(r));
            }
            Err(e) => clear(&e, "role")?,
        }
        match ApiKey::presented("api_key", &v) {
            Ok(k) => prop_assert_eq!(k.expose(), v.trim()),
            Err(e) => clear(&e, "api_key")?,
        }
    }

    /// The records of creates, updates and lists: each parses, or names a parameter its
    /// route declares (`contract::ROUTES`, which docs/openapi.yaml is checked against).
    #[test]
    fn records_parse_or_name_a_declared_parameter(f in fields()) {
        fn declared<T>(route: &Route, parsed: Result<T, Invalid>) -> Result<Option<T>, TestCaseError> {
            match parsed {
                Ok(t) => Ok(Some(t)),
                Err(e) => {
                    prop_assert!(route.params.contains(&e.param), "{}: {e}", route.path);
                    prop_assert!(!e.rule.trim().is_empty());
                    Ok(None)
                }
            }
        }
        let today = jiff::civil::date(2026, 11, 27);
        if let Some(c) = declared(&contract::CUSTOMER_CREATE, CustomerFields::parse_create(&f, today))? {
            prop_assert_eq!(Mobile::parse("mobile", c.mobile.as_str()), Ok(c.mobile.clone()));
            prop_assert!(c.dob.is_none_or(|d| d <= today));
        }
        if let Some(u) = declared(&contract::CUSTOMER_UPDATE, CustomerUpdate::parse(&f, today))? {
            prop_assert!(!u.changes.is_empty() || u.reset_password, "an update changes something");
        }
        if let Some(l) = declared(&contract::CUSTOMER_LIST, ListRequest::parse(&f))? {
            prop_assert!((1..=MAX_LIMIT).contains(&l.limit) && l.offset <= MAX_OFFSET);
        }
        if let Some(s) = declared(&contract::SERVICE_CREATE, ServiceFields::parse_create(&f))? {
            prop_assert_eq!(Username::parse("username", s.username.as_str()), Ok(s.username.clone()));
        }
        if let Some(u) = declared(&contract::SERVICE_UPDATE, ServiceUpdate::parse(&f))? {
            let changes = [u.username.is_some(), u.plan.is_some(), u.status.is_some(), u.notes.is_some()];
            prop_assert!(changes.contains(&true), "an update changes something");
        }
        if let Some(l) = declared(&contract::SERVICE_LIST, ServiceListRequest::parse(&f))? {
            prop_assert!((1..=MAX_LIMIT).contains(&l.limit) && l.offset <= MAX_OFFSET);
        }
        if let Some(u) = declared(&contract::RESELLER_UPDATE, DirectoryUpdate::parse(&f))? {
            prop_assert!(u != DirectoryUpdate::default(), "an update changes something");
        }
        // An ISP update may change its zone alone: `read` accepts nothing given.
        if let Some(u) = declared(&contract::ISP_UPDATE, DirectoryUpdate::read(&f))? {
            prop_assert_eq!(u.name.is_some(), f.optional("name").is_some());
        }
    }

    #[test]
    fn list_parameters_and_cursors_are_refused_or_understood(
        pairs in proptest::collection::vec((proptest::sample::select(&[
            "rows_limit", "rows_offset", "sort_field", "sort_order", "show_count", "cursor",
            "created_from", "created_upto", "name", "mobile", "zipcode", "customerid", "ispid",
        ][..]), texty()), 0..5),
        token in texty(),
    ) {
        let f: HashMap<String, String> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let _ = ListRequest::parse(&f);
        let seal = CursorSeal::new(b"test-secret");
        let fp = [7u8; 16];
        prop_assert!(seal.open(&token, &fp).is_err(), "a forged cursor is refused");
        if !token.is_empty() {
            prop_assert_eq!(seal.open(&seal.seal(&fp, &token), &fp).ok(), Some(token));
        }
    }
}

/// Where `credentials` looks: the body, the query string, and these headers.
const PLACES: [(&str, &str); 3] = [
    ("userid", "x-userid"),
    ("api_key", "x-api-key"),
    ("idempotency_key", "idempotency-key"),
];

fn credential() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(&["5", " 5 ", "6", "", " ", SPEC_KEY, "k", "K"][..])
            .prop_map(str::to_owned),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

proptest! {
    #![proptest_config(config(600))]

    /// `userid`, `api_key` and `idempotency_key` from the body, the query string and the
    /// `X-Userid` / `X-Api-Key` / `Idempotency-Key` headers (a Content-Type beside them):
    /// one value wherever given, or 400 naming the credential.
    #[test]
    fn credentials_agree_across_places_or_are_refused(
        body in proptest::collection::vec((0usize..4, credential()), 0..4),
        query in proptest::option::of(prop_oneof![
            proptest::collection::vec((0usize..4, credential()), 0..4).prop_map(|pairs| {
                let names = ["userid", "api_key", "idempotency_key", "name"];
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs.iter().map(|(i, v)| (names[*i], v)))
                    .finish()
            }),
            "[ -~]{0,30}",
        ]),
        headers in proptest::collection::vec((0usize..4, prop_oneof![
            credential().prop_map(String::into_bytes),
            header_bytes(),
        ]), 0..5),
    ) {
        let mut params = Params::default();
        for (i, v) in &body {
            params.set(["userid", "api_key", "idempotency_key", "name"][*i], v.clone());
        }
        let mut map = HeaderMap::new();
        for (i, v) in &headers {
            let name = ["x-userid", "x-api-key", "idempotency-key", "content-type"][*i];
            if let Ok(v) = HeaderValue::from_bytes(v) {
                map.append(HeaderName::from_static(name), v);
            }
        }
        let got = credentials(&map, query.as_deref(), &params);

        // The model: the query string parses as a form; every non-blank value of a
        // credential, trimmed, must be the same; an unreadable header value is refused.
        let query_pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
        let query_names: HashSet<&str> = query_pairs.iter().map(|(k, _)| k.as_str()).collect();
        let mut refused = query_names.len() < query_pairs.len();
        let mut expected: BTreeMap<&str, Option<String>> = BTreeMap::new();
        for (param, header) in PLACES {
            let mut values: Vec<String> = params.get(param).into_iter().map(str::to_owned).collect();
            values.extend(query_pairs.iter().filter(|(k, _)| k == param).map(|(_, v)| v.clone()));
            for v in map.get_all(header) {
                match v.to_str() {
                    Ok(v) => values.push(v.to_owned()),
                    Err(_) => refused = true,
                }
            }
            let distinct: HashSet<&str> = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
            refused |= distinct.len() > 1;
            expected.insert(param, distinct.into_iter().next().map(str::to_owned));
        }
        match got {
            Ok(c) => {
                prop_assert!(!refused, "accepted: {c:?}");
                prop_assert_eq!(&c.userid, &expected["userid"]);
                prop_assert_eq!(&c.api_key, &expected["api_key"]);
                prop_assert_eq!(&c.idempotency_key, &expected["idempotency_key"]);
                let in_query = query_pairs.iter().any(|(k, v)| k == "api_key" && !v.trim().is_empty());
                prop_assert_eq!(c.api_key_in_query, in_query);
            }
            Err(e) => {
                prop_assert!(refused, "refused: {e}");
                // A name given twice in the query string, or the credential at fault.
                match &e {
                    RequestError::Duplicate(name) => {
                        let times = query_pairs.iter().filter(|(k, _)| k == name).count();
                        prop_assert!(times > 1, "{e}");
                    }
                    other => {
                        let text = other.to_string();
                        let named = ["userid:", "api_key:", "idempotency_key:"]
                            .iter()
                            .any(|p| text.starts_with(p));
                        prop_assert!(named, "{text}");
                    }
                }
                client_error(e)?;
            }
        }
    }
}

/// Regression: a credential header that is not visible ASCII was read as absent, so it could
/// not disagree with the body's value; a Content-Type that is not was read as a form.
#[test]
fn unreadable_headers_are_refused_not_ignored() {
    let body = Params::from_form(format!("userid=5&api_key={SPEC_KEY}").as_bytes()).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_bytes(b"k\xff").unwrap());
    let err = credentials(&headers, None, &body).unwrap_err();
    assert_eq!(
        err.to_string(),
        "api_key: the X-Api-Key header must be visible ASCII"
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_bytes(b"application/json\xe9").unwrap(),
    );
    let err = runtime()
        .block_on(Params::from_body(&headers, Bytes::from_static(b"userid=5")))
        .unwrap_err();
    assert!(
        matches!(err, RequestError::UnsupportedType(_)),
        "{err:?}: 415, not a form"
    );
}

/// The users the router test calls as: every role.
const CALLERS: [u64; 4] = [ADMIN, ISP1_USER, RESELLER1_USER, FORM_USER];

/// Paths that are not routes, beside the contract's.
const NOT_ROUTES: [&str; 2] = ["/api/customer/nope", "/api/isp/delete"];

/// Parameters that reach past the first check of each route (a create with every field, an
/// update of something). `@customer`, `@service` and `@user` stand for the last ones the
/// test created; the random parameters then override or add to these.
fn base_params(path: &str, n: u32) -> Vec<(&'static str, String)> {
    let fixed: &[(&'static str, &str)] = match path {
        "/api/customer/create" => {
            // A fresh mobile each time, so that creates are not all duplicates.
            let mut params = customer_fields();
            for (_, v) in params.iter_mut().filter(|(k, _)| *k == "mobile") {
                *v = format!("98{n:08}");
            }
            params.extend([("ispid", "1".to_owned()), ("resellerid", "1".to_owned())]);
            return params;
        }
        "/api/customer/update" => &[("customerid", "@customer"), ("city", "Margao")],
        "/api/customer/delete"
        | "/api/customer/restore"
        | "/api/customer/export"
        | "/api/customer/erase"
        | "/api/customer/history" => &[("customerid", "@customer")],
        "/api/service/create" => &[("customerid", "@customer"), ("plan", "100 Mbps")],
        "/api/service/update" => &[("serviceid", "@service"), ("status", "Active")],
        "/api/service/delete" => &[("serviceid", "@service")],
        "/api/isp/create" => &[("name", "Fibre Co")],
        "/api/isp/update" => &[("ispid", "2"), ("time_zone", "Asia/Kolkata")],
        "/api/reseller/create" => &[("ispid", "1"), ("name", "North")],
        "/api/reseller/update" => &[("resellerid", "2"), ("name", "South")],
        "/api/user/create" => &[("role", "form"), ("resellerid", "1")],
        "/api/user/rotate_key" | "/api/user/disable" | "/api/user/enable" => {
            &[("target_userid", "@user")]
        }
        _ => &[("rows_limit", "3")],
    };
    let mut params: Vec<(&'static str, String)> =
        fixed.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    // A fresh username each time, so that creates are not all duplicates.
    if path == "/api/service/create" {
        params.push(("username", format!("user{n}")));
    }
    params
}

/// How a request carries its caller's credentials.
#[derive(Debug, Clone, Copy)]
enum Carried {
    Body,
    Headers,
    /// Refused (400) for every caller but a form key: keys in URLs get logged.
    Query,
    BodyAndHeaders,
    /// The header names another user than the body: 400.
    Disagreeing,
    WrongKey,
    Nowhere,
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Form,
    Json,
    Multipart,
    /// Random bytes, with a random Content-Type.
    Raw,
}

#[derive(Debug, Clone)]
struct Generated {
    route: usize,
    caller: usize,
    carried: Carried,
    encoding: Encoding,
    /// Start from `base_params` (else only the random parameters).
    base: bool,
    params: Vec<(&'static str, String)>,
    dropped: Vec<usize>,
    raw: Vec<u8>,
    /// Replaces the encoding's Content-Type (None: keep it).
    content_type: Option<Option<Vec<u8>>>,
    /// Extra headers: credentials, Idempotency-Key, Content-Type, Content-Length.
    headers: Vec<(usize, Vec<u8>)>,
    query: Option<String>,
}

fn generated() -> impl Strategy<Value = Generated> {
    let routes = contract::ROUTES.len() + NOT_ROUTES.len();
    (
        (
            0..routes,
            0..CALLERS.len(),
            prop_oneof![
                4 => Just(Carried::Body),
                3 => Just(Carried::Headers),
                1 => Just(Carried::Query),
                1 => Just(Carried::BodyAndHeaders),
                1 => Just(Carried::Disagreeing),
                1 => Just(Carried::WrongKey),
                1 => Just(Carried::Nowhere),
            ],
            prop_oneof![
                4 => Just(Encoding::Form),
                2 => Just(Encoding::Json),
                2 => Just(Encoding::Multipart),
                1 => Just(Encoding::Raw),
            ],
            proptest::bool::weighted(0.7),
        ),
        (
            // Half the requests keep the valid parameters as they are.
            prop_oneof![
                Just(Vec::new()),
                proptest::collection::vec(
                    (proptest::sample::select(parameter_names()), value()),
                    1..4,
                ),
            ],
            proptest::option::weighted(0.2, 0usize..12).prop_map(Vec::from_iter),
            body(),
            proptest::option::weighted(
                0.1,
                proptest::option::of(prop_oneof![
                    proptest::sample::select(&CONTENT_TYPES[..])
                        .prop_map(|c| c.as_bytes().to_vec()),
                    header_bytes(),
                ]),
            ),
            proptest::collection::vec(
                (
                    0usize..5,
                    prop_oneof![header_bytes(), "[0-9]{1,7}".prop_map(String::into_bytes)],
                ),
                0..2,
            ),
            proptest::option::weighted(0.1, "[ -~]{0,30}"),
        ),
    )
        .prop_map(
            |(
                (route, caller, carried, encoding, base),
                (params, dropped, raw, content_type, headers, query),
            )| Generated {
                route,
                caller,
                carried,
                encoding,
                base,
                params,
                dropped,
                raw,
                content_type,
                headers,
                query,
            },
        )
}

/// What the test has made so far, for `@customer`, `@service`, `@user`, and the keys of its
/// callers (a rotation changes one).
struct World {
    keys: HashMap<u64, String>,
    made: HashMap<&'static str, u64>,
}

impl World {
    fn resolve(&self, value: &str) -> String {
        match value.strip_prefix('@') {
            Some(what) if self.made.contains_key(what) => self.made[what].to_string(),
            Some("user") => FORM_USER.to_string(),
            Some(_) => "1".to_owned(),
            None => value.to_owned(),
        }
    }
}

/// Builds the request; the path is returned for the report.
fn request(g: &Generated, n: u32, world: &World) -> (&'static str, Request<Body>) {
    let path = contract::ROUTES
        .get(g.route)
        .map(|r| r.path)
        .unwrap_or_else(|| NOT_ROUTES[g.route - contract::ROUTES.len()]);
    let caller = CALLERS[g.caller];
    let key = world.keys[&caller].clone();
    let mut pairs: Vec<(&str, String)> = if g.base {
        base_params(path, n)
    } else {
        Vec::new()
    };
    for (k, v) in &g.params {
        pairs.retain(|(name, _)| name != k);
        pairs.push((*k, v.clone()));
    }
    for i in &g.dropped {
        if *i < pairs.len() {
            pairs.remove(*i);
        }
    }
    let mut pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), world.resolve(&v)))
        .collect();
    let in_body = matches!(
        g.carried,
        Carried::Body | Carried::BodyAndHeaders | Carried::Disagreeing | Carried::WrongKey
    );
    if in_body {
        let key = match g.carried {
            Carried::WrongKey => "wrong-key".to_owned(),
            _ => key.clone(),
        };
        pairs.retain(|(k, _)| k != "userid" && k != "api_key");
        pairs.push(("userid".into(), caller.to_string()));
        pairs.push(("api_key".into(), key));
    }
    let (bytes, content_type) = match g.encoding {
        Encoding::Form => (
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish()
                .into_bytes(),
            Some(b"application/x-www-form-urlencoded".to_vec()),
        ),
        Encoding::Json => (json_body(&pairs), Some(b"application/json".to_vec())),
        Encoding::Multipart => (
            multipart_body(&pairs),
            Some(b"multipart/form-data; boundary=XyZ".to_vec()),
        ),
        Encoding::Raw => (g.raw.clone(), None),
    };
    let content_type = g.content_type.clone().unwrap_or(content_type);
    let mut query: Vec<(String, String)> = Vec::new();
    if matches!(g.carried, Carried::Query) {
        query.push(("userid".into(), caller.to_string()));
        query.push(("api_key".into(), key.clone()));
    }
    let mut uri = path.to_owned();
    if !query.is_empty() || g.query.is_some() {
        let mut q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&query)
            .finish();
        if let Some(raw) = &g.query {
            q.push('&');
            q.extend(form_urlencoded::byte_serialize(raw.as_bytes()));
        }
        uri = format!("{path}?{q}");
    }
    let mut req = Request::post(uri);
    match g.carried {
        Carried::Headers | Carried::BodyAndHeaders => {
            req = req
                .header("x-userid", caller.to_string())
                .header("x-api-key", key);
        }
        Carried::Disagreeing => req = req.header("x-userid", "6"),
        _ => {}
    }
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_bytes(&c).ok()) {
        req = req.header("content-type", ct);
    }
    for (i, v) in &g.headers {
        let name = [
            "x-userid",
            "x-api-key",
            "idempotency-key",
            "content-type",
            "content-length",
        ][*i];
        if let Ok(v) = HeaderValue::from_bytes(v) {
            req = req.header(name, v);
        }
    }
    let req = req.body(Body::from(bytes)).expect("a request");
    (path, req)
}

/// Re-enables what a random disable or update may have disabled, so later requests still
/// reach past authentication (the app caches nothing in this test).
async fn re_enable(app: &TestApp) {
    for user in CALLERS {
        isp_crm::admin::set_enabled(&app.store, UserId(user), true)
            .await
            .unwrap();
    }
    for isp in [1, 2] {
        let change = isp_crm::admin::IspChange {
            name: None,
            time_zone: None,
            enabled: Some(true),
        };
        isp_crm::admin::update_isp(&app.store, IspId(isp), change)
            .await
            .unwrap();
    }
    let enabled = DirectoryUpdate {
        name: None,
        enabled: Some(true),
    };
    for reseller in [1, 2, 3] {
        isp_crm::admin::update_reseller(&app.store, ResellerId(reseller), &enabled, Actor::Admin)
            .await
            .unwrap();
    }
}

/// Statuses docs/api.md documents for what these requests can meet (no throttling, no
/// deadline, no storage failure: those are tests/faults.rs's).
const DOCUMENTED: [u16; 8] = [200, 400, 401, 403, 404, 409, 413, 415];

/// Random requests on every route of the contract, as every role, with credentials in every
/// place (and wrong ones), random header values, random parameters over valid ones, in every
/// encoding: every answer is the JSON envelope with a documented status, never a 5xx.
/// 500 requests, ~6 s.
#[tokio::test]
async fn random_requests_get_the_envelope_and_a_documented_status() {
    const REQUESTS: u32 = 500;
    let app = spawn_app_with(&[
        // Disables and key rotations must be seen at once (they are undone, see `re_enable`).
        ("AUTH_CACHE_SECONDS", "1"),
        // Form keys create freely: their limits (429) are tests/form_keys.rs's.
        ("FORM_KEY_CREATES", "0"),
        ("FORM_SOURCE_CREATES", "0"),
    ])
    .await;
    let mut world = World {
        keys: CALLERS
            .iter()
            .map(|u| (*u, app.key(*u).to_owned()))
            .collect(),
        made: HashMap::new(),
    };
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        config(REQUESTS),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &[42; 32],
        ),
    );
    let strategy = generated();
    let mut seen: BTreeMap<&str, BTreeMap<u16, u32>> = BTreeMap::new();
    for n in 0..REQUESTS {
        let g = strategy.new_tree(&mut runner).unwrap().current();
        let (path, req) = request(&g, n, &world);
        let resp = app.router.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let ct = resp.headers().get("content-type").cloned();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("{path} {g:?}: not JSON: {body:?}"));
        assert!(
            DOCUMENTED.contains(&status),
            "{path}: status {status} {v}\n{g:?}"
        );
        assert_eq!(
            ct.as_ref().map(|c| c.as_bytes()),
            Some(&b"application/json"[..])
        );
        let error = v.get("error").unwrap_or_else(|| panic!("no error: {v}"));
        assert!(v.get("result").is_some(), "{v}");
        match status {
            200 => assert!(error.is_null(), "{v}"),
            _ => assert!(
                error.as_str().is_some_and(|e| !e.trim().is_empty()),
                "{path} {status}: no error text: {v}"
            ),
        }
        *seen.entry(path).or_default().entry(status).or_default() += 1;
        if status != 200 {
            continue;
        }
        let id = v["result"].as_u64();
        match (path, id) {
            ("/api/customer/create", Some(id)) => world.made.insert("customer", id),
            ("/api/service/create", Some(id)) => world.made.insert("service", id),
            ("/api/user/create", Some(id)) => world.made.insert("user", id),
            _ => None,
        };
        if let (Some(id), Some(key)) = (id, v["api_key"].as_str())
            && world.keys.contains_key(&id)
        {
            world.keys.insert(id, key.to_owned());
        }
        if [
            "/api/isp/update",
            "/api/reseller/update",
            "/api/user/disable",
        ]
        .contains(&path)
        {
            re_enable(&app).await;
        }
    }
    eprintln!("statuses by path: {seen:?}");
    // The requests reach the parsers behind authentication on every route, and succeed on
    // some: a generator that stopped doing so would make this test prove little.
    for route in contract::ROUTES {
        let statuses = seen.get(route.path).cloned().unwrap_or_default();
        let past_auth: u32 = statuses
            .iter()
            .filter(|(s, _)| ![401, 415].contains(*s))
            .map(|(_, n)| n)
            .sum();
        assert!(past_auth > 0, "{}: {statuses:?}", route.path);
    }
    let ok: u32 = seen.values().filter_map(|s| s.get(&200)).sum();
    assert!(
        ok >= REQUESTS / 20,
        "only {ok} of {REQUESTS} succeeded: {seen:?}"
    );
}
