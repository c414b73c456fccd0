//! Authentication by `userid` + `api_key`, with a short per-instance cache.
//!
//! A flood of wrong keys must not become a flood of reads, nor lock out the real user: a
//! cached user's digest tells a wrong key without a read (the record is read again at most
//! once per `REREAD`, so a freshly rotated key works within a second), and a refused
//! (userid, key digest) pair is remembered for the cache time, bounded in memory. The
//! right key is never in that list, so it keeps working.

use super::signup::{FormKey, StoredForm};
use super::{App, AppError};
use crate::domain::credentials::{ApiKey, KeyDigest};
use crate::domain::ids::UserId;
use crate::domain::scope::{Caller, Role, Scope};
use crate::domain::signup::WebSettings;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BAD_CREDENTIALS: &str = "userid/api_key: unknown user or wrong api_key";
const MISSING_CREDENTIALS: &str = "userid and api_key are required";
const CACHE_MAX: usize = 10_000;
/// Refused (userid, key) pairs remembered per instance, at most.
const REFUSED_MAX: usize = 10_000;
/// A cached user's record is read again for a key that does not match it at most this often.
const REREAD: Duration = Duration::from_secs(1);

/// What a warm instance remembers of a user it read: enough to decide without a read.
#[derive(Clone)]
struct Entry {
    digest: KeyDigest,
    role: Role,
    /// `None` when the user is disabled or its record is inconsistent.
    scope: Option<Scope>,
    /// A profiled form key's stored setup, opened at its first authenticated delivery.
    form: Option<Arc<StoredForm>>,
    /// A form key's web settings (origins, redirects, honeypot, hosted page).
    web: Option<Arc<WebSettings>>,
    read_at: Instant,
}

/// An authenticated caller, and its form setup if it is a profiled form key.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub caller: Caller,
    pub form: Option<Arc<FormKey>>,
    /// A form key's web settings, if it has any.
    pub web: Option<Arc<WebSettings>>,
}

pub(super) struct AuthCache {
    ttl: Duration,
    entries: Mutex<HashMap<UserId, Entry>>,
    refused: Mutex<HashMap<(UserId, KeyDigest), Instant>>,
}

impl AuthCache {
    pub(super) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
            refused: Mutex::default(),
        }
    }

    fn refused_recently(&self, user: UserId, key: &KeyDigest) -> bool {
        self.refused
            .lock()
            .ok()
            .and_then(|r| r.get(&(user, *key)).copied())
            .is_some_and(|at| at.elapsed() < self.ttl)
    }

    fn refuse(&self, user: UserId, key: KeyDigest) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut refused) = self.refused.lock() {
            if refused.len() >= REFUSED_MAX {
                refused.retain(|_, at| at.elapsed() < self.ttl);
                if refused.len() >= REFUSED_MAX {
                    refused.clear();
                }
            }
            refused.insert((user, key), Instant::now());
        }
    }

    fn fresh(&self, user: UserId) -> Option<Entry> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&user)
            .filter(|e| e.read_at.elapsed() < self.ttl)
            .cloned()
    }

    fn remember(&self, user: UserId, entry: Entry) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_MAX {
                entries.retain(|_, e| e.read_at.elapsed() < self.ttl);
                if entries.len() >= CACHE_MAX {
                    entries.clear();
                }
            }
            entries.insert(user, entry);
        }
    }
}

/// A caller whose key matched, its stored form setup (not yet opened) and web settings.
type Decided = (Caller, Option<Arc<StoredForm>>, Option<Arc<WebSettings>>);

fn decide(user: UserId, entry: &Entry, presented: &KeyDigest) -> Option<Result<Decided, AppError>> {
    if !entry.digest.matches(presented) {
        return None;
    }
    Some(match entry.scope {
        Some(scope) => Ok((
            Caller {
                userid: user,
                role: entry.role,
                scope,
            },
            entry.form.clone(),
            entry.web.clone(),
        )),
        None => Err(AppError::Disabled),
    })
}

