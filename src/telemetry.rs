//! JSON logs on stdout (CloudWatch under Lambda). `RUST_LOG` sets the level (default info):
//! a level, or `target=level` directives (`info,isp_crm::store=debug`). A `Targets` filter
//! rather than `EnvFilter`, whose span and field directives nobody used and whose regex
//! engine was ~230 KiB of the function's binary (docs/performance.md, Size).

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub fn init() {
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_target(false),
        )
        .with(filter(std::env::var("RUST_LOG").ok().as_deref()))
        .try_init();
}

/// The filter `RUST_LOG` asks for; unset, empty or unreadable: info.
fn filter(setting: Option<&str>) -> Targets {
    setting
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

#[cfg(test)]
mod tests {
    use super::filter;
    use tracing::Level;

    #[test]
    fn rust_log_sets_the_default_level_and_per_target_levels() {
        let unset = filter(None);
        assert!(unset.would_enable("isp_crm::store", &Level::INFO));
        assert!(!unset.would_enable("isp_crm::store", &Level::DEBUG));
        assert!(filter(Some("debug")).would_enable("hyper", &Level::DEBUG));
        let mixed = filter(Some("warn,isp_crm::store=debug"));
        assert!(mixed.would_enable("isp_crm::store::client", &Level::DEBUG));
        assert!(!mixed.would_enable("isp_crm::http", &Level::INFO));
        assert!(mixed.would_enable("isp_crm::http", &Level::WARN));
        // Unreadable: info, as before.
        assert!(filter(Some("a=b=c")).would_enable("x", &Level::INFO));
        assert!(!filter(Some("a=b=c")).would_enable("x", &Level::DEBUG));
    }
}
