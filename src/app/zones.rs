//! Each ISP's time zone, in which its lists' `created_from`/`created_upto` name whole days.
//!
//! Zones are only needed by lists with a created range, and are kept per instance for
//! `AUTH_CACHE_SECONDS` (default 60 s) like the callers' keys, so a warm instance reads an
//! ISP's zone at most once in that time: a zone changed with `crm-admin isp update` applies
//! within it. Uncached, a list of one ISP (an ISP or reseller user, an admin naming `ispid`
//! or `resellerid`) costs one GetItem of the ISP (0.5 read unit); an admin's list across
//! ISPs takes every zone from the Scan of the ISP table that already gives it their ids,
//! and scans again only when that Scan is fresher than the zones it cached.

use super::planner::Part;
use super::{App, AppError};
use crate::domain::customer::Customer;
use crate::domain::ids::IspId;
use crate::domain::list::{CreatedDays, Filters};
use crate::domain::zone::IspTimeZone;
use jiff::tz::TimeZone;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// ISPs whose zone a warm instance remembers, at most (one small entry each).
const ZONES_MAX: usize = 10_000;

/// An ISP's own zone, or `None` for the deployment's `TIME_ZONE`.
type Zone = Option<IspTimeZone>;

pub(super) struct ZoneCache {
    ttl: Duration,
    entries: Mutex<HashMap<IspId, (Instant, Zone)>>,
}

impl ZoneCache {
    pub(super) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
        }
    }

    fn fresh(&self, isp: IspId) -> Option<Zone> {
        let entries = self.entries.lock().ok()?;
        let (at, zone) = entries.get(&isp)?;
        (at.elapsed() < self.ttl).then(|| zone.clone())
    }

    pub(super) fn remember(&self, isp: IspId, zone: Zone) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= ZONES_MAX && !entries.contains_key(&isp) {
                let ttl = self.ttl;
                entries.retain(|_, (at, _)| at.elapsed() < ttl);
                if entries.len() >= ZONES_MAX {
                    entries.clear();
                }
            }
            entries.insert(isp, (Instant::now(), zone));
        }
    }
}

/// A stored zone name as the domain type; a name this build's database does not know (a
/// newer crm-admin's?) is an internal error rather than days silently in another zone.
pub(super) fn stored_zone(isp: IspId, name: Option<&str>) -> Result<Zone, AppError> {
    name.map(|n| {
        IspTimeZone::parse("time_zone", n).map_err(|_| {
            AppError::Internal(format!(
                "ISP {isp} has time zone {n:?}, which this build's time-zone database does not know"
            ))
        })
    })
    .transpose()
}

/// A list's filters for each ISP it reads: the created days as instants in that ISP's zone.
pub(super) struct Zoned {
    /// Without a created range one set of filters serves every ISP, and no zone is read.
    plain: Option<Filters>,
    by_isp: BTreeMap<IspId, Filters>,
    /// The instants of the scope's ISPs, which cursors of this query are bound to.
    binding: String,
}

impl Zoned {
    /// The filters of `isp`'s partition.
    pub(super) fn get(&self, isp: IspId) -> Result<&Filters, AppError> {
        self.plain
            .as_ref()
            .or_else(|| self.by_isp.get(&isp))
            .ok_or_else(|| AppError::Internal(format!("no time zone resolved for ISP {isp}")))
    }

    /// Whether a customer passes the filters of its own ISP.
    pub(super) fn matches(&self, c: &Customer) -> bool {
        self.get(c.ispid).is_ok_and(|f| f.matches(c))
    }

    /// What the zones made of the days, for the query fingerprint: empty without a range.
    pub(super) fn binding(&self) -> &str {
        &self.binding
    }
}

impl App {
    /// `filters` resolved for each ISP in `parts`, which also bind the query's cursors.
    pub(super) async fn zoned(
        &self,
        filters: &Filters<CreatedDays>,
        parts: &[Part],
    ) -> Result<Zoned, AppError> {
        let mut zoned = Zoned {
            plain: None,
            by_isp: BTreeMap::new(),
            binding: String::new(),
        };
        if filters.created.is_none() {
            zoned.plain = Some(filters.in_zone(&self.time_zone)?);
            return Ok(zoned);
        }
        self.cover(&mut zoned, filters, parts.iter().map(|p| p.isp()))
            .await?;
        zoned.binding = zoned
            .by_isp
            .iter()
            .map(|(isp, f)| format!("{isp}:{:?}", f.created))
            .collect::<Vec<_>>()
            .join(",");
        Ok(zoned)
    }

