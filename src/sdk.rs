//! The AWS SDK configuration of the event functions' clients (change-events' EventBridge and
//! SQS, webhook-delivery's SQS), outside Lambda: the SDK's provider chains, as
//! `store::client::dynamodb_client` loads them, and against a local endpoint moto's dummy
//! credentials and region when none are set. (Not shared with store/client.rs on purpose:
//! moving that code changed the API binary's size.)

use crate::config::TlsRoots;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_sdk_sqs::config::Credentials;

/// The loader of one client's shared configuration: trusted roots as `TLS_ROOTS` says, and a
/// local endpoint's dummy credentials and region where the environment sets none.
pub fn local_loader(endpoint: Option<&str>, roots: TlsRoots) -> ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if roots == TlsRoots::Aws {
        match crate::tls::https_client_trusting(crate::tls::AWS_ROOTS) {
            Ok(client) => loader = loader.http_client(client),
            Err(e) => tracing::warn!(error = %e, "compiled-in roots refused; using the system's"),
        }
    }
    if let Some(url) = endpoint {
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader =
                loader.credentials_provider(Credentials::new("test", "test", None, None, "local"));
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            loader = loader.region(Region::new("us-east-1"));
        }
        loader = loader.endpoint_url(url);
    }
    loader
}
