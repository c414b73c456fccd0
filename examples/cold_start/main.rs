//! Cold-start harness (`make cold-start`; method and results in docs/performance.md).
//!
//! Starts the release `customer-api` binary and a minimal `lambda_runtime` hello-world
//! (examples/hello_lambda.rs) again and again against a minimal Lambda Runtime API of its own on
//! loopback, alternating the two so machine noise hits both alike, and measures for each start:
//!
//! - init: process spawn → its first `GET /2018-06-01/runtime/invocation/next`;
//! - first invocation: `/next` hands over the event → `POST …/{request-id}/response` arrives,
//!   against the local DynamoDB API (moto, `DYNAMODB_ENDPOINT`).
//!
//! The event is an API Gateway HTTP API (payload 2.0) `POST /api/customer/list` whose form body
//! is base64-encoded, as API Gateway sends forms. Every answer is checked (status 200,
//! `"error":null`, and for customer-api the seeded rows), so a broken start is never timed as a
//! good one. Each process is killed after its first invocation.
//!
//! Around the timed starts it also checks that customer-api's init makes no network call (its
//! DynamoDB endpoint is then a socket that only counts connections), measures warm invocations
//! (one process, the same request again), and breaks customer-api's init down by phase: this
//! example re-runs itself as a child in `phases` mode, which calls what src/main.rs calls before
//! `lambda_http::run`, one step at a time.
//!
//! customer-api runs twice in each round: its DynamoDB endpoint is a relay to moto
//! (examples/cold_start/relay.rs), plain HTTP for one and TLS 1.3 with a throwaway CA for the
//! other, and the relay's timestamps break the first invocation down (connect, handshake,
//! first read).
//!
//! `COLD_STARTS` (default 30) sets the number of starts per binary; `CUSTOMER_API_ENV`
//! (`"NAME=value …"`) adds settings to customer-api's environment, to try a change without a
//! rebuild (e.g. `SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt`, or `TIME_ZONE=` to leave the
//! zone unset).

use aws_sdk_dynamodb::Client;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use isp_crm::admin::{self, NewUser};
use isp_crm::app::App;
use isp_crm::config::{self, Settings};
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::ids::{IspId, ResellerId, UserId};
use isp_crm::domain::scope::{Caller, Role, Scope};
use isp_crm::store::{Store, Tables};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fs::File;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

mod relay;
use relay::{Relay, TestCa};

