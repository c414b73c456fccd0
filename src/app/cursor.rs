//! Opaque list cursors (`next` / `cursor`) and the warm cache of page positions.
//!
//! A cursor names the order key of the last row of a page, bound to a fingerprint of the
//! query and the caller, and sealed with an HMAC: a tampered cursor, or one sent with other
//! filters or by another user, is refused (400). The position is only ever used inside the
//! caller's own scope, which comes from the request, never from the cursor.

use crate::domain::Invalid;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// What identifies a list query: caller, scope, filters, sort and order (not limit/offset).
pub type Fingerprint = [u8; 16];

pub fn fingerprint(canonical: &str) -> Fingerprint {
    let digest = Sha256::digest(canonical.as_bytes());
    let mut fp = [0u8; 16];
    fp.copy_from_slice(&digest[..16]);
    fp
}

const MAC_LEN: usize = 16;

/// Why a genuine cursor is refused: it was sealed for another query.
pub const OTHER_QUERY: &str =
    "belongs to another query or user: send it with the same filters and sort";
/// The same, for a list with a created range, whose cursors also bind the instants each
/// listed ISP's zone made of the days (so a zone change, or a new ISP in an admin's list
/// across ISPs, ends them).
pub const OTHER_QUERY_OR_ZONE: &str = "belongs to another query or user, or the time zones of \
    the ISPs it lists changed since it was issued: send it with the same filters and sort, or \
    start again without it";

pub struct CursorSeal {
    key: Vec<u8>,
    /// The secret before the last rotation (`CURSOR_SECRET_PREVIOUS`): cursors it sealed are
    /// still opened, so a rotation breaks no paging in progress. Nothing is sealed with it.
    previous: Option<Vec<u8>>,
}

impl CursorSeal {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: secret.to_vec(),
            previous: None,
        }
    }

    /// Also opens cursors sealed with `previous`.
    pub fn with_previous(mut self, previous: Option<&[u8]>) -> Self {
        self.previous = previous.map(<[u8]>::to_vec);
        self
    }

    fn mac(&self, payload: &[u8]) -> [u8; MAC_LEN] {
        mac_with(&self.key, payload)
    }

    pub fn seal(&self, fp: &Fingerprint, after: &str) -> String {
        let mut bytes = fp.to_vec();
        bytes.extend_from_slice(after.as_bytes());
        let mac = self.mac(&bytes);
        bytes.extend_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The rows of a newest-first page of entries kept until their TTL (each with its sort
    /// key and whether it is still within its window), and, when `more` follow, the cursor
    /// after its last entry. Past its window an entry waits for TTL deletion: it is not
    /// shown, so a page may be short.
    pub fn kept_page<T>(
        &self,
        fp: &Fingerprint,
        entries: Vec<(String, T, bool)>,
        more: bool,
    ) -> (Vec<T>, Option<String>) {
        let next = match more {
            true => entries.last().map(|(key, _, _)| self.seal(fp, key)),
            false => None,
        };
        let rows = entries
            .into_iter()
            .filter(|(_, _, live)| *live)
            .map(|(_, e, _)| e)
            .collect();
        (rows, next)
    }

    /// The position a cursor names, if it is genuine and belongs to this query.
    pub fn open(&self, token: &str, fp: &Fingerprint) -> Result<String, Invalid> {
        let invalid = || Invalid::new("cursor", "is not a cursor this API issued");
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| invalid())?;
        if bytes.len() < fp.len() + MAC_LEN + 1 {
            return Err(invalid());
        }
        let (payload, mac) = bytes.split_at(bytes.len() - MAC_LEN);
        let sealed_by = |key: &[u8]| bool::from(mac_with(key, payload).ct_eq(mac));
        if !sealed_by(&self.key) && !self.previous.as_deref().is_some_and(sealed_by) {
            return Err(invalid());
        }
        let (their_fp, after) = payload.split_at(fp.len());
        if !bool::from(their_fp.ct_eq(fp)) {
            return Err(Invalid::new("cursor", OTHER_QUERY));
        }
        String::from_utf8(after.to_vec()).map_err(|_| invalid())
    }
}

