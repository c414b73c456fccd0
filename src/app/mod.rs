//! The use cases: authenticate, create, update, delete, list. Each parses its input with the
//! domain, plans with the domain, and reads or writes through the store.

mod auth;
pub mod budget;
pub mod cursor;
mod customers;
pub mod deleted;
mod error;
pub mod history;
pub mod limits;
pub mod list;
pub mod planner;
pub mod privacy;
pub mod replay;
pub mod service_list;
mod services;
pub mod signup;
pub mod tenancy;
pub mod webhooks;
mod zones;

pub use auth::Authenticated;
pub use error::AppError;
pub use list::ListOutcome;
pub use service_list::ServiceListOutcome;

use crate::config::Settings;
use crate::domain::credentials::{ApiKey, RandomError};
use crate::domain::ids::{IspId, ResellerId};
use crate::store::retries;
use crate::store::{Store, StoreError, backoff};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::sync::Mutex;

/// Conflicts with concurrent writers are short and allocated ids are never taken: the bound
/// on a write's attempts only guards against a stuck item or a broken counter.
const ATTEMPTS: u32 = 5;

/// The attempts of one write (`App::attempts`): `while tries.next().await? { ... }`, then
/// `Err(tries.exhausted())`.
struct Attempts<'a> {
    app: &'a App,
    what: &'static str,
    calls: u32,
    attempt: u32,
}

impl Attempts<'_> {
    /// Whether to make another attempt; every one after the first follows a pause
    /// (`App::again`), which may refuse when the request's retries are spent.
    async fn next(&mut self) -> Result<bool, AppError> {
        if self.attempt >= ATTEMPTS {
            return Ok(false);
        }
        self.attempt += 1;
        if self.attempt > 1 {
            self.pause().await?;
        }
        Ok(true)
    }

    /// A pause within an attempt (before reading what a concurrent writer did).
    async fn pause(&self) -> Result<(), AppError> {
        self.app.again(self.attempt, self.calls, self.what).await
    }

    /// 503 once every attempt met another writer.
    fn exhausted(&self) -> AppError {
        StoreError::Busy(format!(
            "{}: kept conflicting with concurrent writes",
            self.what
        ))
        .into()
    }
}

/// Everything a request needs, built once per process (cold start) and shared.
pub struct App {
    pub store: Store,
    auth: auth::AuthCache,
    /// ISPs and resellers: enabled or not, and a reseller's ISP (`tenancy/cache.rs`).
    tenants: tenancy::TenantCache,
    /// The deployment's `TIME_ZONE`: "today" for dates of birth, and the days of lists of
    /// ISPs without a zone of their own.
    time_zone: TimeZone,
    /// Each ISP's own zone, kept for `AUTH_CACHE_SECONDS` (`zones.rs`).
    zones: zones::ZoneCache,
    cursors: cursor::CursorSeal,
    pages: cursor::PageCache,
    read_budget_units: u32,
    form_limits: limits::FormLimits,
    users: limits::UserBuckets,
    request_deadline: std::time::Duration,
    request_retries: u32,
    metrics_namespace: Option<String>,
    /// Every ISP id, for admins' lists across ISPs; new ISPs are rare, so kept briefly.
    isp_ids: Mutex<Option<(std::time::Instant, Vec<IspId>)>>,
    idempotency_ttl: std::time::Duration,
    duplicate_window: std::time::Duration,
    /// How long a deleted customer stays restorable (`RESTORE_DAYS`; zero: deletes are final).
    restore_window: std::time::Duration,
    /// How long a history entry is kept (`HISTORY_DAYS`; zero: no history is written).
    history_window: std::time::Duration,
    /// Seals and opens form keys' signing secrets (`FORM_SECRET_KEY`).
    seal: signup::sealed::SecretSeal,
    /// `FORM_LOCAL_ORIGINS`: form keys may name `http://localhost`-style origins and URLs.
    local_origins: crate::domain::signup::LocalOrigins,
    /// Signs and checks the hosted page's `shown_at` (minimum fill time).
    stamps: signup::stamp::PageStamps,
    /// Checks form keys' CAPTCHA tokens with their providers.
    captcha: signup::captcha::Captcha,
    /// `WEBHOOK_ALLOW_HTTP_LOOPBACK`: endpoints may be `http://127.0.0.1` (local tests).
    webhook_loopback: bool,
}

