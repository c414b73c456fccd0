//! Request parameters from a urlencoded, multipart or JSON body.

use crate::domain::Fields;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::collections::HashMap;
use std::fmt;

/// Bodies larger than this are refused (413): a customer record is well under 8 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("{0}: given more than once")]
    Duplicate(String),
    #[error("{0}")]
    Malformed(String),
    /// Valid JSON (so far) that is not a flat object: a nested value, or not an object.
    /// Refused for flat callers, but a profiled form key's tool may send it.
    #[error("{0}")]
    NotFlat(String),
    #[error(
        "Content-Type {0} is not supported: send application/x-www-form-urlencoded, multipart/form-data or application/json"
    )]
    UnsupportedType(String),
    #[error("body: larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
}

/// The request's parameters by name. Unknown names are kept and ignored by the use cases.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(HashMap<String, String>);

impl Fields for Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

impl Params {
    /// The parameters by name.
    pub fn into_map(self) -> HashMap<String, String> {
        self.0
    }

    /// Whether the body's Content-Type is JSON (`application/json`, `application/*+json`).
    pub fn is_json(headers: &HeaderMap) -> bool {
        let Some(mime) = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<mime::Mime>().ok())
        else {
            return false;
        };
        mime.type_() == mime::APPLICATION
            && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
    }

    /// Sets a parameter that came from elsewhere than the body (a header), replacing the
    /// body's value, which the caller has checked agrees.
    pub fn set(&mut self, name: &str, value: String) {
        self.0.insert(name.to_owned(), value);
    }

    fn insert(&mut self, name: String, value: String) -> Result<(), RequestError> {
        if self.0.contains_key(&name) {
            return Err(RequestError::Duplicate(name));
        }
        self.0.insert(name, value);
        Ok(())
    }

    /// Parses a body by its Content-Type. A body without one is read as a form, which is
    /// what curl and most webhook senders mean.
    pub async fn from_body(headers: &HeaderMap, body: Bytes) -> Result<Self, RequestError> {
        let content_type = match headers.get(CONTENT_TYPE) {
            None => None,
            // No media type is spelled outside visible ASCII: refused, not read as a form.
            Some(v) => match v.to_str() {
                Ok(v) => Some(v.trim().to_owned()).filter(|v| !v.is_empty()),
                Err(_) => {
                    let shown = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    return Err(RequestError::UnsupportedType(shown));
                }
            },
        };
        let Some(content_type) = content_type else {
            return Self::from_form(&body);
        };
        let mime: mime::Mime = content_type
            .parse()
            .map_err(|_| RequestError::UnsupportedType(content_type.clone()))?;
        match (mime.type_(), mime.subtype()) {
            (mime::APPLICATION, mime::WWW_FORM_URLENCODED) => Self::from_form(&body),
            (mime::APPLICATION, mime::JSON) => Self::from_json(&body),
            (mime::APPLICATION, sub) if mime.suffix() == Some(mime::JSON) || sub == "json" => {
                Self::from_json(&body)
            }
            (mime::MULTIPART, mime::FORM_DATA) => Self::from_multipart(&content_type, body).await,
            _ => Err(RequestError::UnsupportedType(content_type)),
        }
    }

    pub fn from_form(body: &[u8]) -> Result<Self, RequestError> {
        let mut params = Self::default();
        for (name, value) in form_urlencoded::parse(body) {
            params.insert(name.into_owned(), value.into_owned())?;
        }
        Ok(params)
    }

    async fn from_multipart(content_type: &str, body: Bytes) -> Result<Self, RequestError> {
        let boundary = multer::parse_boundary(content_type).map_err(|_| {
            RequestError::Malformed("body: multipart/form-data without a boundary".into())
        })?;
        let stream =
            futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let malformed = |e: multer::Error| {
            RequestError::Malformed(format!("body: malformed multipart/form-data ({e})"))
        };
        let mut params = Self::default();
        while let Some(field) = multipart.next_field().await.map_err(malformed)? {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            let value = field.text().await.map_err(malformed)?;
            params.insert(name, value)?;
        }
        Ok(params)
    }

    /// A flat JSON object; values may be strings, numbers or booleans (`true`/`false`, as
    /// form tools send a consent checkbox), `null` counts as absent.
    pub fn from_json(body: &[u8]) -> Result<Self, RequestError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let params = de.deserialize_map(FlatObject).map_err(|e| {
            json_refusal(&e, |own| {
                if own.starts_with("invalid type") {
                    RequestError::NotFlat("body: not a JSON object".into())
                } else if own.ends_with(NOT_SCALAR) {
                    RequestError::NotFlat(own)
                } else {
                    RequestError::Malformed(own)
                }
            })
        })?;
        de.end().map_err(|_| {
            RequestError::Malformed("body: trailing data after the JSON object".into())
        })?;
        Ok(params)
    }
}

