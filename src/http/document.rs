//! A JSON body read whole, for a profiled form key's delivery: valid JSON, one document, and
//! no name given twice in any object (which value a reader takes would be a guess, and a
//! signed body must mean one thing). The flat reader (`params`) stops at the first nested
//! value; this one tells the syntax errors and duplicates no profile accepts from the nested
//! values a profile does.

use super::params::{RequestError, json_refusal};
use serde::Deserializer;
use serde::de::{DeserializeSeed, Error, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// The body as one JSON value; 400 `body: not valid JSON`, `body: trailing data…` or
/// `<name>: given more than once`.
pub fn document(body: &[u8]) -> Result<Value, RequestError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = de
        .deserialize_any(Strict)
        .map_err(|e| json_refusal(&e, RequestError::Malformed))?;
    de.end()
        .map_err(|_| RequestError::Malformed("body: trailing data after the JSON value".into()))?;
    Ok(value)
}

/// Builds a `Value`, refusing a name given twice in one object.
#[derive(Clone, Copy)]
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Strict)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(Strict)?;
            if object.contains_key(&name) {
                return Err(A::Error::custom(RequestError::Duplicate(name)));
            }
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_json_is_read_and_duplicates_anywhere_refused() {
        let v = document(br#"{"a": {"b": [1, 2.5, "x", null, true]}}"#).unwrap();
        assert_eq!(v["a"]["b"][1], Value::from(2.5));
        let err = |body: &[u8]| document(body).unwrap_err().to_string();
        assert_eq!(
            err(br#"{"a": {"b": 1, "b": 2}}"#),
            "b: given more than once"
        );
        assert_eq!(
            err(br#"{"a": 1, "a": {"x": 1}}"#),
            "a: given more than once"
        );
        assert_eq!(err(br#"{"a": {"b": 1"#), "body: not valid JSON");
        assert_eq!(
            err(br#"{"a": 1} {}"#),
            "body: trailing data after the JSON value"
        );
    }
}
