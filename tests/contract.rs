//! docs/openapi.yaml and the code agree, both ways: the routes the router serves are the
//! document's paths; the parameters each route's table declares (the table its handler reads
//! through), and what every route reads besides (`contract::EVERY_ROUTE`), are the properties
//! of the document's request schema for that route and its header and query parameters; and
//! each documented answer names exactly the response headers the code writes on that status.

mod common;
use common::*;
use isp_crm::http::contract::{
    CUSTOMER_CREATE, EVERY_ROUTE, IDEMPOTENT_REPLAYED, PAGES, RESPONSE_TYPE, RETRY_AFTER,
    RETRY_AFTER_STATUSES, ROUTES, Route, SIGNATURE_HEADERS,
};
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn document() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml"))
        .expect("docs/openapi.yaml");
    serde_yaml_ng::from_str(&text).expect("valid YAML")
}

/// Follows local `$ref`s (`#/components/...`), also a `$ref` that leads to another.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            doc,
            r.trim_start_matches("#/")
                .split('/')
                .fold(doc, |node, key| &node[key]),
        ),
        None => v,
    }
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

#[test]
fn every_route_and_parameter_is_in_the_document_and_nothing_else() {
    let doc = document();
    let documented = keys(&doc["paths"]);
    // The API's routes and the hosted signup page's HTML paths (contract::PAGES).
    let served = set(ROUTES.iter().map(|r| r.path).chain(PAGES));
    assert_eq!(
        documented, served,
        "paths of docs/openapi.yaml vs contract::ROUTES"
    );

    for route in ROUTES {
        // customer/create also answers a form key's CORS preflight (issue 21).
        let methods = match route.path == CUSTOMER_CREATE.path {
            true => set(["post", "options"]),
            false => set(["post"]),
        };
        assert_eq!(
            keys(&doc["paths"][route.path]),
            methods,
            "{}: POST only",
            route.path
        );
        let op = &doc["paths"][route.path]["post"];
        let content = &op["requestBody"]["content"];
        // One media type: generators given the same schema under several send a form body
        // under a JSON Content-Type (the server still reads form bodies: tests/encodings.rs).
        assert_eq!(
            keys(content),
            set(["application/json"]),
            "{}: the body is described as JSON only",
            route.path
        );
        let mut schema = resolve(&doc, &content["application/json"]["schema"]);
        // customer/create: the flat parameters, or a profiled form key's free-form delivery.
        if let Some(branches) = schema["anyOf"].as_sequence() {
            assert_eq!(
                route.path, CUSTOMER_CREATE.path,
                "anyOf: only customer/create"
            );
            let [flat, delivery] = branches.as_slice() else {
                panic!("{}: anyOf of the flat body and a delivery", route.path)
            };
            let delivery = resolve(&doc, delivery);
            assert_eq!(
                delivery["type"].as_str(),
                Some("object"),
                "ProfiledDelivery"
            );
            assert_eq!(delivery["additionalProperties"].as_bool(), Some(true));
            schema = resolve(&doc, flat);
        }
        let declared = set(EVERY_ROUTE
            .iter()
            .map(|p| p.param)
            .chain(route.params.iter().copied()));
        assert_eq!(
            keys(&schema["properties"]),
            declared,
            "{}: body parameters",
            route.path
        );

        let parameters: BTreeSet<(String, String)> = op["parameters"]
            .as_sequence()
            .expect("parameters")
            .iter()
            .map(|p| resolve(&doc, p))
            .map(|p| {
                let s = |k: &str| p[k].as_str().unwrap_or_default().to_ascii_lowercase();
                (s("in"), s("name"))
            })
            .collect();
        let mut read: BTreeSet<(String, String)> = EVERY_ROUTE
            .iter()
            .flat_map(|p| {
                [
                    ("header".to_owned(), p.header.to_owned()),
                    ("query".to_owned(), p.param.to_owned()),
                ]
            })
            .collect();
        // A profiled form key's delivery: the form tools' signature headers.
        if route.path == CUSTOMER_CREATE.path {
            read.extend(
                SIGNATURE_HEADERS
                    .iter()
                    .map(|h| ("header".to_owned(), (*h).to_owned())),
            );
        }
        assert_eq!(
            parameters, read,
            "{}: header and query parameters",
            route.path
        );
    }
}

/// The response headers the code writes on `status` of `route` (`error.rs`, `routes.rs`).
fn written(route: &Route, status: u16) -> BTreeSet<String> {
    let mut headers = BTreeSet::new();
    if RETRY_AFTER_STATUSES.contains(&status) {
        headers.insert(RETRY_AFTER.to_owned());
    }
    if status == 200 && route.replays() {
        headers.insert(IDEMPOTENT_REPLAYED.to_owned());
    }
    headers
}

