//! The tools' delivery signatures: an HMAC-SHA256 of the raw body under the shared secret.
//! Typeform sends `Typeform-Signature: sha256=<base64>` and Tally `Tally-Signature:
//! <base64>` (their webhook docs); a `json` key's sender signs with `X-Signature:
//! sha256=<hex>` (or base64), GitHub's convention. Jotform and Fillout do not sign.

use super::Profile;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Every signature header read, lowercase (HTTP reads them by these names).
pub const SIGNATURE_HEADERS: [&str; 3] = ["typeform-signature", "tally-signature", "x-signature"];

pub(super) fn header(profile: Profile) -> Option<&'static str> {
    match profile {
        Profile::Typeform => Some("Typeform-Signature"),
        Profile::Tally => Some("Tally-Signature"),
        Profile::Json => Some("X-Signature"),
        Profile::Fields | Profile::Jotform | Profile::Fillout => None,
    }
}

fn mac(secret: &[u8], body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: new_from_slice cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(body);
    mac
}

/// The digest a header carries, decoded: base64 (Typeform, Tally, json) or hex (json).
fn presented_digest(profile: Profile, value: &str) -> Option<Vec<u8>> {
    let value = value.trim();
    let digest = match profile {
        Profile::Typeform => value.strip_prefix("sha256=")?,
        Profile::Json => value.strip_prefix("sha256=").unwrap_or(value),
        _ => value,
    };
    if profile == Profile::Json
        && digest.len() == 64
        && let Ok(bytes) = hex::decode(digest)
    {
        return Some(bytes);
    }
    STANDARD.decode(digest).ok()
}

pub(super) fn verifies(
    profile: Profile,
    secret: &[u8],
    presented: Option<&str>,
    body: &[u8],
) -> bool {
    let Some(digest) = presented.and_then(|v| presented_digest(profile, v)) else {
        return false;
    };
    // verify_slice compares in constant time.
    mac(secret, body).verify_slice(&digest).is_ok()
}

pub(super) fn sign(profile: Profile, secret: &[u8], body: &[u8]) -> String {
    let digest = mac(secret, body).finalize().into_bytes();
    match profile {
        Profile::Typeform => format!("sha256={}", STANDARD.encode(digest)),
        Profile::Json => format!("sha256={}", hex::encode(digest)),
        _ => STANDARD.encode(digest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_fails() {
        let secret = b"0123456789abcdef";
        let body = br#"{"a":1}"#;
        for profile in [Profile::Typeform, Profile::Tally, Profile::Json] {
            let sig = sign(profile, secret, body);
            assert!(verifies(profile, secret, Some(&sig), body), "{profile:?}");
            assert!(!verifies(profile, secret, Some(&sig), br#"{"a":2}"#));
            assert!(!verifies(profile, b"another secret!!", Some(&sig), body));
            assert!(!verifies(profile, secret, None, body));
            assert!(!verifies(profile, secret, Some("garbage"), body));
        }
        // Typeform's value is prefixed; without the prefix it is refused.
        let bare = sign(Profile::Tally, secret, body);
        assert!(!verifies(Profile::Typeform, secret, Some(&bare), body));
        // A json sender may send base64 too.
        assert!(verifies(Profile::Json, secret, Some(&bare), body));
    }

    /// Tally's and Typeform's documented recipe: base64(HMAC-SHA256(secret, raw body)).
    #[test]
    fn matches_the_documented_recipe() {
        let expected = "sha256=".to_owned()
            + &STANDARD.encode(
                Hmac::<Sha256>::new_from_slice(b"s3cret")
                    .map(|mut m| {
                        m.update(b"body");
                        m.finalize().into_bytes()
                    })
                    .unwrap(),
            );
        assert_eq!(sign(Profile::Typeform, b"s3cret", b"body"), expected);
    }
}
