//! Settings from the environment, read once at start-up.

use crate::process::under_lambda;
use crate::store::DEV_PREFIX;
use crate::store::Tables;
pub use crate::store::client::ClientTuning;
pub use crate::tls::TlsRoots;
use jiff::tz::TimeZone;
use std::net::SocketAddr;
use std::time::Duration;

/// The DynamoDB API of `make dev` and the one `crm-admin` uses by default.
pub const DEV_ENDPOINT: &str = "http://127.0.0.1:8000";

#[derive(Debug, thiserror::Error)]
#[error("{var}: {rule}")]
pub struct ConfigError {
    pub var: &'static str,
    pub rule: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `None`: the regional AWS endpoint.
    pub endpoint: Option<String>,
    pub tables: Tables,
    /// How long a warm instance trusts a successful authentication (0 disables the cache).
    pub auth_cache_ttl: Duration,
    /// The zone in which `created_from`/`created_upto` name whole days.
    pub time_zone: TimeZone,
    /// Where the local server listens (not used under Lambda).
    pub bind: SocketAddr,
    /// Key of the HMAC that seals list cursors; `None`: a random key per process.
    pub cursor_secret: Option<String>,
    /// The secret before a rotation (`CURSOR_SECRET_PREVIOUS`): its cursors still open.
    pub cursor_secret_previous: Option<String>,
    /// The deployment key that seals form keys' signing secrets (`FORM_SECRET_KEY`);
    /// `None`: signing secrets cannot be set (`app::signup::sealed`).
    pub form_secret_key: Option<String>,
    /// Whether form keys may name `http://localhost`-style origins and redirect URLs
    /// (`FORM_LOCAL_ORIGINS=true`): development deployments only.
    pub form_local_origins: bool,
    /// `WEBHOOK_ALLOW_HTTP_LOOPBACK=1`: webhook endpoints may be `http://127.0.0.1` (local
    /// tests only; the template never sets it).
    pub webhook_loopback: bool,
    /// The CAPTCHA providers' siteverify URLs (`CAPTCHA_TURNSTILE_URL`,
    /// `CAPTCHA_HCAPTCHA_URL`; absent: the providers' own) and how long a check may take
    /// (`CAPTCHA_TIMEOUT_MS`, default 3000).
    pub captcha_turnstile_url: Option<String>,
    pub captcha_hcaptcha_url: Option<String>,
    pub captcha_timeout: Duration,
    /// How long a warm instance remembers where list pages ended (0 disables it).
    pub page_cache_ttl: Duration,
    /// What one list request may read from DynamoDB, in read units (`app::budget`).
    pub read_budget_units: u32,
    /// A form key's creates per window in all (`FORM_KEY_CREATES`), and from one source
    /// address (`FORM_SOURCE_CREATES`); 0 turns a limit off (`app::limits`).
    pub form_key_creates: u32,
    pub form_source_creates: u32,
    /// The window of those limits (`FORM_LIMIT_WINDOW_SECONDS`).
    pub form_limit_window: Duration,
    /// Requests per second per userid on one instance, burst twice that
    /// (`USER_REQUESTS_PER_SECOND`; 0: off; `app::limits::UserBuckets`).
    pub user_requests_per_second: u32,
    /// CloudWatch namespace of the per-route EMF metric lines; `None`: no metric lines.
    pub metrics_namespace: Option<String>,
    /// How long a create's idempotency key is remembered.
    pub idempotency_ttl: Duration,
    /// An identical create from the same caller within this window returns the first
    /// result (0 switches the guard off).
    pub duplicate_window: Duration,
    /// How long a deleted customer stays restorable (`RESTORE_DAYS`, default 30; 0: a delete
    /// is final, as before 0.x).
    pub restore_window: Duration,
    /// How long each entry of a customer's history is kept (`HISTORY_DAYS`, default 365; 0:
    /// no history is written).
    pub history_window: Duration,
    /// The root certificates the DynamoDB client trusts (`TLS_ROOTS`: aws or system).
    pub tls_roots: TlsRoots,
    /// Open the DynamoDB connection in init (`DYNAMODB_PRECONNECT`: true or false, default
    /// false): one eventually consistent GetItem of a user that cannot exist (docs/performance.md).
    pub dynamodb_preconnect: bool,
    /// Timeouts and retries of the DynamoDB client.
    pub dynamodb: ClientTuning,
    /// Past this, a request is answered 503 with `Retry-After` (`REQUEST_DEADLINE_MS`):
    /// below the function's `Timeout`, so a client never gets API Gateway's bare 500.
    pub request_deadline: Duration,
    /// The function's `Timeout` (`FUNCTION_TIMEOUT_SECONDS`, for the stack to set): Lambda
    /// does not tell a function its own. `None`: only Lambda's longest, 900 s, is known.
    pub function_timeout: Option<Duration>,
}

