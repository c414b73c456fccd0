//! Per-route cost metrics as CloudWatch Embedded Metric Format: one JSON line per request on
//! stdout, which CloudWatch Logs turns into metrics (namespace `METRICS_NAMESPACE`, dimension
//! `Route`) with no agent, no API call and no extra service. On by default under Lambda.

use super::contract;
use crate::app::signup::BotDefence;
use crate::store::capacity::Usage;
use serde_json::json;
use std::io::Write;

/// The label of a path that names no route (unknown paths, probes, typos): one label for all
/// of them keeps the dimension's cardinality at the number of routes plus one whatever
/// clients send. template.yaml's dashboard lists every label (tests/iam.rs checks it).
pub const OTHER: &str = "other";

/// The route a path names, as a low-cardinality metric dimension: the path of one of the
/// routes (`contract::ROUTES`) without its `/api/` prefix (`customer/list`, `service/create`,
/// ...), else `other`. Matched exactly, as the router matches them.
pub fn route_of(path: &str) -> &'static str {
    contract::ROUTES
        .iter()
        .map(|route| -> &'static str { route.path })
        .find(|known| *known == path)
        .and_then(|known| known.strip_prefix("/api/"))
        .unwrap_or(OTHER)
}

/// The EMF document of one request.
pub fn document(
    namespace: &str,
    route: &str,
    status: u16,
    latency_ms: f64,
    usage: &Usage,
    now_ms: i64,
) -> serde_json::Value {
    json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["Route"]],
                "Metrics": [
                    {"Name": "ReadUnits", "Unit": "Count"},
                    {"Name": "WriteUnits", "Unit": "Count"},
                    {"Name": "DynamoDBCalls", "Unit": "Count"},
                    {"Name": "Latency", "Unit": "Milliseconds"},
                    {"Name": "Errors", "Unit": "Count"}
                ]
            }]
        },
        "Route": route,
        "Status": status,
        "ReadUnits": usage.read_units,
        "WriteUnits": usage.write_units,
        "DynamoDBCalls": usage.calls,
        "Latency": latency_ms,
        "Errors": u8::from(status >= 500),
    })
}

/// The metric each bot defence's refusals count in (issue 21). template.yaml's dashboard
/// graphs all of them (tests/iam.rs checks it).
pub fn bot_metric(defence: BotDefence) -> &'static str {
    match defence {
        BotDefence::Honeypot => "HoneypotCaught",
        BotDefence::Captcha => "CaptchaFailed",
        BotDefence::FillTime => "FillTimeRefused",
    }
}

/// Every bot defence, for whoever lists their metrics.
pub const BOT_DEFENCES: [BotDefence; 3] = [
    BotDefence::Honeypot,
    BotDefence::Captcha,
    BotDefence::FillTime,
];

/// The EMF document of a form post a bot defence refused (a filled honeypot is answered as
/// a success; either way nothing is written). A rise says a form is targeted by bots.
pub fn bot_refused(
    namespace: &str,
    defence: BotDefence,
    path: &str,
    now_ms: i64,
) -> serde_json::Value {
    let name = bot_metric(defence);
    json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["Route"]],
                "Metrics": [{"Name": name, "Unit": "Count"}]
            }]
        },
        "Route": route_of(path),
        name: 1,
    })
}

/// Writes one EMF line to stdout (a single write, so lines never interleave).
pub fn emit(doc: &serde_json::Value) {
    let mut line = doc.to_string();
    line.push('\n');
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_declares_what_it_carries() {
        let usage = Usage {
            calls: 2,
            read_units: 1.5,
            write_units: 0.0,
            ..Usage::default()
        };
        let doc = document(
            "IspCustomerApi",
            route_of("/api/customer/list"),
            200,
            4.2,
            &usage,
            1_795_756_200_000,
        );
        let declared = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "IspCustomerApi");
        assert_eq!(declared["Dimensions"], json!([["Route"]]));
        for metric in declared["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(doc[name].is_number(), "{name} is declared and carried");
        }
        assert_eq!(doc["Route"], "customer/list");
        assert_eq!(doc["ReadUnits"], 1.5);
    }

    #[test]
    fn a_bot_defence_counts_in_its_own_metric() {
        let names: std::collections::HashSet<_> =
            BOT_DEFENCES.iter().map(|d| bot_metric(*d)).collect();
        assert_eq!(names.len(), BOT_DEFENCES.len());
        for defence in BOT_DEFENCES {
            let doc = bot_refused("Ns", defence, "/api/customer/create", 1);
            let declared = &doc["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(declared["Metrics"][0]["Name"], bot_metric(defence));
            assert_eq!(doc[bot_metric(defence)], 1);
            assert_eq!(doc["Route"], "customer/create");
        }
    }

    #[test]
    fn every_route_has_its_own_label_and_unknown_paths_are_other() {
        let expected = [
            ("/api/customer/list", "customer/list"),
            ("/api/customer/create", "customer/create"),
            ("/api/customer/update", "customer/update"),
            ("/api/customer/delete", "customer/delete"),
            ("/api/service/list", "service/list"),
            ("/api/service/create", "service/create"),
            ("/api/service/update", "service/update"),
            ("/api/service/delete", "service/delete"),
        ];
        for (path, label) in expected {
            assert_eq!(route_of(path), label, "{path}");
        }
        // Every route the router serves is labelled, each differently.
        let labels: std::collections::HashSet<_> =
            contract::ROUTES.iter().map(|r| route_of(r.path)).collect();
        assert_eq!(labels.len(), contract::ROUTES.len());
        assert!(!labels.contains(OTHER));
        for unknown in [
            "/",
            "",
            "/api",
            "/api/",
            "/api/customer",
            "/api/customer/list/extra",
            "/api/customer/list/",
            "/API/customer/list",
            "/api/customer/lists",
            "/api/service/remove",
            "/api/services/list",
            "customer/list",
            "/prefix/api/customer/list",
        ] {
            assert_eq!(route_of(unknown), OTHER, "{unknown:?}");
        }
    }
}
