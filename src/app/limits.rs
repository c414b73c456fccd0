//! Limits on a form key's creates. A form key sits in public web pages, so anyone may use it:
//! its creates are counted per key and per (key, source) in fixed windows, exactly across
//! Lambda instances (`store::limits`: a counter item in the create's transaction). The
//! per-source limit keeps one spammer from using up a form's quota and locking out real
//! signups; a source is an IPv4 address or an IPv6 /64 (`store::limits::Per`). Replays
//! (answered from an idempotency or duplicate claim) count nothing.

use super::AppError;
use crate::config::Settings;
use crate::domain::scope::{Caller, Role};
use crate::store::limits::{Per, WindowCount};
use std::net::IpAddr;

pub struct FormLimits {
    per_key: u32,
    per_source: u32,
    window: i64,
}

impl FormLimits {
    pub fn new(settings: &Settings) -> Self {
        Self {
            per_key: settings.form_key_creates,
            per_source: settings.form_source_creates,
            window: i64::try_from(settings.form_limit_window.as_secs())
                .unwrap_or(i64::MAX)
                .max(1),
        }
    }

    /// The counters a create by `caller` from `source` takes at `now` (epoch seconds): none
    /// unless it is a form key; a limit of 0 is off; without a known source, only the key's.
    pub fn windows(&self, caller: &Caller, source: Option<IpAddr>, now: i64) -> Vec<WindowCount> {
        if caller.role != Role::Form {
            return Vec::new();
        }
        let start = now - now.rem_euclid(self.window);
        let expires_at = start + self.window;
        let mut windows = Vec::new();
        if self.per_key > 0 {
            windows.push(WindowCount::per_key(
                caller.userid,
                start,
                self.per_key,
                expires_at,
            ));
        }
        if let (true, Some(source)) = (self.per_source > 0, source) {
            windows.push(WindowCount::per_source(
                caller.userid,
                source,
                start,
                self.per_source,
                expires_at,
            ));
        }
        windows
    }

    /// 429, with the seconds until the full window ends.
    pub fn refusal(&self, full: Option<&WindowCount>, now: i64) -> AppError {
        let (what, max, end) = match full {
            // An IPv6 source counts as its /64: say so.
            Some(w) => {
                let what = match w.per {
                    Per::Ipv6Net => "from this IPv6 /64",
                    Per::Address => "from this address",
                    Per::Key => "in all",
                };
                (what, w.max, w.expires_at)
            }
            None => ("in all", self.per_key, now + self.window),
        };
        let retry_after = u64::try_from(end - now).unwrap_or(1).max(1);
        AppError::RateLimited {
            retry_after,
            message: format!(
                "userid: this form key has made its {max} creates {what} for this window of \
                 {} s; retry after {retry_after} s",
                self.window
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{IspId, ResellerId, UserId};
    use crate::domain::scope::Scope;

    fn limits() -> FormLimits {
        FormLimits {
            per_key: 5,
            per_source: 2,
            window: 3600,
        }
    }

    fn caller(role: Role) -> Caller {
        Caller {
            userid: UserId(20),
            role,
            scope: Scope::Reseller {
                isp: IspId(1),
                reseller: ResellerId(1),
            },
        }
    }

    #[test]
    fn form_keys_count_per_key_and_per_source_in_fixed_windows() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let w = limits().windows(&caller(Role::Form), Some(ip), 7_205);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].key, "rate|key|20|7200");
        assert_eq!(w[1].key, "rate|ip|20|203.0.113.7|7200");
        assert_eq!((w[0].max, w[1].max, w[0].expires_at), (5, 2, 10_800));
        assert!(
            limits()
                .windows(&caller(Role::Reseller), Some(ip), 7_205)
                .is_empty()
        );
        assert_eq!(limits().windows(&caller(Role::Form), None, 7_205).len(), 1);
        match limits().refusal(Some(&w[1]), 7_205) {
            AppError::RateLimited {
                retry_after,
                message,
            } => {
                assert_eq!(retry_after, 3_595);
                assert!(message.contains("from this address"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_ipv6_source_is_limited_as_its_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let wa = limits().windows(&caller(Role::Form), Some(a), 7_205);
        let wb = limits().windows(&caller(Role::Form), Some(b), 7_205);
        assert_eq!(wa[1].key, wb[1].key);
        assert_eq!(wa[1].key, "rate|ip|20|2001:db8:1:2::/64|7200");
        match limits().refusal(Some(&wa[1]), 7_205) {
            AppError::RateLimited { message, .. } => {
                assert!(message.contains("from this IPv6 /64"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A first line against one caller flooding the API: a token bucket per `userid`, in this
/// instance's memory (`USER_REQUESTS_PER_SECOND`, burst twice that; 0: off). What it does not
/// catch: a burst spread over many instances (each has its own buckets), and callers that
/// fail authentication (they are refused before it, and cost no read when repeated: see
/// `auth.rs`). API Gateway's route throttling stays the shared outer limit, and a form key's
/// creates have exact limits of their own (`FormLimits`).
pub struct UserBuckets {
    limiter: Option<governor::DefaultKeyedRateLimiter<crate::domain::ids::UserId>>,
}

impl UserBuckets {
    pub fn new(per_second: u32) -> Self {
        let limiter = std::num::NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(std::num::NonZeroU32::MIN.saturating_add(1));
            governor::RateLimiter::keyed(governor::Quota::per_second(rate).allow_burst(burst))
        });
        Self { limiter }
    }

    /// Admits one request of `caller`, or 429 with the seconds until its bucket has a token.
    pub fn admit(&self, caller: &Caller) -> Result<(), AppError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > 100_000 {
            // Buckets of callers gone quiet are full again: forgetting them changes nothing.
            limiter.retain_recent();
        }
        limiter.check_key(&caller.userid).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            let retry_after = wait.as_secs().max(1);
            AppError::RateLimited {
                retry_after,
                message: format!(
                    "userid: too many requests from this user on this server; retry after {retry_after} s"
                ),
            }
        })
    }
}

#[cfg(test)]
mod bucket_tests {
    use super::*;
    use crate::domain::ids::{IspId, UserId};
    use crate::domain::scope::Scope;

    #[test]
    fn a_caller_gets_its_burst_then_429_and_others_are_untouched() {
        let buckets = UserBuckets::new(2);
        let caller = |id| Caller {
            userid: UserId(id),
            role: Role::Isp,
            scope: Scope::Isp(IspId(1)),
        };
        for _ in 0..4 {
            buckets.admit(&caller(5)).unwrap();
        }
        assert!(matches!(
            buckets.admit(&caller(5)),
            Err(AppError::RateLimited { retry_after: 1, .. })
        ));
        buckets.admit(&caller(6)).unwrap();
        let off = UserBuckets::new(0);
        for _ in 0..100 {
            off.admit(&caller(5)).unwrap();
        }
    }
}
