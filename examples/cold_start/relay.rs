//! A relay in front of moto that timestamps each connection it carries: plain TCP, or TLS 1.3
//! terminated with a certificate of a throwaway CA made here (RSA 2048: a root, an
//! intermediate and a `localhost` leaf, the shape of a DynamoDB endpoint's chain). The binary
//! trusts that CA only through the test setting `TLS_ROOTS=system SSL_CERT_FILE=<root>`,
//! which template.yaml never sets. The timestamps are this process's `Instant`s, the clock the
//! Runtime API's are taken with, so a connection's steps line up with the invocation's.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, PKCS_RSA_SHA256,
    RsaKeySize,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};

/// What the relay saw of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    /// The TCP connection accepted.
    pub accepted: Instant,
    /// The TLS handshake done (`None` for plain TCP, or before it completes).
    pub secured: Option<Instant>,
    /// The first bytes of the answer to the connection's first request passed on.
    pub first_answer: Option<Instant>,
}

pub struct Relay {
    /// The endpoint to give the binary (`http://127.0.0.1:…` or `https://localhost:…`).
    pub url: String,
    conns: Arc<Mutex<Vec<Conn>>>,
}

impl Relay {
    /// A relay to `upstream` (`host:port`); TLS with `tls`.
    pub async fn start(upstream: String, tls: Option<&TestCa>) -> Result<Relay, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("relay: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("relay: {e}"))?
            .port();
        let acceptor = tls.map(|ca| TlsAcceptor::from(ca.server.clone()));
        let url = match acceptor {
            Some(_) => format!("https://localhost:{port}"),
            None => format!("http://127.0.0.1:{port}"),
        };
        let conns = Arc::new(Mutex::new(Vec::new()));
        let log = conns.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let accepted = Instant::now();
                let i = {
                    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                    log.push(Conn {
                        accepted,
                        secured: None,
                        first_answer: None,
                    });
                    log.len() - 1
                };
                let (log, acceptor, upstream) = (log.clone(), acceptor.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = tcp.set_nodelay(true);
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let _ = server.set_nodelay(true);
                    match acceptor {
                        None => carry(tcp, server, &log, i).await,
                        Some(acceptor) => {
                            let Ok(tls) = acceptor.accept(tcp).await else {
                                return;
                            };
                            set(&log, i, |c| c.secured = Some(Instant::now()));
                            carry(tls, server, &log, i).await;
                        }
                    }
                });
            }
        });
        Ok(Relay { url, conns })
    }

    /// Forgets the connections seen so far (before each start).
    pub fn clear(&self) {
        self.conns.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// The connections seen since the last `clear`, in the order they were accepted.
    pub fn conns(&self) -> Vec<Conn> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn set(log: &Mutex<Vec<Conn>>, i: usize, f: impl FnOnce(&mut Conn)) {
    if let Some(c) = log.lock().unwrap_or_else(|p| p.into_inner()).get_mut(i) {
        f(c);
    }
}

/// Copies both ways until either side closes, noting when the first answer bytes pass.
async fn carry<C>(client: C, server: TcpStream, log: &Mutex<Vec<Conn>>, i: usize)
where
    C: AsyncRead + AsyncWrite + Unpin,
{
    let (mut client_rx, mut client_tx) = tokio::io::split(client);
    let (mut server_rx, mut server_tx) = server.into_split();
    let up = async {
        let _ = tokio::io::copy(&mut client_rx, &mut server_tx).await;
        let _ = server_tx.shutdown().await;
    };
    let down = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut first = true;
        loop {
            let n = match server_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if client_tx.write_all(&buf[..n]).await.is_err() || client_tx.flush().await.is_err() {
                break;
            }
            if first {
                first = false;
                set(log, i, |c| c.first_answer = Some(Instant::now()));
            }
        }
        let _ = client_tx.shutdown().await;
    };
    tokio::join!(up, down);
}

/// A throwaway CA, its root written where `SSL_CERT_FILE` can point, and the server side.
pub struct TestCa {
    pub root_file: PathBuf,
    server: Arc<ServerConfig>,
}

