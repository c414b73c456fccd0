//! Under Lambda the DynamoDB client is configured from the environment alone (src/store/client.rs,
//! `lambda_config`): the region, the function's credentials, the compiled-in roots. This
//! checks that such a client really works against the DynamoDB API `make test` started.

use aws_sdk_dynamodb::Client;
use isp_crm::config::TlsRoots;
use isp_crm::store::client;

#[tokio::test]
async fn a_client_from_the_lambda_environment_reaches_dynamodb() {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect("make test sets DYNAMODB_ENDPOINT");
    for roots in [TlsRoots::Aws, TlsRoots::System] {
        let conf = client::lambda_config(
            Some("us-east-1".into()),
            Some(&endpoint),
            roots,
            &Default::default(),
        )
        .expect("a region is given");
        assert_eq!(conf.region().map(|r| r.as_ref()), Some("us-east-1"));
        // Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (infra/with-moto.sh).
        Client::from_conf(conf)
            .list_tables()
            .limit(1)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "{roots:?}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            });
    }
}

#[test]
fn without_a_region_the_provider_chains_decide() {
    assert!(client::lambda_config(None, None, TlsRoots::Aws, &Default::default()).is_none());
    assert!(
        client::lambda_config(Some(" ".into()), None, TlsRoots::Aws, &Default::default()).is_none()
    );
}
