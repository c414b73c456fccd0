//! Tenant webhooks (docs/events.md#webhooks): what an endpoint is, its URL and secret rules,
//! the Standard Webhooks signature, and the retry schedule. No I/O here: the API's use cases
//! (`app::webhooks`), the fan-out in change-events and the sender (`webhooks`) share it.

pub mod address;
mod url;

pub use url::{Target, allowed, parse_url};

use super::Invalid;
use super::credentials::{RandomError, random_bytes};
use super::ids::{IspId, ResellerId};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The change events an endpoint may subscribe to (docs/events.md, The events).
pub const EVENT_TYPES: [&str; 8] = [
    "Customer Created",
    "Customer Updated",
    "Customer Deleted",
    "Customer Restored",
    "Customer Erased",
    "Service Created",
    "Service Updated",
    "Service Deleted",
];

/// The type of `webhook/test`'s event: sent to the one endpoint asked, whatever it subscribes to.
pub const TEST_TYPE: &str = "Webhook Test";

/// Endpoints per ISP (its resellers' included): each event is one Query of them.
pub const MAX_PER_ISP: usize = 50;

pub const MAX_DESCRIPTION: usize = 200;

/// Seconds to wait before each attempt: the Standard Webhooks schedule (now, 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h): 8 attempts over ~27.6 hours.
pub const RETRY_SCHEDULE: [u32; 8] = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// An endpoint failing this long without one success is disabled (`Webhook Disabled`).
pub const DISABLE_AFTER_SECONDS: i64 = 5 * 24 * 3600;

const SECRET_PREFIX: &str = "whsec_";
/// Random bytes of a secret (Standard Webhooks: 24 to 64).
const SECRET_BYTES: usize = 32;

/// An endpoint's signing secret, `whsec_<base64 of 32 random bytes>`. Shown once, stored
/// sealed; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

impl WebhookSecret {
    pub fn generate() -> Result<Self, RandomError> {
        let bytes = random_bytes::<SECRET_BYTES>()?;
        Ok(Self(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))))
    }

    /// A stored secret once opened; `None` if it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let key = STANDARD.decode(text.strip_prefix(SECRET_PREFIX)?).ok()?;
        (24..=64)
            .contains(&key.len())
            .then(|| Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The `webhook-signature` of a message: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`
    /// under the secret's decoded bytes.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let key = self
            .0
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .unwrap_or_default();
        let mut mac = match <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// Parses `types`: a comma-separated list of event types, or `*` for all of them.
pub fn parse_types(param: &'static str, value: &str) -> Result<Vec<String>, Invalid> {
    if value.trim() == "*" {
        return Ok(EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect());
    }
    let mut types: Vec<String> = Vec::new();
    for t in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let Some(known) = EVENT_TYPES.iter().find(|k| k.eq_ignore_ascii_case(t)) else {
            return Err(Invalid::new(
                param,
                format!(
                    "{t:?} is not an event type (one of: {}; or *)",
                    EVENT_TYPES.join(", ")
                ),
            ));
        };
        if !types.iter().any(|x| x == known) {
            types.push((*known).to_owned());
        }
    }
    if types.is_empty() {
        return Err(Invalid::new(param, "name at least one event type, or *"));
    }
    Ok(types)
}

pub fn parse_description(param: &'static str, value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    if v.chars().count() > MAX_DESCRIPTION || v.chars().any(char::is_control) {
        return Err(Invalid::new(param, "at most 200 characters, one line"));
    }
    Ok(v.to_owned())
}

/// An endpoint id: `wh_` and 20 hex digits (random: ids tell nothing of other tenants).
pub fn parse_id(param: &'static str, value: &str) -> Result<String, Invalid> {
    let ok = value
        .strip_prefix("wh_")
        .is_some_and(|h| h.len() == 20 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    match ok {
        true => Ok(value.to_ascii_lowercase()),
        false => Err(Invalid::new(
            param,
            "must be a webhook id (wh_ and 20 hex digits)",
        )),
    }
}

pub fn new_id() -> Result<String, RandomError> {
    Ok(format!("wh_{}", hex::encode(random_bytes::<10>()?)))
}

/// An endpoint as the API shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: String,
    pub ispid: IspId,
    /// Set: the endpoint receives this reseller's events only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resellerid: Option<ResellerId>,
    pub url: String,
    pub types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    /// Why it was disabled by the sender (failing for days), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// The first failure since its last success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Endpoint {
    /// Whether an event of `detail_type` about (`isp`, `reseller`) goes to this endpoint.
    pub fn wants(&self, detail_type: &str, isp: IspId, reseller: Option<ResellerId>) -> bool {
        self.enabled
            && self.ispid == isp
            && self.resellerid.is_none_or(|own| Some(own) == reseller)
            && self.types.iter().any(|t| t == detail_type)
    }
}

/// One event for one endpoint: the body of a message on the delivery queue. The same
/// message (and `id`) serves every attempt; a replay sends it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub endpoint: String,
    /// The `webhook-id`: `msg_<the stream record's eventID>`, the same for every attempt
    /// and replay, so receivers de-duplicate on it.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event document, as sent (signed byte for byte).
    pub body: String,
}

