//! The app under test: the real router on a random port, on tables of its own.

use super::world::seed_world;
use isp_crm::app::App;
use isp_crm::config::{self, Settings};
use isp_crm::store::schema::TEMPLATE;
use isp_crm::store::{Store, Tables};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

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
        // Seals form keys' signing secrets (tests/signup); the stack sets its own.
        ("FORM_SECRET_KEY", "test-form-secret-key"),
    ] {
        env.entry(var.into()).or_insert_with(|| ms.into());
    }
    let settings = Settings::from_lookup(|k| env.get(k).cloned(), false).expect("test settings");
    // Setting up and inspecting go straight to moto with generous timeouts whatever the test
    // sets for the app: a seed write retried after a short attempt timeout on a busy machine
    // would find its own first attempt committed ("reseller 3 exists").
    let generous = Settings::from_lookup(
        |k| match k {
            "DYNAMODB_ATTEMPT_TIMEOUT_MS" => Some("30000".into()),
            "DYNAMODB_OPERATION_TIMEOUT_MS" => Some("60000".into()),
            _ => env.get(k).cloned(),
        },
        false,
    )
    .expect("setup settings");
    let client_to = |url: String, tuning| async move {
        isp_crm::store::client::dynamodb_client_tuned(
            Some(&url),
            config::TlsRoots::default(),
            tuning,
        )
        .await
    };
    let tables = Tables::with_prefix(&prefix);
    let store = Store::new(
        client_to(endpoint.clone(), &generous.dynamodb).await,
        tables.clone(),
    );
    store.create_tables(TEMPLATE).await.expect("create tables");

    let keys = seed_world(&store, 0).await;

    let app_url = proxy.map_or(endpoint, str::to_owned);
    let app_store = Store::new(client_to(app_url, &settings.dynamodb).await, tables);
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

impl TestApp {
    /// The `customer-api` binary as Lambda starts it, polling the Runtime API at
    /// `runtime_api`, on this app's tables (by the variables the template passes them in);
    /// the caller spawns it.
    pub fn lambda_function(&self, runtime_api: &str, name: &str) -> std::process::Command {
        let t = &self.store.tables;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_customer-api"));
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_SESSION_TOKEN", "test")
            .env("DYNAMODB_ENDPOINT", endpoint())
            .envs(
                isp_crm::store::keys::TABLES
                    .iter()
                    .map(|(logical_id, _, var)| {
                        (*var, t.by_logical_id(logical_id).expect("a declared table"))
                    }),
            )
            .env("CURSOR_SECRET", "test-secret")
            .env("METRICS", "off")
            .stdout(std::process::Stdio::null());
        command
    }

    pub fn key(&self, user: u64) -> &str {
        &self.keys[&user]
    }

    /// Makes a user created by the test callable with `call`.
    pub fn add_key(&mut self, user: u64, key: &str) {
        self.keys.insert(user, key.to_owned());
    }

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