/// neuCRM's reference's user and key (README, tests/common).
const USERID: u64 = 5;
const API_KEY: &str = "0f9895fb407c83e5ea128082098b47681aa75d6944576423c4";
/// Customers seeded for user 5 (ISP 1, reseller 1); the list returns them all (limit 10).
const CUSTOMERS: usize = 3;
/// As template.yaml: MemorySize and Timeout.
const MEMORY_MB: &str = "512";
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long the harness waits for any step of a start before calling it broken.
const PATIENCE: Duration = Duration::from_secs(20);
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:cold-start";
/// Warm invocations per binary (one process each), after the first.
const WARM: usize = 20;
/// Children run in `phases` mode.
const PHASE_RUNS: usize = 15;

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("phases") {
        return phases();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(harness()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cold-start: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------------------
// The harness
// ------------------------------------------------------------------------------------------

/// One binary under test.
struct Subject {
    label: &'static str,
    bin: PathBuf,
    /// Rows the list must return, or `None` for the hello-world.
    rows: Option<usize>,
    /// Added to (or replacing) the Lambda environment: `CUSTOMER_API_ENV` for customer-api.
    extra_env: Vec<(String, String)>,
    /// The relay its DynamoDB endpoint points at; `None`: moto itself.
    relay: Option<Relay>,
}

/// What every start shares: where to find moto and the tables, where children log.
struct Bench {
    endpoint: String,
    prefix: String,
    region: String,
    access_key: String,
    secret_key: String,
    event: String,
    log: PathBuf,
    started: AtomicUsize,
}

struct Sample {
    init: Duration,
    first: Duration,
    /// The first invocation's steps on the DynamoDB connection (subjects behind a relay).
    steps: Option<relay::Steps>,
}

async fn harness() -> Result<(), String> {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or("DYNAMODB_ENDPOINT is not set: run `make cold-start`, which starts moto")?;
    let starts: usize = match std::env::var("COLD_STARTS") {
        Ok(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or("COLD_STARTS must be a positive number")?,
        Err(_) => 30,
    };
    let release = release_dir()?;
    let upstream = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let ca = TestCa::new(&std::env::temp_dir())?;
    let api = Subject {
        label: "customer-api",
        bin: release.join("customer-api"),
        rows: Some(CUSTOMERS),
        extra_env: extra_env()?,
        relay: Some(Relay::start(upstream.clone(), None).await?),
    };
    let mut tls_env = api.extra_env.clone();
    tls_env.retain(|(k, _)| k != "TLS_ROOTS" && k != "SSL_CERT_FILE");
    tls_env.push(("TLS_ROOTS".into(), "system".into()));
    tls_env.push((
        "SSL_CERT_FILE".into(),
        ca.root_file.to_string_lossy().into_owned(),
    ));
    let api_tls = Subject {
        label: "customer-api, TLS",
        bin: api.bin.clone(),
        rows: Some(CUSTOMERS),
        extra_env: tls_env,
        relay: Some(Relay::start(upstream, Some(&ca)).await?),
    };
    let hello = Subject {
        label: "hello_lambda",
        bin: release.join("examples").join("hello_lambda"),
        rows: None,
        extra_env: Vec::new(),
        relay: None,
    };
    for s in [&api, &hello] {
        if !s.bin.is_file() {
            return Err(format!(
                "{} not found: build it first with \
                 `cargo build --release --bin customer-api --example hello_lambda` \
                 (make cold-start does)",
                s.bin.display()
            ));
        }
    }

    let prefix = format!("cold{}-", std::process::id());
    seed(&endpoint, &prefix).await?;
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_owned());
    let bench = Bench {
        endpoint,
        prefix,
        region: var("AWS_REGION", "us-east-1"),
        access_key: var("AWS_ACCESS_KEY_ID", "test"),
        secret_key: var("AWS_SECRET_ACCESS_KEY", "test"),
        event: list_event(),
        log: std::env::temp_dir().join(format!("cold-start-{}.log", std::process::id())),
        started: AtomicUsize::new(0),
    };
    File::create(&bench.log).map_err(|e| format!("{}: {e}", bench.log.display()))?;
    eprintln!(
        "cold-start: tables {}* on {}; children log to {}",
        bench.prefix,
        bench.endpoint,
        bench.log.display()
    );

    let preconnect = api
        .extra_env
        .iter()
        .any(|(k, v)| k == "DYNAMODB_PRECONNECT" && v == "true");
    if preconnect {
        eprintln!("cold-start: DYNAMODB_PRECONNECT=true: init connects, its network check skipped");
    } else {
        no_network_in_init(&bench, &api).await?;
        eprintln!("cold-start: customer-api's init made no network call (checked)");
    }

    // Untimed: brings the binaries into the page cache and moto's tables up to speed.
    for s in [&api, &api_tls, &hello] {
        cold_start(&bench, s).await?;
    }
    let mut samples: [Vec<Sample>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for n in 0..starts {
        for (i, s) in [&api, &api_tls, &hello].into_iter().enumerate() {
            samples[i].push(cold_start(&bench, s).await?);
        }
        if (n + 1) % 10 == 0 || n + 1 == starts {
            eprintln!("cold-start: {}/{starts} starts of each", n + 1);
        }
    }
    let warm = [
        warm_invocations(&bench, &api).await?,
        warm_invocations(&bench, &api_tls).await?,
        warm_invocations(&bench, &hello).await?,
    ];
    let breakdown = init_phases(&bench, &api).await?;

    report(&[&api, &api_tls, &hello], &samples, &warm, &breakdown);
    relay::report_steps(
        &[&api, &api_tls].map(|s| s.label),
        &samples[..2]
            .iter()
            .map(|v| v.iter().filter_map(|s| s.steps).collect())
            .collect::<Vec<Vec<_>>>(),
    );
    Ok(())
}

/// `CUSTOMER_API_ENV="K=V K2=V2"`: settings to try on customer-api (and its phase breakdown),
/// e.g. `SSL_CERT_FILE=…` or `TIME_ZONE=` (empty); none by default.
fn extra_env() -> Result<Vec<(String, String)>, String> {
    let raw = std::env::var("CUSTOMER_API_ENV").unwrap_or_default();
    raw.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(format!("CUSTOMER_API_ENV: {pair:?} is not NAME=value")),
        })
        .collect()
}

/// `target/<profile>/examples/cold_start` → `target/release`.
fn release_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    exe.ancestors()
        .nth(3)
        .map(|target| target.join("release"))
        .ok_or_else(|| format!("unexpected location {}", exe.display()))
}

