//! Test harness: `spawn_app()` starts the real router on a random port, on tables of its own
//! (a unique prefix) in the DynamoDB API that `make test` started (moto), with a seeded world:
//!
//! | user | role     | scope                        |
//! |------|----------|------------------------------|
//! | 1    | admin    | platform                     |
//! | 5    | isp      | ISP 1 (the spec's api_key)   |
//! | 6    | isp      | ISP 2                        |
//! | 7    | reseller | reseller 1 of ISP 1          |
//! | 8    | reseller | reseller 3 of ISP 2          |
//! | 9    | isp      | ISP 1, disabled              |
//! | 20   | form     | reseller 1 of ISP 1          |
//!
//! Resellers 1 and 2 belong to ISP 1, reseller 3 to ISP 2.
#![allow(dead_code)]

use aws_sdk_dynamodb::types::Select;
use isp_crm::admin::{self, NewUser};
use isp_crm::app::App;
use isp_crm::config::{self, Settings};
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::ids::{IspId, ResellerId, UserId};
use isp_crm::domain::scope::Role;
use isp_crm::store::schema::TEMPLATE;
use isp_crm::store::{Store, Tables};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub const SPEC_KEY: &str = "0f9895fb407c83e5ea128082098b47681aa75d6944576423c4";
pub const ADMIN: u64 = 1;
pub const ISP1_USER: u64 = 5;
pub const ISP2_USER: u64 = 6;
pub const RESELLER1_USER: u64 = 7;
pub const RESELLER3_USER: u64 = 8;
pub const DISABLED_USER: u64 = 9;
pub const FORM_USER: u64 = 20;

/// For tests that post identical bodies on purpose and expect a customer each: without it,
/// the duplicate-submission guard (on by default) answers them with the first customer.
pub const NO_DUPLICATE_GUARD: (&str, &str) = ("DUPLICATE_WINDOW_SECONDS", "0");

pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub store: Store,
    pub router: axum::Router,
    /// The app behind the router, for tests that measure a use case's DynamoDB reads.
    pub app: Arc<App>,
    keys: HashMap<u64, String>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The `error` text; panics with the whole reply when there is none.
    pub fn error(&self) -> &str {
        self.body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {self:?}"))
    }

    pub fn result(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{self:?}");
        assert_eq!(self.body["error"], Value::Null, "{self:?}");
        &self.body["result"]
    }

    pub fn id(&self) -> u64 {
        self.result()
            .as_u64()
            .unwrap_or_else(|| panic!("no id in {self:?}"))
    }

    /// The ids of a list result, in order.
    pub fn ids(&self) -> Vec<u64> {
        self.result()
            .as_array()
            .unwrap_or_else(|| panic!("no rows in {self:?}"))
            .iter()
            .map(|c| c["id"].as_u64().unwrap())
            .collect()
    }
}

/// The DynamoDB API the tests use: `DYNAMODB_ENDPOINT` (set by `make test`).
fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "DYNAMODB_ENDPOINT is not set: run the tests with `make test`, which starts moto"
            )
        })
}

fn unique_prefix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "t{}-{}-{}-",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Like `spawn_app`, with extra settings (e.g. `AUTH_CACHE_SECONDS`).
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    spawn_app_via(None, vars).await
}

