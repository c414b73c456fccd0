//! The sender's attempt alone (`webhooks::attempt`): a reply read only to its cap, a name
//! that resolves to loopback refused, and HTTPS checked against the roots and the host.

use super::rig::{Answer, Receiver};
use std::time::Duration;

#[tokio::test]
async fn an_endless_reply_is_read_to_its_cap_and_a_name_to_loopback_is_refused() {
    use isp_crm::domain::webhook::{WebhookSecret, parse_url};
    use isp_crm::webhooks::{Outgoing, SendOptions, Verdict, attempt};
    let hook = Receiver::start().await;
    hook.script(&[Answer::Endless]);
    let secret = WebhookSecret::generate().unwrap();
    let msg = Outgoing {
        id: "msg_1",
        timestamp: 1_800_000_000,
        body: "{}",
        secret: &secret,
    };
    let opts = SendOptions {
        timeout: Duration::from_secs(5),
        loopback: true,
    };
    let target = parse_url("url", &hook.url, true).unwrap();
    let started = std::time::Instant::now();
    let a = attempt(&target, &msg, &opts).await;
    assert_eq!(a.verdict, Verdict::Delivered, "{a:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "stopped reading at the cap"
    );
    assert!(a.reply.len() <= 256 && a.reply.starts_with("xxx"), "{a:?}");

    // `localhost` resolves to 127.0.0.1: refused for good without the setting, unsent.
    let port = hook.url.rsplit(':').next().unwrap();
    let target = parse_url("url", &format!("http://localhost:{port}/"), true).unwrap();
    let closed = SendOptions {
        loopback: false,
        ..opts
    };
    let a = attempt(&target, &msg, &closed).await;
    assert_eq!(a.verdict, Verdict::Final, "{a:?}");
    assert!(
        a.error
            .as_deref()
            .unwrap_or("")
            .contains("not a public address"),
        "{a:?}"
    );
    assert_eq!(hook.got().len(), 1);
}

/// A TLS receiver with the test certificate of tests/fixtures/tls (`localhost`, 127.0.0.1):
/// answers 204 to the first request; the request's head is sent on `seen`.
async fn tls_receiver() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::{self, ServerConfig};
    let certs = CertificateDer::pem_slice_iter(include_bytes!("../fixtures/tls/server.pem"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("../fixtures/tls/server.key")).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return; // the client refused the certificate
                };
                let mut buf = vec![0u8; 16 * 1024];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
                let head = "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n";
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, rx)
}

/// HTTPS, as deployed: the certificate is checked against the system's roots and the URL's
/// host. The test root is made a system root for a child run of this test only
/// (`SSL_CERT_FILE`, read once per process); here, without it, the same server is refused.
#[tokio::test]
async fn an_https_endpoint_is_reached_only_with_a_certificate_the_roots_trust() {
    use isp_crm::domain::webhook::{WebhookSecret, parse_url};
    use isp_crm::webhooks::{Outgoing, SendOptions, Verdict, attempt};
    // This test as libtest names it (its module, then its name), for the child run.
    const NAME: &str =
        "sender::an_https_endpoint_is_reached_only_with_a_certificate_the_roots_trust";
    let child = std::env::var_os("WEBHOOK_TLS_CHILD").is_some();
    let (port, mut seen) = tls_receiver().await;
    let secret = WebhookSecret::generate().unwrap();
    let msg = Outgoing {
        id: "msg_tls",
        timestamp: 1_800_000_000,
        body: r#"{"tls":true}"#,
        secret: &secret,
    };
    let opts = SendOptions {
        timeout: Duration::from_secs(5),
        loopback: true,
    };
    let target = parse_url("url", &format!("https://localhost:{port}/in"), true).unwrap();
    let a = attempt(&target, &msg, &opts).await;
    if !child {
        assert_eq!(
            a.verdict,
            Verdict::Retry,
            "the test root is no system root: {a:?}"
        );
        assert!(a.error.as_deref().unwrap_or("").starts_with("TLS"), "{a:?}");
        let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem");
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--nocapture"])
            .env("WEBHOOK_TLS_CHILD", "1")
            .env("SSL_CERT_FILE", ca)
            .env_remove("SSL_CERT_DIR")
            .output()
            .expect("run the child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    assert_eq!(a.verdict, Verdict::Delivered, "{a:?}");
    assert_eq!(a.status, Some(204));
    let head = seen.recv().await.expect("the request's head");
    assert!(head.starts_with("POST /in HTTP/1.1"), "{head}");
    assert!(head.contains(&format!("host: localhost:{port}")), "{head}");
    assert!(head.contains("webhook-signature: v1,"), "{head}");
}