/// The tables for this run's prefix, and the world of tests/common that the request needs:
/// ISP 1, reseller 1, user 5 (ISP 1) with neuCRM's reference's key, and a few customers.
async fn seed(endpoint: &str, prefix: &str) -> Result<(), String> {
    let env: HashMap<&str, String> = HashMap::from([
        ("DYNAMODB_ENDPOINT", endpoint.to_owned()),
        ("TABLE_PREFIX", prefix.to_owned()),
    ]);
    let settings =
        Settings::from_lookup(|k| env.get(k).cloned(), false).map_err(|e| e.to_string())?;
    let client =
        isp_crm::store::client::dynamodb_client(Some(endpoint), config::TlsRoots::default()).await;
    let store = Store::new(client, Tables::with_prefix(prefix));
    store
        .create_tables(isp_crm::store::schema::TEMPLATE)
        .await
        .map_err(|e| seeding("create tables", e))?;
    admin::create_isp(&store, IspId(1), "ISP One")
        .await
        .map_err(|e| seeding("ISP 1", e))?;
    admin::create_reseller(&store, IspId(1), ResellerId(1), "Reseller One")
        .await
        .map_err(|e| seeding("reseller 1", e))?;
    let api_key = ApiKey::chosen(API_KEY).map_err(|e| seeding("api key", e))?;
    admin::create_user(
        &store,
        NewUser {
            userid: UserId(USERID),
            role: Role::Isp,
            isp: Some(IspId(1)),
            reseller: None,
            api_key: Some(api_key),
        },
    )
    .await
    .map_err(|e| seeding("user 5", e))?;
    let app = App::new(store, &settings).map_err(|e| seeding("app", e))?;
    let caller = Caller {
        userid: UserId(USERID),
        role: Role::Isp,
        scope: Scope::Isp(IspId(1)),
    };
    for (n, name) in ["Asha Naik", "Ravi Kamat", "Some Name"].iter().enumerate() {
        let fields: HashMap<String, String> = [
            ("resellerid", "1".to_owned()),
            ("type", "Individual".to_owned()),
            ("name", (*name).to_owned()),
            ("mobile", format!("98765{:05}", n)),
            ("email", format!("customer{n}@example.com")),
            ("zipcode", "403001".to_owned()),
            ("state", "Goa".to_owned()),
            ("city", "Panaji".to_owned()),
            ("street", "3rd street".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        app.create_customer(&caller, &fields)
            .await
            .map_err(|e| seeding("customer", e))?;
    }
    Ok(())
}

fn seeding(what: &str, e: impl std::fmt::Display) -> String {
    format!("seeding: {what}: {e}")
}

/// An API Gateway HTTP API (payload 2.0) event for `POST /api/customer/list`, form body
/// base64-encoded as API Gateway sends it.
fn list_event() -> String {
    let form = format!("userid={USERID}&api_key={API_KEY}");
    json!({
        "version": "2.0",
        "routeKey": "POST /api/customer/list",
        "rawPath": "/api/customer/list",
        "rawQueryString": "",
        "headers": {
            "accept": "*/*",
            "content-length": form.len().to_string(),
            "content-type": "application/x-www-form-urlencoded",
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/api/customer/list",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0"
            },
            "requestId": "cold-start",
            "routeKey": "POST /api/customer/list",
            "stage": "$default",
            "time": "27/Nov/2026:05:10:00 +0000",
            "timeEpoch": 1795756200000u64
        },
        "body": base64::engine::general_purpose::STANDARD.encode(form),
        "isBase64Encoded": true
    })
    .to_string()
}

impl Bench {
    /// The environment Lambda gives a `provided.al2023` function (the variables
    /// `lambda_runtime`'s `Config::from_env` reads among them) and what the stack sets for
    /// customer-api; nothing else is inherited from the harness.
    fn env(
        &self,
        runtime_api: SocketAddr,
        endpoint: &str,
        extra: &[(String, String)],
    ) -> Vec<(String, String)> {
        let n = self.started.fetch_add(1, Ordering::Relaxed);
        let env: Vec<(&str, String)> = vec![
            ("PATH", "/usr/local/bin:/usr/bin:/bin".into()),
            ("LANG", "en_US.UTF-8".into()),
            ("TZ", ":UTC".into()),
            ("_HANDLER", "bootstrap".into()),
            ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", "cold-start".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB.into()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/cold-start".into()),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("2026/11/27/[$LATEST]{n:032x}"),
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_DEFAULT_REGION", self.region.clone()),
            ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
            ("AWS_SESSION_TOKEN", "cold-start-session-token".into()),
            ("DYNAMODB_ENDPOINT", endpoint.to_owned()),
            ("TABLE_PREFIX", self.prefix.clone()),
            ("AUTH_CACHE_SECONDS", "60".into()),
            ("TIME_ZONE", "UTC".into()),
            ("RUST_LOG", "info".into()),
            ("CURSOR_SECRET", "cold-start-cursor-secret".into()),
        ];
        let mut env: Vec<(String, String)> =
            env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push((k.clone(), v.clone()));
        }
        env
    }
}