/// Lambda's longest function `Timeout`.
pub const LAMBDA_MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// What the request deadline leaves of the function's `Timeout`: time to send the 503.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// `FORM_LOCAL_ORIGINS`: true or false (absent: false).
pub fn local_origins(value: Option<String>) -> Result<bool, ConfigError> {
    flag("FORM_LOCAL_ORIGINS", value)
}

/// A true-or-false setting; absent or empty: false.
fn flag(var: &'static str, value: Option<String>) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ConfigError {
            var,
            rule: "must be true or false".into(),
        }),
    }
}

/// `WEBHOOK_ALLOW_HTTP_LOOPBACK`: 1 or 0 (absent: 0). Read by the API (create/update)
/// and by webhook-delivery (where it counts).
pub fn webhook_loopback(value: Option<String>) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None | Some("") | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(ConfigError {
            var: "WEBHOOK_ALLOW_HTTP_LOOPBACK",
            rule: "must be 1 or 0".into(),
        }),
    }
}

/// `TLS_ROOTS`: aws or system (absent or empty: aws), for every function's AWS clients.
pub fn tls_roots(value: Option<String>) -> Result<TlsRoots, ConfigError> {
    match value.as_deref().map(str::trim) {
        None | Some("" | "aws") => Ok(TlsRoots::Aws),
        Some("system") => Ok(TlsRoots::System),
        Some(_) => Err(ConfigError {
            var: "TLS_ROOTS",
            rule: "must be aws or system".into(),
        }),
    }
}

impl Settings {
    /// The API's settings at start-up: `from_lookup` on the environment, and timeouts that
    /// nest (`check_request_timing`).
    pub fn from_env() -> Result<Self, ConfigError> {
        let settings = Self::from_lookup(|k| std::env::var(k).ok(), under_lambda())?;
        settings.check_request_timing()?;
        Ok(settings)
    }

    /// Whether a request's timeouts nest: an operation within the request's deadline, the
    /// deadline `DEADLINE_MARGIN` within the function's `Timeout` (or Lambda's longest), so
    /// that a slow DynamoDB ends in the API's own 503 envelope, not in API Gateway's bare
    /// 500 from a timed-out function. Only the API answers requests: crm-admin's and the
    /// tools' longer operations (`from_lookup`) are not held to it.
    pub fn check_request_timing(&self) -> Result<(), ConfigError> {
        let ms = |d: Duration| d.as_millis();
        if self.dynamodb.operation_timeout > self.request_deadline {
            return Err(ConfigError {
                var: "REQUEST_DEADLINE_MS",
                rule: format!(
                    "must be at least DYNAMODB_OPERATION_TIMEOUT_MS ({}), so that one \
                     operation with its retries fits in a request; is {}",
                    ms(self.dynamodb.operation_timeout),
                    ms(self.request_deadline)
                ),
            });
        }
        let (timeout, var) = match self.function_timeout {
            Some(t) => (t, "FUNCTION_TIMEOUT_SECONDS"),
            None => (LAMBDA_MAX_TIMEOUT, "Lambda's longest Timeout"),
        };
        let latest = timeout.saturating_sub(DEADLINE_MARGIN);
        if self.request_deadline > latest {
            return Err(ConfigError {
                var: "REQUEST_DEADLINE_MS",
                rule: format!(
                    "must end {} ms before the function's Timeout ({var}: {} s): at most {}, \
                     is {}",
                    ms(DEADLINE_MARGIN),
                    timeout.as_secs(),
                    ms(latest),
                    ms(self.request_deadline)
                ),
            });
        }
        Ok(())
    }

