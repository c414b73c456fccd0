//! Creates that happen once: an `Idempotency-Key` (or `idempotency_key`) makes a retried
//! create return the first result; without a key, an identical create from the same caller
//! within `DUPLICATE_WINDOW_SECONDS` does the same (double clicks, re-sent webhooks).
//!
//! The claim (key or fingerprint → new id) is written in the same transaction as the
//! record, so concurrent duplicates race on one conditional write: exactly one wins, and
//! the others read its claim and answer with its id.

use super::{App, AppError, Attempts};
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::scope::Caller;
use crate::domain::{DomainError, Fields};
use crate::store::claims::{ClaimKey, NewClaim};
use crate::store::records::ClaimItem;
use crate::store::{StoreError, backoff, retries};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Parameters that are not part of what a create asks for.
const NOT_INPUT: [&str; 3] = ["userid", "api_key", "idempotency_key"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// The client's key: the same key with another request is a conflict.
    Key,
    /// The fingerprint of the request itself.
    Recent,
}

/// The claim a create will make, and how to read an existing one.
#[derive(Debug, Clone)]
pub(super) struct Guard {
    kind: Kind,
    key: ClaimKey,
    fingerprint: String,
    expires_at: i64,
    /// A duplicate-guard claim on a record since deleted: the new record takes it over.
    replaces: Option<u64>,
}

/// What a create answered: the record's id, and whether it was answered from a claim (a
/// retry or a duplicate: nothing was written) rather than created now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created<T> {
    pub id: T,
    pub replayed: bool,
}

impl<T> Created<T> {
    pub fn new(id: T) -> Self {
        Self {
            id,
            replayed: false,
        }
    }

    pub fn replayed(id: T) -> Self {
        Self { id, replayed: true }
    }
}

