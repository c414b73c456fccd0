//! The values a history entry shows are sealed (AES-256-GCM) under a key of their customer's
//! own, kept on its record (`history_seal_key`) and so in its restorable copy and nowhere
//! else. When the customer's data goes, a final delete, its copy's window ending or an erase,
//! the key goes with it and its history's values can no longer be read by anyone
//! (crypto-shredding): no rewrite of the entries, no stream function, nothing to miss. The
//! entries keep who, when and which fields for `HISTORY_DAYS`, never a value.

use super::{FieldChange, StoreError};
use crate::domain::credentials::random_bytes;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

const PREFIX: &str = "v1.";
const NONCE: usize = 12;

/// A customer's history key. Its text form is what the record stores.
#[derive(Clone)]
pub struct HistorySeal {
    text: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for HistorySeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HistorySeal(..)")
    }
}

/// The old and new values of an entry's changes, in the order of its `changes`.
type Values = Vec<(Option<String>, Option<String>)>;

impl HistorySeal {
    /// A fresh random key.
    pub fn generate() -> Result<Self, StoreError> {
        let key = random_bytes::<32>().map_err(|e| StoreError::Other(e.to_string()))?;
        Self::parse(&STANDARD_NO_PAD.encode(key))
    }

    /// The key a record stores.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let key = STANDARD_NO_PAD
            .decode(text)
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| StoreError::Corrupt("a customer's history key is malformed".into()))?;
        let cipher = Aes256Gcm::new_from_slice(&key)
            .map_err(|_| StoreError::Corrupt("a customer's history key is malformed".into()))?;
        Ok(Self {
            text: text.to_owned(),
            cipher,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The values of `changes` sealed for the entry stored under `claim` (its associated
    /// data: a sealed value copied to another entry does not open); `None` when no change
    /// has a value (a password reset, a delete).
    pub fn seal(&self, claim: &str, changes: &[FieldChange]) -> Result<Option<String>, StoreError> {
        if !changes.iter().any(FieldChange::has_value) {
            return Ok(None);
        }
        let values: Values = changes
            .iter()
            .map(|c| (c.old.clone(), c.new.clone()))
            .collect();
        let clear = serde_json::to_vec(&values).map_err(|e| StoreError::Other(e.to_string()))?;
        let nonce = random_bytes::<NONCE>().map_err(|e| StoreError::Other(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &clear,
                    aad: claim.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Other("history values could not be sealed".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(Some(format!("{PREFIX}{}", STANDARD_NO_PAD.encode(bytes))))
    }

    /// Puts the values sealed for the entry `claim` back into its `changes`.
    pub fn open(
        &self,
        claim: &str,
        sealed: &str,
        changes: &mut [FieldChange],
    ) -> Result<(), StoreError> {
        let corrupt = || StoreError::Corrupt(format!("history entry {claim}: values do not open"));
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > NONCE)
            .ok_or_else(corrupt)?;
        let (nonce, body) = bytes.split_at(NONCE);
        let clear = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: claim.as_bytes(),
                },
            )
            .map_err(|_| corrupt())?;
        let values: Values = serde_json::from_slice(&clear).map_err(|_| corrupt())?;
        if values.len() != changes.len() {
            return Err(corrupt());
        }
        for (change, (old, new)) in changes.iter_mut().zip(values) {
            change.old = old;
            change.new = new;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(field: &str, old: Option<&str>, new: Option<&str>) -> FieldChange {
        FieldChange {
            field: field.into(),
            old: old.map(Into::into),
            new: new.map(Into::into),
        }
    }

    #[test]
    fn values_open_only_with_their_key_and_entry() {
        let seal = HistorySeal::generate().unwrap();
        let changes = vec![
            change("street", Some("1 Old Road"), Some("2 New Road")),
            change("notes", Some("gone"), None),
        ];
        let sealed = seal.seal("history|5|a", &changes).unwrap().unwrap();
        assert!(!sealed.contains("Road"), "{sealed}");
        let mut names: Vec<_> = changes
            .iter()
            .map(|c| change(&c.field, None, None))
            .collect();
        seal.open("history|5|a", &sealed, &mut names).unwrap();
        assert_eq!(names, changes);
        // Another entry's associated data, another customer's key: nothing opens.
        assert!(seal.open("history|5|b", &sealed, &mut names).is_err());
        let other = HistorySeal::generate().unwrap();
        assert!(other.open("history|5|a", &sealed, &mut names).is_err());
        // The stored text is the key.
        let again = HistorySeal::parse(seal.as_str()).unwrap();
        again.open("history|5|a", &sealed, &mut names).unwrap();
        assert!(HistorySeal::parse("short").is_err());
    }

    #[test]
    fn changes_without_values_seal_nothing() {
        let seal = HistorySeal::generate().unwrap();
        let changes = vec![change("portal_password", None, None)];
        assert_eq!(seal.seal("history|5|a", &changes).unwrap(), None);
        assert_eq!(seal.seal("history|5|a", &[]).unwrap(), None);
    }
}