/// What the API asks the sender to do for one endpoint: send a test event, or send logged
/// messages again (their `webhook-id`s, at most `MAX_REPLAY` a request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    pub endpoint: String,
    /// `test` or `replay`.
    pub kind: String,
    #[serde(default)]
    pub messages: Vec<String>,
}

/// Messages one `webhook/replay` request sends again at most (bounded work per request).
pub const MAX_REPLAY: usize = 100;

/// The `webhook-id` of a change event (its stream record's `eventID`).
pub fn message_id(event_id: &str) -> String {
    format!("msg_{event_id}")
}

/// The document a webhook POSTs: the envelope EventBridge puts around the same `detail`
/// (`version`, `id`, `detail-type`, `source`, `time`, `detail`), without the operator's AWS
/// `account`, `region` and `resources`; its `id` is the `webhook-id`, its `source` every
/// event's (`domain::event::SOURCE`). `detail` is JSON.
pub fn document(id: &str, detail_type: &str, time: &str, detail: &str) -> String {
    let source = super::event::SOURCE;
    // `detail` is already JSON: written in verbatim, so the bytes signed are the bytes built.
    format!(
        r#"{{"version":"0","id":{},"detail-type":{},"source":{},"time":{},"detail":{detail}}}"#,
        serde_json::Value::from(id),
        serde_json::Value::from(detail_type),
        serde_json::Value::from(source),
        serde_json::Value::from(time),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_base64_of_32_bytes_and_sign_as_the_spec_says() {
        let s = WebhookSecret::generate().unwrap();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(
            STANDARD.decode(&s.expose()[6..]).unwrap().len(),
            SECRET_BYTES
        );
        assert_ne!(s, WebhookSecret::generate().unwrap());
        assert!(!format!("{s:?}").contains("whsec"));
        // The Standard Webhooks specification's own example.
        let spec = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            spec.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(WebhookSecret::parse("whsec_c2hvcnQ=").is_none());
    }

    #[test]
    fn types_are_known_names_or_star() {
        assert_eq!(
            parse_types("types", "service updated, Service Updated,Customer Erased").unwrap(),
            vec!["Service Updated", "Customer Erased"]
        );
        assert_eq!(parse_types("types", "*").unwrap().len(), EVENT_TYPES.len());
        assert!(parse_types("types", "Service Exploded").is_err());
        assert!(parse_types("types", " , ").is_err());
    }

    #[test]
    fn reseller_endpoints_want_their_resellers_events_only() {
        let mut e = Endpoint {
            id: "wh_00000000000000000001".into(),
            ispid: IspId(1),
            resellerid: Some(ResellerId(2)),
            url: "https://x.example.com/".into(),
            types: vec!["Service Updated".into()],
            description: None,
            enabled: true,
            disabled_reason: None,
            failing_since: None,
            created_at: "t".into(),
            updated_at: "t".into(),
        };
        assert!(e.wants("Service Updated", IspId(1), Some(ResellerId(2))));
        assert!(!e.wants("Service Updated", IspId(1), Some(ResellerId(3))));
        assert!(!e.wants("Service Updated", IspId(2), Some(ResellerId(2))));
        assert!(!e.wants("Service Created", IspId(1), Some(ResellerId(2))));
        e.resellerid = None;
        assert!(e.wants("Service Updated", IspId(1), Some(ResellerId(3))));
        e.enabled = false;
        assert!(!e.wants("Service Updated", IspId(1), Some(ResellerId(3))));
    }
}
