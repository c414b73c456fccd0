//! What a warm instance remembers of ISPs and resellers: whether each is enabled, and a
//! reseller's ISP. Kept for `AUTH_CACHE_SECONDS`, like the users themselves, so a disabled
//! ISP or reseller locks out its users and form keys within that time, and a reseller that
//! was deleted by hand is forgotten as soon.
//!
//! Cost: an uncached authentication of an ISP user reads its user and its ISP (2 GetItems,
//! 1 read unit eventually consistent); of a reseller user or form key, its user, reseller and
//! ISP (3 GetItems, 1.5 units). ISPs and resellers are shared by many users, so on a warm
//! instance it is usually the user's read alone.

use crate::app::{App, AppError};
use crate::domain::ids::{IspId, ResellerId};
use crate::domain::scope::Scope;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// ISPs and resellers a warm instance remembers, at most (a few dozen bytes each).
const TENANTS_MAX: usize = 50_000;

struct Timed<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Copy, V: Clone> Timed<K, V> {
    fn new() -> Self {
        Self {
            entries: Mutex::default(),
        }
    }

    fn fresh(&self, key: K, ttl: Duration) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(&key)?;
        (at.elapsed() < ttl).then(|| value.clone())
    }

    fn remember(&self, key: K, value: V, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= TENANTS_MAX && !entries.contains_key(&key) {
                entries.retain(|_, (at, _)| at.elapsed() < ttl);
                if entries.len() >= TENANTS_MAX {
                    entries.clear();
                }
            }
            entries.insert(key, (Instant::now(), value));
        }
    }
}

pub(in crate::app) struct TenantCache {
    ttl: Duration,
    /// Whether the ISP exists and is enabled, and its name (a hosted signup page's default
    /// heading).
    isps: Timed<IspId, (bool, std::sync::Arc<str>)>,
    /// The reseller's ISP and whether it is enabled; `None`: no such reseller.
    resellers: Timed<ResellerId, Option<(IspId, bool)>>,
}

impl TenantCache {
    pub(in crate::app) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            isps: Timed::new(),
            resellers: Timed::new(),
        }
    }
}

impl App {
    /// A reseller's ISP and whether the reseller is enabled; `None` if there is no such reseller.
    pub(in crate::app) async fn reseller_state(
        &self,
        reseller: ResellerId,
    ) -> Result<Option<(IspId, bool)>, AppError> {
        let cache = &self.tenants;
        if let Some(state) = cache.resellers.fresh(reseller, cache.ttl) {
            return Ok(state);
        }
        let state = self
            .store
            .get_reseller(reseller)
            .await?
            .map(|r| (r.ispid, r.enabled));
        cache.resellers.remember(reseller, state, cache.ttl);
        Ok(state)
    }

    async fn isp_enabled(&self, isp: IspId) -> Result<bool, AppError> {
        Ok(self.isp_state(isp).await?.0)
    }

    /// The name of the ISP of a scope (from the cache its authentication filled); `None` for
    /// the platform or an ISP that is gone.
    pub async fn isp_name(&self, scope: &Scope) -> Result<Option<String>, AppError> {
        let isp = match *scope {
            Scope::Platform => return Ok(None),
            Scope::Isp(isp) | Scope::Reseller { isp, .. } => isp,
        };
        let (_, name) = self.isp_state(isp).await?;
        Ok((!name.is_empty()).then(|| name.to_string()))
    }

    async fn isp_state(&self, isp: IspId) -> Result<(bool, std::sync::Arc<str>), AppError> {
        let cache = &self.tenants;
        if let Some(state) = cache.isps.fresh(isp, cache.ttl) {
            return Ok(state);
        }
        let record = self.store.get_isp(isp).await?;
        // The same read gives the ISP's time zone: a list with a created range right after
        // this authentication needs no read of its own (a zone this build does not know is
        // left for the list to report).
        if let Some(zone) = record
            .as_ref()
            .and_then(|r| crate::app::zones::stored_zone(isp, r.time_zone.as_deref()).ok())
        {
            self.zones.remember(isp, zone);
        }
        let state = match record {
            Some(i) => (i.enabled, std::sync::Arc::from(i.name)),
            None => (false, std::sync::Arc::from("")),
        };
        cache.isps.remember(isp, state.clone(), cache.ttl);
        Ok(state)
    }

    /// Whether the ISP and reseller of a user's scope exist and are enabled.
    pub(in crate::app) async fn tenant_enabled(&self, scope: &Scope) -> Result<bool, AppError> {
        Ok(match *scope {
            Scope::Platform => true,
            Scope::Isp(isp) => self.isp_enabled(isp).await?,
            Scope::Reseller { isp, reseller } => {
                self.reseller_state(reseller).await? == Some((isp, true))
                    && self.isp_enabled(isp).await?
            }
        })
    }
}
