//! A form key's web settings (issue 21): which browser origins may call it (CORS), where a
//! plain HTML form's visitor is sent after a post (thank-you and error URLs, set by the key's
//! manager and never taken from a request: no open redirect), its honeypot field and the
//! public id of its hosted page. Stored as one JSON attribute on the user item and parsed
//! into the auth cache with the rest of the key, so a request costs no read of its own.

use super::super::Invalid;
use serde::{Deserialize, Serialize};

/// The `user/update` parameters that set web settings (each optional; empty clears one).
pub const WEB_PARAMS: [&str; 14] = [
    "form_origins",
    "form_thanks_url",
    "form_error_url",
    "form_thanks_id",
    "form_honeypot",
    "form_page",
    "form_page_title",
    "form_page_logo",
    "form_page_colour",
    "form_page_fields",
    "form_min_seconds",
    "form_captcha",
    "form_captcha_site_key",
    "form_captcha_secret",
];

/// The longest minimum fill time a key may ask for.
pub const MAX_MIN_SECONDS: u32 = 600;

/// The optional customer fields a hosted page may ask for (the required ones it always does).
pub const PAGE_OPTIONAL_FIELDS: [&str; 4] = ["surname", "dob", "uniqueid", "notes"];

/// At most this many origins per key: a key is one form on a few sites.
const MAX_ORIGINS: usize = 20;
const MAX_URL: usize = 2000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebSettings {
    /// Exact origins (`https://shop.example.net`) whose scripts may call the key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
    /// Where a browser's form post is sent (303) after a create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanks_url: Option<String>,
    /// Where it is sent after a refusal, with `field` and `reason` added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_url: Option<String>,
    /// Whether the thank-you redirect carries the new customer's id (`id=`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thanks_with_id: bool,
    /// A field a human never fills (hidden); filled: answered as a success, nothing written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honeypot: Option<String>,
    /// The random half of the hosted page's public id (`<userid>-<token>`); `None`: no page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// The hosted page's heading: the ISP's name as its visitors know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// An https URL of the ISP's logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// The page's accent colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// The optional customer fields the page asks for (`PAGE_OPTIONAL_FIELDS`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// The hosted page's minimum fill time in seconds (0: none), from its signed `shown_at`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_seconds: u32,
    /// The CAPTCHA provider (`turnstile`, `hcaptcha`), its public site key for the page's
    /// widget, and the secret, sealed (`app::signup::sealed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captcha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captcha_site_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captcha_secret: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A CAPTCHA provider whose tokens a form key checks (`app::signup::captcha`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptchaProvider {
    Turnstile,
    Hcaptcha,
}

impl CaptchaProvider {
    pub fn parse(param: &'static str, v: &str) -> Result<Self, Invalid> {
        match v.trim().to_ascii_lowercase().as_str() {
            "turnstile" => Ok(Self::Turnstile),
            "hcaptcha" => Ok(Self::Hcaptcha),
            _ => Err(Invalid::new(
                param,
                "must be turnstile, hcaptcha, or empty for none",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Turnstile => "turnstile",
            Self::Hcaptcha => "hcaptcha",
        }
    }

    /// The form field the provider's widget puts its token in.
    pub fn token_field(self) -> &'static str {
        match self {
            Self::Turnstile => "cf-turnstile-response",
            Self::Hcaptcha => "h-captcha-response",
        }
    }
}

/// Whether `http://localhost`-style origins and URLs are allowed (`FORM_LOCAL_ORIGINS`):
/// for development deployments only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalOrigins(pub bool);

/// What `form_page` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageChange {
    /// Keep the current id, or make one.
    On,
    /// A new id: links to the old one stop working.
    New,
    Off,
}

