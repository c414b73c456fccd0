//! The SQS client of change-events' fan-out and of webhook-delivery, built once per process
//! (the API's timeouts and retries, trusted roots as `TLS_ROOTS` says).

use crate::config::{ClientTuning, TlsRoots};
use aws_sdk_sqs::config::{BehaviorVersion, Builder, Credentials};

pub async fn sqs_client(endpoint: Option<&str>, roots: TlsRoots) -> aws_sdk_sqs::Client {
    let tuning = ClientTuning::default();
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if roots == TlsRoots::Aws {
        match crate::tls::https_client_trusting(crate::tls::AWS_ROOTS) {
            Ok(client) => loader = loader.http_client(client),
            Err(e) => tracing::warn!(error = %e, "compiled-in roots refused; using the system's"),
        }
    }
    if let Some(url) = endpoint {
        // A local endpoint (moto) takes any credentials and region.
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader =
                loader.credentials_provider(Credentials::new("test", "test", None, None, "local"));
        }
        if std::env::var_os("AWS_REGION").is_none() {
            loader = loader.region(aws_config::Region::new("us-east-1"));
        }
        loader = loader.endpoint_url(url);
    }
    let shared = loader.load().await;
    let config = Builder::from(&shared)
        .timeout_config(tuning.timeouts())
        .retry_config(tuning.retries())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}
