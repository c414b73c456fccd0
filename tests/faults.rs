//! Faults between the app and DynamoDB: a proxy of our own in front of moto throttles,
//! fails (with and without an error code or a JSON body), loses replies after the write
//! committed, answers slower than the attempt timeout, and cancels transactions with
//! `TransactionConflict` or `TransactionInProgressException`, or single-item writes with
//! `TransactionConflictException` (moto raises none of the three itself).
//! Every answer must be the envelope with a documented status, retried deliveries with one
//! `Idempotency-Key` must make one record, and the data must stay whole.

mod common;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::*;
use futures_util::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// 400 `ThrottlingException` (or `ProvisionedThroughputExceededException`).
    Throttle,
    /// 500 with an HTML body and no error code.
    Html500,
    /// The request reaches moto and commits; the reply is lost (500 without a body).
    LostReply,
    /// The request commits; its reply comes after the attempt timeout.
    Slow,
    /// `TransactWriteItems` only: cancelled with `TransactionConflict` reasons.
    Conflict,
    /// `TransactWriteItems` only: `TransactionInProgressException`.
    InProgress,
    /// `UpdateItem`, `PutItem`, `DeleteItem` only: `TransactionConflictException`, what
    /// DynamoDB answers a single-item write on an item a transaction is writing. Never on
    /// the id counters, which no transaction writes.
    ItemConflict,
}

impl Fault {
    /// Whether DynamoDB could answer `op` on `table` with this fault.
    fn applies(self, op: &str, table: &str) -> bool {
        match self {
            Self::Conflict | Self::InProgress => op == "TransactWriteItems",
            Self::ItemConflict => {
                matches!(op, "UpdateItem" | "PutItem" | "DeleteItem")
                    && !table.ends_with("counters")
            }
            _ => true,
        }
    }
}

/// The DynamoDB operations that write.
const WRITES: [&str; 4] = ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"];

/// What the proxy injects: each call that one of `kinds` applies to fails with probability
/// `rate`, with a kind drawn by weight among those that apply; the rest goes through.
#[derive(Debug, Clone, Default)]
struct Faults {
    rate: f64,
    kinds: Vec<(Fault, f64)>,
    /// Only these operations fail (empty: any).
    ops: Vec<&'static str>,
    /// How many more faults, then every call goes through (`None`: no limit).
    left: Option<usize>,
}

impl Faults {
    /// Every call that `kinds` apply to fails, with one of them.
    fn always(kinds: &[Fault]) -> Self {
        Self {
            rate: 1.0,
            kinds: kinds.iter().map(|k| (*k, 1.0)).collect(),
            ..Self::default()
        }
    }

    /// `rate` of the calls fail, with every kind of fault.
    fn mix(rate: f64) -> Self {
        Self {
            rate,
            kinds: vec![
                (Fault::Throttle, 0.20),
                (Fault::Html500, 0.15),
                (Fault::LostReply, 0.20),
                (Fault::Slow, 0.10),
                (Fault::Conflict, 0.25),
                (Fault::InProgress, 0.10),
            ],
            ..Self::default()
        }
    }

    fn only(mut self, ops: &[&'static str]) -> Self {
        self.ops = ops.to_vec();
        self
    }

    fn at_most(mut self, faults: usize) -> Self {
        self.left = Some(faults);
        self
    }
}

/// One call that reached the proxy.
#[derive(Debug, Clone)]
struct Call {
    op: String,
    table: String,
    fault: Option<Fault>,
}

struct Proxy {
    moto: String,
    http: reqwest::Client,
    faults: Mutex<Faults>,
    rng: Mutex<StdRng>,
    calls: Mutex<Vec<Call>>,
    slow: Duration,
}

impl Proxy {
    fn set(&self, faults: Faults) {
        *self.faults.lock().unwrap() = faults;
    }

