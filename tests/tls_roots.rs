//! The DynamoDB client trusts exactly the roots it is given (src/tls.rs): a TLS endpoint
//! whose certificate chains to a given root is reached, and the compiled-in AWS roots do not
//! trust a certificate of any other root.
//!
//! tests/fixtures/tls: a test root (`ca.pem`) and a `localhost` / 127.0.0.1 server
//! certificate it signed (`server.pem`, `server.key`), both valid for 100 years. The root's
//! key was discarded after signing.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::SdkError;
use isp_crm::tls::{AWS_ROOTS, https_client_trusting};

#[path = "common/tls_server.rs"]
mod tls_server;

const CA: &[u8] = include_bytes!("fixtures/tls/ca.pem");

/// A TLS server that answers every request with an empty DynamoDB ListTables result.
async fn fake_dynamodb() -> u16 {
    let body = r#"{"TableNames":[]}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tls_server::serve(answer.into_bytes()).await.0
}

fn client(roots: &[u8], port: u16) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(format!("https://localhost:{port}"))
        .http_client(https_client_trusting(roots).unwrap())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

#[tokio::test]
async fn a_server_chaining_to_a_trusted_root_is_reached() {
    let port = fake_dynamodb().await;
    let out = client(CA, port).list_tables().send().await.unwrap();
    assert!(out.table_names().is_empty());
}

#[tokio::test]
async fn the_aws_roots_trust_nothing_else() {
    let port = fake_dynamodb().await;
    let err = client(AWS_ROOTS, port)
        .list_tables()
        .send()
        .await
        .expect_err("the test root is not an AWS root");
    // The handshake fails before any HTTP response: a dispatch failure, not a service error.
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    let text = format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err));
    assert!(
        text.contains("UnknownIssuer") || text.contains("certificate"),
        "{text}"
    );
}