/// One start, killed after its first invocation.
async fn cold_start(bench: &Bench, subject: &Subject) -> Result<Sample, String> {
    let endpoint = subject.relay.as_ref().map_or(&bench.endpoint, |r| &r.url);
    if let Some(relay) = &subject.relay {
        relay.clear();
    }
    let mut run = Run::launch(bench, subject, 1, endpoint, &[], false).await?;
    let outcome = async {
        let init = run.next_poll().await? - run.spawned;
        let (delivered, responded) = run.invocation(0, subject).await?;
        let steps = subject
            .relay
            .as_ref()
            .map(|r| relay::Steps::of(&r.conns(), delivered, responded));
        Ok(Sample {
            init,
            first: responded - delivered,
            steps,
        })
    }
    .await;
    run.finish().await;
    outcome.map_err(|e: String| format!("{} start: {e}", subject.label))
}

/// Invocation latencies of one warm process, the first left out. customer-api verifies the
/// key on every request here (`AUTH_CACHE_SECONDS=0`), so a warm invocation makes the same
/// DynamoDB calls as the first one.
async fn warm_invocations(bench: &Bench, subject: &Subject) -> Result<Vec<Duration>, String> {
    let endpoint = subject.relay.as_ref().map_or(&bench.endpoint, |r| &r.url);
    let mut run = Run::launch(
        bench,
        subject,
        WARM + 1,
        endpoint,
        &[("AUTH_CACHE_SECONDS", "0")],
        false,
    )
    .await?;
    let outcome = async {
        let mut latencies = Vec::new();
        for i in 0..=WARM {
            let (delivered, responded) = run.invocation(i, subject).await?;
            if i > 0 {
                latencies.push(responded - delivered);
            }
        }
        Ok(latencies)
    }
    .await;
    run.finish().await;
    outcome.map_err(|e: String| format!("{} warm: {e}", subject.label))
}

