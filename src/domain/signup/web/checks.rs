//! The rules of each web setting, checked when a manager sets it: exact origins, redirect
//! URLs that cannot point anywhere surprising, names and looks of the hosted page.

use super::super::super::Invalid;
use super::{LocalOrigins, PAGE_OPTIONAL_FIELDS, PageChange};

/// At most this many origins per key: a key is one form on a few sites.
const MAX_ORIGINS: usize = 20;
const MAX_URL: usize = 2000;

pub(super) fn parse_title(v: &str) -> Result<Option<String>, Invalid> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > 100 || v.chars().any(char::is_control) {
        return Err(Invalid::new(
            "form_page_title",
            "must be at most 100 characters, without control characters",
        ));
    }
    Ok(Some(v.to_owned()))
}

pub(super) fn parse_colour(v: &str) -> Result<Option<String>, Invalid> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let ok = v.len() == 7 && v.starts_with('#') && v[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(Invalid::new(
            "form_page_colour",
            "must be #rrggbb, like #0b5fff",
        ));
    }
    Ok(Some(v.to_ascii_lowercase()))
}

pub(super) fn parse_page_fields(v: &str) -> Result<Vec<String>, Invalid> {
    let mut fields = Vec::new();
    for f in v.split([',', ' ']).filter(|f| !f.is_empty()) {
        if !PAGE_OPTIONAL_FIELDS.contains(&f) {
            return Err(Invalid::new(
                "form_page_fields",
                format!(
                    "{f:?}: must be among surname, dob, uniqueid and notes (the required fields are always asked)"
                ),
            ));
        }
        if !fields.iter().any(|x| x == f) {
            fields.push(f.to_owned());
        }
    }
    Ok(fields)
}

pub(super) fn parse_page(v: &str) -> Result<PageChange, Invalid> {
    match v.trim().to_ascii_lowercase().as_str() {
        "on" => Ok(PageChange::On),
        "new" => Ok(PageChange::New),
        "off" | "" => Ok(PageChange::Off),
        _ => Err(Invalid::new(
            "form_page",
            "must be on (a hosted page), new (a new public id: old links stop working) or off",
        )),
    }
}

/// A host as origins and URLs may name it: DNS letters, digits, dots and hyphens, or a
/// bracketed IPv6 literal; an optional port.
fn host_ok(authority: &str) -> Option<&str> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (authority, None),
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if let Some(p) = port
        && (p.is_empty()
            || p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u32>().map_or(true, |n| n == 0 || n > 65535))
    {
        return None;
    }
    let ipv6 = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
    let dns = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-'])
        && !host.contains("..");
    (dns || ipv6).then_some(host)
}

fn is_local(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1" || host == "[::1]"
}

/// Splits `scheme://authority` off a URL, checking the scheme against the deployment's rule.
fn checked_authority<'a>(
    param: &'static str,
    value: &'a str,
    local: LocalOrigins,
) -> Result<(&'a str, &'a str), Invalid> {
    let (scheme, rest) = value
        .split_once("://")
        .ok_or_else(|| Invalid::new(param, format!("{value:?} must start with https://")))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = host_ok(authority).ok_or_else(|| {
        Invalid::new(
            param,
            format!("{value:?}: the host must be a lowercase name (no user@, no spaces) with an optional port"),
        )
    })?;
    match scheme {
        "https" => {}
        "http" if local.0 && is_local(host) => {}
        "http" if is_local(host) => {
            return Err(Invalid::new(
                param,
                format!(
                    "{value:?}: http://localhost-style addresses are allowed only where the deployment sets FORM_LOCAL_ORIGINS=true"
                ),
            ));
        }
        _ => {
            return Err(Invalid::new(
                param,
                format!("{value:?} must start with https://"),
            ));
        }
    }
    Ok((authority, tail))
}

