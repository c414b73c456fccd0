//! The function's DynamoDB permissions in template.yaml are exactly what its code sends, both
//! ways: every (action, table or index) the code needs is granted, and every grant is needed.
//!
//! The code's side is not written down here: it is recorded. A proxy between the app and moto
//! sees every DynamoDB request the function makes while the test exercises every route and
//! every path that reads or writes (creates with and without a guard, replays, refusals,
//! renames, each list shape, ...), and turns each request into what IAM authorises it as:
//! an operation is its own action on its table (`Query` and `Scan` on an index: the index),
//! a `TransactWriteItems` is each of its items (`Put` → `dynamodb:PutItem`, `Update` →
//! `UpdateItem`, `Delete` → `DeleteItem`, `ConditionCheck` → `ConditionCheckItem`; IAM has
//! no TransactWriteItems action), a batch is its action on every table it names. So a change
//! of the code (a new item in a transaction, a new index query) changes what this test
//! expects, and the template must follow.
//!
//! The template's side is the function's `Policies` statements: `!GetAtt X.Arn` is table X,
//! `!Sub "${X.Arn}/index/*"` every index of X; logical ids map to the test tables through
//! `Tables::by_logical_id`. Only the function counts: the harness seeds its tables directly,
//! not through the proxy, as crm-admin (an operator tool with its own credentials) does.
//!
//! The second function, ChangeEventsFunction (src/events), sends PutEvents to the stack's bus
//! (tests/events/ records that) and, for tenant webhooks, Queries one claims index and sends
//! to the delivery queue; the third, WebhookDeliveryFunction (src/webhooks), reads and updates
//! endpoints and hides messages until their retry (tests/webhooks/ exercises both). Their
//! grants are checked statically below, and the API function is granted no `events:` or `sqs:`.
//!
//! Last, two more checks that template.yaml follows the code: the dashboard graphs every
//! route label the function's metrics carry and shows every alarm, and the stack parameters
//! that set the function's settings default to the code's defaults, within its ranges.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use common::*;
use isp_crm::store::keys::TABLES;
use isp_crm::store::schema::TEMPLATE;
use serde_json::Value;
use serde_yaml_ng::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// What a request is authorised on: a table, or one index of it (logical ids of template.yaml).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Table(String),
    Index(String, String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Table(t) => write!(f, "{t}"),
            Self::Index(t, i) => write!(f, "{t}/index/{i}"),
        }
    }
}

/// One permission: an action on a target.
type Need = (String, Target);

/// A request as it went by: the step of the exercise that made it, its operation, its body.
struct Seen {
    step: String,
    operation: String,
    body: Value,
}

struct Recorder {
    moto: String,
    http: reqwest::Client,
    step: Mutex<String>,
    /// Every step started, in order.
    steps: Mutex<Vec<String>>,
    seen: Mutex<Vec<Seen>>,
}

impl Recorder {
    fn step(&self, name: &str) {
        *self.step.lock().unwrap() = name.to_owned();
        self.steps.lock().unwrap().push(name.to_owned());
    }
}

async fn record(State(rec): State<Arc<Recorder>>, headers: HeaderMap, body: Bytes) -> Response {
    let operation = operation_of(&headers);
    let parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    rec.seen.lock().unwrap().push(Seen {
        step: rec.step.lock().unwrap().clone(),
        operation,
        body: parsed,
    });
    forward_to_moto(&rec.http, &rec.moto, &headers, body).await
}

/// Starts the recording proxy in front of the tests' moto; returns it and its URL.
async fn recorder() -> (Arc<Recorder>, String) {
    let rec = Arc::new(Recorder {
        moto: std::env::var("DYNAMODB_ENDPOINT").expect("make test sets it"),
        http: reqwest::Client::new(),
        step: Mutex::new("start".into()),
        steps: Mutex::default(),
        seen: Mutex::default(),
    });
    let router = axum::Router::new()
        .fallback(axum::routing::post(record))
        .with_state(rec.clone());
    (rec, serve_on_loopback(router).await)
}

fn str_at<'a>(v: &'a Value, key: &str, what: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no {key} in {v}"))
}

/// What IAM authorises one request as: (action, physical table, index).
fn authorised_as(operation: &str, body: &Value) -> Vec<(String, String, Option<String>)> {
    let action = |a: &str| format!("dynamodb:{a}");
    match operation {
        "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" => {
            vec![(
                action(operation),
                str_at(body, "TableName", operation).to_owned(),
                None,
            )]
        }
        "Query" | "Scan" => vec![(
            action(operation),
            str_at(body, "TableName", operation).to_owned(),
            body["IndexName"].as_str().map(str::to_owned),
        )],
        "BatchGetItem" | "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .unwrap_or_else(|| panic!("{operation} without RequestItems: {body}"))
            .keys()
            .map(|table| (action(operation), table.clone(), None))
            .collect(),
        "TransactWriteItems" | "TransactGetItems" => body["TransactItems"]
            .as_array()
            .unwrap_or_else(|| panic!("{operation} without TransactItems: {body}"))
            .iter()
            .map(|item| {
                let (kind, inner) = item
                    .as_object()
                    .and_then(|o| o.iter().next())
                    .unwrap_or_else(|| panic!("empty transaction item in {body}"));
                let as_action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    other => panic!("transaction item {other}: teach tests/iam.rs its action"),
                };
                (
                    action(as_action),
                    str_at(inner, "TableName", kind).to_owned(),
                    None,
                )
            })
            .collect(),
        other => panic!(
            "the function sent {other} ({body}): teach tests/iam.rs what IAM authorises it as"
        ),
    }
}

/// A resource a grant names: a table, or indexes of a table (`*` or one name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Pattern {
    Table(String),
    Index(String, String),
}

impl Pattern {
    fn covers(&self, target: &Target) -> bool {
        match (self, target) {
            (Self::Table(a), Target::Table(b)) => a == b,
            (Self::Index(a, p), Target::Index(b, name)) => a == b && (p == "*" || p == name),
            _ => false,
        }
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Table(t) => write!(f, "{t}"),
            Self::Index(t, i) => write!(f, "{t}/index/{i}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    sid: String,
    action: String,
    resource: Pattern,
}

/// `!Tag value` or `{"Fn::Tag": value}`: the tag and its value.
fn intrinsic(v: &Yaml) -> Option<(String, &Yaml)> {
    match v {
        Yaml::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        )),
        Yaml::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next()?;
            Some((k.as_str()?.strip_prefix("Fn::")?.to_owned(), v))
        }
        _ => None,
    }
}