/// Starts customer-api with its DynamoDB endpoint on a socket that only counts connections,
/// and holds its first `/next` while it checks that (a) nothing connected to that endpoint and
/// (b) the process's only TCP or UDP socket is its connection to the Runtime API. Then it lets
/// the invocation run and checks that the endpoint does see it, so the check can fail.
async fn no_network_in_init(bench: &Bench, api: &Subject) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let probe = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    let acceptor = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let mut run = Run::launch(bench, api, 1, &probe, &[], true).await?;
    let outcome = async {
        run.next_poll().await?;
        let early = connections.load(Ordering::SeqCst);
        if early > 0 {
            return Err(format!(
                "init opened {early} connection(s) to the DynamoDB endpoint"
            ));
        }
        if let Some(peers) = inet_peers(run.child.id()) {
            let runtime_api = format!("tcp {}", run.runtime_api);
            if peers != [runtime_api.clone()] {
                return Err(format!(
                    "at its first /next the process's TCP/UDP sockets are {peers:?}; \
                     expected only its connection to the Runtime API ({runtime_api})"
                ));
            }
        }
        run.api.release.notify_one();
        let until = Instant::now() + PATIENCE;
        while connections.load(Ordering::SeqCst) == 0 {
            if Instant::now() > until {
                return Err("the invocation never reached the probe endpoint".into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }
    .await;
    run.finish().await;
    acceptor.abort();
    outcome.map_err(|e| format!("network check: {e}"))
}

/// The remote ends of a process's TCP and UDP sockets (Linux `/proc`: the socket inodes of its
/// open files, looked up in its network namespace's tables); `None` where that is unavailable.
/// Unix sockets (tokio's signal pipe) are not network calls and are left out.
fn inet_peers(pid: u32) -> Option<Vec<String>> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    let mut peers = Vec::new();
    for table in ["tcp", "tcp6", "udp", "udp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if cols.len() > 9 && inodes.iter().any(|i| i == cols[9]) {
                peers.push(format!("{table} {}", hex_addr(cols[2])));
            }
        }
    }
    Some(peers)
}

/// An address as /proc/net/{tcp,udp}[6] write it (the address's 32-bit words in host order,
/// in hex, then the port): `0100007F:1F90` → `127.0.0.1:8080` on little-endian machines.
fn hex_addr(raw: &str) -> String {
    let parsed = raw.split_once(':').and_then(|(ip, port)| {
        let port = u16::from_str_radix(port, 16).ok()?;
        let mut bytes = Vec::new();
        for word in ip.as_bytes().chunks(8) {
            let word = u32::from_str_radix(std::str::from_utf8(word).ok()?, 16).ok()?;
            bytes.extend(word.to_ne_bytes());
        }
        let ip: std::net::IpAddr = match bytes.len() {
            4 => <[u8; 4]>::try_from(bytes).ok()?.into(),
            16 => <[u8; 16]>::try_from(bytes).ok()?.into(),
            _ => return None,
        };
        Some(SocketAddr::new(ip, port).to_string())
    });
    parsed.unwrap_or_else(|| raw.to_owned())
}

// ------------------------------------------------------------------------------------------
// One process against its own minimal Runtime API
// ------------------------------------------------------------------------------------------

/// What the Runtime API saw, in order.
#[derive(Debug)]
enum Note {
    /// A `GET /next` arrived.
    Poll(Instant),
    /// Event `i` was handed over by `/next`.
    Delivered(usize, Instant),
    /// The response to event `i` arrived.
    Responded(usize, Instant, Bytes),
    /// `/error`, `/init/error` or an unexpected request.
    Failed(String),
}

struct RuntimeApi {
    /// (request id, event) in delivery order.
    events: Vec<(String, String)>,
    delivered: AtomicUsize,
    notes: mpsc::UnboundedSender<Note>,
    stop: watch::Receiver<bool>,
    /// When set, the first `/next` waits for `release` before answering.
    hold: bool,
    release: Notify,
}

fn runtime_api(api: Arc<RuntimeApi>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .fallback(unexpected)
        .with_state(api)
}

async fn next(State(api): State<Arc<RuntimeApi>>) -> Response {
    let _ = api.notes.send(Note::Poll(Instant::now()));
    let i = api.delivered.fetch_add(1, Ordering::SeqCst);
    if i == 0 && api.hold {
        api.release.notified().await;
    }
    let Some((id, event)) = api.events.get(i) else {
        // Nothing more to run: keep the poll open until the start ends (Lambda would freeze
        // the instance here).
        let mut stop = api.stop.clone();
        let _ = stop.wait_for(|stopped| *stopped).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let deadline = now_ms + TIMEOUT.as_millis();
    let trace = format!(
        "Root=1-{:08x}-{:024x};Parent={:016x};Sampled=0",
        now_ms / 1000,
        i + 1,
        i + 1
    );
    let headers = [
        ("lambda-runtime-aws-request-id", id.clone()),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            FUNCTION_ARN.to_owned(),
        ),
        ("lambda-runtime-trace-id", trace),
        ("content-type", "application/json".to_owned()),
    ];
    let reply = (headers, event.clone()).into_response();
    let _ = api.notes.send(Note::Delivered(i, Instant::now()));
    reply
}