    /// Every call so far.
    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    /// The fault for a call of `op` on `table`, if it gets one.
    fn draw(&self, op: &str, table: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap();
        if faults.left == Some(0) || !faults.ops.is_empty() && !faults.ops.contains(&op) {
            return None;
        }
        let applicable: Vec<(Fault, f64)> = faults
            .kinds
            .iter()
            .filter(|(k, _)| k.applies(op, table))
            .copied()
            .collect();
        let total: f64 = applicable.iter().map(|(_, w)| w).sum();
        let mut rng = self.rng.lock().unwrap();
        if total <= 0.0 || rng.random::<f64>() >= faults.rate {
            return None;
        }
        let mut pick = rng.random::<f64>() * total;
        let fault = applicable.into_iter().find_map(|(k, w)| {
            pick -= w;
            (pick < 0.0).then_some(k)
        })?;
        if let Some(left) = faults.left.as_mut() {
            *left -= 1;
        }
        Some(fault)
    }
}

fn amz_error(status: StatusCode, kind: &str, extra: Value) -> Response {
    let mut body =
        json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": kind});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    (
        status,
        [("content-type", "application/x-amz-json-1.0")],
        body.to_string(),
    )
        .into_response()
}

async fn handle(State(proxy): State<Arc<Proxy>>, headers: HeaderMap, body: Bytes) -> Response {
    let op = operation_of(&headers);
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let table = request["TableName"].as_str().unwrap_or_default().to_owned();
    let fault = proxy.draw(&op, &table);
    proxy.calls.lock().unwrap().push(Call {
        op: op.clone(),
        table,
        fault,
    });
    let forward = || forward_to_moto(&proxy.http, &proxy.moto, &headers, body.clone());
    match fault {
        None => forward().await,
        Some(Fault::Throttle) => {
            let kind = match op.len() % 2 {
                0 => "ThrottlingException",
                _ => "ProvisionedThroughputExceededException",
            };
            amz_error(StatusCode::BAD_REQUEST, kind, json!({}))
        }
        Some(Fault::Html500) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "text/html")],
            "<html><body>Internal Server Error</body></html>",
        )
            .into_response(),
        Some(Fault::LostReply) => {
            let _ = forward().await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some(Fault::Slow) => {
            let reply = forward().await;
            tokio::time::sleep(proxy.slow).await;
            reply
        }
        Some(Fault::Conflict) => {
            let items = request["TransactItems"].as_array().map_or(1, Vec::len);
            let reasons: Vec<Value> = (0..items)
                .map(|i| match i {
                    0 => json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}),
                    _ => json!({"Code": "None"}),
                })
                .collect();
            amz_error(
                StatusCode::BAD_REQUEST,
                "TransactionCanceledException",
                json!({"CancellationReasons": reasons}),
            )
        }
        Some(Fault::InProgress) => amz_error(
            StatusCode::BAD_REQUEST,
            "TransactionInProgressException",
            json!({}),
        ),
        Some(Fault::ItemConflict) => amz_error(
            StatusCode::BAD_REQUEST,
            "TransactionConflictException",
            json!({}),
        ),
    }
}

/// Starts a proxy to the tests' moto with `faults`, returning it and its URL.
async fn proxy(faults: Faults, seed: u64, slow: Duration) -> (Arc<Proxy>, String) {
    let proxy = Arc::new(Proxy {
        moto: std::env::var("DYNAMODB_ENDPOINT").expect("make test sets it"),
        http: reqwest::Client::new(),
        faults: Mutex::new(faults),
        rng: Mutex::new(StdRng::seed_from_u64(seed)),
        calls: Mutex::new(Vec::new()),
        slow,
    });
    let router = axum::Router::new()
        .fallback(axum::routing::post(handle))
        .with_state(proxy.clone());
    (proxy, serve_on_loopback(router).await)
}

/// A customer create in reseller 1 named `name`.
fn create_fields(name: &str) -> Vec<(&'static str, String)> {
    customer_fields_with(&[("name", name), ("resellerid", "1")])
}

/// Short timeouts, so that slow replies time out quickly.
const FAST: [(&str, &str); 4] = [
    ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "300"),
    ("DYNAMODB_OPERATION_TIMEOUT_MS", "2000"),
    ("REQUEST_DEADLINE_MS", "4000"),
    ("AUTH_CACHE_SECONDS", "0"),
];

const DOCUMENTED: [u16; 9] = [200, 400, 401, 403, 404, 409, 429, 500, 503];

