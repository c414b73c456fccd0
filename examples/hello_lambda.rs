//! The smallest `lambda_runtime` function: the baseline of `make cold-start`
//! (examples/cold_start.rs), which compares customer-api's cold start with this one's.
//! It answers every event with a small JSON object and does nothing else at start-up.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn hello(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(json!({
        "statusCode": 200,
        "headers": { "content-type": "application/json" },
        "body": json!({ "result": "hello", "error": null, "request": event.context.request_id }).to_string(),
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(hello)).await
}
