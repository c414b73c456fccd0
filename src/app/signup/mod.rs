//! Signup form tools connected directly (`domain::signup`): a profiled form key's delivery
//! becomes today's create (checked signature, mapped fields, the tool's submission id as
//! the idempotency key), and the setup's management, for the API's `user/update` and
//! crm-admin alike.

pub mod captcha;
pub mod sealed;
mod setup;
pub mod stamp;

pub use setup::{FormChange, SecretChange, SetupChange, set_form_by};

use super::replay::Created;
use super::{App, AppError};
use crate::domain::Fields;
use crate::domain::ids::{CustomerId, UserId};
use crate::domain::scope::{Caller, Role};
use crate::domain::signup::{
    Delivery, FormSetup, IDEMPOTENCY_KEY, Profile, SigningSecret, Submission, parse_mapped,
};
use crate::store::records::UserItem;
use sealed::SecretSeal;
use std::sync::{Arc, OnceLock};

/// A bot defence of a form key that refused a post (each counted in a metric of its own,
/// `http::metrics`): a filled honeypot, a CAPTCHA the visitor did not solve or the provider
/// refused, a post sooner than the minimum fill time (or without a valid stamp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotDefence {
    Honeypot,
    Captcha,
    FillTime,
}

impl BotDefence {
    /// The defence that refused `e`, if one did. A CAPTCHA provider that did not answer is
    /// an outage, not a bot: not counted.
    pub fn refused(e: &AppError) -> Option<Self> {
        use crate::domain::DomainError;
        match e {
            AppError::Domain(DomainError::Invalid(i)) if i.param == stamp::FIELD => {
                Some(Self::FillTime)
            }
            AppError::Domain(DomainError::Invalid(i)) if i.param == captcha::FIELD => {
                Some(Self::Captcha)
            }
            AppError::NotAllowed(m) if *m == captcha::FAILED => Some(Self::Captcha),
            _ => None,
        }
    }
}

/// A form key's setup as the auth cache keeps it: parsed and its secret opened once per
/// read of the user, so a delivery costs no read and no parse of its own.
#[derive(Debug)]
pub struct FormKey {
    pub setup: FormSetup,
    pub secret: Option<SigningSecret>,
}

/// A form key's stored setup as the auth cache keeps it, not yet parsed: parsed and its
/// secret opened at the first authenticated delivery, then kept (a failure too) for as long
/// as the cache entry. A wrong or disabled key never gets that far: 401 / 403, not 500.
#[derive(Debug)]
pub struct StoredForm {
    userid: UserId,
    profile: Option<String>,
    map: Option<String>,
    secret: Option<String>,
    /// The outcome of the first `open`; an error is kept as its (secret-free) message.
    opened: OnceLock<Result<Option<Arc<FormKey>>, String>>,
}

impl StoredForm {
    /// The stored setup of a form key with a profile; `None` for any other user.
    pub(in crate::app) fn of(user: &UserItem) -> Option<Arc<Self>> {
        (user.role == Role::Form && user.form_profile.is_some()).then(|| {
            Arc::new(Self {
                userid: user.userid,
                profile: user.form_profile.clone(),
                map: user.form_map.clone(),
                secret: user.form_secret.clone(),
                opened: OnceLock::new(),
            })
        })
    }

    /// The setup, parsed and its secret opened (once per cache entry); `None` for the
    /// `fields` profile (today's create). A damaged setup is 500 for its deliveries only.
    pub(in crate::app) fn open(&self, seal: &SecretSeal) -> Result<Option<Arc<FormKey>>, AppError> {
        self.opened
            .get_or_init(|| self.build(seal).map_err(|e| e.to_string()))
            .clone()
            .map_err(AppError::Internal)
    }

    fn build(&self, seal: &SecretSeal) -> Result<Option<Arc<FormKey>>, AppError> {
        let userid = self.userid;
        let setup = FormSetup::stored(self.profile.as_deref(), self.map.as_deref())
            .map_err(|e| AppError::Internal(format!("user {userid}: stored {e}")))?;
        let secret = self
            .secret
            .as_deref()
            .map(|s| seal.open(userid, s))
            .transpose()?;
        Ok(setup
            .profile
            .is_mapped()
            .then(|| Arc::new(FormKey { setup, secret })))
    }
}

/// A form key whose delivery's signature was checked (or that has no secret): the only way
/// to `create_customer_delivered`, so no body is read before its signature is.
#[derive(Debug, Clone, Copy)]
pub struct Verified<'a>(&'a FormKey);

impl FormKey {
    /// Checks a delivery's signature header over its raw body (constant time), before
    /// anything is read from the body. 401 when the key has a secret and the signature is
    /// missing or wrong.
    pub fn verify(&self, signature: Option<&str>, raw: &[u8]) -> Result<Verified<'_>, AppError> {
        let profile = self.setup.profile;
        match &self.secret {
            Some(secret) if !secret.verifies(profile, signature, raw) => {
                Err(bad_signature(profile))
            }
            _ => Ok(Verified(self)),
        }
    }
}

/// A verified delivery as HTTP read it.
#[derive(Debug)]
pub struct Inbound<'a> {
    pub delivery: &'a Delivery,
    /// An `Idempotency-Key` header or `idempotency_key` query parameter: outside the
    /// signature, so used only when the key is unsigned and the delivery carries no id of
    /// its own (see `map_delivery`).
    pub idempotency_key: Option<&'a str>,
}