impl TestCa {
    pub fn new(dir: &Path) -> Result<TestCa, String> {
        fn e(what: &'static str) -> impl Fn(rcgen::Error) -> String {
            move |err| format!("test CA: {what}: {err}")
        }
        let rsa =
            || KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048).map_err(e("key"));
        let ca_params = |name: &str| -> Result<CertificateParams, String> {
            let mut p = CertificateParams::new(Vec::<String>::new()).map_err(e("params"))?;
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(DnType::CommonName, name);
            Ok(p)
        };
        let root = CertifiedIssuer::self_signed(ca_params("cold-start test root")?, rsa()?)
            .map_err(e("root"))?;
        let intermediate =
            CertifiedIssuer::signed_by(ca_params("cold-start test intermediate")?, rsa()?, &root)
                .map_err(e("intermediate"))?;
        let leaf_key = rsa()?;
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .map_err(e("leaf params"))?
            .signed_by(&leaf_key, &intermediate)
            .map_err(e("leaf"))?;

        let root_file = dir.join(format!("cold-start-ca-{}.pem", std::process::id()));
        std::fs::write(&root_file, root.pem())
            .map_err(|err| format!("{}: {err}", root_file.display()))?;
        let chain: Vec<CertificateDer<'static>> =
            vec![leaf.der().clone(), intermediate.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|err| format!("test CA: {err}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|err| format!("test CA: {err}"))?;
        Ok(TestCa {
            root_file,
            server: Arc::new(server),
        })
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.root_file);
    }
}

/// A first invocation on the DynamoDB connection, from the relay's timestamps.
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    /// The connection was opened before the event was delivered (`DYNAMODB_PRECONNECT`).
    pub in_init: bool,
    /// Event delivered → TCP connection accepted: the work before the first call (the event
    /// read, the first signing), then resolving the endpoint and TCP's connect.
    pub to_connect: Duration,
    /// TCP accepted → TLS handshake done (zero in plain HTTP).
    pub handshake: Duration,
    /// Connection ready → the first answer's bytes passed back: the first request sent and
    /// moto's answer to it.
    pub first_read: Duration,
    /// The first answer → the invocation's response at the Runtime API: the other calls
    /// and the answer.
    pub rest: Duration,
    pub connections: usize,
}

impl Steps {
    /// `None` entries are left as zero when the relay saw no connection in the invocation.
    pub fn of(conns: &[Conn], delivered: Instant, responded: Instant) -> Steps {
        let Some(c) = conns.first() else {
            return Steps {
                in_init: false,
                to_connect: Duration::ZERO,
                handshake: Duration::ZERO,
                first_read: Duration::ZERO,
                rest: responded.saturating_duration_since(delivered),
                connections: 0,
            };
        };
        let ready = c.secured.unwrap_or(c.accepted);
        let answered = c.first_answer.unwrap_or(ready);
        if c.accepted < delivered {
            return Steps {
                in_init: true,
                to_connect: Duration::ZERO,
                handshake: Duration::ZERO,
                first_read: Duration::ZERO,
                rest: responded.saturating_duration_since(delivered),
                connections: conns.len(),
            };
        }
        Steps {
            in_init: false,
            to_connect: c.accepted.saturating_duration_since(delivered),
            handshake: ready.saturating_duration_since(c.accepted),
            first_read: answered.saturating_duration_since(ready),
            rest: responded.saturating_duration_since(answered),
            connections: conns.len(),
        }
    }
}

/// The first invocation's steps per subject: medians and p90s, ms.
pub fn report_steps(labels: &[&str], samples: &[Vec<Steps>]) {
    println!();
    println!(
        "First invocation on the DynamoDB connection, from the relay's timestamps (ms; \
         median / p90):"
    );
    println!();
    println!(
        "| endpoint | starts | connection opened in init | event → TCP accepted | TLS handshake \
         | first read (request sent, moto's answer) | rest of the invocation | connections |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (label, steps) in labels.iter().zip(samples) {
        let col = |f: fn(&Steps) -> Duration| {
            let s = crate::summary(steps.iter().map(f).collect());
            format!("{} / {}", crate::ms(s.median), crate::ms(s.p90))
        };
        if steps.is_empty() {
            continue;
        }
        let in_init = steps.iter().filter(|s| s.in_init).count();
        let conns: usize = steps.iter().map(|s| s.connections).max().unwrap_or(0);
        println!(
            "| {label} | {} | {in_init} | {} | {} | {} | {} | ≤ {conns} |",
            steps.len(),
            col(|s| s.to_connect),
            col(|s| s.handshake),
            col(|s| s.first_read),
            col(|s| s.rest),
        );
    }
}
