//! Form keys' signing secrets at rest: AES-256-GCM under a key derived from the
//! deployment's `FORM_SECRET_KEY` (a labelled HMAC-SHA256, so the setting may be any
//! length and never keys anything else), the user's id as associated data (a sealed
//! secret copied to another user's record does not open). Stored as `v1.<base64 of nonce
//! and ciphertext>`: a read of the users table reveals nothing of the secret.

use super::super::AppError;
use super::super::tenancy::TenancyError;
use crate::domain::Invalid;
use crate::domain::credentials::random_bytes;
use crate::domain::ids::UserId;
use crate::domain::signup::SigningSecret;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const LABEL: &[u8] = b"isp-crm/form-signing-secret/v1";
const PREFIX: &str = "v1.";
const NONCE: usize = 12;

/// Seals and opens signing secrets; without `FORM_SECRET_KEY` none can be set.
#[derive(Clone)]
pub struct SecretSeal(Option<Aes256Gcm>);

impl std::fmt::Debug for SecretSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSeal(..)")
    }
}

fn aad(user: UserId) -> Vec<u8> {
    format!("user:{user}").into_bytes()
}

impl SecretSeal {
    pub fn new(deployment_key: Option<&str>) -> Self {
        Self(deployment_key.map(|k| {
            let mut mac = match <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(k.as_bytes()) {
                Ok(mac) => mac,
                Err(_) => unreachable!("HMAC accepts keys of every length"),
            };
            mac.update(LABEL);
            // hmac's 0.11-era array into aes-gcm's 0.10-era one.
            let key: [u8; 32] = mac.finalize().into_bytes().into();
            Aes256Gcm::new(&key.into())
        }))
    }

    pub fn is_configured(&self) -> bool {
        self.0.is_some()
    }

    pub fn seal(&self, user: UserId, secret: &SigningSecret) -> Result<String, TenancyError> {
        self.seal_text(&aad(user), secret.expose())
            .map_err(|rule| TenancyError::from(Invalid::new("signing_secret", rule)))
    }

    /// Seals any secret under `aad` (what it belongs to, e.g. `webhook:<id>`): the one
    /// sealing of the deployment, for form keys' and webhooks' secrets alike.
    pub fn seal_text(&self, aad: &[u8], clear: &str) -> Result<String, &'static str> {
        let cipher = self.0.as_ref().ok_or(
            "this deployment has no FORM_SECRET_KEY to keep signing secrets with; ask its operator",
        )?;
        let nonce = random_bytes::<NONCE>().map_err(|_| "could not be sealed")?;
        // AES-GCM refuses only messages of gigabytes; a secret is at most 256 bytes.
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: clear.as_bytes(),
                    aad,
                },
            )
            .map_err(|_| "could not be sealed")?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(format!("{PREFIX}{}", STANDARD_NO_PAD.encode(bytes)))
    }

    /// Opens what `seal_text` sealed under the same `aad`.
    pub fn open_text(&self, aad: &[u8], stored: &str) -> Result<String, &'static str> {
        let cipher = self.0.as_ref().ok_or("set, but FORM_SECRET_KEY is not")?;
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > NONCE)
            .ok_or("malformed")?;
        let (nonce, sealed) = bytes.split_at(NONCE);
        let clear = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(|_| "does not open with this FORM_SECRET_KEY")?;
        String::from_utf8(clear).map_err(|_| "malformed")
    }

    /// Opens a stored secret. A missing or different `FORM_SECRET_KEY`, or a damaged value,
    /// is an error: deliveries to that key then fail closed (500), never unsigned.
    pub fn open(&self, user: UserId, stored: &str) -> Result<SigningSecret, AppError> {
        let fail = |why: &str| AppError::Internal(format!("user {user}: signing secret {why}"));
        let text = self.open_text(&aad(user), stored).map_err(fail)?;
        SigningSecret::parse("signing_secret", &text).map_err(|_| fail("malformed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_for_their_user_and_key() {
        let seal = SecretSeal::new(Some("deployment key"));
        let secret = SigningSecret::parse("s", "a-signing-secret-0123").unwrap();
        let stored = seal.seal(UserId(7), &secret).unwrap();
        assert!(!stored.contains(secret.expose()));
        assert_eq!(seal.open(UserId(7), &stored).unwrap(), secret);
        assert!(seal.open(UserId(8), &stored).is_err());
        assert!(
            SecretSeal::new(Some("other key"))
                .open(UserId(7), &stored)
                .is_err()
        );
        assert!(SecretSeal::new(None).open(UserId(7), &stored).is_err());
        assert!(SecretSeal::new(None).seal(UserId(7), &secret).is_err());
        // A fresh nonce each time: the same secret never seals to the same text.
        assert_ne!(stored, seal.seal(UserId(7), &secret).unwrap());
    }
}
