//! A form key's setup as its manager sets it (`user/update`, crm-admin `user form`): the
//! tool profile, map and signing secret (issue 20), and the web settings (issue 21), each
//! checked whole before anything is written.

use super::super::tenancy::TenancyError;
use super::sealed::SecretSeal;
use crate::domain::Invalid;
use crate::domain::audit::{Audit, now};
use crate::domain::fields::Fields;
use crate::domain::ids::UserId;
use crate::domain::scope::{Actor, Role};
use crate::domain::signup::{
    FieldMap, LocalOrigins, Profile, SigningSecret, WEB_PARAMS, WebSettings,
};
use crate::store::Store;
use crate::store::tenancy::{FormAttributes, Stamp, Updated, UserUpdate};

/// What happens to a form key's signing secret.
#[derive(Debug)]
pub enum SecretChange {
    /// Kept if the new profile's tool signs, dropped otherwise.
    Keep,
    Clear,
    Set(SigningSecret),
}

/// A form key's change: its tool setup (the whole of it), its web settings (those given),
/// or both in one write.
#[derive(Debug)]
pub struct FormChange {
    pub setup: Option<SetupChange>,
    /// The web parameters given, as sent; checked against the stored settings when written
    /// (an absent one keeps its setting).
    pub web: Vec<(&'static str, String)>,
}

/// A form key's new tool setup: the whole of it, checked.
#[derive(Debug)]
pub struct SetupChange {
    pub profile: Profile,
    pub map: FieldMap,
    pub secret: SecretChange,
}

impl FormChange {
    /// The tool setup when `form_profile`, `form_map` or `signing_secret` is given, and the
    /// web parameters given; at least one of them.
    pub fn parse(f: &impl Fields) -> Result<Self, Invalid> {
        let web: Vec<_> = WEB_PARAMS
            .into_iter()
            .filter_map(|p| f.get(p).map(|v| (p, v.to_owned())))
            .collect();
        let setup_given = ["form_profile", "form_map", "signing_secret"]
            .iter()
            .any(|p| f.get(p).is_some());
        if !setup_given && web.is_empty() {
            return Err(Invalid::new(
                "form_profile",
                "is required, unless a web setting is given (form_origins, form_thanks_url, \
                 form_error_url, form_thanks_id, form_honeypot, form_page, form_page_*)",
            ));
        }
        let setup = setup_given.then(|| SetupChange::parse(f)).transpose()?;
        let change = Self { setup, web };
        // The rules that need no stored state, checked before any read.
        change.web_settings(WebSettings::default(), LocalOrigins(true), || {
            Ok(String::new())
        })?;
        Ok(change)
    }

