//! The test's own bus, rules and queues in moto; the stream records as Lambda delivers them;
//! a proxy in front of moto's EventBridge that records and can refuse entries.

use super::common::*;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use isp_crm::config::TlsRoots;
use isp_crm::events::{BatchResponse, ChangeEvents, StreamTables, eventbridge_client};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").expect("make test sets DYNAMODB_ENDPOINT (moto)")
}

/// A test's bus, with a rule that sends every `isp-crm` event to a queue.
pub struct Plumbing {
    pub app: TestApp,
    pub prefix: String,
    pub bus: String,
    pub all: String,
    pub sqs: aws_sdk_sqs::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub events: aws_sdk_eventbridge::Client,
}

pub async fn plumbing() -> Plumbing {
    plumbing_with(&[]).await
}

/// `plumbing`, the app with extra settings (tests/webhooks: `WEBHOOK_ALLOW_HTTP_LOOPBACK`).
pub async fn plumbing_with(vars: &[(&str, &str)]) -> Plumbing {
    let app = spawn_app_with(vars).await;
    let prefix = app
        .store
        .tables
        .customers
        .strip_suffix("customers")
        .expect("tables are <prefix>customers")
        .to_owned();
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .load()
        .await;
    let events = eventbridge_client(Some(&endpoint()), TlsRoots::default()).await;
    let bus = format!("{prefix}bus");
    events
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .expect("bus");
    let mut p = Plumbing {
        app,
        prefix,
        bus,
        all: String::new(),
        sqs: aws_sdk_sqs::Client::new(&shared),
        streams: aws_sdk_dynamodbstreams::Client::new(&shared),
        events,
    };
    p.all = p.queue_for("all", r#"{"source": ["isp-crm"]}"#).await;
    p
}

impl Plumbing {
    /// A queue, and a rule on the bus with `pattern` that targets it; the queue's URL.
    pub async fn queue_for(&self, name: &str, pattern: &str) -> String {
        let queue = format!("{}{name}", self.prefix);
        let url = self
            .sqs
            .create_queue()
            .queue_name(&queue)
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("queue url");
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .and_then(|mut a| a.remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .expect("queue arn");
        self.events
            .put_rule()
            .name(&queue)
            .event_bus_name(&self.bus)
            .event_pattern(pattern)
            .send()
            .await
            .expect("rule");
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id(name)
            .arn(arn)
            .build()
            .expect("target");
        self.events
            .put_targets()
            .rule(&queue)
            .event_bus_name(&self.bus)
            .targets(target)
            .send()
            .await
            .expect("targets");
        url
    }

    pub fn tables(&self) -> StreamTables {
        StreamTables {
            customers: self.app.store.tables.customers.clone(),
            services: self.app.store.tables.services.clone(),
        }
    }

    /// Every record of a table's stream so far, as the Lambda event source mapping would
    /// hand them over (`{"Records": [...]}`, each with its `eventSourceARN`).
    pub async fn stream_batch(&self, table: &str) -> Value {
        let arn = self
            .app
            .store
            .client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .expect("describe table")
            .table
            .and_then(|t| t.latest_stream_arn)
            .expect("the table has a stream (schema.rs reads StreamSpecification)");
        let shards = self
            .streams
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .expect("describe stream")
            .stream_description
            .map(|d| d.shards.unwrap_or_default())
            .unwrap_or_default();
        let mut records = Vec::new();
        for shard in shards {
            let mut iterator = self
                .streams
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(shard.shard_id.expect("shard id"))
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("shard iterator")
                .shard_iterator;
            while let Some(it) = iterator {
                let out = self
                    .streams
                    .get_records()
                    .shard_iterator(it)
                    .send()
                    .await
                    .expect("records");
                let page = out.records.unwrap_or_default();
                if page.is_empty() {
                    break;
                }
                records.extend(page.iter().map(|r| lambda_record(r, &arn)));
                iterator = out.next_shard_iterator;
            }
        }
        json!({ "Records": records })
    }

    /// Hands `batch` to the handler, its EventBridge client reaching moto through `via`
    /// (a proxy) or directly.
    pub async fn handle(&self, batch: &Value, via: Option<&str>) -> BatchResponse {
        let client =
            eventbridge_client(Some(via.unwrap_or(&endpoint())), TlsRoots::default()).await;
        let handler = ChangeEvents::new(client, &self.bus, self.tables());
        let event = serde_json::from_value(batch.clone()).expect("the Lambda DynamoDB event shape");
        handler
            .handle(&event, Some(Instant::now() + Duration::from_secs(60)))
            .await
            .expect("handled")
    }

    /// The events in a queue: polled (no long polling: moto serves one request at a time)
    /// until `want` arrived or 10 s passed, then once more to see that nothing else came.
    pub async fn received(&self, queue: &str, want: usize) -> Vec<Value> {
        let mut got = Vec::new();
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let page = self
                .sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive")
                .messages
                .unwrap_or_default();
            let empty = page.is_empty();
            for m in page {
                let body = m.body.expect("a message body");
                got.push(serde_json::from_str::<Value>(&body).expect("an event"));
            }
            if (got.len() >= want && empty) || Instant::now() > until {
                return got;
            }
            if empty {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A stream record from moto in the shape Lambda delivers it.
fn lambda_record(r: &Record, stream_arn: &str) -> Value {
    let image = |i: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
        i.map(|m| serde_json::to_value(serde_dynamo::Item::from(m.clone())).expect("image"))
            .unwrap_or(Value::Null)
    };
    let d = r.dynamodb.as_ref().expect("dynamodb");
    json!({
        "eventID": r.event_id,
        "eventName": r.event_name.as_ref().map(|n| n.as_str()),
        "eventVersion": r.event_version,
        "eventSource": r.event_source,
        "awsRegion": r.aws_region,
        "eventSourceARN": stream_arn,
        "dynamodb": {
            "ApproximateCreationDateTime": d.approximate_creation_date_time.map(|t| t.secs()),
            "Keys": image(d.keys.as_ref()),
            "NewImage": image(d.new_image.as_ref()),
            "OldImage": image(d.old_image.as_ref()),
            "SequenceNumber": d.sequence_number,
            "SizeBytes": d.size_bytes,
            "StreamViewType": d.stream_view_type.as_ref().map(|v| v.as_str()),
        }
    })
}

/// (X-Amz-Target, bus of each entry) of every request, and the proxy's URL.
pub type Seen = Arc<Mutex<Vec<(String, Vec<String>)>>>;

/// A proxy to moto that records EventBridge requests; entries whose detail contains
/// `refuse` get an empty detail on the way, which moto refuses (`InvalidArgument`).
pub async fn proxy(refuse: Option<String>) -> (Seen, String) {
    let seen: Seen = Arc::default();
    let state = (seen.clone(), refuse, endpoint(), reqwest::Client::new());
    async fn forward(
        State((seen, refuse, moto, http)): State<(Seen, Option<String>, String, reqwest::Client)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let target = headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut buses = Vec::new();
        for entry in request["Entries"].as_array_mut().into_iter().flatten() {
            buses.push(
                entry["EventBusName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
            let detail = entry["Detail"].as_str().unwrap_or_default();
            if refuse.as_deref().is_some_and(|r| detail.contains(r)) {
                entry["Detail"] = json!("");
            }
        }
        seen.lock().unwrap().push((target, buses));
        let body = Bytes::from(serde_json::to_vec(&request).unwrap_or_else(|_| body.to_vec()));
        forward_to_moto(&http, &moto, &headers, body).await
    }
    let router = axum::Router::new()
        .fallback(axum::routing::post(forward))
        .with_state(state);
    (seen, serve_on_loopback(router).await)
}

pub async fn recorder() -> (Seen, String) {
    proxy(None).await
}
