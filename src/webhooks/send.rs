//! One delivery attempt: resolve the host now, refuse any non-public address, connect to
//! the address checked (no second resolution, so DNS rebinding cannot swap it), POST the
//! signed document, follow no redirect, read at most `MAX_REPLY` bytes of the answer, all
//! within one timeout.

use crate::domain::webhook::{Target, WebhookSecret, allowed};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

/// Bytes of a receiver's answer read (and kept in the log, cut to `KEPT_REPLY`).
pub const MAX_REPLY: usize = 4 * 1024;
const KEPT_REPLY: usize = 256;

/// How attempts are made.
#[derive(Debug, Clone, Copy)]
pub struct SendOptions {
    /// The whole attempt: resolution, connection, TLS, request and reading the answer.
    pub timeout: Duration,
    /// `WEBHOOK_ALLOW_HTTP_LOOPBACK`: loopback addresses may be reached (local tests).
    pub loopback: bool,
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Timeout, connection error, 429 or 5xx: tried again on the schedule.
    Retry,
    /// Any other answer (4xx, a redirect), or an address refused: not tried again.
    Final,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub verdict: Verdict,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    /// The start of the receiver's answer (for the log).
    pub reply: String,
}

/// The message to send.
#[derive(Debug)]
pub struct Outgoing<'a> {
    pub id: &'a str,
    pub timestamp: i64,
    pub body: &'a str,
    pub secret: &'a WebhookSecret,
}

fn tls() -> Result<Arc<ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            use hyper_rustls::ConfigBuilderExt;
            let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_native_roots()
                .map_err(|e| e.to_string())?
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

/// Makes one attempt; never fails: every outcome is an `Attempt`.
pub async fn attempt(target: &Target, msg: &Outgoing<'_>, opts: &SendOptions) -> Attempt {
    let started = Instant::now();
    let outcome = tokio::time::timeout(opts.timeout, exchange(target, msg, opts)).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let failed = |verdict, error: String| Attempt {
        verdict,
        status: None,
        latency_ms,
        error: Some(error),
        reply: String::new(),
    };
    match outcome {
        Err(_) => failed(
            Verdict::Retry,
            format!("timed out after {} ms", opts.timeout.as_millis()),
        ),
        Ok(Err((verdict, error))) => failed(verdict, error),
        Ok(Ok((status, reply))) => {
            let (verdict, error) = match status {
                200..=299 => (Verdict::Delivered, None),
                429 | 500..=599 => (Verdict::Retry, Some(format!("answered {status}"))),
                300..=399 => (
                    Verdict::Final,
                    Some(format!("answered {status}: redirects are not followed")),
                ),
                _ => (Verdict::Final, Some(format!("answered {status}"))),
            };
            Attempt {
                verdict,
                status: Some(status),
                latency_ms,
                error,
                reply,
            }
        }
    }
}

type Failure = (Verdict, String);

/// The addresses `target`'s host resolves to now, every one allowed, or why not.
async fn resolve(target: &Target, loopback: bool) -> Result<Vec<SocketAddr>, Failure> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|e| {
            (
                Verdict::Retry,
                format!("{}: does not resolve: {e}", target.host),
            )
        })?
        .collect();
    if addrs.is_empty() {
        return Err((Verdict::Retry, format!("{}: no address", target.host)));
    }
    // One refused address refuses the host: a name that points inside is not sent to,
    // whichever of its addresses a connection would have picked.
    if let Some(bad) = addrs.iter().find(|a| !allowed(a.ip(), loopback)) {
        return Err((
            Verdict::Final,
            format!(
                "refused: {} resolves to {}, not a public address",
                target.host,
                bad.ip()
            ),
        ));
    }
    if !target.https && !addrs.iter().all(|a| a.ip().to_canonical().is_loopback()) {
        return Err((Verdict::Final, "refused: http:// only to loopback".into()));
    }
    Ok(addrs)
}

async fn exchange(
    target: &Target,
    msg: &Outgoing<'_>,
    opts: &SendOptions,
) -> Result<(u16, String), Failure> {
    let addrs = resolve(target, opts.loopback).await?;
    let mut last = String::new();
    let mut tcp = None;
    for addr in &addrs {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = format!("connect {addr}: {e}"),
        }
    }
    let tcp = tcp.ok_or((Verdict::Retry, last))?;
    let request = request(target, msg)?;
    if !target.https {
        return post(tcp, request).await;
    }
    let config = tls().map_err(|e| (Verdict::Retry, format!("TLS roots: {e}")))?;
    let name = ServerName::try_from(target.host.clone())
        .map_err(|e| (Verdict::Final, format!("{}: {e}", target.host)))?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| (Verdict::Retry, format!("TLS: {e}")))?;
    post(stream, request).await
}

fn request(target: &Target, msg: &Outgoing<'_>) -> Result<hyper::Request<Full<Bytes>>, Failure> {
    let default_port = if target.https { 443 } else { 80 };
    let host = match (target.host.contains(':'), target.port == default_port) {
        (true, true) => format!("[{}]", target.host),
        (true, false) => format!("[{}]:{}", target.host, target.port),
        (false, true) => target.host.clone(),
        (false, false) => format!("{}:{}", target.host, target.port),
    };
    let signature = msg.secret.sign(msg.id, msg.timestamp, msg.body.as_bytes());
    hyper::Request::post(target.path_and_query.as_str())
        .header(hyper::header::HOST, host)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("isp-crm-webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header("webhook-id", msg.id)
        .header("webhook-timestamp", msg.timestamp.to_string())
        .header("webhook-signature", signature)
        .body(Full::new(Bytes::copy_from_slice(msg.body.as_bytes())))
        .map_err(|e| (Verdict::Final, format!("request: {e}")))
}

/// Sends `request` over `io` (HTTP/1.1); the status and the first `MAX_REPLY` bytes.
async fn post<I>(io: I, request: hyper::Request<Full<Bytes>>) -> Result<(u16, String), Failure>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| (Verdict::Retry, format!("HTTP: {e}")))?;
    // The connection is driven until the answer's head and capped body are read, then dropped.
    let driver = tokio::spawn(conn);
    let answer = sender.send_request(request).await;
    let result = match answer {
        Err(e) => Err((Verdict::Retry, format!("HTTP: {e}"))),
        Ok(response) => {
            let status = response.status().as_u16();
            let mut body = response.into_body();
            let mut read: Vec<u8> = Vec::new();
            while read.len() < MAX_REPLY {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            let room = MAX_REPLY - read.len();
                            read.extend_from_slice(&data[..data.len().min(room)]);
                        }
                    }
                    // A broken or over-long answer does not undo the status received.
                    Some(Err(_)) | None => break,
                }
            }
            let text = String::from_utf8_lossy(&read);
            Ok((status, text.chars().take(KEPT_REPLY).collect()))
        }
    };
    driver.abort();
    result
}
