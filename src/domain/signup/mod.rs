//! Signup form tools connected directly: a form key's payload profile (which tool's shape
//! its deliveries have), its field map (which of the tool's answers fills each customer
//! field) and the tool's signature. Parsed once when set, and again when a user record is
//! read into the auth cache; a delivery costs no read of its own.

mod answers;
mod map;
mod payload;
mod signature;
pub mod web;

pub use answers::Lookup;
pub use map::{FieldMap, IDEMPOTENCY_KEY, Source, parse_mapped};
pub use payload::{Delivery, Submission};
pub use signature::SIGNATURE_HEADERS;
pub use web::{LocalOrigins, WEB_PARAMS, WebSettings};

use super::Invalid;

/// The shape of a form key's deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Today's flat fields under the API's names (the default).
    Fields,
    Typeform,
    Tally,
    Jotform,
    Fillout,
    /// Any JSON object; the map names JSON Pointers (RFC 6901).
    Json,
}

pub const PROFILES: [Profile; 6] = [
    Profile::Fields,
    Profile::Typeform,
    Profile::Tally,
    Profile::Jotform,
    Profile::Fillout,
    Profile::Json,
];

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fields => "fields",
            Self::Typeform => "typeform",
            Self::Tally => "tally",
            Self::Jotform => "jotform",
            Self::Fillout => "fillout",
            Self::Json => "json",
        }
    }

    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        PROFILES
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| {
                Invalid::new(
                    param,
                    "must be fields, typeform, tally, jotform, fillout or json",
                )
            })
    }

    /// How an error names the tool's field: `Typeform ref "work_email"`.
    pub fn reference_kind(self) -> &'static str {
        match self {
            Self::Fields => "field",
            Self::Typeform => "Typeform ref",
            Self::Tally => "Tally field",
            Self::Jotform => "Jotform field",
            Self::Fillout => "Fillout question",
            Self::Json => "JSON Pointer",
        }
    }

    /// Whether deliveries are read through a field map (every profile but `fields`).
    pub fn is_mapped(self) -> bool {
        self != Self::Fields
    }

    /// The header the tool signs its deliveries in; `None`: the tool does not sign them
    /// (a signing secret cannot be set).
    pub fn signature_header(self) -> Option<&'static str> {
        signature::header(self)
    }
}

/// A form key's profile and map, as the auth cache keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSetup {
    pub profile: Profile,
    /// Empty for `fields`.
    pub map: FieldMap,
}

impl FormSetup {
    /// The setup of a stored user: its profile and map attributes, as written by `store`.
    pub fn stored(profile: Option<&str>, map: Option<&str>) -> Result<Self, Invalid> {
        let profile = match profile {
            None => Profile::Fields,
            Some(p) => Profile::parse("form_profile", p)?,
        };
        let map = match (profile.is_mapped(), map) {
            (false, _) => FieldMap::default(),
            (true, Some(m)) => FieldMap::parse(profile, m)?,
            (true, None) => return Err(Invalid::required("form_map")),
        };
        Ok(Self { profile, map })
    }
}

/// A signing secret given or generated: 16 to 256 visible ASCII characters. Its Debug
/// output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

impl SigningSecret {
    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        let ok = (16..=256).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(Invalid::new(
                param,
                "must be 16 to 256 visible ASCII characters, or `generate`",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// 256 random bits as 64 hex characters.
    pub fn generate() -> Result<Self, super::credentials::RandomError> {
        Ok(Self(super::credentials::random_hex::<32>()?))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks a delivery's signature header over its raw body, in constant time.
    pub fn verifies(&self, profile: Profile, presented: Option<&str>, body: &[u8]) -> bool {
        signature::verifies(profile, self.0.as_bytes(), presented, body)
    }

    /// The header value a tool would send for `body` (tests, the bench, docs examples).
    pub fn sign(&self, profile: Profile, body: &[u8]) -> String {
        signature::sign(profile, self.0.as_bytes(), body)
    }
}
