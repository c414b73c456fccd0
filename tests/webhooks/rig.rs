//! The webhooks' test rig: the change-events plumbing (tests/events) with a delivery queue
//! in moto, a scripted receiver on a random loopback port, the delivery handler fed the way
//! the SQS event source mapping feeds it, and the Standard Webhooks reference library
//! (`standardwebhooks` from PyPI, in the venv) to verify signatures.

use super::common::*;
use super::plumbing::{Plumbing, plumbing_with};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use isp_crm::app::signup::sealed::SecretSeal;
use isp_crm::events::{BatchResponse, ChangeEvents, Fanout, eventbridge_client};
use isp_crm::webhooks::{DeliverySettings, SqsBatchResponse, WebhookDelivery, sqs_client};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The app's FORM_SECRET_KEY in tests (tests/common/app.rs): it seals webhook secrets too.
const DEPLOYMENT_KEY: &str = "test-form-secret-key";

fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").expect("make test sets DYNAMODB_ENDPOINT (moto)")
}

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Answers 200 after this long (past the sender's timeout: a timeout).
    Slow(Duration),
    /// 302 to another path of the receiver.
    Redirect,
    /// 200 with an endless body.
    Endless,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    pub url: String,
}

impl Receiver {
    pub async fn start() -> Self {
        let mut r = Receiver::default();
        let state = r.clone();
        let router =
            axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { state.answer(uri, headers, body).await }
            });
        r.url = serve_on_loopback(router).await;
        r
    }

    /// The next answers, in order; then 200.
    pub fn script(&self, answers: &[Answer]) {
        self.script.lock().unwrap().extend(answers.iter().cloned());
    }

    pub fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    async fn answer(&self, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        self.got.lock().unwrap().push(Got {
            path: uri.path().to_owned(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let next = self.script.lock().unwrap().pop_front();
        let mut reply = Response::builder();
        match next {
            None => reply.status(200).body(Body::from("ok")),
            Some(Answer::Status(s)) => reply.status(s).body(Body::from(format!("status {s}"))),
            Some(Answer::Slow(d)) => {
                tokio::time::sleep(d).await;
                reply.status(200).body(Body::from("late"))
            }
            Some(Answer::Redirect) => {
                reply = reply.header("location", "/elsewhere");
                reply.status(StatusCode::FOUND).body(Body::empty())
            }
            Some(Answer::Endless) => {
                let chunks = futures_util::stream::repeat_with(|| {
                    Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 64 * 1024]))
                });
                reply.status(200).body(Body::from_stream(chunks))
            }
        }
        .unwrap()
    }
}

pub struct Rig {
    pub p: Plumbing,
    /// The delivery queue's URL.
    pub queue: String,
    /// The claims stream's records already handed over (`requests`).
    handed: Mutex<Vec<String>>,
}

pub async fn rig() -> Rig {
    rig_with_visibility(30).await
}

/// A rig whose queue brings back a message not answered within `seconds` (the queue's
/// visibility timeout; moto's default is 30 s).
pub async fn rig_with_visibility(seconds: u32) -> Rig {
    let p = plumbing_with(&[("WEBHOOK_ALLOW_HTTP_LOOPBACK", "1")]).await;
    let queue = p
        .sqs
        .create_queue()
        .queue_name(format!("{}hooks", p.prefix))
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            seconds.to_string(),
        )
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("queue url");
    Rig {
        p,
        queue,
        handed: Mutex::default(),
    }
}

impl Rig {
    /// Creates an endpoint as `user`; its id and secret.
    pub async fn hook(&self, user: u64, url: &str, extra: &[(&str, &str)]) -> (String, String) {
        let mut params = vec![("url", url)];
        params.extend_from_slice(extra);
        let r = self.p.app.call(user, "webhook/create", &params).await;
        let res = r.result();
        (
            res["id"].as_str().expect("an id").to_owned(),
            res["secret"].as_str().expect("a secret").to_owned(),
        )
    }

    /// Hands both tables' streams so far to change-events with the fan-out on.
    pub async fn fan_out(&self) -> Vec<BatchResponse> {
        let sqs = sqs_client(Some(&endpoint()), isp_crm::config::TlsRoots::default()).await;
        let client =
            eventbridge_client(Some(&endpoint()), isp_crm::config::TlsRoots::default()).await;
        let fanout = Fanout::new(self.p.app.store.clone(), sqs, &self.queue);
        let handler = ChangeEvents::new(client, &self.p.bus, self.p.tables()).with_webhooks(fanout);
        let mut answers = Vec::new();
        for table in [
            &self.p.app.store.tables.customers,
            &self.p.app.store.tables.services,
        ] {
            let batch = self.p.stream_batch(table).await;
            let event = serde_json::from_value(batch).expect("the Lambda DynamoDB event shape");
            answers.push(
                handler
                    .handle(&event, Some(Instant::now() + Duration::from_secs(60)))
                    .await
                    .expect("handled"),
            );
        }
        answers
    }

    /// Hands the claims table's stream records not handed yet to the sender, as its
    /// second mapping would (without the mapping's filter: the handler skips other claims).
    pub async fn requests(&self, sender: &WebhookDelivery) -> usize {
        let mut batch = self.p.stream_batch(&self.p.app.store.tables.claims).await;
        let mut handed = self.handed.lock().unwrap().clone();
        let records: Vec<Value> = batch["Records"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !handed.contains(&r["eventID"].as_str().unwrap_or("").to_owned()))
            .collect();
        handed.extend(
            records
                .iter()
                .map(|r| r["eventID"].as_str().unwrap_or("").to_owned()),
        );
        *self.handed.lock().unwrap() = handed;
        batch["Records"] = Value::Array(records);
        let event = serde_json::from_value(batch).expect("the Lambda DynamoDB event shape");
        sender
            .handle_requests(&event)
            .await
            .expect("requests handled")
    }

