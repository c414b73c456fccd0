//! docs/openapi.yaml and the code agree, both ways: the routes the router serves are the
//! document's paths, and the parameters each route's table declares (the table its handler
//! reads through) are the properties of the document's request schema for that route.

mod common;
use common::*;
use isp_crm::http::contract::{CREDENTIALS, ROUTES};
use serde_yaml_ng::Value;
use std::collections::BTreeSet;

fn document() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml"))
        .expect("docs/openapi.yaml");
    serde_yaml_ng::from_str(&text).expect("valid YAML")
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |node, key| &node[key]),
        None => v,
    }
}

#[test]
fn every_route_and_parameter_is_in_the_document_and_nothing_else() {
    let doc = document();
    let paths = doc["paths"].as_mapping().expect("paths");
    let documented: BTreeSet<&str> = paths.keys().filter_map(Value::as_str).collect();
    let served: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    assert_eq!(
        documented, served,
        "paths of docs/openapi.yaml vs the router"
    );

    for route in ROUTES {
        let op = &doc["paths"][route.path]["post"];
        assert!(op.is_mapping(), "{}: no POST", route.path);
        let content = &op["requestBody"]["content"];
        let schemas: BTreeSet<String> = [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "application/json",
        ]
        .iter()
        .map(|ct| format!("{:?}", resolve(&doc, &content[*ct]["schema"])))
        .collect();
        assert_eq!(
            schemas.len(),
            1,
            "{}: one schema for the three bodies",
            route.path
        );
        let schema = resolve(&doc, &content["application/json"]["schema"]);
        let properties: BTreeSet<&str> = schema["properties"]
            .as_mapping()
            .expect("properties")
            .keys()
            .filter_map(Value::as_str)
            .collect();
        let declared: BTreeSet<&str> = CREDENTIALS
            .iter()
            .chain(route.params.iter())
            .copied()
            .collect();
        assert_eq!(properties, declared, "{}: body parameters", route.path);

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
        let mut expected: BTreeSet<(String, String)> = [
            ("header", "x-userid"),
            ("header", "x-api-key"),
            ("query", "userid"),
            ("query", "api_key"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        if route.params.contains(&"idempotency_key") {
            expected.insert(("header".into(), "idempotency-key".into()));
            expected.insert(("query".into(), "idempotency_key".into()));
        }
        assert_eq!(
            parameters, expected,
            "{}: header and query parameters",
            route.path
        );
    }
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
    }
    let reply = app.raw("service/nope", None, "").await;
    assert_eq!(reply.status, 404);
}
