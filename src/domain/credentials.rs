//! API keys and customer-portal passwords. Only digests and hashes are ever stored.

use super::Invalid;
use argon2::password_hash::{PasswordHasher, SaltString};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// A presented or generated API key. Its Debug output never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the system random source failed: {0}")]
pub struct RandomError(String);

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| RandomError(e.to_string()))?;
    Ok(buf)
}

/// `N` random bytes as lowercase hex.
pub(crate) fn random_hex<const N: usize>() -> Result<String, RandomError> {
    Ok(hex::encode(random_bytes::<N>()?))
}

impl ApiKey {
    /// 200 random bits as 50 lowercase hex characters, the shape of the spec's example key.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self(hex::encode(random_bytes::<25>()?)))
    }

    /// A key as presented by a client; anything non-empty is tried (and simply fails to match).
    pub fn presented(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        if value.is_empty() || value.len() > 512 {
            return Err(Invalid::new(param, "must be 1 to 512 characters"));
        }
        Ok(Self(value.to_owned()))
    }

    /// A key chosen by an operator (`crm-admin user create --api-key`), e.g. to keep a key
    /// that an ISP's systems already use: 32 to 128 printable ASCII characters.
    pub fn chosen(value: &str) -> Result<Self, Invalid> {
        let ok = (32..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(Invalid::new(
                "api-key",
                "must be 32 to 128 printable ASCII characters without spaces",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> KeyDigest {
        KeyDigest(Sha256::digest(self.0.as_bytes()).into())
    }
}

/// The SHA-256 of an API key: what is stored, and what a presented key is compared with.
/// A fast hash is enough here: keys carry 200 random bits, so there is nothing to brute-force.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDigest(pub [u8; 32]);

impl KeyDigest {
    pub fn from_hex(value: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(value, &mut out).ok()?;
        Some(Self(out))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Constant-time comparison, so response timing says nothing about the stored digest.
    pub fn matches(&self, other: &KeyDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyDigest(..)")
    }
}

/// A new customer-portal password, shown once and stored only as an argon2id hash.
pub struct PortalPassword {
    pub clear: String,
    pub hash: String,
}

/// 16 characters from a 57-symbol alphabet without look-alikes (0/O, 1/l/I): about 93 bits.
const PASSWORD_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
pub const PASSWORD_LEN: usize = 16;

impl PortalPassword {
    pub fn generate() -> Result<Self, RandomError> {
        // Rejection sampling keeps every symbol equally likely.
        let limit = 256 - (256 % PASSWORD_ALPHABET.len());
        let mut clear = String::with_capacity(PASSWORD_LEN);
        while clear.len() < PASSWORD_LEN {
            for b in random_bytes::<32>()? {
                if (b as usize) < limit && clear.len() < PASSWORD_LEN {
                    clear.push(PASSWORD_ALPHABET[b as usize % PASSWORD_ALPHABET.len()] as char);
                }
            }
        }
        let salt = SaltString::encode_b64(&random_bytes::<16>()?)
            .map_err(|e| RandomError(e.to_string()))?;
        // Argon2::default() is argon2id v19 with OWASP's minimum parameters (19 MiB, t=2, p=1).
        let hash = argon2::Argon2::default()
            .hash_password(clear.as_bytes(), &salt)
            .map_err(|e| RandomError(e.to_string()))?
            .to_string();
        Ok(Self { clear, hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHash, PasswordVerifier};

    #[test]
    fn generated_keys_are_50_lowercase_hex_and_distinct() {
        let a = ApiKey::generate().unwrap();
        let b = ApiKey::generate().unwrap();
        assert_eq!(a.expose().len(), 50);
        assert!(
            a.expose()
                .bytes()
                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        );
        assert_ne!(a, b);
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn digest_round_trips_and_compares() {
        let key = ApiKey::presented(
            "api_key",
            "0f9895fb407c83e5ea128082098b47681aa75d6944576423c4",
        )
        .unwrap();
        let d = key.digest();
        assert_eq!(KeyDigest::from_hex(&d.to_hex()), Some(d));
        assert!(d.matches(&key.digest()));
        assert!(!d.matches(&ApiKey::presented("api_key", "other").unwrap().digest()));
    }

    #[test]
    fn portal_password_is_hashed_with_argon2id() {
        let p = PortalPassword::generate().unwrap();
        assert_eq!(p.clear.len(), PASSWORD_LEN);
        assert!(p.hash.starts_with("$argon2id$"));
        assert!(!p.hash.contains(&p.clear));
        let parsed = PasswordHash::new(&p.hash).unwrap();
        assert!(
            argon2::Argon2::default()
                .verify_password(p.clear.as_bytes(), &parsed)
                .is_ok()
        );
    }
}
