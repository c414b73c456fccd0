//! The hosted page's signed timestamp (issue 21, minimum fill time): the page carries
//! `shown_at` = `<unix seconds>.<HMAC>`, and a post that comes back sooner than the key's
//! `min_seconds` is refused. Keyed by a labelled HMAC of the deployment's
//! `FORM_SECRET_KEY` (so every instance checks what another issued), over the form key's
//! id and the time: a stamp of one key is no stamp of another.

use crate::domain::Invalid;
use crate::domain::ids::UserId;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The form field that carries the stamp.
pub const FIELD: &str = "shown_at";

const LABEL: &[u8] = b"isp-crm/page-shown-at/v1";
/// A page older than this is refused: a bot may not keep one stamp for ever.
const MAX_AGE_SECONDS: i64 = 24 * 3600;

#[derive(Clone)]
pub struct PageStamps(Option<[u8; 32]>);

impl std::fmt::Debug for PageStamps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageStamps(..)")
    }
}

fn refused(rule: &str) -> Invalid {
    Invalid::new(FIELD, rule)
}

impl PageStamps {
    pub fn new(deployment_key: Option<&str>) -> Self {
        Self(deployment_key.and_then(|k| {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(k.as_bytes()).ok()?;
            mac.update(LABEL);
            Some(mac.finalize().into_bytes().into())
        }))
    }

    pub fn is_configured(&self) -> bool {
        self.0.is_some()
    }

    fn tag(&self, user: UserId, at: i64) -> Option<String> {
        let key = self.0.as_ref()?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
        mac.update(format!("{user}:{at}").as_bytes());
        Some(hex::encode(&mac.finalize().into_bytes()[..16]))
    }

    /// The stamp a page shown now carries; `None` without `FORM_SECRET_KEY`.
    pub fn issue(&self, user: UserId, now: i64) -> Option<String> {
        self.tag(user, now).map(|t| format!("{now}.{t}"))
    }

    /// Checks a post's stamp: signed for this key, at least `min` seconds and at most a day
    /// old. 400 with the reason otherwise.
    pub fn check(
        &self,
        user: UserId,
        stamp: Option<&str>,
        now: i64,
        min: u32,
    ) -> Result<(), Invalid> {
        let damaged = || {
            refused("the page's timestamp is missing or damaged: reload the page and send again")
        };
        let (at, tag) = stamp.and_then(|s| s.split_once('.')).ok_or_else(damaged)?;
        let at: i64 = at.parse().map_err(|_| damaged())?;
        let expected = self.tag(user, at).ok_or_else(damaged)?;
        use subtle::ConstantTimeEq;
        if !bool::from(expected.as_bytes().ct_eq(tag.as_bytes())) {
            return Err(damaged());
        }
        let age = now - at;
        if age < i64::from(min) {
            return Err(refused(
                "sent too quickly after the page was shown: take a moment to check it, then send again",
            ));
        }
        if age > MAX_AGE_SECONDS {
            return Err(refused(
                "the page is more than a day old: reload it and send again",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_signed_per_key_and_timed() {
        let s = PageStamps::new(Some("k"));
        let stamp = s.issue(UserId(20), 1_000).unwrap();
        assert!(s.check(UserId(20), Some(&stamp), 1_005, 5).is_ok());
        assert!(
            s.check(UserId(20), Some(&stamp), 1_004, 5)
                .unwrap_err()
                .rule
                .starts_with("sent too quickly")
        );
        assert!(
            s.check(UserId(21), Some(&stamp), 1_005, 5).is_err(),
            "another key's"
        );
        assert!(
            s.check(UserId(20), Some(&stamp.replace("1000", "900")), 1_005, 5)
                .is_err()
        );
        assert!(s.check(UserId(20), None, 1_005, 5).is_err());
        assert!(
            s.check(UserId(20), Some(&stamp), 1_000 + MAX_AGE_SECONDS + 1, 5)
                .is_err()
        );
        assert!(
            PageStamps::new(Some("other"))
                .check(UserId(20), Some(&stamp), 1_005, 5)
                .is_err()
        );
        assert!(PageStamps::new(None).issue(UserId(20), 1).is_none());
    }
}