impl WebSettings {
    /// Parsed from the stored attribute.
    pub fn stored(json: &str) -> Result<Self, Invalid> {
        serde_json::from_str(json)
            .map_err(|e| Invalid::new("form_web", format!("unreadable stored settings: {e}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether a browser at `origin` may call this key.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    /// The hosted page's token, compared in constant time.
    pub fn page_matches(&self, token: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.page.as_deref().is_some_and(|p| {
            p.len() == token.len() && bool::from(p.as_bytes().ct_eq(token.as_bytes()))
        })
    }

    /// Applies `user/update`'s web parameters to the current settings: an absent parameter
    /// keeps its setting, an empty one clears it. `new_token` makes a page id when asked.
    pub fn apply(
        mut self,
        get: impl Fn(&str) -> Option<String>,
        local: LocalOrigins,
        new_token: impl FnOnce() -> Result<String, Invalid>,
    ) -> Result<Self, Invalid> {
        if let Some(v) = get("form_origins") {
            self.origins = parse_origins(&v, local)?;
        }
        if let Some(v) = get("form_thanks_url") {
            self.thanks_url = parse_url("form_thanks_url", &v, local)?;
        }
        if let Some(v) = get("form_error_url") {
            self.error_url = parse_url("form_error_url", &v, local)?;
        }
        if let Some(v) = get("form_thanks_id") {
            self.thanks_with_id = match v.trim() {
                "Y" | "y" => true,
                "N" | "n" | "" => false,
                _ => return Err(Invalid::new("form_thanks_id", "must be Y or N")),
            };
        }
        if let Some(v) = get("form_honeypot") {
            self.honeypot = parse_honeypot(&v)?;
        }
        if let Some(v) = get("form_page_title") {
            self.title = parse_title(&v)?;
        }
        if let Some(v) = get("form_page_logo") {
            self.logo = parse_url("form_page_logo", &v, local)?;
        }
        if let Some(v) = get("form_page_colour") {
            self.colour = parse_colour(&v)?;
        }
        if let Some(v) = get("form_page_fields") {
            self.fields = parse_page_fields(&v)?;
        }
        if let Some(v) = get("form_min_seconds") {
            self.min_seconds = match v.trim() {
                "" => 0,
                n => n
                    .parse()
                    .ok()
                    .filter(|n| *n <= MAX_MIN_SECONDS)
                    .ok_or_else(|| {
                        Invalid::new(
                            "form_min_seconds",
                            format!(
                                "must be a whole number of seconds from 0 to {MAX_MIN_SECONDS}"
                            ),
                        )
                    })?,
            };
        }
        if let Some(v) = get("form_captcha") {
            self.captcha = match v.trim() {
                "" => None,
                p => Some(
                    CaptchaProvider::parse("form_captcha", p)?
                        .as_str()
                        .to_owned(),
                ),
            };
        }
        if let Some(v) = get("form_captcha_site_key") {
            let v = v.trim();
            let ok = v.len() <= 100
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(Invalid::new(
                    "form_captcha_site_key",
                    "must be the provider's site key: at most 100 letters, digits, - or _",
                ));
            }
            self.captcha_site_key = (!v.is_empty()).then(|| v.to_owned());
        }
        if let Some(v) = get("form_page") {
            match parse_page(&v)? {
                PageChange::Off => self.page = None,
                PageChange::On if self.page.is_some() => {}
                PageChange::On | PageChange::New => self.page = Some(new_token()?),
            }
        }
        Ok(self)
    }

    /// The rules between settings, checked on the whole once applied to the stored ones.
    pub fn check(self) -> Result<Self, Invalid> {
        if self.captcha.is_some()
            && (self.captcha_site_key.is_none() || self.captcha_secret.is_none())
        {
            return Err(Invalid::new(
                "form_captcha",
                "needs the provider's site key (form_captcha_site_key) and secret (form_captcha_secret)",
            ));
        }
        if self.thanks_with_id && self.thanks_url.is_none() {
            return Err(Invalid::new(
                "form_thanks_id",
                "needs a thank-you URL (form_thanks_url) to add the id to",
            ));
        }
        Ok(self)
    }
}

fn parse_title(v: &str) -> Result<Option<String>, Invalid> {
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

fn parse_colour(v: &str) -> Result<Option<String>, Invalid> {
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

fn parse_page_fields(v: &str) -> Result<Vec<String>, Invalid> {
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

fn parse_page(v: &str) -> Result<PageChange, Invalid> {
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
    fn apply_keeps_what_is_absent_and_clears_what_is_empty() {
        let get = |k: &str| match k {
            "form_origins" => Some("https://a.example".to_owned()),
            "form_page" => Some("on".to_owned()),
            _ => None,
        };
        let s = WebSettings::default()
            .apply(get, PROD, || Ok("t1".into()))
            .unwrap();
        assert_eq!(s.page.as_deref(), Some("t1"));
        let again = s.clone().apply(get, PROD, || Ok("t2".into())).unwrap();
        assert_eq!(again.page.as_deref(), Some("t1"), "on keeps the id");
        let cleared = again
            .apply(
                |k| (k == "form_origins").then(String::new),
                PROD,
                || Ok("t3".into()),
            )
            .unwrap();
        assert!(cleared.origins.is_empty());
        assert!(cleared.page_matches("t1") && !cleared.page_matches("t2"));
        let s = WebSettings::stored(&cleared.to_json()).unwrap();
        assert_eq!(s, cleared);
    }

    #[test]
    fn honeypot_is_not_a_real_parameter() {
        assert!(parse_honeypot("website_url").is_ok());
        assert!(parse_honeypot("email").is_err());
        assert!(parse_honeypot("a b").is_err());
    }
}