    /// The delivery handler; `vars` override the test defaults (retries 1 s apart, an
    /// 800 ms timeout, loopback allowed); its notices go to the test's bus.
    pub async fn sender(&self, vars: &[(&str, &str)]) -> WebhookDelivery {
        self.sender_via(&endpoint(), vars).await
    }

    /// `sender`, its DynamoDB and SQS calls going through `url` (a fault proxy).
    pub async fn sender_via(&self, url: &str, vars: &[(&str, &str)]) -> WebhookDelivery {
        let mut env: HashMap<String, String> = [
            ("WEBHOOK_QUEUE_URL", self.queue.as_str()),
            ("WEBHOOK_ALLOW_HTTP_LOOPBACK", "1"),
            ("WEBHOOK_TIMEOUT_MS", "800"),
            ("WEBHOOK_RETRY_SCHEDULE", "0,1,1,1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.insert("SQS_ENDPOINT".into(), url.to_owned());
        for (k, v) in vars {
            env.insert(k.to_string(), v.to_string());
        }
        let settings = DeliverySettings::from_lookup(|k| env.get(k).cloned()).expect("settings");
        let roots = isp_crm::config::TlsRoots::default();
        let sqs = sqs_client(Some(url), roots).await;
        let dynamodb = isp_crm::store::client::dynamodb_client(Some(url), roots).await;
        let notices = eventbridge_client(Some(url), roots).await;
        WebhookDelivery::new(
            isp_crm::store::Store::new(dynamodb, self.p.app.store.tables.clone()),
            SecretSeal::new(Some(DEPLOYMENT_KEY)),
            sqs,
            settings,
        )
        .with_notices(notices, &self.p.bus)
    }

    /// What the event source mapping does once: receives the visible messages, hands them
    /// over, deletes those not reported failed. The answer and how many messages there were.
    pub async fn round(&self, sender: &WebhookDelivery) -> (SqsBatchResponse, usize) {
        let messages = self
            .p
            .sqs
            .receive_message()
            .queue_url(&self.queue)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: HashMap<String, String> = m
                    .attributes
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                    .collect();
                json!({
                    "messageId": m.message_id, "receiptHandle": m.receipt_handle,
                    "body": m.body, "attributes": attributes, "messageAttributes": {},
                    "eventSource": "aws:sqs", "awsRegion": "us-east-1"
                })
            })
            .collect();
        let event = serde_json::from_value(json!({ "Records": records })).expect("an SQS event");
        let answer = sender.handle(&event).await;
        for m in &messages {
            let failed = answer
                .batch_item_failures
                .iter()
                .any(|f| Some(&f.item_identifier) == m.message_id.as_ref());
            if !failed {
                self.p
                    .sqs
                    .delete_message()
                    .queue_url(&self.queue)
                    .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
        (answer, messages.len())
    }

    /// Rounds until the queue is empty (waiting out scheduled retries) or `limit` passed.
    pub async fn drain(&self, sender: &WebhookDelivery, limit: Duration) -> usize {
        let until = Instant::now() + limit;
        let mut handled = 0;
        loop {
            let (_, n) = self.round(sender).await;
            handled += n;
            if n == 0 && self.queue_is_empty().await || Instant::now() > until {
                return handled;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn queue_is_empty(&self) -> bool {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let attrs = self
            .p
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .unwrap_or_default();
        [
            A::ApproximateNumberOfMessages,
            A::ApproximateNumberOfMessagesNotVisible,
        ]
        .iter()
        .all(|a| attrs.get(a).is_none_or(|n| n == "0"))
    }
}

fn python() -> PathBuf {
    let venv = std::env::var_os("VENV").unwrap_or_else(|| ".venv".into());
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(venv)
        .join("bin/python")
}

/// Verifies each request with the Standard Webhooks reference library (Python); the
/// library's verdict for each: `ok` or its error.
pub fn verify(secret: &str, got: &[Got]) -> Vec<String> {
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
cases = json.load(sys.stdin)
for c in cases:
    try:
        Webhook(c["secret"]).verify(c["body"], c["headers"])
        print("ok")
    except Exception as e:
        print(type(e).__name__ + ": " + str(e))
"#;
    let cases: Vec<Value> = got
        .iter()
        .map(|g| json!({"secret": secret, "body": g.body, "headers": g.headers}))
        .collect();
    let mut child = Command::new(python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (make venv)", python().display()));
    serde_json::to_writer(child.stdin.take().expect("stdin"), &cases).expect("write");
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "standardwebhooks (infra/requirements-dev.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A proxy to moto that fails each request with probability `rate` (a seeded draw): a 500
/// with an HTML body, what an overloaded front end answers; the SDK retries it, and a call
/// whose retries all fail fails the message, which the queue brings back.
pub async fn faulty_proxy(rate: f64, seed: u64) -> (Arc<Mutex<u32>>, String) {
    use rand::{Rng, SeedableRng};
    let injected = Arc::new(Mutex::new(0u32));
    let rng = Arc::new(Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)));
    let http = reqwest::Client::new();
    let count = injected.clone();
    let router = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let (rng, http, count) = (rng.clone(), http.clone(), count.clone());
        async move {
            if rng.lock().unwrap().random_bool(rate) {
                *count.lock().unwrap() += 1;
                return Response::builder()
                    .status(500)
                    .header("content-type", "text/html")
                    .body(Body::from("<html>busy</html>"))
                    .unwrap();
            }
            forward_to_moto(&http, &endpoint(), &headers, body).await
        }
    });
    (injected, serve_on_loopback(router).await)
}
