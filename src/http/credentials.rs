//! Where a request's credentials come from: the body (as neuCRM's reference sends them), the
//! `X-Userid` / `X-Api-Key` headers, or the query string (a webhook URL is sometimes all a form
//! tool lets one set). Given in more than one place, they must agree.

use super::contract::{API_KEY, IDEMPOTENCY_KEY, Place, USERID};
use super::params::{Params, RequestError};
use crate::domain::Fields;
use axum::http::HeaderMap;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub userid: Option<String>,
    pub api_key: Option<String>,
    /// Not a credential, but sent the same ways: the `Idempotency-Key` header, or an
    /// `idempotency_key` parameter for tools that cannot set headers.
    pub idempotency_key: Option<String>,
    /// The api_key came (also) in the query string.
    pub api_key_in_query: bool,
}

/// The one value of a credential across its sources, or 400 when two sources disagree.
fn agree<'a>(
    name: &'static str,
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Option<String>, RequestError> {
    let mut found: Option<&str> = None;
    for value in values.into_iter().map(str::trim).filter(|v| !v.is_empty()) {
        match found {
            Some(seen) if seen != value => {
                return Err(RequestError::Malformed(format!(
                    "{name}: given in more than one place (body, header, query string) with different values"
                )));
            }
            _ => found = Some(value),
        }
    }
    Ok(found.map(str::to_owned))
}

/// A header's name as the docs spell it (`x-api-key` → `X-Api-Key`).
fn spelled(header: &str) -> String {
    header
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

pub fn credentials(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Params,
) -> Result<Credentials, RequestError> {
    let query = Params::from_form(query.unwrap_or_default().as_bytes())?;
    // The body's, the query string's and the header's values of one place, which must agree.
    // A header value that is not visible ASCII is refused, not read as absent: absent, it
    // could neither be used nor disagree with the value in the body.
    let read = |place: &Place| {
        let from_headers = headers
            .get_all(place.header)
            .iter()
            .map(|v| {
                v.to_str().map_err(|_| {
                    RequestError::Malformed(format!(
                        "{}: the {} header must be visible ASCII",
                        place.param,
                        spelled(place.header)
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        agree(
            place.param,
            body.get(place.param)
                .into_iter()
                .chain(query.get(place.param))
                .chain(from_headers),
        )
    };
    Ok(Credentials {
        userid: read(&USERID)?,
        api_key: read(&API_KEY)?,
        idempotency_key: read(&IDEMPOTENCY_KEY)?,
        api_key_in_query: query
            .get(API_KEY.param)
            .is_some_and(|k| !k.trim().is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn credentials_come_from_any_one_place() {
        let body = Params::from_form(b"userid=5&api_key=k").unwrap();
        let none = HeaderMap::new();
        let c = credentials(&none, None, &body).unwrap();
        assert_eq!(
            (c.userid.as_deref(), c.api_key.as_deref()),
            (Some("5"), Some("k"))
        );
        let empty = Params::default();
        let c = credentials(
            &headers(&[("x-userid", "5"), ("x-api-key", "k")]),
            None,
            &empty,
        )
        .unwrap();
        assert_eq!(
            (c.userid.as_deref(), c.api_key.as_deref()),
            (Some("5"), Some("k"))
        );
        let c = credentials(&none, Some("userid=5&api_key=k"), &empty).unwrap();
        assert_eq!(
            (c.userid.as_deref(), c.api_key.as_deref()),
            (Some("5"), Some("k"))
        );
    }

    #[test]
    fn places_must_agree() {
        let body = Params::from_form(b"userid=5").unwrap();
        assert!(credentials(&headers(&[("x-userid", "5")]), Some("userid=5"), &body).is_ok());
        let err = credentials(&headers(&[("x-userid", "6")]), None, &body).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("userid: given in more than one place"),
            "{err}"
        );
        let err = credentials(
            &headers(&[("x-api-key", "a"), ("x-api-key", "b")]),
            None,
            &Params::default(),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("api_key:"));
        assert!(
            credentials(
                &HeaderMap::new(),
                Some("userid=1&userid=2"),
                &Params::default()
            )
            .is_err()
        );
    }
}