/// serde_json's error as a refusal: a syntax error or an early end is `body: not valid JSON`;
/// anything else is one of our own messages (a duplicate, a nested value), which travels
/// inside serde's text before its position, and `own` says which refusal it is.
pub(super) fn json_refusal(
    e: &serde_json::Error,
    own: impl FnOnce(String) -> RequestError,
) -> RequestError {
    if e.is_syntax() || e.is_eof() {
        return RequestError::Malformed("body: not valid JSON".into());
    }
    let text = e.to_string();
    own(text.split(" at line").next().unwrap_or(&text).to_owned())
}

const NOT_SCALAR: &str = "must be a string, a number or a boolean";

struct FlatObject;

impl<'de> Visitor<'de> for FlatObject {
    type Value = Params;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("body: a flat JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params, A::Error> {
        use serde::de::Error;
        let mut params = Params::default();
        // Names seen, `null` ones included: a name given twice is refused whatever its values.
        let mut seen = std::collections::HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = match map.next_value::<serde_json::Value>()? {
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                serde_json::Value::Null => None,
                _ => {
                    return Err(A::Error::custom(format!("{name}: {NOT_SCALAR}")));
                }
            };
            if !seen.insert(name.clone()) {
                return Err(A::Error::custom(RequestError::Duplicate(name)));
            }
            if let Some(value) = value {
                params.0.insert(name, value);
            }
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, ct.parse().unwrap());
        h
    }

    #[tokio::test]
    async fn form_json_and_multipart_agree() {
        let form = Params::from_body(
            &headers("application/x-www-form-urlencoded"),
            Bytes::from("userid=5&name=Some+Name&mobile=%2B91+123"),
        )
        .await
        .unwrap();
        let json = Params::from_body(
            &headers("application/json; charset=utf-8"),
            Bytes::from(r#"{"userid":5,"name":"Some Name","mobile":"+91 123","x":null}"#),
        )
        .await
        .unwrap();
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"userid\"\r\n\r\n5\r\n--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nSome Name\r\n--XyZ\r\nContent-Disposition: form-data; name=\"mobile\"\r\n\r\n+91 123\r\n--XyZ--\r\n";
        let multi = Params::from_body(
            &headers("multipart/form-data; boundary=XyZ"),
            Bytes::from(body),
        )
        .await
        .unwrap();
        assert_eq!(form, json);
        assert_eq!(form, multi);
        assert_eq!(form.get("mobile"), Some("+91 123"));
    }

    #[tokio::test]
    async fn duplicates_are_refused_in_every_encoding() {
        assert_eq!(
            Params::from_form(b"a=1&a=2"),
            Err(RequestError::Duplicate("a".into()))
        );
        for body in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"a":null,"a":2}"#,
            br#"{"a":null,"a":null}"#,
        ] {
            let err = Params::from_json(body).unwrap_err();
            assert_eq!(err.to_string(), "a: given more than once");
        }
        let body = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--B--\r\n";
        let err = Params::from_body(
            &headers("multipart/form-data; boundary=B"),
            Bytes::from(body),
        )
        .await
        .unwrap_err();
        assert_eq!(err, RequestError::Duplicate("a".into()));
    }

    #[tokio::test]
    async fn nested_json_and_unknown_types_are_refused() {
        assert_eq!(
            Params::from_json(br#"{"a":{"b":1}}"#)
                .unwrap_err()
                .to_string(),
            "a: must be a string, a number or a boolean"
        );
        let p = Params::from_json(br#"{"consent":true,"n":null}"#).unwrap();
        assert_eq!((p.get("consent"), p.get("n")), (Some("true"), None));
        assert_eq!(
            Params::from_json(b"[1]").unwrap_err().to_string(),
            "body: not a JSON object"
        );
        assert!(matches!(
            Params::from_body(&headers("text/plain"), Bytes::from("a=1")).await,
            Err(RequestError::UnsupportedType(_))
        ));
        assert_eq!(
            Params::from_body(&HeaderMap::new(), Bytes::from("a=1"))
                .await
                .unwrap()
                .get("a"),
            Some("1")
        );
    }
}