/// The status is documented, the body is the envelope, and 429/503 say when to retry.
async fn post(
    app: &TestApp,
    user: u64,
    route: &str,
    params: &[(&str, &str)],
    key: Option<&str>,
) -> (u16, Value) {
    let form = app.signed_form(user, params);
    let mut req = app.http.post(app.route_url(route)).form(&form);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("an answer");
    let status = resp.status().as_u16();
    let retry_after = resp.headers().get("retry-after").is_some();
    let ct = content_type_of(&resp);
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(
        DOCUMENTED.contains(&status),
        "undocumented status {status}: {body}"
    );
    assert_eq!(ct, "application/json", "{status}: not the envelope");
    assert!(
        body.get("result").is_some() && body.get("error").is_some(),
        "{status}: {body}"
    );
    if status == 429 || status == 503 {
        assert!(retry_after, "{status} without Retry-After: {body}");
    }
    (status, body)
}

/// Delivers one webhook until it is answered 200 (at most `tries` times): its result, and how
/// many times it was sent.
async fn deliver(
    app: &TestApp,
    route: &str,
    params: &[(&str, &str)],
    key: &str,
    tries: usize,
) -> (Option<u64>, usize) {
    for sent in 1..=tries {
        let (status, body) = post(app, ISP1_USER, route, params, Some(key)).await;
        if status == 200 {
            return (body["result"].as_u64(), sent);
        }
        assert!(status == 429 || status == 503, "{status}: {body}");
    }
    (None, tries)
}

async fn scan(app: &TestApp, table: &str) -> Vec<Item> {
    let out = app
        .store
        .client
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap();
    assert!(
        out.last_evaluated_key.is_none(),
        "{table}: more than a page"
    );
    out.items.unwrap_or_default()
}

fn num(item: &Item, attr: &str) -> u64 {
    item.get(attr)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn text<'a>(item: &'a Item, attr: &str) -> &'a str {
    item.get(attr)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

