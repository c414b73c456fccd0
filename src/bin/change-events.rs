//! change-events: the Lambda function behind the DynamoDB stream event source mappings of the
//! customers and services tables. It turns each batch of stream records into events on the
//! bus (`EVENT_BUS_NAME`) and answers the records that failed (`ReportBatchItemFailures`).
//! The logic is `isp_crm::events`; this is its thin main. `change-events --version` prints
//! the name and version and exits.

use aws_lambda_events::dynamodb::Event;
use isp_crm::events::{ChangeEvents, EventsSettings, Fanout, eventbridge_client};
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() -> ExitCode {
    if isp_crm::process::asks_for_version() {
        println!("{} {}", env!("CARGO_BIN_NAME"), env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    run()
}

/// The invocation's deadline (Lambda's epoch milliseconds) as an `Instant`.
fn deadline_of(epoch_ms: u64) -> Option<Instant> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_millis();
    let left = u128::from(epoch_ms).checked_sub(now_ms)?;
    Some(Instant::now() + Duration::from_millis(u64::try_from(left).ok()?))
}

#[tokio::main(flavor = "current_thread")]
async fn run() -> ExitCode {
    isp_crm::telemetry::init();
    let settings = match EventsSettings::from_env() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "bad configuration");
            return ExitCode::FAILURE;
        }
    };
    let client = eventbridge_client(settings.endpoint.as_deref(), settings.tls_roots).await;
    let mut handler = ChangeEvents::new(client, &settings.bus, settings.tables.clone());
    if let Some(queue) = &settings.webhook_queue {
        let dynamodb = isp_crm::store::client::dynamodb_client(
            settings.dynamodb_endpoint.as_deref(),
            settings.tls_roots,
        )
        .await;
        let store = isp_crm::store::Store::new(dynamodb, settings.all_tables.clone());
        let sqs =
            isp_crm::webhooks::sqs_client(settings.sqs_endpoint.as_deref(), settings.tls_roots)
                .await;
        handler = handler.with_webhooks(Fanout::new(store, sqs, queue));
    }
    let handler = &handler;
    let outcome = lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        // A deadline already past (or unreadable) leaves the batch to the mapping's retry.
        let deadline = deadline_of(event.context.deadline).or(Some(Instant::now()));
        handler
            .handle(&event.payload, deadline)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await;
    isp_crm::process::exit_code(outcome)
}
