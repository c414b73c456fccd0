//! A form key's web settings (issue 21): which browser origins may call it (CORS), where a
//! plain HTML form's visitor is sent after a post (thank-you and error URLs, set by the key's
//! manager and never taken from a request: no open redirect), its honeypot field and the
//! public id of its hosted page. Stored as one JSON attribute on the user item and parsed
//! into the auth cache with the rest of the key, so a request costs no read of its own.

use super::super::Invalid;
use checks::{parse_colour, parse_page, parse_page_fields, parse_title};
pub use checks::{parse_honeypot, parse_origins, parse_url};

mod checks;
use serde::{Deserialize, Serialize};

/// The `user/update` parameters that set web settings (each optional; empty clears one).
pub const WEB_PARAMS: [&str; 15] = [
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
    "form_unstamped",
    "form_captcha",
    "form_captcha_site_key",
    "form_captcha_secret",
];

/// The longest minimum fill time a key may ask for.
pub const MAX_MIN_SECONDS: u32 = 600;

/// The optional customer fields a hosted page may ask for (the required ones it always does).
pub const PAGE_OPTIONAL_FIELDS: [&str; 4] = ["surname", "dob", "uniqueid", "notes"];

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
    /// The minimum fill time in seconds (0: none), from a signed `shown_at`: the hosted
    /// page's own, or the one the key's own HTML form fetched (`GET /signup/{id}/stamp`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_seconds: u32,
    /// Whether a `customer/create` post without a `shown_at` passes the minimum fill time
    /// (`form_unstamped=allow`: a form whose script did not run, a server's call) or is
    /// refused (the default). A stamp that is there is always checked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unstamped_allowed: bool,
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
        if let Some(v) = get("form_unstamped") {
            self.unstamped_allowed = match v.trim() {
                "allow" => true,
                "refuse" | "" => false,
                _ => return Err(Invalid::new("form_unstamped", "must be allow or refuse")),
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

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: LocalOrigins = LocalOrigins(false);

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
}