fn bad_signature(profile: Profile) -> AppError {
    AppError::Unauthenticated(match profile {
        Profile::Typeform => "signature: the Typeform-Signature header is missing or wrong",
        Profile::Tally => "signature: the Tally-Signature header is missing or wrong",
        _ => "signature: the X-Signature header is missing or wrong",
    })
}

impl App {
    /// Creates a customer from a profiled form key's verified delivery: a mapped field that
    /// is missing or invalid is 400 naming both fields; then it is today's create, with the
    /// same writes. It counts against the key's `FORM_KEY_CREATES`, not the per-source limit:
    /// every delivery of a tool comes from the tool's few servers, and a per-source limit meant
    /// for browsers would cap the whole form at `FORM_SOURCE_CREATES`.
    pub async fn create_customer_delivered(
        &self,
        caller: &Caller,
        key: Verified<'_>,
        inbound: Inbound<'_>,
    ) -> Result<Created<CustomerId>, AppError> {
        let setup = &key.0.setup;
        let signed = key.0.secret.is_some();
        let submission = Submission::read(setup.profile, inbound.delivery)?;
        if signed {
            submission.check_fresh(jiff::Timestamp::now(), self.idempotency_ttl)?;
        }
        // A signed key's sender-set key is not covered by the signature: a replayer could
        // change it to create again. It is ignored.
        let sender_key = inbound.idempotency_key.filter(|_| !signed);
        let fields = map_delivery(setup, &submission, sender_key)?;
        parse_mapped(&setup.map, setup.profile, &fields, self.today())?;
        self.create_customer_from(caller, &fields, None).await
    }

    /// The hosted page's `shown_at` for a page shown now (`None` without `FORM_SECRET_KEY`).
    pub fn page_stamp(&self, user: UserId) -> Option<String> {
        self.stamps.issue(user, jiff::Timestamp::now().as_second())
    }

    /// Checks a hosted page post's `shown_at` against the key's minimum fill time.
    pub fn check_page_stamp(
        &self,
        user: UserId,
        stamp: Option<&str>,
        min: u32,
    ) -> Result<(), AppError> {
        let now = jiff::Timestamp::now().as_second();
        Ok(self.stamps.check(user, stamp, now, min)?)
    }

    /// Checks a `customer/create` post of a form key's own HTML form against the key's
    /// minimum fill time: the `shown_at` its page fetched (`GET /signup/{id}/stamp`), else
    /// (no script ran) passed or refused as the key says (`form_unstamped`).
    pub fn check_fill_time(
        &self,
        user: UserId,
        web: &crate::domain::signup::WebSettings,
        stamp: Option<&str>,
    ) -> Result<(), AppError> {
        let stamp = stamp.filter(|s| !s.trim().is_empty());
        match (web.min_seconds, stamp) {
            (0, _) => Ok(()),
            (_, None) if web.unstamped_allowed => Ok(()),
            (_, None) => Err(crate::domain::Invalid::new(
                stamp::FIELD,
                "missing: this form sends its signed time only with JavaScript on; turn it on, reload the page and send again",
            )
            .into()),
            (min, stamp) => self.check_page_stamp(user, stamp, min),
        }
    }

    /// Checks a web post's CAPTCHA token when the form key asks for one (its provider, its
    /// sealed secret): 400 without a token, 403 when the provider refuses it or cannot be
    /// asked. Nothing is written before this passes.
    pub async fn check_captcha(
        &self,
        user: UserId,
        web: &crate::domain::signup::WebSettings,
        token_of: impl Fn(&str) -> Option<String>,
        remote_ip: Option<std::net::IpAddr>,
    ) -> Result<(), AppError> {
        let Some(provider) = web.captcha.as_deref() else {
            return Ok(());
        };
        let provider = captcha::Provider::parse("form_captcha", provider)
            .map_err(|e| AppError::Internal(format!("user {user}: stored {e}")))?;
        let sealed = web.captcha_secret.as_deref().ok_or_else(|| {
            AppError::Internal(format!("user {user}: a CAPTCHA without its secret"))
        })?;
        let secret = self.seal.open(user, sealed)?;
        let token = token_of(provider.token_field());
        self.captcha
            .verify(provider, secret.expose(), token.as_deref(), remote_ip)
            .await
    }

    /// `user/update`: sets a form key's profile, map and signing secret. Returns the secret
    /// when one was set (shown this once).
    pub async fn user_update(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<Option<SigningSecret>, AppError> {
        let id = f.parse_req("target_userid", UserId::parse)?;
        let userid = self.target(caller, id).await?;
        let change = FormChange::parse(f)?;
        Ok(set_form_by(
            &self.store,
            &self.seal,
            self.local_origins,
            userid,
            change,
            caller.actor(),
        )
        .await?)
    }
}

/// The create's parameters from a delivery read as its tool's: the mapped answers and the
/// idempotency key (the map's `idempotency_key` source, else the tool's submission id, else
/// `sender_key`). What the delivery itself says wins: for a signed key it is under the
/// signature.
pub fn map_delivery(
    setup: &FormSetup,
    submission: &Submission<'_>,
    sender_key: Option<&str>,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let mut fields = setup.map.apply(setup.profile, |r| submission.lookup(r))?;
    let key = fields
        .remove(IDEMPOTENCY_KEY)
        .or_else(|| submission.id())
        .or_else(|| sender_key.map(str::to_owned));
    if let Some(key) = key {
        fields.insert(IDEMPOTENCY_KEY.to_owned(), key);
    }
    Ok(fields)
}
