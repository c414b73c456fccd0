//! webhook-delivery: the Lambda function behind the tenant webhooks' delivery queue. Each
//! message is one event for one endpoint; it is signed and POSTed, and retried on the
//! Standard Webhooks schedule (docs/events.md#webhooks). The logic is
//! `isp_crm::webhooks`; this is its thin main. `webhook-delivery --version` prints the name
//! and version and exits.

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::sqs::SqsEvent;
use isp_crm::app::signup::sealed::SecretSeal;
use isp_crm::store::{DEV_PREFIX, Store, Tables};
use isp_crm::webhooks::{DeliverySettings, WebhookDelivery, sqs_client};
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::Value;
use std::process::ExitCode;

fn main() -> ExitCode {
    if isp_crm::process::asks_for_version() {
        println!("{} {}", env!("CARGO_BIN_NAME"), env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    run()
}

#[tokio::main(flavor = "current_thread")]
async fn run() -> ExitCode {
    isp_crm::telemetry::init();
    let get = |k: &str| std::env::var(k).ok();
    let settings = match DeliverySettings::from_lookup(get) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "bad configuration");
            return ExitCode::FAILURE;
        }
    };
    let prefix = get("TABLE_PREFIX").unwrap_or_else(|| DEV_PREFIX.to_owned());
    let tables = Tables::from_lookup(get, &prefix);
    let endpoint = get("DYNAMODB_ENDPOINT").filter(|v| !v.trim().is_empty());
    let tls_roots = settings.tls_roots;
    let dynamodb = isp_crm::store::client::dynamodb_client(endpoint.as_deref(), tls_roots).await;
    let sqs = sqs_client(settings.sqs_endpoint.as_deref(), settings.tls_roots).await;
    let seal = SecretSeal::new(
        get("FORM_SECRET_KEY")
            .as_deref()
            .filter(|k| !k.trim().is_empty()),
    );
    let mut handler = WebhookDelivery::new(Store::new(dynamodb, tables), seal, sqs, settings);
    // The `Webhook Disabled` notices go to the stack's bus.
    if let Some(bus) = get("EVENT_BUS_NAME").filter(|b| !b.trim().is_empty()) {
        let events = get("EVENTS_ENDPOINT").filter(|v| !v.trim().is_empty());
        let client = isp_crm::events::eventbridge_client(events.as_deref(), tls_roots).await;
        handler = handler.with_notices(client, &bus);
    }
    let handler = &handler;
    // Two event sources: the delivery queue, and the claims table's stream (the API's test
    // and replay requests, filtered by the mapping).
    let outcome = lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let source = event.payload["Records"][0]["eventSource"]
            .as_str()
            .unwrap_or("");
        if source == "aws:dynamodb" {
            let batch: StreamEvent = serde_json::from_value(event.payload)?;
            let sent = handler.handle_requests(&batch).await?;
            tracing::info!(messages = sent, "test and replay requests enqueued");
            return Ok::<_, lambda_runtime::Error>(Value::Null);
        }
        let batch: SqsEvent = serde_json::from_value(event.payload)?;
        Ok(serde_json::to_value(handler.handle(&batch).await)?)
    }))
    .await;
    isp_crm::process::exit_code(outcome)
}