#[test]
fn every_answer_declares_the_headers_the_code_writes_and_no_other() {
    let doc = document();
    let mut replaying = 0;
    for route in ROUTES {
        let responses = &doc["paths"][route.path]["post"]["responses"];
        let statuses: BTreeMap<u16, &Value> = responses
            .as_mapping()
            .expect("responses")
            .iter()
            .map(|(k, v)| {
                let status = k.as_str().and_then(|s| s.parse().ok());
                (status.expect("a numeric status"), resolve(&doc, v))
            })
            .collect();
        // Any route can answer these: its success, the per-user bucket's 429 and DynamoDB's
        // throttling, a deadline's 503.
        for status in [200].iter().chain(RETRY_AFTER_STATUSES.iter()) {
            assert!(
                statuses.contains_key(status),
                "{}: {status} not documented",
                route.path
            );
        }
        for (status, response) in statuses {
            assert_eq!(
                keys(&response["content"]),
                set([RESPONSE_TYPE]),
                "{} {status}: the answer's media type",
                route.path
            );
            let headers = &response["headers"];
            let named: BTreeSet<String> = keys(headers)
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect();
            assert_eq!(
                named,
                written(route, status),
                "{} {status}: response headers",
                route.path
            );
            for (name, header) in headers.as_mapping().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default().to_ascii_lowercase();
                let required = resolve(&doc, header)["required"].as_bool() == Some(true);
                // Retry-After is on every such answer; a replay header only on replays.
                assert_eq!(
                    required,
                    name == RETRY_AFTER,
                    "{} {status}: {name} required",
                    route.path
                );
            }
        }
        replaying += usize::from(route.replays());
    }
    assert_eq!(replaying, 2, "customer/create and service/create replay");
}

/// Every `.route(…)` registered in `src/` (test modules aside): the name of the `contract`
/// constant whose `.path` it serves, or the whole argument when it is not one.
fn registered_in_source() -> Vec<String> {
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("src/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, found);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for other in [".nest(", ".nest_service(", ".route_service("] {
                assert!(
                    !code.contains(other),
                    "{}: {other}…) adds paths this test cannot see: register routes with \
                     .route(contract::NAME.path, …)",
                    path.display()
                );
            }
            for (at, _) in code.match_indices(".route(") {
                let rest = &code[at + ".route(".len()..];
                let arg = rest.split(',').next().unwrap_or_default().trim();
                let name = arg
                    .strip_prefix("contract::")
                    .unwrap_or(arg)
                    .strip_suffix(".path")
                    .unwrap_or(arg);
                // `pipeline::mount` registers the routes of the tables below.
                if name != "api.route" {
                    found.push(name.to_owned());
                }
            }
            // A table entry for `pipeline::mount`: `Api { route: &contract::NAME, run }`.
            for (at, _) in code.match_indices("route: &contract::") {
                let rest = &code[at + "route: &contract::".len()..];
                let name = rest.split(',').next().unwrap_or_default().trim();
                found.push(name.to_owned());
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    found
}

/// The path of each `pub const NAME: Route` in src/http/contract.rs.
fn declared_in_contract() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/contract.rs"))
            .expect("contract.rs");
    text.split("pub const ")
        .skip(1)
        .filter_map(|item| {
            let (name, rest) = item.split_once(": Route = Route {")?;
            let path = rest.split_once("path: \"")?.1.split_once('"')?.0;
            Some((name.trim().to_owned(), path.to_owned()))
        })
        .collect()
}

#[test]
fn the_router_registers_the_declared_routes_and_no_other() {
    let registered = registered_in_source();
    let constants = declared_in_contract();
    let mut paths = BTreeSet::new();
    for name in &registered {
        // The hosted signup page's HTML paths (contract::PAGES) are not API routes.
        if [
            "contract::SIGNUP_PAGE",
            "contract::SIGNUP_THANKS",
            "contract::SIGNUP_STAMP",
        ]
        .contains(&name.as_str())
        {
            continue;
        }
        let path = constants.get(name).unwrap_or_else(|| {
            panic!("a route registered as `{name}`: register it as contract::NAME.path")
        });
        assert!(paths.insert(path.as_str()), "{path} registered twice");
    }
    assert_eq!(
        paths,
        ROUTES.iter().map(|r| r.path).collect::<BTreeSet<_>>(),
        "the router's routes (src/) vs contract::ROUTES"
    );
}

#[tokio::test]
async fn the_router_serves_exactly_the_declared_routes() {
    let app = spawn_app().await;
    for route in ROUTES {
        let reply = app
            .raw(route.path.trim_start_matches("/api/"), None, "")
            .await;
        assert_eq!(
            reply.status, 401,
            "{}: served (and wants credentials)",
            route.path
        );
        // Another method on it: 405, the envelope, and the method to use.
        let resp = app
            .http
            .get(format!("{}{}", app.url, route.path))
            .send()
            .await
            .expect("GET");
        assert_eq!(resp.status(), 405, "{}: GET", route.path);
        // customer/create also answers a CORS preflight from a form key's origins (issue 21).
        let allow = match route.path == CUSTOMER_CREATE.path {
            true => "POST,OPTIONS",
            false => "POST",
        };
        assert_eq!(resp.headers()["allow"], allow, "{}: Allow", route.path);
        assert_eq!(resp.headers()["content-type"], RESPONSE_TYPE);
        let body: serde_json::Value = resp.json().await.expect("JSON");
        assert_eq!(body["error"], "method not allowed: use POST");
    }
    let reply = app.raw("service/nope", None, "").await;
    assert_eq!(reply.status, 404);
}
