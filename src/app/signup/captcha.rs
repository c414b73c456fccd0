//! CAPTCHA verification for form keys (issue 21): Cloudflare Turnstile and hCaptcha. The
//! visitor's token (the widget's form field) is checked server side against the provider's
//! siteverify endpoint with the key's secret (sealed at rest like a signing secret), with a
//! short timeout. A refused, missing or unverifiable token writes nothing: the check fails
//! closed. The endpoints are deployment settings so tests use a local stand-in.

use super::super::AppError;
use crate::domain::Invalid;
pub use crate::domain::signup::web::CaptchaProvider as Provider;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

pub const TURNSTILE_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
pub const HCAPTCHA_URL: &str = "https://api.hcaptcha.com/siteverify";

/// The parameter a missing token is refused under.
pub const FIELD: &str = "captcha";

/// A provider's verdict is a small JSON object; anything longer is not one.
const MAX_REPLY: usize = 16 * 1024;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// The deployment's verifier: endpoints, timeout, and an HTTPS client made at first use (a
/// cold start without CAPTCHA keys never loads the system's roots).
pub struct Captcha {
    turnstile_url: String,
    hcaptcha_url: String,
    timeout: Duration,
    client: OnceLock<Result<Client<Https, Full<Bytes>>, String>>,
}

impl std::fmt::Debug for Captcha {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captcha")
            .field("turnstile_url", &self.turnstile_url)
            .field("hcaptcha_url", &self.hcaptcha_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The provider refused the token (counted as `CaptchaFailed`; an unanswered provider is not).
pub(super) const FAILED: &str =
    "captcha: the CAPTCHA check failed; solve it again and send the form again";
const UNCHECKED: &str =
    "captcha: the CAPTCHA could not be checked (its provider did not answer); send the form again";

impl Captcha {
    pub fn new(
        turnstile_url: Option<String>,
        hcaptcha_url: Option<String>,
        timeout: Duration,
    ) -> Self {
        Self {
            turnstile_url: turnstile_url.unwrap_or_else(|| TURNSTILE_URL.into()),
            hcaptcha_url: hcaptcha_url.unwrap_or_else(|| HCAPTCHA_URL.into()),
            timeout,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&Client<Https, Full<Bytes>>, AppError> {
        self.client
            .get_or_init(|| {
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_native_roots()
                    .map_err(|e| e.to_string())?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(https))
            })
            .as_ref()
            .map_err(|e| AppError::Internal(format!("captcha client: {e}")))
    }

    /// Checks `token` with the provider: 400 when there is none, 403 when the provider
    /// refuses it or cannot be asked in time.
    pub async fn verify(
        &self,
        provider: Provider,
        secret: &str,
        token: Option<&str>,
        remote_ip: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 4096)
            .ok_or_else(|| {
                Invalid::new(
                    FIELD,
                    "the CAPTCHA was not solved: solve it, then send the form again",
                )
            })?;
        // Built in a block: the serializer is not Send and must not live across an await.
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("secret", secret)
                .append_pair("response", token);
            if let Some(ip) = remote_ip {
                form.append_pair("remoteip", &ip.to_string());
            }
            form.finish()
        };
        let url = match provider {
            Provider::Turnstile => &self.turnstile_url,
            Provider::Hcaptcha => &self.hcaptcha_url,
        };
        let req = hyper::Request::post(url.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| AppError::Internal(format!("captcha request: {e}")))?;
        let client = self.client()?;
        let asked = async {
            let resp = client.request(req).await.map_err(|e| e.to_string())?;
            let body = Limited::new(resp.into_body(), MAX_REPLY)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            serde_json::from_slice::<serde_json::Value>(&body).map_err(|e| e.to_string())
        };
        let verdict = match tokio::time::timeout(self.timeout, asked).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                tracing::warn!(provider = provider.as_str(), error = %e, "captcha provider unreadable");
                return Err(AppError::NotAllowed(UNCHECKED));
            }
            Err(_) => {
                tracing::warn!(provider = provider.as_str(), "captcha provider timed out");
                return Err(AppError::NotAllowed(UNCHECKED));
            }
        };
        match verdict.get("success").and_then(serde_json::Value::as_bool) {
            Some(true) => Ok(()),
            _ => {
                let codes = verdict.get("error-codes").cloned().unwrap_or_default();
                tracing::info!(provider = provider.as_str(), codes = %codes, "captcha refused");
                Err(AppError::NotAllowed(FAILED))
            }
        }
    }
}