    /// Adds the filters of ISPs whose rows were found outside the scope's partitions
    /// (through services, or by id); they do not change the binding.
    pub(super) async fn cover(
        &self,
        zoned: &mut Zoned,
        filters: &Filters<CreatedDays>,
        isps: impl IntoIterator<Item = IspId>,
    ) -> Result<(), AppError> {
        if zoned.plain.is_some() {
            return Ok(());
        }
        let missing: BTreeSet<IspId> = isps
            .into_iter()
            .filter(|isp| !zoned.by_isp.contains_key(isp))
            .collect();
        for (isp, zone) in self.zones_of(&missing).await? {
            zoned.by_isp.insert(isp, filters.in_zone(&zone)?);
        }
        Ok(())
    }

    /// One ISP's zone (its own, or the deployment's), from the cache or one GetItem: where a
    /// create counts its day.
    pub(super) async fn zone_of(&self, isp: IspId) -> Result<TimeZone, AppError> {
        let mut zones = self.zones_of(&BTreeSet::from([isp])).await?;
        zones
            .remove(&isp)
            .ok_or_else(|| AppError::Internal(format!("no time zone resolved for ISP {isp}")))
    }

    /// The zone of each of `isps`, from the cache; what is missing from one GetItem (a single
    /// ISP) or one Scan of the ISP table (several). An ISP without a zone, or that does not
    /// exist, has the deployment's.
    async fn zones_of(
        &self,
        isps: &BTreeSet<IspId>,
    ) -> Result<BTreeMap<IspId, TimeZone>, AppError> {
        let mut found: BTreeMap<IspId, Zone> = BTreeMap::new();
        let mut missing: Vec<IspId> = Vec::new();
        for &isp in isps {
            match self.zones.fresh(isp) {
                Some(zone) => {
                    found.insert(isp, zone);
                }
                None => missing.push(isp),
            }
        }
        if let [isp] = missing[..] {
            let item = self.store.get_isp(isp).await?;
            let zone = stored_zone(isp, item.as_ref().and_then(|i| i.time_zone.as_deref()))?;
            self.zones.remember(isp, zone.clone());
            found.insert(isp, zone);
        } else if !missing.is_empty() {
            let mut all: BTreeMap<IspId, Zone> = BTreeMap::new();
            for (isp, name) in self.refresh_isps().await? {
                all.insert(isp, stored_zone(isp, name.as_deref())?);
            }
            for isp in missing {
                found.insert(isp, all.remove(&isp).flatten());
            }
        }
        Ok(found
            .into_iter()
            .map(|(isp, zone)| {
                let tz = zone.map_or_else(|| self.time_zone.clone(), |z| z.zone().clone());
                (isp, tz)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kolkata() -> Zone {
        IspTimeZone::parse("time_zone", "Asia/Kolkata").ok()
    }

    #[test]
    fn zones_are_kept_for_the_cache_time_and_never_when_it_is_zero() {
        let cache = ZoneCache::new(Duration::from_secs(60));
        assert_eq!(cache.fresh(IspId(1)), None, "never read");
        cache.remember(IspId(1), kolkata());
        cache.remember(IspId(2), None);
        assert_eq!(cache.fresh(IspId(1)), Some(kolkata()));
        assert_eq!(cache.fresh(IspId(2)), Some(None), "known to have none");
        let off = ZoneCache::new(Duration::ZERO);
        off.remember(IspId(1), kolkata());
        assert_eq!(off.fresh(IspId(1)), None);
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = ZoneCache::new(Duration::from_secs(60));
        for isp in 1..=ZONES_MAX as u64 + 5 {
            cache.remember(IspId(isp), None);
        }
        let held = cache.entries.lock().map(|e| e.len()).unwrap_or(0);
        assert!(held <= ZONES_MAX, "{held}");
        assert_eq!(cache.fresh(IspId(ZONES_MAX as u64 + 5)), Some(None));
    }

    #[test]
    fn a_stored_zone_this_build_does_not_know_is_an_internal_error() {
        assert_eq!(stored_zone(IspId(3), None).ok(), Some(None));
        assert_eq!(
            stored_zone(IspId(3), Some("Asia/Kolkata")).ok(),
            Some(kolkata())
        );
        let e = stored_zone(IspId(3), Some("Mars/Olympus_Mons")).unwrap_err();
        assert!(
            matches!(&e, AppError::Internal(m) if m.contains("ISP 3")),
            "{e:?}"
        );
    }
}