/// Like `spawn_app_with`, the app reaching DynamoDB through `proxy` (a fault injector)
/// while the harness seeds and inspects the tables directly.
pub async fn spawn_app_via(proxy: Option<&str>, vars: &[(&str, &str)]) -> TestApp {
    let endpoint = endpoint();
    let prefix = unique_prefix();
    let mut env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("DYNAMODB_ENDPOINT".into(), endpoint.clone());
    env.insert("TABLE_PREFIX".into(), prefix.clone());
    // One moto serves every test, one request at a time: a request may queue behind many.
    // Generous timeouts unless a test sets its own (tests/faults.rs).
    for (var, ms) in [
        ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "30000"),
        ("DYNAMODB_OPERATION_TIMEOUT_MS", "60000"),
        ("REQUEST_DEADLINE_MS", "120000"),
        // Tests send hundreds of requests a second as one user: no per-instance bucket
        // unless a test sets one (tests/auth.rs).
        ("USER_REQUESTS_PER_SECOND", "0"),
    ] {
        env.entry(var.into()).or_insert_with(|| ms.into());
    }
    let settings = Settings::from_lookup(|k| env.get(k).cloned(), false).expect("test settings");
    let client = isp_crm::store::client::dynamodb_client_tuned(
        Some(&endpoint),
        config::TlsRoots::default(),
        &settings.dynamodb,
    )
    .await;
    let store = Store::new(client, Tables::with_prefix(&prefix));
    store.create_tables(TEMPLATE).await.expect("create tables");

    admin::create_isp(&store, IspId(1), "ISP One")
        .await
        .unwrap();
    admin::create_isp(&store, IspId(2), "ISP Two")
        .await
        .unwrap();
    admin::create_reseller(&store, IspId(1), ResellerId(1), "Reseller One")
        .await
        .unwrap();
    admin::create_reseller(&store, IspId(1), ResellerId(2), "Reseller Two")
        .await
        .unwrap();
    admin::create_reseller(&store, IspId(2), ResellerId(3), "Reseller Three")
        .await
        .unwrap();
    let mut keys = HashMap::new();
    let users = [
        (ADMIN, Role::Admin, None, None),
        (ISP1_USER, Role::Isp, Some(1), None),
        (ISP2_USER, Role::Isp, Some(2), None),
        (RESELLER1_USER, Role::Reseller, None, Some(1)),
        (RESELLER3_USER, Role::Reseller, None, Some(3)),
        (DISABLED_USER, Role::Isp, Some(1), None),
        (FORM_USER, Role::Form, None, Some(1)),
    ];
    for (userid, role, isp, reseller) in users {
        let api_key = (userid == ISP1_USER).then(|| ApiKey::chosen(SPEC_KEY).unwrap());
        let key = admin::create_user(
            &store,
            NewUser {
                userid: UserId(userid),
                role,
                isp: isp.map(IspId),
                reseller: reseller.map(ResellerId),
                api_key,
            },
        )
        .await
        .unwrap();
        keys.insert(userid, key.expose().to_owned());
    }
    admin::set_enabled(&store, UserId(DISABLED_USER), false)
        .await
        .unwrap();

    let app_store = match proxy {
        None => store.clone(),
        Some(url) => Store::new(
            isp_crm::store::client::dynamodb_client_tuned(
                Some(url),
                config::TlsRoots::default(),
                &settings.dynamodb,
            )
            .await,
            store.tables.clone(),
        ),
    };
    let app = Arc::new(App::new(app_store, &settings).expect("app"));
    let router = isp_crm::http::router(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = router.clone();
    tokio::spawn(async move {
        let service = served.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, service).await
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    TestApp {
        url,
        http,
        store,
        router,
        app,
        keys,
    }
}

/// Parameters from name/value pairs, as a use case reads them (`Fields`).
pub fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A valid create, as the spec's example sends it (resellerid added by `create`).
pub fn customer_fields() -> Vec<(&'static str, String)> {
    [
        ("type", "Individual"),
        ("name", "Some Name"),
        ("mobile", "12344444"),
        ("email", "abc@email.com"),
        ("zipcode", "12345"),
        ("state", "Goa"),
        ("city", "Panaji"),
        ("street", "3rd street"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

impl TestApp {
    pub fn key(&self, user: u64) -> &str {
        &self.keys[&user]
    }

    /// Makes a user created by the test callable with `call`.
    pub fn add_key(&mut self, user: u64, key: &str) {
        self.keys.insert(user, key.to_owned());
    }

    /// POSTs a form to `/api/customer/<route>` (or `/api/<route>`, e.g. `service/list`)
    /// as `user`.
    pub async fn call(&self, user: u64, route: &str, params: &[(&str, &str)]) -> Reply {
        self.call_with_headers(user, route, params, &[]).await
    }

    /// Like `call`, with extra request headers (e.g. `Idempotency-Key`).
    pub async fn call_with_headers(
        &self,
        user: u64,
        route: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut form: Vec<(String, String)> = vec![
            ("userid".into(), user.to_string()),
            ("api_key".into(), self.key(user).to_owned()),
        ];
        form.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.send(
            route,
            Some("application/x-www-form-urlencoded"),
            body,
            headers,
        )
        .await
    }

    /// POSTs a raw body to `/api/customer/<route>`, or to `/api/<route>` for a route with a
    /// slash (`service/create`).
    pub async fn raw(
        &self,
        route: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        self.send(route, content_type, body, &[]).await
    }

    async fn send(
        &self,
        route: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self
            .http
            .post(match route.contains('/') {
                true => format!("{}/api/{route}", self.url),
                false => format!("{}/api/customer/{route}", self.url),
            })
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            ct, "application/json",
            "every answer is JSON (status {status})"
        );
        let body = resp.json().await.expect("JSON body");
        Reply { status, body }
    }

    /// Creates a customer as `user` with the default fields, `overrides` replacing them.
    pub async fn create(&self, user: u64, overrides: &[(&str, &str)]) -> Reply {
        let mut fields = customer_fields();
        for (k, v) in overrides {
            fields.retain(|(name, _)| name != k);
            fields.push((k, v.to_string()));
        }
        let params: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.call(user, "create", &params).await
    }

    /// Creates a service of `customer` as `user`; `extra` adds or replaces parameters.
    pub async fn create_service(
        &self,
        user: u64,
        customer: u64,
        username: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let customer = customer.to_string();
        let mut params = vec![
            ("customerid", customer.as_str()),
            ("username", username),
            ("plan", "Fiber 100M"),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            params.push((k, v));
        }
        self.call(user, "service/create", &params).await
    }

    /// How many items a table of this test holds (a test-only Scan).
    pub async fn count_items(&self, table: &str) -> i32 {
        self.store
            .client
            .scan()
            .table_name(table)
            .select(Select::Count)
            .consistent_read(true)
            .send()
            .await
            .expect("scan")
            .count
    }

    /// The current value of an id counter (`customer_id`, `service_id`).
    pub async fn counter(&self, name: &str) -> u64 {
        use aws_sdk_dynamodb::types::AttributeValue as AV;
        let out = self
            .store
            .client
            .get_item()
            .table_name(&self.store.tables.counters)
            .key("name", AV::S(name.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("get");
        match out.item.and_then(|mut i| i.remove("value")) {
            Some(AV::N(n)) => n.parse().expect("number"),
            _ => 0,
        }
    }

    /// Every customer item in this test's table (a test-only Scan, to prove what was written).
    pub async fn stored_customers(
        &self,
    ) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let out = self
            .store
            .client
            .scan()
            .table_name(&self.store.tables.customers)
            .send()
            .await
            .expect("scan");
        out.items.unwrap_or_default()
    }

    pub async fn customer_count(&self) -> i32 {
        self.store
            .client
            .scan()
            .table_name(&self.store.tables.customers)
            .select(Select::Count)
            .send()
            .await
            .expect("scan")
            .count
    }

    /// One stored customer's attribute as text (`S` or `N`), if present.
    pub async fn stored_attr(&self, id: u64, attr: &str) -> Option<String> {
        use aws_sdk_dynamodb::types::AttributeValue as AV;
        let out = self
            .store
            .client
            .get_item()
            .table_name(&self.store.tables.customers)
            .key("id", AV::N(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .expect("get");
        match out.item?.remove(attr)? {
            AV::S(s) | AV::N(s) => Some(s),
            other => Some(format!("{other:?}")),
        }
    }
}

/// Sends a DynamoDB API request on to moto as it came, and brings its answer back: the core
/// of the test proxies (tests/faults.rs injects faults around it, tests/iam.rs records).
pub async fn forward_to_moto(
    http: &reqwest::Client,
    moto: &str,
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut req = http.post(moto).body(body);
    for (name, value) in headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            let ct = resp.headers().get("content-type").cloned();
            let bytes = resp.bytes().await.unwrap_or_default();
            let mut out = (status, bytes).into_response();
            if let Some(ct) = ct {
                out.headers_mut().insert("content-type", ct);
            }
            out
        }
        Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Serves `router` on a free loopback port; its base URL.
pub async fn serve_on_loopback(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

impl TestApp {
    /// The table prefix of this test's stack (for `crm-admin`'s TABLE_PREFIX).
    pub fn prefix(&self) -> String {
        self.store
            .tables
            .customers
            .trim_end_matches("customers")
            .to_owned()
    }
}

/// Runs the crm-admin binary on the stack with table prefix `prefix`.
pub fn crm_admin(prefix: &str, args: &[&str]) -> std::process::Output {
    crm_admin_via(&endpoint(), prefix, args)
}

/// Runs crm-admin against `endpoint` (e.g. a fault proxy) on the stack with prefix `prefix`.
pub fn crm_admin_via(endpoint: &str, prefix: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_crm-admin"))
        .args(args)
        .env("DYNAMODB_ENDPOINT", endpoint)
        .env("TABLE_PREFIX", prefix)
        .env_remove("CUSTOMERS_TABLE")
        .output()
        .expect("run crm-admin")
}
