//! Idempotency keys: what a client sends so that a retried create makes nothing twice.

use super::Invalid;

/// 1 to 255 visible ASCII characters (a UUID, a form tool's submission id, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        if value.is_empty() || value.len() > 255 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Invalid::new(
                param,
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse("k", "3f1c9a7e-0b1d-4c55-9d0e-1f2a3b4c5d6e").is_ok());
        for bad in ["", "a b", "ключ", &"x".repeat(256)] {
            assert!(IdempotencyKey::parse("k", bad).is_err(), "{bad:?}");
        }
    }
}
