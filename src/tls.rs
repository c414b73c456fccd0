//! Which root certificates the DynamoDB client trusts.
//!
//! By default, only the Amazon Trust Services roots, compiled in: every AWS endpoint's
//! certificate chains to one of them, and loading the operating system's bundle instead
//! (~140 certificates, read and parsed when the client is built) was the largest piece of the
//! cold start left (docs/performance.md). `TLS_ROOTS=system` goes back to the system's roots,
//! for an endpoint behind a TLS-inspecting proxy or an emulator with its own certificate.

use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Root CA 1–4 and Starfield Services Root Certificate Authority - G2: the roots AWS
/// names for Amazon Trust Services certificates. Their SHA-256 fingerprints are checked by a
/// test below against the published values.
pub const AWS_ROOTS: &[u8] = include_bytes!("aws-roots.pem");

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsRoots {
    /// The compiled-in Amazon Trust Services roots.
    #[default]
    Aws,
    /// The operating system's roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` are honoured).
    System,
}

/// An HTTPS client that trusts exactly the roots in `pem` (rustls with aws-lc, as the SDK's
/// default client). Certificates are parsed when the SDK client adopts it.
pub fn https_client_trusting(pem: &[u8]) -> Result<SharedHttpClient, String> {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem.to_vec());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use sha2::{Digest, Sha256};

    /// As published by Amazon Trust Services (https://www.amazontrust.com/repository/).
    const PUBLISHED: [&str; 5] = [
        "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e", // Amazon Root CA 1
        "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4", // Amazon Root CA 2
        "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4", // Amazon Root CA 3
        "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092", // Amazon Root CA 4
        "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5", // Starfield Services G2
    ];

    #[test]
    fn compiled_in_roots_are_exactly_the_amazon_trust_services_roots() {
        let found: Vec<String> = CertificateDer::pem_slice_iter(AWS_ROOTS)
            .map(|c| hex::encode(Sha256::digest(c.expect("valid PEM").as_ref())))
            .collect();
        assert_eq!(found, PUBLISHED);
    }
}