/// Origins separated by commas or spaces: each exactly `https://host[:port]`, no path.
pub fn parse_origins(value: &str, local: LocalOrigins) -> Result<Vec<String>, Invalid> {
    let mut origins: Vec<String> = Vec::new();
    for o in value
        .split([',', ' ', '\n', '\t'])
        .filter(|o| !o.is_empty())
    {
        let (_, tail) = checked_authority("form_origins", o, local)?;
        if !tail.is_empty() {
            return Err(Invalid::new(
                "form_origins",
                format!(
                    "{o:?} is not an origin: scheme and host only, like https://www.example.net (no path, no trailing /)"
                ),
            ));
        }
        if !origins.iter().any(|x| x == o) {
            origins.push(o.to_owned());
        }
    }
    if origins.len() > MAX_ORIGINS {
        return Err(Invalid::new(
            "form_origins",
            format!("at most {MAX_ORIGINS} origins per form key"),
        ));
    }
    Ok(origins)
}

/// A thank-you or error URL: https (or local, where allowed), no fragment (the API adds
/// query parameters), no control characters; empty clears it.
pub fn parse_url(
    param: &'static str,
    value: &str,
    local: LocalOrigins,
) -> Result<Option<String>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > MAX_URL || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Invalid::new(
            param,
            format!("must be at most {MAX_URL} visible ASCII characters (percent-encode others)"),
        ));
    }
    let (_, tail) = checked_authority(param, value, local)?;
    if tail.contains('#') {
        return Err(Invalid::new(
            param,
            "must not have a #fragment (the API adds query parameters to it)",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// A honeypot's name: 1 to 40 letters, digits, `_` or `-`, not a name the API reads.
pub fn parse_honeypot(value: &str) -> Result<Option<String>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let ok = value.len() <= 40
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(Invalid::new(
            "form_honeypot",
            "must be 1 to 40 letters, digits, _ or -",
        ));
    }
    let read = ["userid", "api_key", "idempotency_key", "form", "shown_at"].contains(&value)
        || crate::domain::customer::FIELDS
            .iter()
            .any(|f| f.name.eq_ignore_ascii_case(value));
    if read {
        return Err(Invalid::new(
            "form_honeypot",
            format!(
                "{value:?} is a parameter the API reads; pick a name no real field has, like website_url"
            ),
        ));
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: LocalOrigins = LocalOrigins(true);
    const PROD: LocalOrigins = LocalOrigins(false);

    #[test]
    fn origins_are_exact_https_origins() {
        assert_eq!(
            parse_origins("https://a.example, https://b.example:8443", PROD).unwrap(),
            ["https://a.example", "https://b.example:8443"]
        );
        for bad in [
            "http://a.example",
            "https://a.example/",
            "https://a.example/path",
            "https://user@a.example",
            "https://A.example",
            "*",
            "null",
            "https://a.example:0",
            "ftp://a.example",
        ] {
            assert!(parse_origins(bad, PROD).is_err(), "{bad}");
        }
        assert!(parse_origins("http://localhost:8080", PROD).is_err());
        assert!(parse_origins("http://localhost:8080", DEV).is_ok());
        assert!(parse_origins("http://127.0.0.1:8080", DEV).is_ok());
        assert!(parse_origins("http://evil.example", DEV).is_err());
    }

    #[test]
    fn urls_take_no_fragment_and_no_spaces() {
        assert!(parse_url("form_thanks_url", "https://a.example/thanks?x=1", PROD).is_ok());
        assert!(parse_url("form_thanks_url", "https://a.example/t#x", PROD).is_err());
        assert!(parse_url("form_thanks_url", "https://a.example/t x", PROD).is_err());
        assert!(parse_url("form_thanks_url", "javascript:alert(1)", PROD).is_err());
        assert!(parse_url("form_thanks_url", "//a.example", PROD).is_err());
        assert_eq!(parse_url("form_thanks_url", " ", PROD).unwrap(), None);
    }

    #[test]
    fn honeypot_is_not_a_real_parameter() {
        assert!(parse_honeypot("website_url").is_ok());
        assert!(parse_honeypot("email").is_err());
        assert!(parse_honeypot("a b").is_err());
    }
}