/// One webhook: its key, what it sends, what identifies its record (a customer's name, a
/// service's username) and the id it was answered 200 with, if it ever was.
#[derive(Debug, Clone)]
struct Delivery {
    key: String,
    params: Vec<(&'static str, String)>,
    data: String,
    answered: Option<u64>,
    /// How many times it was sent in all.
    sent: usize,
}

/// Delivers each of `deliveries` on `route` until it is answered 200 (at most `tries` times),
/// four webhooks at a time. One delivered before must get the id it got then.
async fn deliver_all(
    app: &TestApp,
    route: &str,
    deliveries: Vec<Delivery>,
    tries: usize,
) -> Vec<Delivery> {
    futures_util::stream::iter(deliveries)
        .map(|mut d| async move {
            let (now, sent) = deliver(app, route, &as_pairs(&d.params), &d.key, tries).await;
            d.sent += sent;
            if let (Some(before), Some(now)) = (d.answered, now) {
                assert_eq!(now, before, "{}: redelivered, another id", d.key);
            }
            d.answered = d.answered.or(now);
            d
        })
        .buffer_unordered(4)
        .collect()
        .await
}

/// What `deliveries` left in `table` (`attr` holds each one's `data`) and in the claims: a key
/// answered 200 made exactly the record it was answered with, and its claim holds that id; a
/// key never answered made at most one record, and a claim only with it; no id was answered
/// to two keys; every record is a delivery's; no id is past its counter. The table's items.
async fn check_once_each(
    app: &TestApp,
    table: &str,
    attr: &str,
    counter: &str,
    deliveries: &[Delivery],
) -> Vec<Item> {
    use isp_crm::domain::ids::UserId;
    use isp_crm::store::keys::claim;
    let items = scan(app, table).await;
    let mut by_data: HashMap<&str, Vec<u64>> = HashMap::new();
    for item in &items {
        by_data
            .entry(text(item, attr))
            .or_default()
            .push(num(item, "id"));
    }
    let mut answered_to: HashMap<u64, &str> = HashMap::new();
    for d in deliveries {
        let stored = by_data.remove(d.data.as_str()).unwrap_or_default();
        let claim = app
            .store
            .get_claim(&claim::idempotency(UserId(ISP1_USER), &d.key), true)
            .await
            .unwrap()
            .map(|c| c.result);
        match d.answered {
            Some(id) => {
                assert_eq!(stored, vec![id], "{}: one record, the one answered", d.key);
                assert_eq!(
                    claim,
                    Some(id),
                    "{}: its claim holds the id answered",
                    d.key
                );
                if let Some(other) = answered_to.insert(id, &d.key) {
                    panic!("id {id} answered to both {other} and {}", d.key);
                }
            }
            None => {
                assert!(
                    stored.len() <= 1,
                    "{}: never answered, made {stored:?}",
                    d.key
                );
                assert_eq!(
                    claim,
                    stored.first().copied(),
                    "{}: record and claim",
                    d.key
                );
            }
        }
    }
    assert!(by_data.is_empty(), "records of no delivery: {by_data:?}");
    let last = app.counter(counter).await;
    assert!(
        items.iter().all(|i| num(i, "id") <= last),
        "{counter} is {last}, below an id in use"
    );
    items
}

/// Webhook creates retried with one `Idempotency-Key` each through a proxy that fails `rate`
/// of the DynamoDB calls with every kind of fault: `customers` customers, then a service for
/// each of the first `services` customers created; then every webhook again (a sender that
/// retries what it already got through). Each key makes at most one record, and the one it
/// was answered with; the counts and claims agree with the records. How many got through.
/// `warm`: the instance keeps the caller's key (one DynamoDB call less per request).
async fn deliveries_under_faults(
    rate: f64,
    seed: u64,
    warm: bool,
    (customers, services): (usize, usize),
    tries: usize,
) -> (usize, usize) {
    let (proxy, url) = proxy(Faults::mix(rate), seed, Duration::from_millis(600)).await;
    let app = spawn_app_via(Some(&url), if warm { &FAST[..3] } else { &FAST }).await;
    let started = Instant::now();
    let wanted: Vec<Delivery> = (0..customers)
        .map(|i| {
            let name = format!("Fault Customer {i}");
            Delivery {
                key: format!("cust-{i}"),
                params: create_fields(&name),
                data: name,
                answered: None,
                sent: 0,
            }
        })
        .collect();
    let mut made = deliver_all(&app, "create", wanted, tries).await;
    made.sort_by_key(|d| d.answered.is_none());
    let wanted: Vec<Delivery> = made
        .iter()
        .filter_map(|c| c.answered)
        .take(services)
        .enumerate()
        .map(|(i, customer)| {
            let username = format!("fault.user{i}");
            Delivery {
                key: format!("svc-{i}"),
                params: vec![
                    ("customerid", customer.to_string()),
                    ("username", username.clone()),
                    ("plan", "Fiber".to_owned()),
                ],
                data: username,
                answered: None,
                sent: 0,
            }
        })
        .collect();
    let svc = deliver_all(&app, "service/create", wanted, tries).await;
    // Every webhook again, answered or not.
    let made = deliver_all(&app, "create", made, tries).await;
    let svc = deliver_all(&app, "service/create", svc, tries).await;
    let through = |d: &[Delivery]| d.iter().filter(|d| d.answered.is_some()).count();
    let all: Vec<&Delivery> = made.iter().chain(&svc).collect();
    eprintln!(
        "{:.0} % faults: {}/{} customers, {}/{} services answered; {} requests (at most {} for \
         one webhook), {} DynamoDB calls, {:.1} s",
        rate * 100.0,
        through(&made),
        made.len(),
        through(&svc),
        svc.len(),
        all.iter().map(|d| d.sent).sum::<usize>(),
        all.iter().map(|d| d.sent).max().unwrap_or(0),
        proxy.count(),
        started.elapsed().as_secs_f64()
    );

    // Checked without the proxy.
    let t = &app.store.tables;
    let stored = check_once_each(&app, &t.customers, "name", "customer_id", &made).await;
    let services_stored = check_once_each(&app, &t.services, "username", "service_id", &svc).await;
    for d in &svc {
        let owner = &d.params[0].1;
        let record = services_stored
            .iter()
            .find(|s| text(s, "username") == d.data);
        if let Some(s) = record {
            assert_eq!(
                num(s, "customerid").to_string(),
                *owner,
                "{}: its customer",
                d.key
            );
        }
    }
    // Service counts match the services; every username claim holds its service and back.
    for c in &stored {
        let owned = services_stored
            .iter()
            .filter(|s| num(s, "customerid") == num(c, "id"))
            .count() as u64;
        assert_eq!(num(c, "service_count"), owned, "customer {}", num(c, "id"));
    }
    let claims: BTreeMap<String, u64> = scan(&app, &t.claims)
        .await
        .iter()
        .filter(|c| text(c, "claim").starts_with("username|"))
        .map(|c| (text(c, "claim").to_owned(), num(c, "result")))
        .collect();
    let want: BTreeMap<String, u64> = services_stored
        .iter()
        .map(|s| (format!("username|1|{}", text(s, "username")), num(s, "id")))
        .collect();
    assert_eq!(claims, want, "username claims and services agree");
    // The counts followed every committed create.
    let checks = isp_crm::admin::check_counts(&app.store, None)
        .await
        .unwrap();
    assert!(checks.iter().all(|c| c.agrees()), "{checks:?}");
    (through(&made), through(&svc))
}

/// The figures: 60 webhooks (40 customers, 20 services) to a cold instance with 30 %
/// of the calls failing, every one of them through in the end. A cold create makes about six
/// calls, where retrying stops (`MAX_CALLS_TO_RETRY`): about one delivery in four gets
/// through, so the sender tries up to 25 times (a real one retries for hours).
#[tokio::test]
async fn retried_deliveries_at_30_percent_faults_make_one_record_each() {
    let through = deliveries_under_faults(0.30, 7, false, (40, 20), 25).await;
    assert_eq!(through, (40, 20));
}

/// At 60 %, even a warm instance's create (3 or 4 calls, 2 retries) gets through about one
/// time in six, and some deliveries run out of tries. Still no key makes two records and
/// nothing is half-written.
#[tokio::test]
async fn retried_deliveries_at_60_percent_faults_never_make_two_records() {
    let (customers, services) = deliveries_under_faults(0.60, 11, true, (40, 20), 10).await;
    assert!(
        customers >= 20 && services >= 8,
        "{customers} customers, {services} services through"
    );
}

/// A transaction's reply lost after it committed: the SDK sends it again (DynamoDB answers
/// that from its `ClientRequestToken`; moto runs it again and refuses it, the records being
/// there), and the request still answers with the id committed, which a redelivery gets too.
#[tokio::test]
async fn a_reply_lost_after_the_commit_answers_the_record_committed() {
    let (proxy, url) = proxy(Faults::default(), 1, Duration::ZERO).await;
    // Warm: the caller's key cached, so the request has calls left to retry with.
    let app = spawn_app_via(Some(&url), &FAST[..3]).await;
    let owner = post(
        &app,
        ISP1_USER,
        "create",
        &as_pairs(&create_fields("Owner")),
        None,
    )
    .await
    .1["result"]
        .to_string();
    let t = &app.store.tables;
    let customer = create_fields("Lost Reply");
    let service = [
        ("customerid", owner.clone()),
        ("username", "lost.reply".to_owned()),
        ("plan", "Fiber".to_owned()),
    ];
    let cases = [
        ("create", &customer[..], &t.customers, "name", "Lost Reply"),
        (
            "service/create",
            &service[..],
            &t.services,
            "username",
            "lost.reply",
        ),
    ];
    for (route, fields, table, attr, data) in cases {
        let key = format!("lost-{route}");
        proxy.set(
            Faults::always(&[Fault::LostReply])
                .only(&["TransactWriteItems"])
                .at_most(1),
        );
        let from = proxy.count();
        let (status, body) = post(&app, ISP1_USER, route, &as_pairs(fields), Some(&key)).await;
        proxy.set(Faults::default());
        let transactions: Vec<Option<Fault>> = proxy.calls()[from..]
            .iter()
            .filter(|c| c.op == "TransactWriteItems")
            .map(|c| c.fault)
            .collect();
        assert_eq!(transactions[..2], [Some(Fault::LostReply), None], "{route}");
        assert_eq!(status, 200, "{route}: {body}");
        let id = body["result"].as_u64();
        let stored: Vec<u64> = scan(&app, table)
            .await
            .iter()
            .filter(|i| text(i, attr) == data)
            .map(|i| num(i, "id"))
            .collect();
        assert_eq!(
            stored.iter().copied().map(Some).collect::<Vec<_>>(),
            [id],
            "{route}"
        );
        let (again, _) = deliver(&app, route, &as_pairs(fields), &key, 1).await;
        assert_eq!(again, id, "{route}: redelivered");
    }
}

#[tokio::test]
async fn total_throttling_or_conflicts_end_in_a_few_calls_with_retry_after() {
    let cases = [
        (Fault::Throttle, 429),
        (Fault::Conflict, 503),
        (Fault::InProgress, 503),
        (Fault::Html500, 503),
    ];
    for ((fault, want), warm) in cases.into_iter().flat_map(|c| [(c, true), (c, false)]) {
        let (proxy, url) = proxy(Faults::default(), 1, Duration::ZERO).await;
        // Warm: the caller's key and reseller 1's ISP are cached. Cold: the request reads
        // both first (no auth cache, a fresh instance).
        let app = match warm {
            true => spawn_app_via(Some(&url), &FAST[..3]).await,
            false => spawn_app_via(Some(&url), &FAST).await,
        };
        if warm {
            let warm_up = create_fields("Warm Up");
            post(&app, ISP1_USER, "create", &as_pairs(&warm_up), None).await;
        }
        proxy.set(Faults::always(&[fault]));
        let before = proxy.count();
        let busy = create_fields("Always Busy");
        let params = as_pairs(&busy);
        let (status, body) = post(&app, ISP1_USER, "create", &params, Some("busy-key")).await;
        let calls = proxy.count() - before;
        let instance = if warm { "warm" } else { "cold" };
        eprintln!("{fault:?}, {instance}: {status} after {calls} DynamoDB calls");
        assert_eq!(status, want, "{fault:?}, {instance}: {body}");
        // Cold, with AUTH_CACHE_SECONDS=0 nothing read is kept even within the request: the
        // key, its ISP, the claim, the reseller, the ISP again for its time zone (the created
        // day a kept count needs), the id counter, then one transaction.
        let most = if warm { 6 } else { 7 };
        assert!(
            calls <= most,
            "{fault:?}, {instance}: {calls} DynamoDB calls for one request"
        );
    }
}

type Params<'a> = Vec<(&'a str, &'a str)>;

/// Every item of the tables a request writes, comparable: the id counters aside (a refused
/// create may skip an id, never reuse one).
async fn snapshot(app: &TestApp) -> Vec<Vec<String>> {
    let t = &app.store.tables;
    let mut tables = Vec::new();
    for table in [&t.customers, &t.services, &t.claims, &t.counts] {
        let mut items: Vec<String> = scan(app, table)
            .await
            .iter()
            .map(|i| {
                let sorted: BTreeMap<_, _> = i.iter().map(|(k, v)| (k, canonical(v))).collect();
                format!("{sorted:?}")
            })
            .collect();
        items.sort();
        tables.push(items);
    }
    tables
}

/// An attribute value as text with its maps in key order, nested ones too (a history
/// entry's `changes`), so that two reads of the same item compare equal.
fn canonical(v: &aws_sdk_dynamodb::types::AttributeValue) -> String {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    match v {
        V::M(m) => {
            let sorted: BTreeMap<_, _> = m.iter().map(|(k, v)| (k, canonical(v))).collect();
            format!("M({sorted:?})")
        }
        V::L(l) => format!("L({:?})", l.iter().map(canonical).collect::<Vec<_>>()),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn total_faults_on_service_and_customer_changes_end_in_a_few_calls_writing_nothing() {
    let faults = [
        ("throttling", Faults::always(&[Fault::Throttle]), 429),
        (
            "throttled writes",
            Faults::always(&[Fault::Throttle]).only(&WRITES),
            429,
        ),
        // Transactions cancelled, single-item writes refused: both are conflicts.
        (
            "conflicts",
            Faults::always(&[Fault::Conflict, Fault::ItemConflict]),
            503,
        ),
    ];
    for warm in [true, false] {
        let instance = if warm { "warm" } else { "cold" };
        let (proxy, url) = proxy(Faults::default(), 1, Duration::ZERO).await;
        // Warm: the caller's key is cached (by the set-up's requests). Cold: each request
        // reads it first.
        let app = match warm {
            true => spawn_app_via(Some(&url), &FAST[..3]).await,
            false => spawn_app_via(Some(&url), &FAST).await,
        };
        let customer = post(
            &app,
            ISP1_USER,
            "create",
            &as_pairs(&create_fields("Has One")),
            None,
        )
        .await
        .1["result"]
            .to_string();
        let spare = post(
            &app,
            ISP1_USER,
            "create",
            &as_pairs(&create_fields("Has None")),
            None,
        )
        .await
        .1["result"]
            .to_string();
        let service_fields = [
            ("customerid", customer.as_str()),
            ("username", "kept.user"),
            ("plan", "Fiber"),
        ];
        let (status, body) = post(&app, ISP1_USER, "service/create", &service_fields, None).await;
        assert_eq!(status, 200, "{body}");
        let service = body["result"].to_string();
        let new_service = [
            ("customerid", customer.as_str()),
            ("username", "new.user"),
            ("plan", "Fiber"),
        ];
        let sid = ("serviceid", service.as_str());
        let cases: [(&str, &str, Params); 6] = [
            ("service create", "service/create", new_service.to_vec()),
            (
                "service update",
                "service/update",
                vec![sid, ("plan", "Changed")],
            ),
            (
                "service rename",
                "service/update",
                vec![sid, ("username", "renamed.user")],
            ),
            ("service delete", "service/delete", vec![sid]),
            (
                "customer update",
                "update",
                vec![("customerid", customer.as_str()), ("street", "Changed")],
            ),
            (
                "customer delete",
                "delete",
                vec![("customerid", spare.as_str())],
            ),
        ];
        for (what, fault, want) in &faults {
            for (case, route, params) in &cases {
                let before = snapshot(&app).await;
                proxy.set(fault.clone());
                let calls_before = proxy.count();
                let key = (*route == "service/create").then_some("busy-service");
                let (status, body) = post(&app, ISP1_USER, route, params, key).await;
                let calls = proxy.count() - calls_before;
                proxy.set(Faults::default());
                eprintln!("{what}, {case}, {instance}: {status} after {calls} DynamoDB calls");
                // A throttled write after four reads (a cold instance's) meets the call cap:
                // the SDK's retry is refused, and the answer is still 429 (throttling).
                assert_eq!(status, *want, "{what}, {case}, {instance}: {body}");
                assert!(calls <= 6, "{what}, {case}, {instance}: {calls} calls");
                assert_eq!(
                    snapshot(&app).await,
                    before,
                    "{what}, {case}, {instance}: something was written"
                );
            }
        }
    }
}

/// `TransactionConflictException` on a single-item write (its item is in a transaction in
/// flight): retried within the request's budget (2 retries by default), then 503.
#[tokio::test]
async fn conflicts_on_single_item_writes_are_retried_then_503() {
    let (proxy, url) = proxy(Faults::default(), 1, Duration::ZERO).await;
    // Updates are single-item writes without a history (HISTORY_DAYS=0); with one they are
    // a read and a transaction with the entry, whose conflicts the tests above cover.
    let mut vars = FAST.to_vec();
    vars.push(("HISTORY_DAYS", "0"));
    let app = spawn_app_via(Some(&url), &vars).await;
    let customer = post(
        &app,
        ISP1_USER,
        "create",
        &as_pairs(&create_fields("Busy Item")),
        None,
    )
    .await
    .1["result"]
        .to_string();
    let fields = [
        ("customerid", customer.as_str()),
        ("username", "busy.item"),
        ("plan", "Fiber"),
    ];
    let service = post(&app, ISP1_USER, "service/create", &fields, None)
        .await
        .1["result"]
        .to_string();
    let t = &app.store.tables;
    let cases = [
        ("update", "customerid", &customer, "street", &t.customers),
        ("service/update", "serviceid", &service, "plan", &t.services),
    ];
    for (route, id_param, id, attr, table) in cases {
        let stored = || async {
            let items = scan(&app, table).await;
            let item = items.iter().find(|i| num(i, "id").to_string() == *id);
            item.map(|i| text(i, attr).to_owned())
        };
        // The request's two retries go to two conflicts; the third attempt goes through.
        proxy.set(Faults::always(&[Fault::ItemConflict]).at_most(2));
        let from = proxy.count();
        let params = [(id_param, id.as_str()), (attr, "Second Value")];
        let (status, body) = post(&app, ISP1_USER, route, &params, None).await;
        assert_eq!(status, 200, "{route}: {body}");
        let writes: Vec<Option<Fault>> = proxy.calls()[from..]
            .iter()
            .filter(|c| c.op == "UpdateItem" && c.table == *table)
            .map(|c| c.fault)
            .collect();
        let conflict = Some(Fault::ItemConflict);
        assert_eq!(writes, [conflict, conflict, None], "{route}: written once");
        assert_eq!(stored().await.as_deref(), Some("Second Value"), "{route}");
        // Conflicting on: 503 once the budget is spent, nothing written.
        proxy.set(Faults::always(&[Fault::ItemConflict]));
        let from = proxy.count();
        let params = [(id_param, id.as_str()), (attr, "Third Value")];
        let (status, body) = post(&app, ISP1_USER, route, &params, None).await;
        proxy.set(Faults::default());
        let calls = &proxy.calls()[from..];
        assert_eq!(status, 503, "{route}: {body}");
        assert_eq!(body["error"], "storage busy: retry shortly", "{route}");
        assert!(calls.len() <= 6, "{route}: {calls:?}");
        assert_eq!(
            calls.iter().filter(|c| c.op == "UpdateItem").count(),
            3,
            "{route}: the first attempt and two retries"
        );
        assert_eq!(stored().await.as_deref(), Some("Second Value"), "{route}");
    }
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_503_envelope() {
    // Each call answers in 900 ms, inside its timeouts; two of them outlast the deadline.
    // (The harness seeds the tables with the same timeouts: moto needs some time for them.)
    let slow = Duration::from_millis(900);
    let (_proxy, url) = proxy(Faults::always(&[Fault::Slow]), 1, slow).await;
    let vars = [
        ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "1500"),
        ("DYNAMODB_OPERATION_TIMEOUT_MS", "1500"),
        ("REQUEST_DEADLINE_MS", "1500"),
        ("AUTH_CACHE_SECONDS", "0"),
    ];
    // Settings the API would start with.
    let lookup = |k: &str| {
        vars.iter()
            .find(|(v, _)| *v == k)
            .map(|(_, x)| x.to_string())
    };
    let settings = isp_crm::config::Settings::from_lookup(lookup, false).unwrap();
    settings.check_request_timing().unwrap();
    let app = spawn_app_via(Some(&url), &vars).await;
    let started = Instant::now();
    let (status, body) = post(&app, ISP1_USER, "list", &[], None).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("deadline"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[tokio::test]
async fn an_import_under_lost_replies_throttling_and_conflicts_writes_each_row_once() {
    let app = spawn_app().await;
    let faults = Faults {
        rate: 0.4,
        kinds: vec![
            (Fault::LostReply, 0.2),
            (Fault::Throttle, 0.15),
            (Fault::Html500, 0.05),
            (Fault::Conflict, 0.15),
        ],
        ..Faults::default()
    };
    let (proxy, url) = proxy(faults, 15, Duration::ZERO).await;
    let mut csv = "name,type,mobile,email,zipcode,state,city,street\n".to_owned();
    for i in 0..60 {
        csv.push_str(&format!(
            "Faulty {i:02},Individual,98760{i:05},f{i}@example.com,403001,Goa,Panaji,Road\n"
        ));
    }
    let file = std::env::temp_dir().join(format!("{}faulty.csv", app.prefix()));
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap().to_owned();
    // Off the runtime's thread: the proxy runs on it.
    let (prefix, file_arg) = (app.prefix(), path.clone());
    let out = tokio::task::spawn_blocking(move || {
        let args = ["customer", "import", "--file", &file_arg];
        let place = ["--isp", "1", "--reseller", "1"];
        crm_admin_via(&url, &prefix, &[&args[..], &place[..]].concat())
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    for suffix in ["", ".journal"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    assert!(out.status.success(), "{err}");
    assert!(err.contains("60 rows: created 60"), "{err}");
    assert!(proxy.calls().iter().any(|c| c.fault.is_some()));
    // Each row once, whatever was retried; the counts agree with the index.
    let r = app
        .call(
            ISP1_USER,
            "list",
            &[("rows_limit", "100"), ("sort_field", "name")],
        )
        .await;
    let names = r.texts("name");
    let want: Vec<String> = (0..60).map(|i| format!("Faulty {i:02}")).collect();
    assert_eq!(names, want);
    let verify = crm_admin(&app.prefix(), &["counters", "verify", "--isp", "1"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}