    fn web_settings(
        &self,
        current: WebSettings,
        local: LocalOrigins,
        token: impl FnOnce() -> Result<String, Invalid>,
    ) -> Result<WebSettings, Invalid> {
        current.apply(
            |p| {
                self.web
                    .iter()
                    .find(|(k, _)| *k == p)
                    .map(|(_, v)| v.clone())
            },
            local,
            token,
        )
    }
}

impl SetupChange {
    /// From `form_profile` (required), `form_map` (required for every profile but
    /// `fields`) and `signing_secret` (a value, `generate`, or empty to clear).
    pub fn parse(f: &impl Fields) -> Result<Self, Invalid> {
        let profile = f.parse_req("form_profile", Profile::parse)?;
        let map = match (profile.is_mapped(), f.optional("form_map")) {
            (true, Some(m)) => FieldMap::parse(profile, m)?,
            (true, None) => {
                return Err(Invalid::new(
                    "form_map",
                    "is required with this profile: which of the tool's fields fills each customer field",
                ));
            }
            (false, Some(_)) => {
                return Err(Invalid::new(
                    "form_map",
                    "the fields profile reads the API's own names and takes no map",
                ));
            }
            (false, None) => FieldMap::default(),
        };
        let secret = match f.get("signing_secret").map(str::trim) {
            None => SecretChange::Keep,
            Some("") => SecretChange::Clear,
            Some(v) if v.eq_ignore_ascii_case("generate") => SecretChange::Set(
                SigningSecret::generate()
                    .map_err(|e| Invalid::new("signing_secret", e.to_string()))?,
            ),
            Some(v) => SecretChange::Set(SigningSecret::parse("signing_secret", v)?),
        };
        if let (SecretChange::Set(_), None) = (&secret, profile.signature_header()) {
            return Err(Invalid::new(
                "signing_secret",
                "this profile's tool does not sign its deliveries (Typeform, Tally and json do)",
            ));
        }
        Ok(Self {
            profile,
            map,
            secret,
        })
    }
}

/// Writes a form key's setup, recording who did. Returns the secret when one was set.
/// `local`: whether this deployment allows `http://localhost`-style origins and URLs.
pub async fn set_form_by(
    store: &Store,
    seal: &SecretSeal,
    local: LocalOrigins,
    userid: UserId,
    change: FormChange,
    by: Actor,
) -> Result<Option<SigningSecret>, TenancyError> {
    let missing = || TenancyError::Missing {
        param: "target_userid",
        what: format!("user {userid}"),
    };
    let user = store.get_user(userid).await?.ok_or_else(missing)?;
    if user.role != Role::Form {
        return Err(Invalid::new(
            "target_userid",
            "only a form key takes a form profile, map, signing secret or web settings",
        )
        .into());
    }
    // A tool's delivery carries no CAPTCHA token: a profiled key with one could create nothing.
    let mapped = match &change.setup {
        Some(setup) => setup.profile.is_mapped(),
        None => user.form_profile.is_some(),
    };
    let stored_web = user
        .form_web
        .as_deref()
        .and_then(|w| WebSettings::stored(w).ok());
    if change.web.is_empty() && mapped && stored_web.as_ref().is_some_and(|w| w.captcha.is_some()) {
        return Err(captcha_and_profile().into());
    }
    let web = match change.web.is_empty() {
        true => None,
        false => {
            // A stored value this cannot read is replaced, not kept half-read.
            let current = user
                .form_web
                .as_deref()
                .and_then(|w| WebSettings::stored(w).ok())
                .unwrap_or_default();
            let token = || {
                crate::domain::credentials::random_hex::<16>()
                    .map_err(|e| Invalid::new("form_page", e.to_string()))
            };
            let mut web = change.web_settings(current, local, token)?;
            // The CAPTCHA secret is sealed as a signing secret is; never stored in clear.
            if let Some((_, v)) = change.web.iter().find(|(k, _)| *k == "form_captcha_secret") {
                web.captcha_secret = match v.trim() {
                    "" => None,
                    v => Some(seal.seal(userid, &SigningSecret::parse("form_captcha_secret", v)?)?),
                };
            }
            let web = web.check()?;
            if mapped && web.captcha.is_some() {
                return Err(captcha_and_profile().into());
            }
            if web.min_seconds > 0 && !seal.is_configured() {
                return Err(Invalid::new(
                    "form_min_seconds",
                    "this deployment has no FORM_SECRET_KEY to sign the page's timestamp with; ask its operator",
                )
                .into());
            }
            Some((!web.is_empty()).then(|| web.to_json()))
        }
    };
    let mut shown = None;
    let form = match change.setup {
        None => None,
        Some(setup) => {
            let signs = setup.profile.signature_header().is_some();
            let sealed = match setup.secret {
                SecretChange::Keep => user.form_secret.filter(|_| signs),
                SecretChange::Clear => None,
                SecretChange::Set(secret) => {
                    let sealed = seal.seal(userid, &secret)?;
                    shown = Some(secret);
                    Some(sealed)
                }
            };
            let mapped = setup.profile.is_mapped();
            Some(FormAttributes {
                profile: mapped.then(|| setup.profile.as_str().to_owned()),
                map: mapped.then(|| setup.map.to_json().to_string()),
                secret: sealed,
            })
        }
    };
    let update = UserUpdate {
        key_sha256: None,
        enabled: None,
        form,
        web,
        stamp: Stamp(Audit::updated(now(), by)),
    };
    match store.update_user(userid, &update).await? {
        Updated::Done => Ok(shown),
        Updated::Missing => Err(missing()),
    }
}

fn captcha_and_profile() -> Invalid {
    Invalid::new(
        "form_captcha",
        "a form tool's deliveries (a profile other than fields) carry no CAPTCHA token: \
         remove the CAPTCHA (form_captcha=) or use form_profile=fields",
    )
}