/// A hash of the route and every input parameter (sorted, values trimmed). Extra fields a
/// form tool adds are part of the request, so they are part of the hash. Each name and value
/// is preceded by its length, so no two different requests share a hash.
pub fn fingerprint(route: &str, f: &impl Fields) -> String {
    let mut pairs: Vec<_> = f
        .pairs()
        .into_iter()
        .filter(|(k, _)| !NOT_INPUT.contains(k))
        .map(|(k, v)| (k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    pairs.sort_unstable();
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(route.as_bytes());
    for (k, v) in pairs {
        field(k.as_bytes());
        field(v.as_bytes());
    }
    hex::encode(h.finalize())
}

impl Guard {
    /// Whether a found result stands even if its record has been deleted since: an
    /// idempotency key's does; the duplicate guard's does not (the same body again after a
    /// delete is a new record).
    fn stands_alone(&self) -> bool {
        self.kind == Kind::Key
    }

    /// Lets the new record take over a claim whose record (`stale`) is gone.
    fn take_over(&mut self, stale: u64) {
        self.replaces = Some(stale);
    }

    /// The claim's key and expiry, as the new record keeps them (`CustomerItem::guard_claim`).
    pub fn recorded(&self) -> (String, i64) {
        (self.key.as_str().to_owned(), self.expires_at)
    }

    /// The claim to write with a record whose id is `result`.
    pub fn claim(&self, result: u64) -> NewClaim {
        NewClaim::guard(
            &self.key,
            result,
            &self.fingerprint,
            self.expires_at,
            self.replaces,
        )
    }
}

impl App {
    /// The guard of a create on `route`, or `None` when there is no key and the duplicate
    /// window is off.
    pub(super) fn guard(
        &self,
        caller: &Caller,
        route: &str,
        f: &impl Fields,
    ) -> Result<Option<Guard>, AppError> {
        let key = f.parse_opt("idempotency_key", IdempotencyKey::parse)?;
        if key.is_none() && self.duplicate_window.is_zero() {
            return Ok(None);
        }
        let fingerprint = fingerprint(route, f);
        let now = self.epoch();
        Ok(match key {
            Some(key) => Some(Guard {
                kind: Kind::Key,
                key: ClaimKey::idempotency(caller.userid, key.as_str()),
                fingerprint,
                expires_at: now + secs(self.idempotency_ttl),
                replaces: None,
            }),
            None => Some(Guard {
                kind: Kind::Recent,
                key: ClaimKey::recent(caller.userid, &fingerprint),
                fingerprint,
                expires_at: now + secs(self.duplicate_window),
                replaces: None,
            }),
        })
    }

    /// The result of an earlier create the guard matches, if it still answers this one: an
    /// idempotency key's always; the duplicate guard's only while its record `exists` (the
    /// same body after a delete is a new record, which then takes the claim over).
    pub(super) async fn replay<Fut>(
        &self,
        guard: &mut Option<Guard>,
        exists: impl FnOnce(u64) -> Fut,
    ) -> Result<Option<u64>, AppError>
    where
        Fut: Future<Output = Result<bool, StoreError>>,
    {
        let Some(g) = guard.as_mut() else {
            return Ok(None);
        };
        let Some(done) = self.peek(g).await? else {
            return Ok(None);
        };
        if g.stands_alone() || exists(done).await? {
            return Ok(Some(done));
        }
        g.take_over(done);
        Ok(None)
    }

    /// One strongly consistent read of the guard's claim: the result of an earlier create this
    /// guard matches, if any. Read before anything is allocated, so a retry writes nothing;
    /// strongly consistent, so a retry that follows its first request closely finds it.
    pub(super) async fn peek(&self, guard: &Guard) -> Result<Option<u64>, AppError> {
        let found = self.store.get_claim(guard.key.as_str(), true).await?;
        self.answer(guard, found)
    }

    /// After a transaction met a concurrent one: a pause, then the result of a duplicate that
    /// won, if there is a guard and one did (else the caller tries again).
    pub(super) async fn after_conflict(
        &self,
        guard: Option<&Guard>,
        tries: &Attempts<'_>,
    ) -> Result<Option<u64>, AppError> {
        let Some(g) = guard else {
            return Ok(None);
        };
        tries.pause().await?;
        self.peek(g).await
    }

    /// After the guard's claim was refused: the winner's result. A concurrent winner may
    /// not have committed yet, so a missing claim is read again a few times.
    pub(super) async fn settle(&self, guard: &Guard) -> Result<Option<u64>, AppError> {
        for attempt in 1..=5u32 {
            if let Some(result) = self.peek(guard).await? {
                return Ok(Some(result));
            }
            if attempt == 5 || !retries::take() {
                break;
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Ok(None)
    }

    fn answer(&self, guard: &Guard, found: Option<ClaimItem>) -> Result<Option<u64>, AppError> {
        let Some(found) = found.filter(|c| c.is_live(self.epoch())) else {
            return Ok(None);
        };
        if Some(found.result) == guard.replaces {
            return Ok(None);
        }
        if guard.kind == Kind::Key && found.fingerprint.as_deref() != Some(&guard.fingerprint) {
            return Err(DomainError::Conflict(
                "idempotency_key: already used for a different request".into(),
            )
            .into());
        }
        Ok(Some(found.result))
    }

    pub(super) fn epoch(&self) -> i64 {
        jiff::Timestamp::now().as_second()
    }
}

pub(super) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::fields::fields_of as fields;

    #[test]
    fn fingerprint_ignores_credentials_key_order_and_padding() {
        let a = fingerprint(
            "customer/create",
            &fields(&[("name", "Ann"), ("userid", "5"), ("api_key", "x")]),
        );
        let b = fingerprint(
            "customer/create",
            &fields(&[("name", " Ann "), ("idempotency_key", "k"), ("surname", "")]),
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint("service/create", &fields(&[("name", "Ann")]))
        );
        assert_ne!(
            a,
            fingerprint("customer/create", &fields(&[("name", "Anna")]))
        );
        // Names and values cannot run into each other, whatever bytes they hold.
        assert_ne!(
            fingerprint("r", &fields(&[("ab", "c")])),
            fingerprint("r", &fields(&[("a", "bc")]))
        );
        assert_ne!(
            fingerprint("r", &fields(&[("a", "b\u{0}c"), ("d", "e")])),
            fingerprint("r", &fields(&[("a", "b"), ("c\u{1}d", "e")]))
        );
    }
}