fn mac_with(key: &[u8], payload: &[u8]) -> [u8; MAC_LEN] {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; MAC_LEN],
    };
    mac.update(payload);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

/// When a query was first seen, and the order key before each offset reached.
type Positions = (Instant, BTreeMap<u32, String>);

/// Where pages of recent queries ended, so that paging forward by `rows_offset`
/// (0, 10, 20, ...) resumes there instead of walking the index again from the start.
pub struct PageCache {
    ttl: Duration,
    entries: Mutex<HashMap<Fingerprint, Positions>>,
}

const MAX_QUERIES: usize = 10_000;
const MAX_OFFSETS_PER_QUERY: usize = 1_000;

impl PageCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The greatest remembered offset not above `offset`, with the order key of the row
    /// just before it.
    pub fn nearest(&self, fp: &Fingerprint, offset: u32) -> Option<(u32, String)> {
        if offset == 0 {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let (at, offsets) = entries.get(fp)?;
        if at.elapsed() >= self.ttl {
            return None;
        }
        offsets
            .range(1..=offset)
            .next_back()
            .map(|(k, v)| (*k, v.clone()))
    }

    /// Remembers that the row before `offset` has order key `after`.
    pub fn remember(&self, fp: Fingerprint, offset: u32, after: String) {
        if self.ttl.is_zero() || offset == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_QUERIES && !entries.contains_key(&fp) {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= MAX_QUERIES {
                entries.clear();
            }
        }
        let slot = entries
            .entry(fp)
            .or_insert_with(|| (Instant::now(), BTreeMap::new()));
        if slot.0.elapsed() >= self.ttl {
            *slot = (Instant::now(), BTreeMap::new());
        }
        if slot.1.len() < MAX_OFFSETS_PER_QUERY {
            slot.1.insert(offset, after);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_open_only_for_their_query_and_untampered() {
        let seal = CursorSeal::new(b"secret");
        let fp = fingerprint("user 5, name=ann%");
        let token = seal.seal(&fp, "ann\u{1}0000000000000042");
        assert_eq!(seal.open(&token, &fp).unwrap(), "ann\u{1}0000000000000042");
        let other = fingerprint("user 6, name=ann%");
        assert!(
            seal.open(&token, &other)
                .unwrap_err()
                .rule
                .contains("another query")
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[20] ^= 1;
        assert!(seal.open(&URL_SAFE_NO_PAD.encode(&bytes), &fp).is_err());
        assert!(seal.open("not-a-cursor", &fp).is_err());
        assert!(CursorSeal::new(b"other secret").open(&token, &fp).is_err());
    }

    #[test]
    fn after_a_rotation_cursors_of_the_previous_secret_still_open() {
        let fp = fingerprint("user 5, sorted by name");
        let old = CursorSeal::new(b"old secret").seal(&fp, "ann\u{1}0000000000000042");
        let rotated = CursorSeal::new(b"new secret").with_previous(Some(b"old secret"));
        assert_eq!(rotated.open(&old, &fp).unwrap(), "ann\u{1}0000000000000042");
        // New cursors are sealed with the new secret only.
        let new = rotated.seal(&fp, "bob\u{1}0000000000000007");
        assert!(CursorSeal::new(b"old secret").open(&new, &fp).is_err());
        // Once the previous secret is dropped, its cursors are refused.
        assert!(CursorSeal::new(b"new secret").open(&old, &fp).is_err());
    }

    #[test]
    fn page_cache_finds_the_nearest_offset_below() {
        let cache = PageCache::new(Duration::from_secs(60));
        let fp = fingerprint("q");
        cache.remember(fp, 10, "a".into());
        cache.remember(fp, 20, "b".into());
        assert_eq!(cache.nearest(&fp, 25), Some((20, "b".into())));
        assert_eq!(cache.nearest(&fp, 20), Some((20, "b".into())));
        assert_eq!(cache.nearest(&fp, 9), None);
        assert_eq!(cache.nearest(&fp, 0), None);
        assert_eq!(cache.nearest(&fingerprint("other"), 25), None);
        let off = PageCache::new(Duration::ZERO);
        off.remember(fp, 10, "a".into());
        assert_eq!(off.nearest(&fp, 10), None);
    }
}