impl App {
    /// Without `CURSOR_SECRET` cursors are sealed with a random per-process key: fine for one
    /// process, but under Lambda every instance needs the same key (the template sets it).
    pub fn new(store: Store, settings: &Settings) -> Result<Self, RandomError> {
        let secret = match &settings.cursor_secret {
            Some(secret) => secret.clone(),
            None => ApiKey::generate()?.expose().to_owned(),
        };
        Ok(Self {
            store,
            auth: auth::AuthCache::new(settings.auth_cache_ttl),
            tenants: tenancy::TenantCache::new(settings.auth_cache_ttl),
            time_zone: settings.time_zone.clone(),
            zones: zones::ZoneCache::new(settings.auth_cache_ttl),
            cursors: cursor::CursorSeal::new(secret.as_bytes()).with_previous(
                settings
                    .cursor_secret_previous
                    .as_deref()
                    .map(str::as_bytes),
            ),
            pages: cursor::PageCache::new(settings.page_cache_ttl),
            read_budget_units: settings.read_budget_units,
            form_limits: limits::FormLimits::new(settings),
            users: limits::UserBuckets::new(settings.user_requests_per_second),
            request_deadline: settings.request_deadline,
            request_retries: settings.dynamodb.request_retries,
            metrics_namespace: settings.metrics_namespace.clone(),
            isp_ids: Mutex::default(),
            idempotency_ttl: settings.idempotency_ttl,
            duplicate_window: settings.duplicate_window,
            restore_window: settings.restore_window,
            history_window: settings.history_window,
            seal: signup::sealed::SecretSeal::new(settings.form_secret_key.as_deref()),
            local_origins: crate::domain::signup::LocalOrigins(settings.form_local_origins),
            stamps: signup::stamp::PageStamps::new(settings.form_secret_key.as_deref()),
            captcha: signup::captcha::Captcha::new(
                settings.captcha_turnstile_url.clone(),
                settings.captcha_hcaptcha_url.clone(),
                settings.captcha_timeout,
            ),
            webhook_loopback: settings.webhook_loopback,
        })
    }

    /// Admits one more request of an authenticated caller on this instance, or 429.
    pub fn admit(&self, caller: &crate::domain::scope::Caller) -> Result<(), AppError> {
        self.users.admit(caller)
    }

    /// How long a request may run before it is answered 503 (`REQUEST_DEADLINE_MS`).
    pub fn request_deadline(&self) -> std::time::Duration {
        self.request_deadline
    }

    /// Retries one request may spend, the SDK's and the app's loops' together.
    pub fn request_retries(&self) -> u32 {
        self.request_retries
    }

    /// The CloudWatch namespace of per-route metric lines, if they are on.
    pub fn metrics_namespace(&self) -> Option<&str> {
        self.metrics_namespace.as_deref()
    }

    fn now(&self) -> String {
        crate::domain::audit::now()
    }

    /// Today in the deployment's time zone (a date of birth may not be after it).
    fn today(&self) -> Date {
        Timestamp::now()
            .to_zoned_datetime(self.time_zone.clone())
            .date()
    }

    /// Before a use case repeats `calls` DynamoDB calls because other writers were in the
    /// way (a transaction conflict, a changed record, a claim not yet readable): a short
    /// pause and as many retries from the request's budget (`store::retries`), so the app's
    /// loops and the SDK's retries never multiply. Spent: 503 "storage busy".
    async fn again(&self, attempt: u32, calls: u32, what: &str) -> Result<(), AppError> {
        for _ in 0..calls {
            if !retries::take() {
                return Err(
                    StoreError::Busy(format!("{what}: the request's retries are spent")).into(),
                );
            }
        }
        tokio::time::sleep(backoff(attempt)).await;
        Ok(())
    }

    /// The attempts of a write that other writers may get in the way of: `calls` DynamoDB
    /// calls each, reported as `what`.
    fn attempts(&self, what: &'static str, calls: u32) -> Attempts<'_> {
        Attempts {
            app: self,
            what,
            calls,
            attempt: 0,
        }
    }

    /// Every ISP id, read at most once a minute per instance.
    async fn isp_ids(&self) -> Result<Vec<IspId>, AppError> {
        const FRESH: std::time::Duration = std::time::Duration::from_secs(60);
        let cached = self.isp_ids.lock().ok().and_then(|c| c.clone());
        if let Some((_, ids)) = cached.filter(|(at, _)| at.elapsed() < FRESH) {
            return Ok(ids);
        }
        Ok(self
            .refresh_isps()
            .await?
            .into_iter()
            .map(|(isp, _)| isp)
            .collect())
    }

    /// Scans the ISP table (one small item per ISP) for every id and zone, and caches both:
    /// an admin's list across ISPs needs the ids, and their zones when it has a created range.
    async fn refresh_isps(&self) -> Result<Vec<(IspId, Option<String>)>, AppError> {
        let isps = self.store.isp_zones().await?;
        for (isp, name) in &isps {
            // A zone this build does not know is not cached: a list that needs it says so.
            if let Ok(zone) = zones::stored_zone(*isp, name.as_deref()) {
                self.zones.remember(*isp, zone);
            }
        }
        if let Ok(mut cache) = self.isp_ids.lock() {
            let ids = isps.iter().map(|(isp, _)| *isp).collect();
            *cache = Some((std::time::Instant::now(), ids));
        }
        Ok(isps)
    }

    /// The ISP a reseller belongs to, or `None` if there is no such reseller.
    async fn reseller_isp(&self, reseller: ResellerId) -> Result<Option<IspId>, AppError> {
        Ok(self.reseller_state(reseller).await?.map(|(isp, _)| isp))
    }
}