async fn response(
    State(api): State<Arc<RuntimeApi>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    let note = match api.events.iter().position(|(request, _)| *request == id) {
        Some(i) => Note::Responded(i, at, body),
        None => Note::Failed(format!("response for unknown request {id}")),
    };
    let _ = api.notes.send(note);
    StatusCode::ACCEPTED
}

async fn error(
    State(api): State<Arc<RuntimeApi>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let body = String::from_utf8_lossy(&body);
    let _ = api
        .notes
        .send(Note::Failed(format!("invocation {id} failed: {body}")));
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<Arc<RuntimeApi>>, body: Bytes) -> StatusCode {
    let body = String::from_utf8_lossy(&body);
    let _ = api.notes.send(Note::Failed(format!("init failed: {body}")));
    StatusCode::ACCEPTED
}

async fn unexpected(State(api): State<Arc<RuntimeApi>>, uri: Uri) -> StatusCode {
    let _ = api
        .notes
        .send(Note::Failed(format!("unexpected request {uri}")));
    StatusCode::NOT_FOUND
}

/// A child process and the Runtime API it talks to.
struct Run {
    child: Child,
    spawned: Instant,
    api: Arc<RuntimeApi>,
    notes: mpsc::UnboundedReceiver<Note>,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    log: PathBuf,
    runtime_api: SocketAddr,
}

impl Run {
    /// Serves a fresh Runtime API on 127.0.0.1:0 with `invocations` copies of the list event,
    /// then spawns the binary; `spawned` is taken just before the spawn.
    async fn launch(
        bench: &Bench,
        subject: &Subject,
        invocations: usize,
        endpoint: &str,
        overrides: &[(&str, &str)],
        hold: bool,
    ) -> Result<Run, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("runtime API: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("runtime API: {e}"))?;
        let (notes_tx, notes) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let run_id = bench.started.load(Ordering::Relaxed);
        let api = Arc::new(RuntimeApi {
            events: (0..invocations)
                .map(|i| {
                    (
                        format!("00000000-0000-4000-8000-{:06x}{:06x}", run_id, i),
                        bench.event.clone(),
                    )
                })
                .collect(),
            delivered: AtomicUsize::new(0),
            notes: notes_tx,
            stop: stop_rx.clone(),
            hold,
            release: Notify::new(),
        });
        let router = runtime_api(api.clone());
        let mut shutdown = stop_rx;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = shutdown.wait_for(|stopped| *stopped).await;
                })
                .await;
        });

        let mut extra = subject.extra_env.clone();
        extra.extend(
            overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let env = bench.env(addr, endpoint, &extra);
        let log = File::options()
            .append(true)
            .open(&bench.log)
            .map_err(|e| format!("{}: {e}", bench.log.display()))?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(&subject.bin);
        command
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let spawned = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", subject.bin.display()))?;
        Ok(Run {
            child,
            spawned,
            api,
            notes,
            stop,
            server,
            log: bench.log.clone(),
            runtime_api: addr,
        })
    }

    /// The next note, or why there is none: the process exited, reported an error, or
    /// nothing happened for `PATIENCE`.
    async fn note(&mut self) -> Result<Note, String> {
        let until = tokio::time::Instant::now() + PATIENCE;
        loop {
            tokio::select! {
                note = self.notes.recv() => {
                    return match note {
                        Some(Note::Failed(why)) => Err(self.with_log(why)),
                        Some(note) => Ok(note),
                        None => Err("runtime API stopped".into()),
                    };
                }
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        return Err(self.with_log(format!("process exited ({status})")));
                    }
                    if tokio::time::Instant::now() > until {
                        return Err(self.with_log(format!("nothing happened for {PATIENCE:?}")));
                    }
                }
            }
        }
    }

    fn with_log(&self, why: String) -> String {
        format!("{why} (process output in {})", self.log.display())
    }

    /// When the process polls `/next` (the first time, for a fresh process).
    async fn next_poll(&mut self) -> Result<Instant, String> {
        loop {
            if let Note::Poll(at) = self.note().await? {
                return Ok(at);
            }
        }
    }

    /// When event `i` was handed over by `/next` and when its response arrived; the response
    /// checked.
    async fn invocation(
        &mut self,
        i: usize,
        subject: &Subject,
    ) -> Result<(Instant, Instant), String> {
        let mut delivered = None;
        loop {
            match self.note().await? {
                Note::Delivered(j, at) if j == i => delivered = Some(at),
                Note::Responded(j, at, body) if j == i => {
                    let from = delivered.ok_or("response before the event was delivered")?;
                    check(&body, subject.rows).map_err(|e| self.with_log(e))?;
                    return Ok((from, at));
                }
                Note::Responded(j, ..) => return Err(format!("response to event {j}")),
                _ => {}
            }
        }
    }

    /// Kills the process and stops its Runtime API.
    async fn finish(mut self) {
        let _ = self.stop.send(true);
        let _ = self.child.kill();
        let _ = self.child.wait();
        if tokio::time::timeout(Duration::from_secs(2), &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }
}

