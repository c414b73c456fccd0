//! The DynamoDB client: built once per process from the settings' endpoint, roots and tuning.

use crate::tls::TlsRoots;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use std::time::Duration;

/// Timeouts and retries of the DynamoDB client, chosen rather than inherited from the SDK's
/// behaviour version (which sets no operation timeout). The defaults fit a 10 s function:
/// a connection in 1 s; an attempt in 2 s (AWS advises at least 1 s for transactions); an
/// operation, its retries and their backoff (50 ms doubling, jittered, at most 1 s) included,
/// in 5 s; at most 3 attempts per operation and 2 retries per request in all, SDK's and the
/// app's own loops' together (`store::retries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTuning {
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    pub max_attempts: u32,
    pub request_retries: u32,
}

impl Default for ClientTuning {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(1_000),
            attempt_timeout: Duration::from_millis(2_000),
            operation_timeout: Duration::from_millis(5_000),
            max_attempts: 3,
            request_retries: 2,
        }
    }
}

impl ClientTuning {
    /// The SDK's timeouts (one type for every AWS SDK client: DynamoDB's, EventBridge's).
    pub fn timeouts(&self) -> aws_smithy_types::timeout::TimeoutConfig {
        aws_smithy_types::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout)
            .build()
    }

    pub fn retries(&self) -> aws_smithy_types::retry::RetryConfig {
        aws_smithy_types::retry::RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(50))
            .with_max_backoff(Duration::from_secs(1))
    }
}

/// Builds the DynamoDB client once per process. Against a local endpoint, missing
/// credentials and region default to moto's dummy ones, so nothing probes the instance
/// metadata address.
pub async fn dynamodb_client(endpoint: Option<&str>, roots: TlsRoots) -> Client {
    dynamodb_client_tuned(endpoint, roots, &ClientTuning::default()).await
}

/// The DynamoDB client with chosen timeouts and retries, and the per-request retry budget,
/// credentials and region from the SDK's provider chains: crm-admin's (profiles, SSO) and the
/// tests'. The API function's is `api_client`.
pub async fn dynamodb_client_tuned(
    endpoint: Option<&str>,
    roots: TlsRoots,
    tuning: &ClientTuning,
) -> Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if roots == TlsRoots::Aws {
        match crate::tls::https_client_trusting(crate::tls::AWS_ROOTS) {
            Ok(client) => loader = loader.http_client(client),
            // Cannot happen with the tested compiled-in roots; the SDK's default is safe.
            Err(e) => tracing::warn!(error = %e, "compiled-in roots refused; using the system's"),
        }
    }
    if let Some(url) = endpoint {
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "local",
            ));
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            loader = loader.region(aws_config::Region::new("us-east-1"));
        }
        loader = loader.endpoint_url(url);
    }
    let shared = loader.load().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&shared)
        .timeout_config(tuning.timeouts())
        .retry_config(tuning.retries())
        .interceptor(super::retries::RetryBudget)
        .build();
    Client::from_conf(config)
}

/// Under Lambda, the region and the function's credentials are environment variables
/// (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), so the
/// client is configured from them directly, without the provider chains `aws_config`
/// assembles for every other environment (profiles, SSO, web identity, ECS, IMDS): ~0.2 ms of
/// each cold start (docs/performance.md). The SDK's other `AWS_*` settings (e.g.
/// `AWS_MAX_ATTEMPTS`) are not read there. `None` without a region (`api_client` says what to set).
pub fn lambda_config(
    region: Option<String>,
    endpoint: Option<&str>,
    roots: TlsRoots,
    tuning: &ClientTuning,
) -> Option<aws_sdk_dynamodb::Config> {
    let region = region.filter(|r| !r.trim().is_empty())?;
    Some(env_builder(region, endpoint, roots, tuning).build())
}

/// The API function's client (`customer-api`, under Lambda and as `make dev`'s server): the
/// region and the credentials from the environment alone, never the SDK's provider chains
/// (profiles, SSO, web identity, ECS, IMDS). Under Lambda they are environment variables; for
/// the chains, customer-api linked aws-config's providers and the STS client: ~0.4 MB of the
/// function's binary (docs/performance.md, Size). Region: `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`, else against a local endpoint us-east-1. Credentials:
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (`AWS_SESSION_TOKEN`), else against a local
/// endpoint moto's dummy ones. Anything else is refused at start-up, naming what to set.
pub fn api_client(
    endpoint: Option<&str>,
    roots: TlsRoots,
    tuning: &ClientTuning,
) -> Result<Client, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .or_else(|| endpoint.map(|_| "us-east-1".to_owned()))
        .ok_or("AWS_REGION is not set (customer-api reads the region from the environment)")?;
    let mut builder = env_builder(region, endpoint, roots, tuning);
    if var("AWS_ACCESS_KEY_ID").is_none() {
        if endpoint.is_none() {
            return Err(
                "AWS_ACCESS_KEY_ID is not set: customer-api reads credentials from the \
                        environment only (e.g. `eval \"$(aws configure export-credentials \
                        --format env)\"`)"
                    .into(),
            );
        }
        builder = builder.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "local",
        ));
    }
    Ok(Client::from_conf(builder.build()))
}

/// A configuration from the environment's credentials (`AWS_ACCESS_KEY_ID`, …) and `region`,
/// with the API's timeouts, retries and retry budget.
fn env_builder(
    region: String,
    endpoint: Option<&str>,
    roots: TlsRoots,
    tuning: &ClientTuning,
) -> aws_sdk_dynamodb::config::Builder {
    let mut builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .timeout_config(tuning.timeouts())
        .retry_config(tuning.retries())
        .interceptor(super::retries::RetryBudget)
        .region(aws_sdk_dynamodb::config::Region::new(region))
        .credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    if roots == TlsRoots::Aws {
        match crate::tls::https_client_trusting(crate::tls::AWS_ROOTS) {
            Ok(client) => builder = builder.http_client(client),
            // Cannot happen with the tested compiled-in roots; the SDK's default is safe.
            Err(e) => tracing::warn!(error = %e, "compiled-in roots refused; using the system's"),
        }
    }
    builder
}

/// A client configured for a region but never connected: for tests of the layers above the
/// store that build an `App` without reaching DynamoDB.
pub fn offline_client() -> Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .build();
    Client::from_conf(conf)
}