    /// `DYNAMODB_ENDPOINT`: set and empty means AWS; unset means AWS under Lambda and the
    /// dev stack elsewhere, so a local run and `crm-admin` need no settings at all.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        lambda: bool,
    ) -> Result<Self, ConfigError> {
        let endpoint = match get("DYNAMODB_ENDPOINT") {
            Some(v) if v.trim().is_empty() => None,
            Some(v) => Some(v.trim().to_owned()),
            None if lambda => None,
            None => Some(DEV_ENDPOINT.to_owned()),
        };
        let prefix = get("TABLE_PREFIX").unwrap_or_else(|| DEV_PREFIX.to_owned());
        let seconds = |var: &'static str, default: u64| match get(var) {
            None => Ok(Duration::from_secs(default)),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| ConfigError {
                    var,
                    rule: "must be a whole number of seconds".into(),
                }),
        };
        let auth_cache_ttl = seconds("AUTH_CACHE_SECONDS", 60)?;
        let page_cache_ttl = seconds("LIST_CACHE_SECONDS", 300)?;
        let idempotency_ttl = seconds("IDEMPOTENCY_TTL_SECONDS", 86_400)?;
        if idempotency_ttl.is_zero() {
            return Err(ConfigError {
                var: "IDEMPOTENCY_TTL_SECONDS",
                rule: "must be at least 1".into(),
            });
        }
        let duplicate_window = seconds("DUPLICATE_WINDOW_SECONDS", 120)?;
        // A number of days, 0 to 3650 (ten years).
        let days = |var: &'static str, default: u64| match get(var) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|d| *d <= 3650)
                .ok_or(ConfigError {
                    var,
                    rule: "must be a whole number of days from 0 to 3650".into(),
                }),
        };
        let restore_window = Duration::from_secs(days("RESTORE_DAYS", 30)? * 86_400);
        let history_window = Duration::from_secs(days("HISTORY_DAYS", 365)? * 86_400);
        let read_budget_units = match get("LIST_READ_BUDGET_UNITS") {
            None => 256,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|u| (1..=100_000).contains(u))
                .ok_or(ConfigError {
                    var: "LIST_READ_BUDGET_UNITS",
                    rule: "must be a whole number of read units from 1 to 100000".into(),
                })?,
        };
        let tls_roots = tls_roots(get("TLS_ROOTS"))?;
        // UTC (the default) needs no lookup; any other zone comes from the compiled-in
        // database (~15 µs on a cold start, docs/performance.md#time-zones).
        let time_zone = match get("TIME_ZONE")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
        {
            None => TimeZone::UTC,
            Some(name) if matches!(name.as_str(), "UTC" | "Etc/UTC") => TimeZone::UTC,
            Some(name) => TimeZone::get(&name).map_err(|e| ConfigError {
                var: "TIME_ZONE",
                rule: format!("unknown time zone {name:?}: {e}"),
            })?,
        };
        let millis = |var: &'static str, default: u64| match get(var) {
            None => Ok(Duration::from_millis(default)),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|ms| (1..=900_000).contains(ms))
                .map(Duration::from_millis)
                .ok_or(ConfigError {
                    var,
                    rule: "must be a whole number of milliseconds from 1 to 900000".into(),
                }),
        };
        let count = |var: &'static str, default: u32, max: u32| match get(var) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or(ConfigError {
                    var,
                    rule: format!("must be a whole number from 0 to {max}"),
                }),
        };
        let defaults = ClientTuning::default();
        let dynamodb = ClientTuning {
            connect_timeout: millis("DYNAMODB_CONNECT_TIMEOUT_MS", 1_000)?,
            attempt_timeout: millis("DYNAMODB_ATTEMPT_TIMEOUT_MS", 2_000)?,
            operation_timeout: millis("DYNAMODB_OPERATION_TIMEOUT_MS", 5_000)?,
            max_attempts: count("DYNAMODB_MAX_ATTEMPTS", defaults.max_attempts, 10)?.max(1),
            request_retries: count("DYNAMODB_REQUEST_RETRIES", defaults.request_retries, 20)?,
        };
        // An attempt longer than its operation would never time out itself.
        if dynamodb.attempt_timeout > dynamodb.operation_timeout {
            return Err(ConfigError {
                var: "DYNAMODB_ATTEMPT_TIMEOUT_MS",
                rule: format!(
                    "must be at most DYNAMODB_OPERATION_TIMEOUT_MS ({}); is {}",
                    dynamodb.operation_timeout.as_millis(),
                    dynamodb.attempt_timeout.as_millis()
                ),
            });
        }
        let request_deadline = millis("REQUEST_DEADLINE_MS", 8_000)?;
        let function_timeout = match get("FUNCTION_TIMEOUT_SECONDS")
            .filter(|v| !v.trim().is_empty())
        {
            None => None,
            Some(v) => Some(
                v.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=LAMBDA_MAX_TIMEOUT.as_secs()).contains(s))
                    .map(Duration::from_secs)
                    .ok_or(ConfigError {
                        var: "FUNCTION_TIMEOUT_SECONDS",
                        rule: "must be the function's Timeout, a whole number of seconds from 1 \
                               to 900"
                            .into(),
                    })?,
            ),
        };
        let captcha_timeout = millis("CAPTCHA_TIMEOUT_MS", 3_000)?;
        let form_key_creates = count("FORM_KEY_CREATES", 200, 1_000_000)?;
        let form_source_creates = count("FORM_SOURCE_CREATES", 20, 1_000_000)?;
        let form_limit_window = seconds("FORM_LIMIT_WINDOW_SECONDS", 3_600)?;
        let user_requests_per_second = count("USER_REQUESTS_PER_SECOND", 20, 100_000)?;
        if form_limit_window.is_zero() {
            return Err(ConfigError {
                var: "FORM_LIMIT_WINDOW_SECONDS",
                rule: "must be at least 1".into(),
            });
        }
        let bind = get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|_| ConfigError {
                var: "BIND_ADDR",
                rule: "must be an address like 127.0.0.1:3000".into(),
            })?;
        Ok(Self {
            endpoint,
            tables: Tables::from_lookup(&get, &prefix),
            auth_cache_ttl,
            time_zone,
            bind,
            cursor_secret: get("CURSOR_SECRET").filter(|v| !v.trim().is_empty()),
            cursor_secret_previous: get("CURSOR_SECRET_PREVIOUS").filter(|v| !v.trim().is_empty()),
            form_secret_key: get("FORM_SECRET_KEY").filter(|v| !v.trim().is_empty()),
            form_local_origins: local_origins(get("FORM_LOCAL_ORIGINS"))?,
            webhook_loopback: webhook_loopback(get("WEBHOOK_ALLOW_HTTP_LOOPBACK"))?,
            captcha_turnstile_url: get("CAPTCHA_TURNSTILE_URL").filter(|v| !v.trim().is_empty()),
            captcha_hcaptcha_url: get("CAPTCHA_HCAPTCHA_URL").filter(|v| !v.trim().is_empty()),
            captcha_timeout,
            page_cache_ttl,
            read_budget_units,
            form_key_creates,
            form_source_creates,
            form_limit_window,
            user_requests_per_second,
            idempotency_ttl,
            duplicate_window,
            restore_window,
            history_window,
            tls_roots,
            dynamodb_preconnect: flag("DYNAMODB_PRECONNECT", get("DYNAMODB_PRECONNECT"))?,
            dynamodb,
            request_deadline,
            function_timeout,
            metrics_namespace: match get("METRICS").as_deref().map(str::trim) {
                Some("emf") => Some(()),
                Some("off") => None,
                Some(_) => {
                    return Err(ConfigError {
                        var: "METRICS",
                        rule: "must be emf or off".into(),
                    });
                }
                None if lambda => Some(()),
                None => None,
            }
            .map(|()| get("METRICS_NAMESPACE").unwrap_or_else(|| "IspCustomerApi".into())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)], lambda: bool) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned(), lambda)
    }

    #[test]
    fn preconnect_is_off_unless_asked_and_refuses_other_words() {
        assert!(!settings(&[], true).unwrap().dynamodb_preconnect);
        let on = settings(&[("DYNAMODB_PRECONNECT", "true")], true).unwrap();
        assert!(on.dynamodb_preconnect);
        let off = settings(&[("DYNAMODB_PRECONNECT", "false")], true).unwrap();
        assert!(!off.dynamodb_preconnect);
        let bad = settings(&[("DYNAMODB_PRECONNECT", "yes")], true).unwrap_err();
        assert_eq!(bad.var, "DYNAMODB_PRECONNECT");
    }

    #[test]
    fn endpoint_defaults_to_dev_stack_outside_lambda() {
        assert_eq!(
            settings(&[], false).unwrap().endpoint.as_deref(),
            Some(DEV_ENDPOINT)
        );
        assert_eq!(settings(&[], true).unwrap().endpoint, None);
        assert_eq!(
            settings(&[("DYNAMODB_ENDPOINT", "")], false)
                .unwrap()
                .endpoint,
            None
        );
        assert_eq!(
            settings(&[], false).unwrap().tables.customers,
            "crm-dev-customers"
        );
    }

    #[test]
    fn metrics_default_to_emf_under_lambda_only() {
        assert_eq!(
            settings(&[], true).unwrap().metrics_namespace.as_deref(),
            Some("IspCustomerApi")
        );
        assert_eq!(settings(&[], false).unwrap().metrics_namespace, None);
        let s = settings(&[("METRICS", "emf"), ("METRICS_NAMESPACE", "Crm")], false).unwrap();
        assert_eq!(s.metrics_namespace.as_deref(), Some("Crm"));
        assert_eq!(
            settings(&[("METRICS", "off")], true)
                .unwrap()
                .metrics_namespace,
            None
        );
        assert_eq!(
            settings(&[("METRICS", "yes")], true).unwrap_err().var,
            "METRICS"
        );
    }

    #[test]
    fn days_are_read_from_zero_to_ten_years() {
        let s = settings(&[], false).unwrap();
        assert_eq!(s.history_window, Duration::from_secs(365 * 86_400));
        assert_eq!(s.restore_window, Duration::from_secs(30 * 86_400));
        let off = settings(&[("HISTORY_DAYS", "0")], false).unwrap();
        assert!(off.history_window.is_zero());
        for bad in ["3651", "-1", "a year"] {
            let err = settings(&[("HISTORY_DAYS", bad)], false).unwrap_err();
            assert_eq!(err.var, "HISTORY_DAYS", "{bad}");
        }
    }

    #[test]
    fn tls_roots_are_aws_or_system_in_every_function() {
        assert_eq!(tls_roots(None).unwrap(), TlsRoots::Aws);
        assert_eq!(
            tls_roots(Some(" system ".into())).unwrap(),
            TlsRoots::System
        );
        assert_eq!(
            tls_roots(Some("sytem".into())).unwrap_err().var,
            "TLS_ROOTS"
        );
        // webhook-delivery reads it as the API does: a typo is refused, not taken for aws.
        let delivery = |v: &str| {
            crate::webhooks::DeliverySettings::from_lookup(|k| match k {
                "WEBHOOK_QUEUE_URL" => Some("http://queue".into()),
                "TLS_ROOTS" => Some(v.into()),
                _ => None,
            })
        };
        assert_eq!(delivery("system").unwrap().tls_roots, TlsRoots::System);
        assert_eq!(delivery("sytem").unwrap_err().var, "TLS_ROOTS");
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(
            settings(&[("AUTH_CACHE_SECONDS", "soon")], false)
                .unwrap_err()
                .var,
            "AUTH_CACHE_SECONDS"
        );
        assert_eq!(
            settings(&[("TIME_ZONE", "Mars/Base")], false)
                .unwrap_err()
                .var,
            "TIME_ZONE"
        );
        let s = settings(
            &[("TIME_ZONE", "Asia/Kolkata"), ("AUTH_CACHE_SECONDS", "0")],
            false,
        )
        .unwrap();
        assert_eq!(s.auth_cache_ttl, Duration::ZERO);
    }

    #[test]
    fn the_defaults_nest_within_the_stacks_timeout() {
        for lambda in [false, true] {
            let s = settings(&[("FUNCTION_TIMEOUT_SECONDS", "10")], lambda).unwrap();
            assert_eq!(s.function_timeout, Some(Duration::from_secs(10)));
            s.check_request_timing().unwrap();
            settings(&[], lambda)
                .unwrap()
                .check_request_timing()
                .unwrap();
        }
        // What infra/with-moto.sh sets for the binaries it runs against moto.
        let local = [
            ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "30000"),
            ("DYNAMODB_OPERATION_TIMEOUT_MS", "60000"),
            ("REQUEST_DEADLINE_MS", "120000"),
        ];
        settings(&local, false)
            .unwrap()
            .check_request_timing()
            .unwrap();
    }

    #[test]
    fn timeouts_that_do_not_nest_are_refused_naming_the_settings() {
        let e = settings(
            &[
                ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "6000"),
                ("DYNAMODB_OPERATION_TIMEOUT_MS", "5000"),
            ],
            false,
        )
        .unwrap_err();
        assert_eq!(e.var, "DYNAMODB_ATTEMPT_TIMEOUT_MS");
        assert!(
            e.rule.contains("DYNAMODB_OPERATION_TIMEOUT_MS (5000)"),
            "{e}"
        );
        // An attempt as long as its operation is fine.
        let equal = [
            ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "5000"),
            ("DYNAMODB_OPERATION_TIMEOUT_MS", "5000"),
        ];
        settings(&equal, false).unwrap();

        let short = settings(&[("REQUEST_DEADLINE_MS", "4999")], false).unwrap();
        let e = short.check_request_timing().unwrap_err();
        assert_eq!(e.var, "REQUEST_DEADLINE_MS");
        assert!(
            e.rule.contains("DYNAMODB_OPERATION_TIMEOUT_MS (5000)"),
            "{e}"
        );
        let equal = settings(&[("REQUEST_DEADLINE_MS", "5000")], false).unwrap();
        equal.check_request_timing().unwrap();

        // The deadline leaves a second of the function's Timeout.
        let tight = [
            ("REQUEST_DEADLINE_MS", "9001"),
            ("FUNCTION_TIMEOUT_SECONDS", "10"),
        ];
        let e = settings(&tight, true)
            .unwrap()
            .check_request_timing()
            .unwrap_err();
        assert_eq!(e.var, "REQUEST_DEADLINE_MS");
        assert!(
            e.rule.contains("FUNCTION_TIMEOUT_SECONDS: 10 s") && e.rule.contains("at most 9000"),
            "{e}"
        );
        let fits = [
            ("REQUEST_DEADLINE_MS", "9000"),
            ("FUNCTION_TIMEOUT_SECONDS", "10"),
        ];
        settings(&fits, true)
            .unwrap()
            .check_request_timing()
            .unwrap();
        // Unset, the Timeout can be no longer than Lambda's longest: 900 s.
        let e = settings(&[("REQUEST_DEADLINE_MS", "900000")], true)
            .unwrap()
            .check_request_timing()
            .unwrap_err();
        assert!(e.rule.contains("Lambda's longest Timeout: 900 s"), "{e}");
        for bad in ["0", "901", "ten"] {
            let e = settings(&[("FUNCTION_TIMEOUT_SECONDS", bad)], true).unwrap_err();
            assert_eq!(e.var, "FUNCTION_TIMEOUT_SECONDS", "{bad}");
        }
    }
}