/// The table a `!GetAtt X.Arn` names.
fn get_att_arn(v: &Yaml) -> Option<String> {
    let parts: Vec<String> = match v {
        Yaml::String(s) => s.split('.').map(str::to_owned).collect(),
        Yaml::Sequence(seq) => seq
            .iter()
            .map(|p| p.as_str().map(str::to_owned))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    match parts.as_slice() {
        [table, arn] if arn == "Arn" => Some(table.clone()),
        _ => None,
    }
}

fn resource_pattern(v: &Yaml) -> Pattern {
    let pattern = || -> Option<Pattern> {
        let (tag, value) = intrinsic(v)?;
        match tag.as_str() {
            "GetAtt" => get_att_arn(value).map(Pattern::Table),
            "Sub" => {
                let rest = value.as_str()?.strip_prefix("${")?;
                let (reference, suffix) = rest.split_once('}')?;
                let table = reference.strip_suffix(".Arn")?;
                let index = suffix.strip_prefix("/index/")?;
                Some(Pattern::Index(table.to_owned(), index.to_owned()))
            }
            _ => None,
        }
    };
    pattern().unwrap_or_else(|| {
        panic!(
            "tests/iam.rs understands `!GetAtt <Table>.Arn` and \
             `!Sub \"${{<Table>.Arn}}/index/<name or *>\"`, not {v:?}"
        )
    })
}

fn one_or_many(v: &Yaml) -> Vec<&Yaml> {
    match v {
        Yaml::Sequence(seq) => seq.iter().collect(),
        other => vec![other],
    }
}

/// The DynamoDB grants of the function's policy statements.
fn function_grants(template: &str) -> Vec<Grant> {
    let doc: Yaml = serde_yaml_ng::from_str(template).expect("template.yaml is YAML");
    let policies = &doc["Resources"]["CustomerApiFunction"]["Properties"]["Policies"];
    let policies = policies
        .as_sequence()
        .expect("CustomerApiFunction has a Policies list");
    let mut grants = Vec::new();
    for policy in policies {
        let statements = policy["Statement"].as_sequence().unwrap_or_else(|| {
            panic!(
                "tests/iam.rs reads inline `- Statement: [...]` policies only (SAM policy templates \
                 and managed policies grant more than the code needs): {policy:?}"
            )
        });
        for (i, st) in statements.iter().enumerate() {
            let sid = st["Sid"]
                .as_str()
                .map_or_else(|| format!("statement {i}"), str::to_owned);
            let actions: Vec<&str> = one_or_many(&st["Action"])
                .into_iter()
                .map(|a| a.as_str().expect("actions are strings"))
                .filter(|a| a.starts_with("dynamodb:"))
                .collect();
            if actions.is_empty() {
                continue;
            }
            assert_eq!(
                st["Effect"].as_str(),
                Some("Allow"),
                "{sid}: only Allow statements are understood"
            );
            assert!(
                st.get("Condition").is_none() && st.get("NotResource").is_none(),
                "{sid}: conditions and NotResource are not understood by tests/iam.rs"
            );
            for action in &actions {
                assert!(
                    !action.contains('*'),
                    "{sid}: grant exact DynamoDB actions, not {action}"
                );
                for resource in one_or_many(&st["Resource"]) {
                    grants.push(Grant {
                        sid: sid.clone(),
                        action: (*action).to_owned(),
                        resource: resource_pattern(resource),
                    });
                }
            }
        }
    }
    grants
}

/// The operations each DynamoDB alarm of the template watches: (metric, table) → operations.
/// DynamoDB publishes ThrottledRequests and SystemErrors per table and operation only, so an
/// alarm of a table names each operation it sums.
fn dynamodb_alarm_operations(template: &str) -> BTreeMap<(String, String), BTreeSet<String>> {
    let doc: Yaml = serde_yaml_ng::from_str(template).expect("template.yaml is YAML");
    let mut watched: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let resources = doc["Resources"].as_mapping().expect("Resources");
    for (id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        let props = &resource["Properties"];
        let mut metrics: Vec<&Yaml> = vec![props];
        if let Some(queries) = props["Metrics"].as_sequence() {
            metrics.extend(queries.iter().map(|q| &q["MetricStat"]["Metric"]));
        }
        for m in metrics {
            if m["Namespace"].as_str() != Some("AWS/DynamoDB") {
                continue;
            }
            let metric = m["MetricName"].as_str().expect("MetricName").to_owned();
            let mut table = None;
            let mut operation = None;
            for d in one_or_many(&m["Dimensions"]) {
                match d["Name"].as_str() {
                    Some("TableName") => {
                        table = match intrinsic(&d["Value"]) {
                            Some((tag, v)) if tag == "Ref" => v.as_str().map(str::to_owned),
                            _ => None,
                        }
                    }
                    Some("Operation") => operation = d["Value"].as_str().map(str::to_owned),
                    _ => {}
                }
            }
            let (Some(table), Some(operation)) = (table, operation) else {
                panic!("{id:?}: a DynamoDB metric needs TableName (!Ref) and Operation")
            };
            watched
                .entry((metric, table))
                .or_default()
                .insert(operation);
        }
    }
    watched
}

#[test]
fn the_policy_reader_understands_the_templates_statements() {
    let grants = function_grants(TEMPLATE);
    assert!(!grants.is_empty(), "the function has DynamoDB grants");
    let declared: BTreeSet<&str> = TABLES.iter().map(|(id, _, _)| *id).collect();
    for g in &grants {
        let (Pattern::Table(t) | Pattern::Index(t, _)) = &g.resource;
        assert!(
            declared.contains(t.as_str()),
            "{}: {t} is not a table the code knows",
            g.sid
        );
    }
    // The reader sees tags and their long forms alike.
    let long = "Resources:\n  CustomerApiFunction:\n    Properties:\n      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: dynamodb:Query\n              Resource:\n                - Fn::GetAtt: [CountsTable, Arn]\n                - Fn::Sub: \"${ServicesTable.Arn}/index/by-isp\"\n";
    let g = function_grants(long);
    assert_eq!(g.len(), 2);
    assert_eq!(g[0].resource, Pattern::Table("CountsTable".into()));
    assert!(
        g[1].resource
            .covers(&Target::Index("ServicesTable".into(), "by-isp".into()))
    );
    assert!(
        !g[1]
            .resource
            .covers(&Target::Index("ServicesTable".into(), "by-customer".into()))
    );
}

#[test]
fn requests_map_to_the_actions_iam_checks() {
    let tx: Value = serde_json::json!({"TransactItems": [
        {"Put": {"TableName": "c"}}, {"Update": {"TableName": "n"}},
        {"Delete": {"TableName": "c"}}, {"ConditionCheck": {"TableName": "k"}}
    ]});
    let got: Vec<_> = authorised_as("TransactWriteItems", &tx)
        .into_iter()
        .map(|(a, t, _)| format!("{a} {t}"))
        .collect();
    assert_eq!(
        got,
        [
            "dynamodb:PutItem c",
            "dynamodb:UpdateItem n",
            "dynamodb:DeleteItem c",
            "dynamodb:ConditionCheckItem k"
        ]
    );
    let q = serde_json::json!({"TableName": "c", "IndexName": "by-name"});
    assert_eq!(
        authorised_as("Query", &q),
        [("dynamodb:Query".into(), "c".into(), Some("by-name".into()))]
    );
    let batch = serde_json::json!({"RequestItems": {"a": {}, "b": {}}});
    assert_eq!(authorised_as("BatchGetItem", &batch).len(), 2);
}

/// The answer's status, or a panic naming the step.
fn expect(step: &str, r: &Reply, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{step}: {r:?}");
}

/// Runs `call` as step `name` and checks its status.
macro_rules! step {
    ($rec:expr, $name:expr, $status:expr, $call:expr) => {{
        let name: &str = $name;
        $rec.step(name);
        let reply = $call.await;
        expect(name, &reply, $status);
        reply
    }};
}

fn next_of(r: &Reply) -> String {
    r.body["next"]
        .as_str()
        .unwrap_or_else(|| panic!("no next in {r:?}"))
        .to_owned()
}

/// What the creates made, for the steps after them.
struct Made {
    /// ISP 1's customers: created with the duplicate guard on, and with an Idempotency-Key.
    c1: u64,
    c2: u64,
    /// A customer of the app without the duplicate guard.
    g1: u64,
}

/// The two services the service creates made (of `c1` and `c2`).
struct Services {
    sv1: u64,
    sv2: u64,
}

/// Every route, and every path through it that reads or writes something else. The steps run
/// in this order: later ones act on what earlier ones created.
async fn exercise(rec: &Recorder, app: &TestApp, unguarded: &TestApp) {
    let made = create_customers(rec, app, unguarded).await;
    update_customers(rec, app, &made).await;
    let services = create_and_update_services(rec, app, unguarded, &made).await;
    list_services(rec, app, &made, &services).await;
    list_customers(rec, app, &made, &services).await;
    page_customers(rec, app, unguarded).await;
    delete_services_and_customers(rec, app, &made, &services).await;
    tenant_self_service(rec, app).await;
}

/// Customer creates: guarded, keyed, unguarded, by each role, refused.
async fn create_customers(rec: &Recorder, app: &TestApp, unguarded: &TestApp) -> Made {
    let key = [("Idempotency-Key", "iam-key-1")];
    let with = customer_fields_with;

    let c1 = step!(
        rec,
        "customer/create (duplicate guard on)",
        200,
        app.create(ISP1_USER, &[("resellerid", "1"), ("name", "Iam One")])
    )
    .id();
    let again = step!(
        rec,
        "customer/create again (answered from the guard's claim)",
        200,
        app.create(ISP1_USER, &[("resellerid", "1"), ("name", "Iam One")])
    )
    .id();
    assert_eq!(again, c1);
    let keyed = with(&[("resellerid", "1"), ("name", "Iam Keyed")]);
    let keyed = as_pairs(&keyed);
    let c2 = step!(
        rec,
        "customer/create with Idempotency-Key",
        200,
        app.call_with_headers(ISP1_USER, "create", &keyed, &key)
    )
    .id();
    step!(
        rec,
        "customer/create retried with its Idempotency-Key",
        200,
        app.call_with_headers(ISP1_USER, "create", &keyed, &key)
    );
    let other = with(&[("resellerid", "1"), ("name", "Iam Other")]);
    let other = as_pairs(&other);
    step!(
        rec,
        "customer/create, Idempotency-Key of another request (409)",
        409,
        app.call_with_headers(ISP1_USER, "create", &other, &key)
    );
    let g1 = step!(
        rec,
        "customer/create, no key, duplicate guard off (DUPLICATE_WINDOW_SECONDS=0)",
        200,
        unguarded.create(ISP1_USER, &[("resellerid", "1"), ("name", "Iam Unguarded")])
    )
    .id();
    step!(
        rec,
        "customer/create by an admin (ispid + resellerid)",
        200,
        app.create(
            ADMIN,
            &[("ispid", "1"), ("resellerid", "2"), ("name", "Iam Admin")]
        )
    );
    step!(
        rec,
        "customer/create by a reseller user",
        200,
        app.create(RESELLER1_USER, &[("name", "Iam Reseller")])
    );
    step!(
        rec,
        "customer/create by a reseller user in ISP 2",
        200,
        app.create(RESELLER3_USER, &[("name", "Iam Other Isp")])
    );
    step!(
        rec,
        "customer/create by a form key (its creates are counted)",
        200,
        app.create(FORM_USER, &[("name", "Iam Form")])
    );
    step!(
        rec,
        "customer/create by a form key with Idempotency-Key",
        200,
        app.call_with_headers(
            FORM_USER,
            "create",
            &as_pairs(&with(&[("name", "Iam Form Keyed")])),
            &[("Idempotency-Key", "iam-form-1")]
        )
    );
    step!(
        rec,
        "customer/create in another ISP's reseller (403)",
        403,
        app.create(ISP1_USER, &[("resellerid", "3"), ("name", "Iam Nowhere")])
    );
    step!(
        rec,
        "wrong api_key (401)",
        401,
        app.raw(
            "list",
            Some("application/x-www-form-urlencoded"),
            "userid=9999&api_key=0f9895fb407c83e5ea128082098b47681aa75d6944576423c4"
        )
    );
    Made { c1, c2, g1 }
}

/// Customer updates, of plain fields and of index keys, in and out of scope.
async fn update_customers(rec: &Recorder, app: &TestApp, made: &Made) {
    let s1 = made.c1.to_string();
    step!(
        rec,
        "customer/update (street)",
        200,
        app.call(
            ISP1_USER,
            "update",
            &[("customerid", &s1), ("street", "4th street")]
        )
    );
    step!(
        rec,
        "customer/update of index keys (name, mobile, email, zipcode)",
        200,
        app.call(
            ISP1_USER,
            "update",
            &[
                ("customerid", &s1),
                ("name", "Iam Renamed"),
                ("mobile", "98765 43210"),
                ("email", "iam@example.com"),
                ("zipcode", "403001"),
                ("surname", ""),
            ]
        )
    );
    step!(
        rec,
        "customer/update reset_password=Y",
        200,
        app.call(
            ISP1_USER,
            "update",
            &[("customerid", &s1), ("reset_password", "Y")]
        )
    );
    step!(
        rec,
        "customer/update out of scope (404)",
        404,
        app.call(
            ISP2_USER,
            "update",
            &[("customerid", &s1), ("street", "x street")]
        )
    );
}

/// Service creates (guarded, keyed, refused, unguarded) and updates (renames).
async fn create_and_update_services(
    rec: &Recorder,
    app: &TestApp,
    unguarded: &TestApp,
    made: &Made,
) -> Services {
    let Made { c1, c2, g1 } = *made;
    let sv1 = step!(
        rec,
        "service/create (duplicate guard on)",
        200,
        app.create_service(ISP1_USER, c1, "iam.one", &[])
    )
    .id();
    step!(
        rec,
        "service/create again (answered from the guard's claim)",
        200,
        app.create_service(ISP1_USER, c1, "iam.one", &[])
    );
    let (cid2, svc_key) = (c2.to_string(), [("Idempotency-Key", "iam-svc-1")]);
    let svc_params = [
        ("customerid", cid2.as_str()),
        ("username", "iam.two"),
        ("plan", "Fiber 100M"),
    ];
    let sv2 = step!(
        rec,
        "service/create with Idempotency-Key",
        200,
        app.call_with_headers(ISP1_USER, "service/create", &svc_params, &svc_key)
    )
    .id();
    step!(
        rec,
        "service/create retried with its Idempotency-Key",
        200,
        app.call_with_headers(ISP1_USER, "service/create", &svc_params, &svc_key)
    );
    step!(
        rec,
        "service/create, username taken (409)",
        409,
        app.create_service(ISP1_USER, c2, "IAM.One", &[("plan", "Other")])
    );
    step!(
        rec,
        "service/create, customer out of scope (404)",
        404,
        app.create_service(ISP2_USER, c1, "iam.nope", &[])
    );
    step!(
        rec,
        "service/create, no key, duplicate guard off",
        200,
        unguarded.create_service(ISP1_USER, g1, "iam.unguarded", &[])
    );
    let sid1 = sv1.to_string();
    step!(
        rec,
        "service/update of plan and status",
        200,
        app.call(
            ISP1_USER,
            "service/update",
            &[
                ("serviceid", &sid1),
                ("plan", "Fiber 1G"),
                ("status", "Active")
            ]
        )
    );
    step!(
        rec,
        "service/update of the username's letter case",
        200,
        app.call(
            ISP1_USER,
            "service/update",
            &[("serviceid", &sid1), ("username", "IAM.one")]
        )
    );
    step!(
        rec,
        "service/update to another username (the claim moves)",
        200,
        app.call(
            ISP1_USER,
            "service/update",
            &[("serviceid", &sid1), ("username", "iam.renamed")]
        )
    );
    step!(
        rec,
        "service/update to a username in use (409)",
        409,
        app.call(
            ISP1_USER,
            "service/update",
            &[("serviceid", &sid1), ("username", "iam.two")]
        )
    );
    step!(
        rec,
        "service/update out of scope (404)",
        404,
        app.call(
            ISP2_USER,
            "service/update",
            &[("serviceid", &sid1), ("plan", "x")]
        )
    );
    Services { sv1, sv2 }
}

/// Every shape of service list.
async fn list_services(rec: &Recorder, app: &TestApp, made: &Made, services: &Services) {
    let (s2, sid2) = (made.c2.to_string(), services.sv2.to_string());
    for (name, user, params) in [
        ("service/list, ISP scope", ISP1_USER, vec![]),
        ("service/list, reseller scope", RESELLER1_USER, vec![]),
        (
            "service/list, ISP narrowed to a reseller",
            ISP1_USER,
            vec![("resellerid", "1")],
        ),
        (
            "service/list by customerid",
            ISP1_USER,
            vec![("customerid", s2.as_str())],
        ),
        (
            "service/list by serviceid",
            ISP1_USER,
            vec![("serviceid", sid2.as_str())],
        ),
        (
            "service/list, username prefix",
            ISP1_USER,
            vec![("username", "iam%")],
        ),
        (
            "service/list, sorted by username, reseller scope",
            RESELLER1_USER,
            vec![("sort_field", "username")],
        ),
        (
            "service/list, status",
            ISP1_USER,
            vec![("status", "active")],
        ),
        (
            "service/list, show_count",
            ISP1_USER,
            vec![("show_count", "1")],
        ),
        ("service/list, admin across ISPs", ADMIN, vec![]),
        (
            "service/list, admin show_count",
            ADMIN,
            vec![("show_count", "1")],
        ),
    ] {
        step!(rec, name, 200, app.call(user, "service/list", &params));
    }
}

/// Every shape of customer list: each scope, filter, sort and count.
async fn list_customers(rec: &Recorder, app: &TestApp, made: &Made, services: &Services) {
    let (s2, sid2) = (made.c2.to_string(), services.sv2.to_string());
    for (name, user, params) in [
        ("customer/list, ISP page by id", ISP1_USER, vec![]),
        ("customer/list, reseller page by id", RESELLER1_USER, vec![]),
        (
            "customer/list, ISP narrowed to a reseller",
            ISP1_USER,
            vec![("resellerid", "1")],
        ),
        (
            "customer/list by customerid",
            ISP1_USER,
            vec![("customerid", s2.as_str())],
        ),
        (
            "customer/list, sorted by name",
            ISP1_USER,
            vec![("sort_field", "name")],
        ),
        (
            "customer/list, reseller sorted by email, descending",
            RESELLER1_USER,
            vec![("sort_field", "email"), ("sort_order", "desc")],
        ),
        (
            "customer/list, mobile",
            ISP1_USER,
            vec![("mobile", "+919876543210")],
        ),
        (
            "customer/list, email",
            RESELLER1_USER,
            vec![("email", "abc@email.com")],
        ),
        (
            "customer/list, name prefix",
            ISP1_USER,
            vec![("name", "Iam%")],
        ),
        (
            "customer/list, zipcode",
            RESELLER1_USER,
            vec![("zipcode", "12345")],
        ),
        (
            "customer/list, created range",
            ISP1_USER,
            vec![("created_from", "2020-01-01"), ("sort_field", "mobile")],
        ),
        (
            "customer/list, city (no index)",
            ISP1_USER,
            vec![("city", "Panaji")],
        ),
        (
            "customer/list, rows_offset",
            ISP1_USER,
            vec![("rows_offset", "1"), ("rows_limit", "1")],
        ),
        (
            "customer/list, show_count (ISP)",
            ISP1_USER,
            vec![("show_count", "1")],
        ),
        (
            "customer/list, show_count (reseller)",
            RESELLER1_USER,
            vec![("show_count", "1")],
        ),
        (
            "customer/list, show_count with a filter an index decides",
            ISP1_USER,
            vec![("show_count", "1"), ("name", "Iam%")],
        ),
        (
            "customer/list, show_count with a filter no index decides",
            ISP1_USER,
            vec![("show_count", "1"), ("city", "Panaji")],
        ),
        ("customer/list, admin across ISPs", ADMIN, vec![]),
        (
            "customer/list, admin show_count across ISPs",
            ADMIN,
            vec![("show_count", "1")],
        ),
        (
            "customer/list, admin in one ISP",
            ADMIN,
            vec![("ispid", "1")],
        ),
        (
            "customer/list by username",
            ISP1_USER,
            vec![("username", "IAM.Two")],
        ),
        (
            "customer/list by username prefix",
            RESELLER1_USER,
            vec![("username", "iam%")],
        ),
        (
            "customer/list by serviceid",
            ISP1_USER,
            vec![("serviceid", sid2.as_str())],
        ),
        (
            "customer/list by username, show_count",
            ISP1_USER,
            vec![("username", "iam%"), ("show_count", "1")],
        ),
    ] {
        step!(rec, name, 200, app.call(user, "list", &params));
    }
}

/// Customer lists by created range, and a cursor's pages.
async fn page_customers(rec: &Recorder, app: &TestApp, unguarded: &TestApp) {
    // A created range needs the ISP's time zone: read once per cache time, on an instance
    // whose lists across ISPs (a Scan that caches every zone) have not yet cached it.
    step!(
        rec,
        "customer/list, created range, the ISP's zone not cached",
        200,
        unguarded.call(ISP1_USER, "list", &[("created_from", "2020-01-01")])
    );
    step!(
        rec,
        "customer/list, admin across ISPs with a created range",
        200,
        app.call(ADMIN, "list", &[("created_from", "2020-01-01")])
    );
    let first = step!(
        rec,
        "customer/list, first cursor page",
        200,
        app.call(
            ISP1_USER,
            "list",
            &[("cursor", ""), ("rows_limit", "1"), ("sort_field", "name")]
        )
    );
    let next = next_of(&first);
    step!(
        rec,
        "customer/list, next cursor page",
        200,
        app.call(
            ISP1_USER,
            "list",
            &[
                ("cursor", &next),
                ("rows_limit", "1"),
                ("sort_field", "name")
            ]
        )
    );
}

/// Deletes of services and customers, refused and done; a create after a delete.
async fn delete_services_and_customers(
    rec: &Recorder,
    app: &TestApp,
    made: &Made,
    services: &Services,
) {
    let c1 = made.c1;
    let (s1, s2) = (made.c1.to_string(), made.c2.to_string());
    let (sid1, sid2) = (services.sv1.to_string(), services.sv2.to_string());
    step!(
        rec,
        "customer/export with services",
        200,
        app.call(ISP1_USER, "export", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/erase with services refused (409)",
        409,
        app.call(ISP1_USER, "erase", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/delete refused: it still has services (409)",
        409,
        app.call(ISP1_USER, "delete", &[("customerid", &s1)])
    );
    step!(
        rec,
        "service/delete",
        200,
        app.call(ISP1_USER, "service/delete", &[("serviceid", &sid1)])
    );
    step!(
        rec,
        "service/delete out of scope (404)",
        404,
        app.call(ISP2_USER, "service/delete", &[("serviceid", &sid2)])
    );
    step!(
        rec,
        "service/delete, the other",
        200,
        app.call(ISP1_USER, "service/delete", &[("serviceid", &sid2)])
    );
    step!(
        rec,
        "customer/delete",
        200,
        app.call(ISP1_USER, "delete", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/delete, gone (404)",
        404,
        app.call(ISP1_USER, "delete", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/delete out of scope (404)",
        404,
        app.call(ISP2_USER, "delete", &[("customerid", &s2)])
    );
    step!(
        rec,
        "customer/list deleted=1",
        200,
        app.call(ISP1_USER, "list", &[("deleted", "1")])
    );
    step!(
        rec,
        "customer/list deleted=1, an admin across ISPs",
        200,
        app.call(ADMIN, "list", &[("deleted", "1")])
    );
    step!(
        rec,
        "customer/export of a deleted customer",
        200,
        app.call(ISP1_USER, "export", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/history of a deleted customer",
        200,
        app.call(ISP1_USER, "history", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/export out of scope (404)",
        404,
        app.call(ISP2_USER, "export", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/restore out of scope (404)",
        404,
        app.call(ISP2_USER, "restore", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/restore",
        200,
        app.call(ISP1_USER, "restore", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/restore, live (409)",
        409,
        app.call(ISP1_USER, "restore", &[("customerid", &s1)])
    );
    step!(
        rec,
        "customer/delete, again",
        200,
        app.call(ISP1_USER, "delete", &[("customerid", &s1)])
    );
    let renewed = step!(
        rec,
        "customer/create, the same body after a delete (its guard's claim was released)",
        200,
        app.create(ISP1_USER, &[("resellerid", "1"), ("name", "Iam One")])
    )
    .id();
    assert_ne!(renewed, c1);
    step!(
        rec,
        "service/create for the customer to erase",
        200,
        app.create_service(ISP1_USER, renewed, "iam.erase@pppoe", &[])
    );
    step!(
        rec,
        "customer/erase, live with its services",
        200,
        app.call(
            ISP1_USER,
            "erase",
            &[
                ("customerid", &renewed.to_string()),
                ("erase_services", "Y")
            ]
        )
    );
    step!(
        rec,
        "customer/erase, deleted",
        200,
        app.call(ADMIN, "erase", &[("customerid", &s1)])
    );
}

/// Tenant self-service: ISPs, resellers, users and keys.
async fn tenant_self_service(rec: &Recorder, app: &TestApp) {
    step!(
        rec,
        "isp/list, all (Scan)",
        200,
        app.call(ADMIN, "isp/list", &[])
    );
    step!(
        rec,
        "isp/create",
        200,
        app.call(ADMIN, "isp/create", &[("name", "Iam ISP")])
    );
    step!(
        rec,
        "isp/update, own",
        200,
        app.call(ISP1_USER, "isp/update", &[("name", "Iam One")])
    );
    step!(
        rec,
        "reseller/list (by-isp)",
        200,
        app.call(ISP1_USER, "reseller/list", &[])
    );
    step!(
        rec,
        "reseller/create",
        200,
        app.call(ISP1_USER, "reseller/create", &[("name", "Iam R")])
    );
    step!(
        rec,
        "reseller/update",
        200,
        app.call(
            ISP1_USER,
            "reseller/update",
            &[("resellerid", "2"), ("name", "Iam R2")]
        )
    );
    step!(
        rec,
        "user/list, an admin's walk (by-role)",
        200,
        app.call(ADMIN, "user/list", &[])
    );
    step!(
        rec,
        "user/list, an ISP's (by-isp)",
        200,
        app.call(ISP1_USER, "user/list", &[])
    );
    step!(
        rec,
        "user/list, a reseller's (by-reseller)",
        200,
        app.call(ISP1_USER, "user/list", &[("resellerid", "2")])
    );
    step!(
        rec,
        "user/create",
        200,
        app.call(
            ISP1_USER,
            "user/create",
            &[("role", "form"), ("resellerid", "2")]
        )
    );
    let admin2 = step!(
        rec,
        "user/create, an admin",
        200,
        app.call(ADMIN, "user/create", &[("role", "admin")])
    )
    .id()
    .to_string();
    step!(
        rec,
        "user/rotate_key of another",
        200,
        app.call(ADMIN, "user/rotate_key", &[("target_userid", &admin2)])
    );
    step!(
        rec,
        "user/disable, an admin (counts the enabled admins)",
        200,
        app.call(ADMIN, "user/disable", &[("target_userid", &admin2)])
    );
    step!(
        rec,
        "user/enable",
        200,
        app.call(ADMIN, "user/enable", &[("target_userid", &admin2)])
    );
    let hook = step!(
        rec,
        "webhook/create (counts the ISP's endpoints: hooks-by-owner, isp|1)",
        200,
        app.call(
            ISP1_USER,
            "webhook/create",
            &[
                ("url", "https://hooks.example.com/crm"),
                ("resellerid", "2")
            ]
        )
    );
    let hook = hook.result()["id"].as_str().unwrap_or_default().to_owned();
    step!(
        rec,
        "webhook/list",
        200,
        app.call(ISP1_USER, "webhook/list", &[])
    );
    step!(
        rec,
        "webhook/test (a request for the sender, in the claims table)",
        200,
        app.call(ISP1_USER, "webhook/test", &[("webhookid", &hook)])
    );
    step!(
        rec,
        "webhook/replay since a time (hooks-by-owner, log|<endpoint>)",
        200,
        app.call(
            ISP1_USER,
            "webhook/replay",
            &[("webhookid", &hook), ("since", "2026-01-01T00:00:00Z")]
        )
    );
    step!(
        rec,
        "webhook/update",
        200,
        app.call(
            ISP1_USER,
            "webhook/update",
            &[("webhookid", &hook), ("enabled", "N")]
        )
    );
    step!(
        rec,
        "webhook/deliveries (hooks-by-owner, log|<endpoint>)",
        200,
        app.call(ISP1_USER, "webhook/deliveries", &[("webhookid", &hook)])
    );
    step!(
        rec,
        "webhook/rotate_secret",
        200,
        app.call(ISP1_USER, "webhook/rotate_secret", &[("webhookid", &hook)])
    );
    step!(
        rec,
        "webhook/delete",
        200,
        app.call(ISP1_USER, "webhook/delete", &[("webhookid", &hook)])
    );
}

#[tokio::test]
async fn the_policy_grants_exactly_the_dynamodb_requests_the_function_sends() {
    let (rec, proxy) = recorder().await;
    let app = spawn_app_via(Some(&proxy), &[]).await;
    let unguarded = spawn_app_via(Some(&proxy), &[NO_DUPLICATE_GUARD]).await;
    // Physical names of both apps' tables → logical ids.
    let mut logical: HashMap<String, &str> = HashMap::new();
    for (id, _, _) in TABLES {
        for a in [&app, &unguarded] {
            logical.insert(a.store.tables.by_logical_id(id).unwrap().to_owned(), id);
        }
    }

    exercise(&rec, &app, &unguarded).await;

    let seen = std::mem::take(&mut *rec.seen.lock().unwrap());
    let steps = std::mem::take(&mut *rec.steps.lock().unwrap());
    let mut steps_seen: BTreeSet<&str> = BTreeSet::new();
    // Each permission, with the steps that needed it in the order they ran.
    let mut used: BTreeMap<Need, Vec<String>> = BTreeMap::new();
    // The operations sent to each table, as DynamoDB's metrics name them.
    let mut operations: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &seen {
        steps_seen.insert(s.step.as_str());
        for (action, table, index) in authorised_as(&s.operation, &s.body) {
            let id = logical
                .get(&table)
                .unwrap_or_else(|| panic!("{}: a table of no test app: {table}", s.step));
            let target = match index {
                None => Target::Table((*id).to_owned()),
                Some(index) => Target::Index((*id).to_owned(), index),
            };
            operations
                .entry((*id).to_owned())
                .or_default()
                .insert(s.operation.clone());
            let by = used.entry((action, target)).or_default();
            if !by.contains(&s.step) {
                by.push(s.step.clone());
            }
        }
    }
    assert!(
        !steps_seen.contains("start"),
        "requests before the first step"
    );
    // Every step reached DynamoDB through the proxy: none was answered from a cache or a
    // shortcut by mistake, so none of the paths above went unrecorded.
    let silent: Vec<&String> = steps
        .iter()
        .filter(|s| !steps_seen.contains(s.as_str()))
        .collect();
    assert!(silent.is_empty(), "steps that sent no request: {silent:?}");

    let grants = function_grants(TEMPLATE);
    let mut report = String::from("What the function sends, and the steps that sent it:\n");
    for ((action, target), steps) in &used {
        let first: Vec<_> = steps.iter().take(2).map(String::as_str).collect();
        report.push_str(&format!(
            "  {action:<30} {:<42} {:>2} step(s), e.g. {}\n",
            target.to_string(),
            steps.len(),
            first.join("; ")
        ));
    }
    eprintln!("{report}");

    let missing: Vec<String> = used
        .iter()
        .filter(|((action, target), _)| {
            !grants
                .iter()
                .any(|g| &g.action == action && g.resource.covers(target))
        })
        .map(|((action, target), steps)| {
            format!("  {action} on {target}, sent by: {}", steps.join("; "))
        })
        .collect();
    let unused: Vec<String> = grants
        .iter()
        .filter(|g| {
            !used
                .keys()
                .any(|(action, target)| &g.action == action && g.resource.covers(target))
        })
        .map(|g| format!("  {} on {} (statement {})", g.action, g.resource, g.sid))
        .collect();
    assert!(
        missing.is_empty() && unused.is_empty(),
        "template.yaml's function policy and the code disagree.\n\
         Sent by the code but not granted (AccessDenied on AWS):\n{}\n\
         Granted but never sent (remove them: least privilege):\n{}\n\n{report}",
        missing.join("\n"),
        unused.join("\n"),
    );

    // The DynamoDB alarms watch every operation the function sends to every table.
    let watched = dynamodb_alarm_operations(TEMPLATE);
    let mut unwatched = Vec::new();
    for (table, _, _) in TABLES {
        let sent = operations.get(table).cloned().unwrap_or_default();
        for metric in ["ThrottledRequests", "SystemErrors"] {
            let alarmed = watched
                .get(&(metric.to_owned(), table.to_owned()))
                .cloned()
                .unwrap_or_default();
            if alarmed.is_empty() {
                unwatched.push(format!("  {metric} of {table}: no alarm"));
            }
            for op in sent.difference(&alarmed) {
                unwatched.push(format!("  {metric} of {table}: {op} is not summed"));
            }
        }
    }
    assert!(
        unwatched.is_empty(),
        "template.yaml's DynamoDB alarms miss what the function sends:\n{}\nsent: {operations:?}",
        unwatched.join("\n")
    );
}

/// (sid, actions, resources) of each inline statement of a function's `Policies`.
fn statements(template: &str, function: &str) -> Vec<(String, Vec<String>, Vec<Yaml>)> {
    let doc: Yaml = serde_yaml_ng::from_str(template).expect("template.yaml is YAML");
    let policies = doc["Resources"][function]["Properties"]["Policies"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{function} has a Policies list"))
        .clone();
    let mut out = Vec::new();
    for policy in &policies {
        let list = policy["Statement"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{function}: inline `- Statement: [...]` only: {policy:?}"));
        for (i, st) in list.iter().enumerate() {
            assert_eq!(
                st["Effect"].as_str(),
                Some("Allow"),
                "{function} statement {i}"
            );
            assert!(st.get("Condition").is_none() && st.get("NotResource").is_none());
            let actions = one_or_many(&st["Action"])
                .into_iter()
                .map(|a| a.as_str().expect("actions are strings").to_owned())
                .collect();
            let resources = one_or_many(&st["Resource"]).into_iter().cloned().collect();
            let sid = st["Sid"]
                .as_str()
                .map_or_else(|| format!("statement {i}"), str::to_owned);
            out.push((sid, actions, resources));
        }
    }
    out
}

#[test]
fn the_api_function_is_granted_dynamodb_only() {
    // It never publishes events: the change-events function does.
    for (sid, actions, _) in statements(TEMPLATE, "CustomerApiFunction") {
        for a in actions {
            assert!(
                a.starts_with("dynamodb:"),
                "{sid}: CustomerApiFunction is granted {a}"
            );
        }
    }
}

#[test]
fn change_events_may_put_events_on_the_stacks_bus_only() {
    let grants = statements(TEMPLATE, "ChangeEventsFunction");
    let sids: Vec<&str> = grants.iter().map(|(sid, _, _)| sid.as_str()).collect();
    assert_eq!(
        sids,
        ["PutChangeEvents", "WebhookEndpoints", "WebhookFanout"],
        "{grants:?}"
    );
    // The webhooks' fan-out: one index of the claims table, one queue.
    assert_eq!(grants[1].1, ["dynamodb:Query"]);
    assert_eq!(grants[1].2.len(), 1);
    assert!(
        matches!(intrinsic(&grants[1].2[0]), Some((tag, Yaml::String(s)))
            if tag == "Sub" && s == "${ClaimsTable.Arn}/index/hooks-by-owner"),
        "{:?}",
        grants[1].2
    );
    assert_eq!(grants[2].1, ["sqs:SendMessage"]);
    assert_eq!(
        grants[2]
            .2
            .iter()
            .map(|r| intrinsic(r).and_then(|(_, v)| get_att_arn(v)))
            .collect::<Vec<_>>(),
        [Some("WebhookQueue".to_owned())]
    );
    let (sid, actions, resources) = &grants[0];
    assert_eq!(actions, &["events:PutEvents"], "{sid}");
    assert_eq!(resources.len(), 1, "{sid}: {resources:?}");
    let bus = match intrinsic(&resources[0]) {
        Some((tag, v)) if tag == "GetAtt" => get_att_arn(v),
        _ => None,
    }
    .unwrap_or_else(|| panic!("{sid}: `!GetAtt <bus>.Arn`, not {:?}", resources[0]));
    let doc: Yaml = serde_yaml_ng::from_str(TEMPLATE).unwrap();
    assert_eq!(
        doc["Resources"][bus.as_str()]["Type"].as_str(),
        Some("AWS::Events::EventBus"),
        "{sid} names {bus}"
    );
    // The bus the code is told to use is the one it may put on.
    let var = &doc["Resources"]["ChangeEventsFunction"]["Properties"]["Environment"]["Variables"]["EVENT_BUS_NAME"];
    assert!(
        matches!(intrinsic(var), Some((tag, v)) if tag == "Ref" && v.as_str() == Some(bus.as_str())),
        "EVENT_BUS_NAME is !Ref {bus}: {var:?}"
    );
    // Its event sources: the two tables' streams, with bounded retries and a dead-letter queue.
    let events = doc["Resources"]["ChangeEventsFunction"]["Properties"]["Events"]
        .as_mapping()
        .expect("Events");
    let mut streams = Vec::new();
    for (name, e) in events {
        let p = &e["Properties"];
        assert_eq!(e["Type"].as_str(), Some("DynamoDB"), "{name:?}");
        streams.push(match intrinsic(&p["Stream"]) {
            Some((tag, Yaml::String(s))) if tag == "GetAtt" => s.clone(),
            other => panic!("{name:?}: Stream is !GetAtt <Table>.StreamArn, not {other:?}"),
        });
        let retries = p["MaximumRetryAttempts"]
            .as_i64()
            .expect("MaximumRetryAttempts");
        assert!(
            (0..=100).contains(&retries),
            "{name:?}: bounded retries, not {retries}"
        );
        assert_eq!(
            p["FunctionResponseTypes"][0].as_str(),
            Some("ReportBatchItemFailures")
        );
        assert_eq!(p["BisectBatchOnFunctionError"].as_bool(), Some(true));
        let dlq = &p["DestinationConfig"]["OnFailure"]["Destination"];
        assert!(
            intrinsic(dlq).is_some(),
            "{name:?}: an on-failure queue, not {dlq:?}"
        );
    }
    streams.sort();
    assert_eq!(
        streams,
        ["CustomersTable.StreamArn", "ServicesTable.StreamArn"]
    );
}

#[test]
fn webhook_delivery_may_read_endpoints_schedule_its_retries_and_send_its_notice_only() {
    let grants = statements(TEMPLATE, "WebhookDeliveryFunction");
    // (Sid, actions, the `!GetAtt X.Arn` of each resource)
    type Stmt<'a> = (&'a str, &'a [String], Vec<Option<String>>);
    let simple: Vec<Stmt> = grants
        .iter()
        .map(|(sid, actions, resources)| {
            let arns = resources
                .iter()
                .map(|r| intrinsic(r).and_then(|(_, v)| get_att_arn(v)))
                .collect();
            (sid.as_str(), actions.as_slice(), arns)
        })
        .collect();
    assert_eq!(simple.len(), 4, "{grants:?}");
    assert_eq!(simple[0].0, "WebhookEndpointState");
    assert_eq!(
        simple[0].1,
        [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem"
        ]
    );
    assert_eq!(simple[0].2, [Some("ClaimsTable".to_owned())]);
    assert_eq!(simple[1].0, "WebhookRetrySchedule");
    assert_eq!(simple[1].1, ["sqs:ChangeMessageVisibility"]);
    assert_eq!(simple[1].2, [Some("WebhookQueue".to_owned())]);
    // webhook/test and webhook/replay: the requests the claims stream brings become messages.
    assert_eq!(simple[2].0, "WebhookRequests");
    assert_eq!(simple[2].1, ["sqs:SendMessage"]);
    assert_eq!(simple[2].2, [Some("WebhookQueue".to_owned())]);
    // The `Webhook Disabled` notice: PutEvents on the stack's bus only.
    assert_eq!(simple[3].0, "WebhookNotices");
    assert_eq!(simple[3].1, ["events:PutEvents"]);
    assert_eq!(simple[3].2, [Some("ChangeEventBus".to_owned())]);
    let doc: Yaml = serde_yaml_ng::from_str(TEMPLATE).unwrap();
    let f = &doc["Resources"]["WebhookDeliveryFunction"]["Properties"];
    let e = &f["Events"]["Deliveries"];
    assert_eq!(e["Type"].as_str(), Some("SQS"));
    assert_eq!(
        e["Properties"]["FunctionResponseTypes"][0].as_str(),
        Some("ReportBatchItemFailures")
    );
    let r = &f["Events"]["Requests"]["Properties"];
    assert!(
        matches!(intrinsic(&r["Stream"]), Some((_, Yaml::String(s))) if s == "ClaimsTable.StreamArn"),
        "{r:?}"
    );
    let pattern = r["FilterCriteria"]["Filters"][0]["Pattern"]
        .as_str()
        .expect("a filter: only the API's requests");
    assert!(pattern.contains(r#""prefix": "whreq|""#), "{pattern}");
    // A dead-letter path, and a queue that keeps messages past the ~28 h schedule.
    let q = &doc["Resources"]["WebhookQueue"]["Properties"];
    assert!(q["RedrivePolicy"]["maxReceiveCount"].as_i64().unwrap_or(0) > 8);
    assert!(q["MessageRetentionPeriod"].as_i64().unwrap_or(0) > 28 * 3600);
    // Local development's loopback switch is never set by the stack.
    assert!(!TEMPLATE.contains("WEBHOOK_ALLOW_HTTP_LOOPBACK"));
    assert!(!TEMPLATE.contains("WEBHOOK_RETRY_SCHEDULE"));
}

/// The dashboard's body: the JSON inside `DashboardBody: !Sub |` (its `${...}` are inside
/// JSON strings, so it parses as it is).
fn dashboard(doc: &Yaml) -> Value {
    let body = &doc["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"];
    let text = match intrinsic(body) {
        Some((tag, Yaml::String(text))) if tag == "Sub" => text,
        _ => panic!("DashboardBody is `!Sub |` and a JSON text, not {body:?}"),
    };
    serde_json::from_str(text).expect("DashboardBody is JSON")
}

#[test]
fn the_dashboard_shows_every_route_label_and_every_alarm() {
    use isp_crm::http::{contract, metrics};
    let doc: Yaml = serde_yaml_ng::from_str(TEMPLATE).unwrap();
    let body = dashboard(&doc);
    // Every label the function's EMF lines can carry.
    let labels: BTreeSet<String> = contract::ROUTES
        .iter()
        .map(|r| metrics::route_of(r.path))
        .chain([metrics::OTHER])
        .map(str::to_owned)
        .collect();
    let mut graphed = BTreeSet::new();
    // The bot defences' metrics (issue 21) carry customer/create's label only.
    let bot_metrics: BTreeSet<&str> = metrics::BOT_DEFENCES
        .iter()
        .map(|d| metrics::bot_metric(*d))
        .collect();
    let mut bots_graphed = BTreeSet::new();
    let mut per_route_widgets = 0;
    for widget in body["widgets"].as_array().expect("widgets") {
        let title = widget["properties"]["title"].as_str().unwrap_or("?");
        let Some(rows) = widget["properties"]["metrics"].as_array() else {
            continue;
        };
        // id → the Route of a metric row, or the label of an expression.
        let mut metric_routes: BTreeMap<String, String> = BTreeMap::new();
        let mut routes_of_metric: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut expressions = Vec::new();
        for row in rows {
            let row = row.as_array().expect("a metric row is an array");
            if let Some(expression) = row[0]["expression"].as_str() {
                let id = row[0]["id"].as_str().expect("an expression has an id");
                let label = row[0]["label"].as_str().expect("an expression has a label");
                expressions.push((id.to_owned(), label.to_owned(), expression.to_owned()));
                continue;
            }
            let Some(at) = row.iter().position(|v| v == "Route") else {
                continue;
            };
            let route = row[at + 1].as_str().expect("a Route value").to_owned();
            let metric = row[1].as_str().expect("a metric name").to_owned();
            if bot_metrics.contains(metric.as_str()) {
                assert_eq!(
                    route,
                    metrics::route_of(contract::CUSTOMER_CREATE.path),
                    "{title}: {metric} is counted under customer/create"
                );
                assert_eq!(row[0], "IspCustomerApi", "{title}: {metric}'s namespace");
                bots_graphed.insert(metric);
                continue;
            }
            if let Some(id) = row.last().and_then(|o| o["id"].as_str()) {
                metric_routes.insert(id.to_owned(), route.clone());
            }
            routes_of_metric.entry(metric).or_default().insert(route);
        }
        if routes_of_metric.is_empty() {
            continue;
        }
        per_route_widgets += 1;
        for (metric, routes) in &routes_of_metric {
            assert_eq!(
                routes, &labels,
                "{title}: {metric} must be graphed for every route label (src/http/metrics.rs)"
            );
            graphed.insert(metric.clone());
        }
        // A per-route expression uses only its own route's metrics; one that sums
        // expressions sums all of them.
        let ids_in = |text: &str| -> BTreeSet<String> {
            text.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|t| metric_routes.contains_key(*t) || expressions.iter().any(|e| e.0 == *t))
                .map(str::to_owned)
                .collect()
        };
        let per_route: Vec<_> = expressions
            .iter()
            .filter(|(_, _, text)| ids_in(text).iter().all(|id| metric_routes.contains_key(id)))
            .collect();
        for (id, label, text) in &per_route {
            for used in ids_in(text) {
                assert_eq!(
                    &metric_routes[&used], label,
                    "{title}: expression {id} ({label}) uses {used}"
                );
            }
        }
        if !expressions.is_empty() {
            let expression_labels: BTreeSet<String> = per_route
                .iter()
                .map(|(_, label, _)| label.clone())
                .collect();
            assert_eq!(
                expression_labels, labels,
                "{title}: an expression per route"
            );
        }
        let per_route_ids: BTreeSet<String> =
            per_route.iter().map(|(id, _, _)| id.clone()).collect();
        for (id, _, text) in &expressions {
            let used = ids_in(text);
            if used.iter().any(|u| per_route_ids.contains(u)) {
                assert_eq!(used, per_route_ids, "{title}: {id} sums every route");
            }
        }
    }
    assert!(per_route_widgets > 0, "the dashboard has per-route widgets");
    assert_eq!(
        bots_graphed
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        bot_metrics,
        "every bot defence's metric (src/http/metrics.rs) is graphed"
    );
    for metric in [
        "Latency",
        "Errors",
        "DynamoDBCalls",
        "ReadUnits",
        "WriteUnits",
    ] {
        assert!(graphed.contains(metric), "{metric} is graphed per route");
    }

    // The alarm widget lists every alarm of the stack, and nothing else.
    let alarms: BTreeSet<String> = doc["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(name, _)| format!("${{{}.Arn}}", name.as_str().unwrap()))
        .collect();
    let shown: Vec<&Value> = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["type"] == "alarm")
        .flat_map(|w| w["properties"]["alarms"].as_array().unwrap())
        .collect();
    let shown_set: BTreeSet<String> = shown
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shown.len(), shown_set.len(), "an alarm is shown once");
    assert_eq!(shown_set, alarms, "the alarm widget shows every alarm");
}

/// The settings the stack passes from parameters: each parameter's default is the code's
/// default, and its allowed range is one the code accepts (a deploy never starts a function
/// that refuses its settings at init).
#[test]
fn stack_parameters_default_to_the_codes_settings_and_stay_in_its_range() {
    use isp_crm::config::Settings;
    let doc: Yaml = serde_yaml_ng::from_str(TEMPLATE).unwrap();
    let function = &doc["Resources"]["CustomerApiFunction"]["Properties"];
    let vars = function["Environment"]["Variables"]
        .as_mapping()
        .expect("Variables");
    let with = |var: &str, value: Option<String>| {
        Settings::from_lookup(|k| if k == var { value.clone() } else { None }, true)
            .map(|s| format!("{s:?}"))
    };
    let defaults = with("", None).expect("the code's defaults");
    let text = |v: &Yaml| match v {
        Yaml::Number(n) => n.to_string(),
        Yaml::String(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    let mut checked = BTreeSet::new();
    for (var, value) in vars {
        let var = var.as_str().unwrap();
        let Some(("Ref", Yaml::String(parameter))) =
            intrinsic(value).as_ref().map(|(t, v)| (t.as_str(), *v))
        else {
            continue;
        };
        let Some(p) = doc["Parameters"].get(parameter.as_str()) else {
            continue; // a resource (a table's name)
        };
        let default = text(&p["Default"]);
        assert_eq!(
            with(var, Some(default.clone())).expect(var),
            defaults,
            "{parameter}'s default ({default}) is the code's default of {var}"
        );
        for bound in ["MinValue", "MaxValue"] {
            if let Some(b) = p.get(bound) {
                let b = text(b);
                assert!(
                    with(var, Some(b.clone())).is_ok(),
                    "{var}={b} ({parameter}'s {bound}) is refused by the code"
                );
            }
        }
        checked.insert(var.to_owned());
    }
    for var in [
        "FORM_KEY_CREATES",
        "FORM_SOURCE_CREATES",
        "FORM_LIMIT_WINDOW_SECONDS",
        "USER_REQUESTS_PER_SECOND",
        "AUTH_CACHE_SECONDS",
        "LIST_READ_BUDGET_UNITS",
    ] {
        assert!(checked.contains(var), "{var} is set from a stack parameter");
    }
    // The request deadline answers before Lambda's timeout would, and the function is told
    // its Timeout, so the API's start-up check holds the two to each other.
    let deadline = text(&vars[&Yaml::from("REQUEST_DEADLINE_MS")]);
    let told = text(&vars[&Yaml::from("FUNCTION_TIMEOUT_SECONDS")]);
    let timeout = function["Timeout"].as_u64().expect("Timeout");
    assert_eq!(
        told,
        timeout.to_string(),
        "FUNCTION_TIMEOUT_SECONDS is the Timeout"
    );
    let settings = Settings::from_lookup(
        |k| match k {
            "REQUEST_DEADLINE_MS" => Some(deadline.clone()),
            "FUNCTION_TIMEOUT_SECONDS" => Some(told.clone()),
            _ => None,
        },
        true,
    )
    .unwrap();
    assert!(
        settings.request_deadline < std::time::Duration::from_secs(timeout),
        "REQUEST_DEADLINE_MS {deadline} below the {timeout} s Timeout"
    );
    settings
        .check_request_timing()
        .expect("the stack's timeouts nest");
}