/// A good answer: API Gateway response with status 200 whose JSON body has `"error": null`
/// (and, for customer-api, the seeded customers as `result`).
fn check(reply: &[u8], rows: Option<usize>) -> Result<(), String> {
    let bad = |why: &str| {
        format!(
            "bad response ({why}): {}",
            String::from_utf8_lossy(reply)
                .chars()
                .take(500)
                .collect::<String>()
        )
    };
    let reply_json: Value = serde_json::from_slice(reply).map_err(|_| bad("not JSON"))?;
    if reply_json["statusCode"] != 200 {
        return Err(bad("status is not 200"));
    }
    let text = reply_json["body"].as_str().ok_or_else(|| bad("no body"))?;
    let text = if reply_json["isBase64Encoded"] == true {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| bad("body is not base64"))?;
        String::from_utf8(bytes).map_err(|_| bad("body is not UTF-8"))?
    } else {
        text.to_owned()
    };
    let body: Value = serde_json::from_str(&text).map_err(|_| bad("body is not JSON"))?;
    if body.get("error") != Some(&Value::Null) {
        return Err(bad("\"error\" is not null"));
    }
    if let Some(rows) = rows {
        let found = body["result"].as_array().map(Vec::len);
        if found != Some(rows) {
            return Err(bad(&format!("expected {rows} customers")));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Init by phase (customer-api's main, one step at a time, in a fresh process each)
// ------------------------------------------------------------------------------------------

const PHASES: [&str; 8] = [
    "tokio runtime",
    "logging (telemetry::init)",
    "settings (Settings::from_env)",
    "SDK config + DynamoDB client (store::client::api_client)",
    "App::new + router",
    "total, main → router",
    "first DynamoDB call (ListTables)",
    "second DynamoDB call (ListTables)",
];

/// Child mode: what src/main.rs does before `lambda_http::run`, timed step by step, then two
/// DynamoDB calls (the first carries the SDK's lazy set-up: HTTP client and TLS roots,
/// credentials, connection). Prints one `PHASES [µs…]` line in the order of `PHASES`.
fn phases() -> ExitCode {
    let start = Instant::now();
    let runtime = isp_crm::process::runtime().expect("tokio runtime");
    let mut marks = vec![start.elapsed()];
    let mut lap = Instant::now();
    let mut mark = |marks: &mut Vec<Duration>| {
        marks.push(lap.elapsed());
        lap = Instant::now();
    };
    runtime.block_on(async {
        isp_crm::telemetry::init();
        mark(&mut marks);
        let settings = Settings::from_env().expect("settings");
        mark(&mut marks);
        let client = isp_crm::store::client::api_client(
            settings.endpoint.as_deref(),
            settings.tls_roots,
            &settings.dynamodb,
        )
        .expect("client");
        mark(&mut marks);
        let store = Store::new(client.clone(), settings.tables.clone());
        let app = App::new(store, &settings).expect("app");
        let _router = isp_crm::http::router(Arc::new(app));
        mark(&mut marks);
        marks.push(start.elapsed());
        for _ in 0..2 {
            list_tables(&client).await;
            mark(&mut marks);
        }
    });
    let micros: Vec<u128> = marks.iter().map(Duration::as_micros).collect();
    println!("PHASES {}", json!(micros));
    ExitCode::SUCCESS
}

async fn list_tables(client: &Client) {
    client
        .list_tables()
        .limit(1)
        .send()
        .await
        .expect("ListTables");
}

/// Runs this example in `phases` mode `PHASE_RUNS` times with customer-api's environment.
async fn init_phases(bench: &Bench, api: &Subject) -> Result<Vec<Vec<Duration>>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut runs = Vec::new();
    for _ in 0..PHASE_RUNS {
        let env = bench.env(
            SocketAddr::from(([127, 0, 0, 1], 9)),
            &bench.endpoint,
            &api.extra_env,
        );
        let out = Command::new(&exe)
            .arg("phases")
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("phases: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("PHASES "))
            .ok_or_else(|| format!("phases child printed no PHASES line: {stdout}"))?;
        let micros: Vec<u64> =
            serde_json::from_str(line).map_err(|e| format!("phases line {line}: {e}"))?;
        runs.push(micros.into_iter().map(Duration::from_micros).collect());
    }
    Ok(runs)
}

// ------------------------------------------------------------------------------------------
// Report
// ------------------------------------------------------------------------------------------

pub(crate) struct Summary {
    pub(crate) median: Duration,
    pub(crate) p90: Duration,
    /// The nearest rank; with fewer than 100 values, the largest.
    pub(crate) p99: Duration,
    min: Duration,
}

pub(crate) fn summary(mut values: Vec<Duration>) -> Summary {
    values.sort();
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2
    };
    Summary {
        median,
        p90: values[(n * 9).div_ceil(10) - 1],
        p99: values[(n * 99).div_ceil(100) - 1],
        min: values[0],
    }
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn report(
    subjects: &[&Subject; 3],
    samples: &[Vec<Sample>; 3],
    warm: &[Vec<Duration>; 3],
    breakdown: &[Vec<Duration>],
) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "Cold starts: {} per binary, interleaved; {cpus} CPUs; DynamoDB API: moto on loopback. \
         Times in ms.",
        samples[0].len()
    );
    if !subjects[0].extra_env.is_empty() {
        let extra: Vec<String> = subjects[0]
            .extra_env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "customer-api started with CUSTOMER_API_ENV: {}",
            extra.join(" ")
        );
    }
    println!();
    println!(
        "| binary | size | init median | init p90 | init p99 | init min \
         | 1st invocation median | 1st invocation p90 | 1st invocation p99 \
         | 1st invocation min | warm invocation median |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut init_medians = Vec::new();
    for ((subject, samples), warm) in subjects.iter().zip(samples).zip(warm) {
        let init = summary(samples.iter().map(|s| s.init).collect());
        let first = summary(samples.iter().map(|s| s.first).collect());
        let warm = summary(warm.clone());
        let size = std::fs::metadata(&subject.bin).map_or(0, |m| m.len());
        println!(
            "| {} | {:.1} MB | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            subject.label,
            size as f64 / 1e6,
            ms(init.median),
            ms(init.p90),
            ms(init.p99),
            ms(init.min),
            ms(first.median),
            ms(first.p90),
            ms(first.p99),
            ms(first.min),
            ms(warm.median),
        );
        init_medians.push(init.median);
    }
    // customer-api (plain) against the hello-world: the TLS row differs only in its endpoint.
    let ratio = init_medians[0].as_secs_f64() / init_medians[2].as_secs_f64();
    println!();
    println!(
        "Init ratio (medians), customer-api / hello_lambda: {ratio:.2}× (target ≤ 1.5×: {}).",
        if ratio <= 1.5 { "met" } else { "NOT met" }
    );
    println!();
    println!(
        "customer-api init by phase ({} fresh processes of this example in `phases` mode; \
         from main, so without exec and without lambda_runtime's own start and first poll):",
        breakdown.len()
    );
    println!();
    println!("| phase | median ms | p90 ms |");
    println!("|---|---:|---:|");
    for (i, name) in PHASES.iter().enumerate() {
        let s = summary(breakdown.iter().map(|run| run[i]).collect());
        println!("| {name} | {} | {} |", ms(s.median), ms(s.p90));
    }
}
