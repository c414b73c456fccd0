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
/// answers 204; each request's head is sent on `seen`.
async fn tls_receiver() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let head = "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n";
    crate::tls_server::serve(head.into()).await
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