impl App {
    /// Who is calling. A cached user whose key does not match is read again, so a rotated
    /// key works at once; a disabled user or an old key stops working within the cache time.
    pub async fn authenticate(
        &self,
        userid: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<Caller, AppError> {
        Ok(self.decided(userid, api_key).await?.0)
    }

    /// `authenticate`, with a profiled form key's setup (kept in the same cache entry: a
    /// delivery costs no read of its own). The setup is opened only once the key matched and
    /// the user is enabled: a damaged one is 500 for the key's own deliveries, never for a
    /// wrong or disabled key.
    pub async fn authenticate_form(
        &self,
        userid: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<Authenticated, AppError> {
        let (caller, stored, web) = self.decided(userid, api_key).await?;
        let form = match stored {
            Some(stored) => stored.open(&self.seal)?,
            None => None,
        };
        Ok(Authenticated { caller, form, web })
    }

    /// The form key whose hosted page `userid`-`token` names (`GET /signup/{form}`), from
    /// the same cache as its key: a page view or post costs no read of its own. An unknown
    /// user, a wrong token, a key without a page: `None` (one answer for all, a 404). A
    /// disabled key: 403.
    pub async fn form_page(
        &self,
        userid: UserId,
        token: &str,
    ) -> Result<Option<Authenticated>, AppError> {
        let entry = match self.auth.fresh(userid) {
            Some(entry) => entry,
            None => match self.read_entry(userid).await? {
                Some(entry) => entry,
                None => return Ok(None),
            },
        };
        let Some(web) = entry.web.clone().filter(|w| w.page_matches(token)) else {
            return Ok(None);
        };
        let Some(scope) = entry.scope else {
            return Err(AppError::Disabled);
        };
        if entry.role != Role::Form {
            return Ok(None);
        }
        if !self.tenant_enabled(&scope).await? {
            return Err(AppError::Disabled);
        }
        let form = match &entry.form {
            Some(stored) => stored.open(&self.seal)?,
            None => None,
        };
        let caller = Caller {
            userid,
            role: entry.role,
            scope,
        };
        Ok(Some(Authenticated {
            caller,
            form,
            web: Some(web),
        }))
    }

    /// Reads a user into the cache; `None` when there is no such user.
    async fn read_entry(&self, user: UserId) -> Result<Option<Entry>, AppError> {
        let Some(record) = self.store.get_user(user).await? else {
            return Ok(None);
        };
        let digest = KeyDigest::from_hex(&record.key_sha256)
            .ok_or_else(|| AppError::Internal(format!("user {user} has a malformed key digest")))?;
        let scope = match record
            .enabled
            .then(|| Scope::of(record.role, record.ispid, record.resellerid))
            .flatten()
        {
            // Its ISP or reseller disabled (or gone) locks the user out too.
            Some(scope) if self.tenant_enabled(&scope).await? => Some(scope),
            _ => None,
        };
        let web = match (record.role, record.form_web.as_deref()) {
            (Role::Form, Some(w)) => match WebSettings::stored(w) {
                Ok(w) => Some(Arc::new(w)),
                // Written only by set_form_by; unreadable, the key works without them.
                Err(e) => {
                    tracing::error!(userid = %user, error = %e, "form key web settings unreadable");
                    None
                }
            },
            _ => None,
        };
        let entry = Entry {
            digest,
            role: record.role,
            scope,
            form: StoredForm::of(&record),
            web,
            read_at: Instant::now(),
        };
        self.auth.remember(user, entry.clone());
        Ok(Some(entry))
    }

    async fn decided(
        &self,
        userid: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<Decided, AppError> {
        let (Some(userid), Some(api_key)) = (
            userid.map(str::trim).filter(|v| !v.is_empty()),
            api_key.map(str::trim).filter(|v| !v.is_empty()),
        ) else {
            return Err(AppError::Unauthenticated(MISSING_CREDENTIALS));
        };
        let user = UserId::parse("userid", userid)?;
        let presented = ApiKey::presented("api_key", api_key)?.digest();

        if let Some(cached) = self.auth.fresh(user) {
            if let Some(decision) = decide(user, &cached, &presented) {
                // The ISP and reseller are cached on their own clock: a disabled one locks
                // its users out within one cache time, not two.
                return match decision {
                    Ok((caller, _, _)) if !self.tenant_enabled(&caller.scope).await? => {
                        Err(AppError::Disabled)
                    }
                    other => other,
                };
            }
            // Not the cached key: a wrong one, or one rotated since the read.
            if cached.read_at.elapsed() < REREAD {
                return Err(AppError::Unauthenticated(BAD_CREDENTIALS));
            }
        }
        if self.auth.refused_recently(user, &presented) {
            return Err(AppError::Unauthenticated(BAD_CREDENTIALS));
        }
        let Some(entry) = self.read_entry(user).await? else {
            self.auth.refuse(user, presented);
            return Err(AppError::Unauthenticated(BAD_CREDENTIALS));
        };
        decide(user, &entry, &presented).unwrap_or_else(|| {
            self.auth.refuse(user, presented);
            Err(AppError::Unauthenticated(BAD_CREDENTIALS))
        })
    }
}
