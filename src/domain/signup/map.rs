//! A form key's field map: which of the tool's answers fills each customer field. Set as a
//! JSON object, checked when set (every name a customer field a caller writes, every
//! required one given a source), stored in its canonical form.
//!
//! ```json
//! {"type": {"const": "Individual"}, "name": {"join": ["first_name", "last_name"]},
//!  "email": "work_email", "mobile": "phone"}
//! ```

use super::Profile;
use super::answers::Lookup;
use crate::domain::customer::{CustomerFields, FIELDS};
use crate::domain::entity::Input;
use crate::domain::{DomainError, Fields, Invalid};
use serde_json::{Map, Value};
use std::collections::HashMap;

const PARAM: &str = "form_map";
/// Not a customer field: where a `json` key's sender puts its submission id.
pub const IDEMPOTENCY_KEY: &str = "idempotency_key";
const MAX_REFERENCE: usize = 200;
const MAX_JOIN: usize = 5;

/// Where one customer field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// One of the tool's answers (a Typeform ref, a Tally key or label, a JSON Pointer…).
    Answer(String),
    /// The same value for every delivery (`type` of a form for one kind of customer).
    Const(String),
    /// Answers joined by a space, absent ones skipped (`name` from first and last name).
    Join(Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap(Vec<(&'static str, Source)>);

/// The customer fields a map may fill, and whether create requires each.
fn writable() -> impl Iterator<Item = (&'static str, bool)> {
    FIELDS.iter().filter_map(|f| match f.input {
        Input::Required => Some((f.name, true)),
        Input::Optional | Input::Defaulted => Some((f.name, false)),
        Input::Assigned | Input::Placement => None,
    })
}

fn reference(profile: Profile, field: &str, value: &Value) -> Result<String, Invalid> {
    let Value::String(r) = value else {
        return Err(Invalid::new(
            PARAM,
            format!("{field}: must be a string, {{\"const\": …}} or {{\"join\": […]}}"),
        ));
    };
    if r.trim().is_empty() || r.len() > MAX_REFERENCE {
        return Err(Invalid::new(
            PARAM,
            format!("{field}: a field reference must be 1 to {MAX_REFERENCE} characters"),
        ));
    }
    if profile == Profile::Json && !r.starts_with('/') {
        return Err(Invalid::new(
            PARAM,
            format!(
                "{field}: \"{r}\" is not a JSON Pointer (it starts with /, e.g. /contact/email)"
            ),
        ));
    }
    Ok(r.clone())
}

fn source(profile: Profile, field: &str, value: &Value) -> Result<Source, Invalid> {
    let Value::Object(o) = value else {
        return Ok(Source::Answer(reference(profile, field, value)?));
    };
    match (o.len(), o.get("const"), o.get("join")) {
        (1, Some(Value::String(c)), _) if field != IDEMPOTENCY_KEY => Ok(Source::Const(c.clone())),
        (1, _, Some(Value::Array(parts))) if (2..=MAX_JOIN).contains(&parts.len()) => {
            let parts = parts
                .iter()
                .map(|p| reference(profile, field, p))
                .collect::<Result<_, _>>()?;
            Ok(Source::Join(parts))
        }
        _ => Err(Invalid::new(
            PARAM,
            format!(
                "{field}: must be a field reference, {{\"const\": \"text\"}} or \
                 {{\"join\": [2 to {MAX_JOIN} field references]}}"
            ),
        )),
    }
}

impl FieldMap {
    /// Parses and checks a map for `profile`.
    pub fn parse(profile: Profile, text: &str) -> Result<Self, Invalid> {
        if !profile.is_mapped() {
            return Err(Invalid::new(
                PARAM,
                "the fields profile reads the API's own names and takes no map",
            ));
        }
        let object: Map<String, Value> = serde_json::from_str(text)
            .map_err(|_| Invalid::new(PARAM, "must be a JSON object of customer field → source"))?;
        let mut map = Vec::new();
        for (name, value) in &object {
            let field = writable()
                .map(|(f, _)| f)
                .chain([IDEMPOTENCY_KEY])
                .find(|f| f == name)
                .ok_or_else(|| {
                    Invalid::new(
                        PARAM,
                        format!(
                            "{name}: not a customer field a form fills (type, name, surname, \
                             dob, mobile, email, uniqueid, zipcode, state, city, street, notes, \
                             or idempotency_key)"
                        ),
                    )
                })?;
            map.push((field, source(profile, field, value)?));
        }
        if let Some((missing, _)) = writable().find(|(f, req)| *req && !object.contains_key(*f)) {
            return Err(Invalid::new(
                PARAM,
                format!("{missing}: a required customer field needs a source or a constant"),
            ));
        }
        let map = Self(map);
        map.check_constants()?;
        Ok(map)
    }

    /// Constants are checked by the field's own rule now, not at the first delivery: every
    /// other field takes its example value.
    fn check_constants(&self) -> Result<(), Invalid> {
        let mut sample: HashMap<String, String> = FIELDS
            .iter()
            .map(|f| (f.name.to_owned(), f.example.to_owned()))
            .collect();
        for (field, source) in &self.0 {
            if let Source::Const(c) = source {
                sample.insert((*field).to_owned(), c.clone());
            }
        }
        let far = jiff::civil::date(9999, 12, 31);
        CustomerFields::parse_create(&sample, far)
            .map(|_| ())
            .map_err(|e| Invalid::new(PARAM, format!("{} (constant): {}", e.param, e.rule)))
    }

    /// The canonical JSON stored and listed.
    pub fn to_json(&self) -> Value {
        let object = self
            .0
            .iter()
            .map(|(field, source)| {
                let value = match source {
                    Source::Answer(r) => Value::String(r.clone()),
                    Source::Const(c) => serde_json::json!({ "const": c }),
                    Source::Join(parts) => serde_json::json!({ "join": parts }),
                };
                ((*field).to_owned(), value)
            })
            .collect::<Map<_, _>>();
        Value::Object(object)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How an error names a field's source: `email (Typeform ref "work_email")`.
    fn describe(&self, profile: Profile, field: &str) -> String {
        let kind = profile.reference_kind();
        match self.0.iter().find(|(f, _)| *f == field).map(|(_, s)| s) {
            Some(Source::Answer(r)) => format!("{field} ({kind} \"{r}\")"),
            Some(Source::Const(c)) => format!("{field} (constant \"{c}\")"),
            Some(Source::Join(parts)) => {
                let parts: Vec<_> = parts.iter().map(|p| format!("\"{p}\"")).collect();
                format!("{field} ({kind}s {})", parts.join(" + "))
            }
            None => field.to_owned(),
        }
    }

    /// The create's parameters from a delivery: each mapped answer (absent ones left out),
    /// and the idempotency key the map names, if any. A value of a type no customer field
    /// takes (an object) is refused naming both fields.
    pub fn apply(
        &self,
        profile: Profile,
        lookup: impl Fn(&str) -> Lookup,
    ) -> Result<HashMap<String, String>, DomainError> {
        let mut out = HashMap::with_capacity(self.0.len());
        let answer = |field: &str, r: &str| match lookup(r) {
            Lookup::Missing => Ok(None),
            Lookup::Value(v) => Ok(Some(v)),
            Lookup::WrongType(what) => Err(DomainError::Payload(format!(
                "{}: must be text, a number, a yes/no or a choice, not {what}",
                self.describe(profile, field)
            ))),
            Lookup::Ambiguous(names) => Err(DomainError::Payload(format!(
                "{}: names more than one of the form's fields ({}): name one in the map \
                 with its number",
                self.describe(profile, field),
                names.join(", ")
            ))),
        };
        for (field, source) in &self.0 {
            let value = match source {
                Source::Answer(r) => answer(field, r)?,
                Source::Const(c) => Some(c.clone()),
                Source::Join(parts) => {
                    let mut joined = Vec::new();
                    for p in parts {
                        if let Some(v) = answer(field, p)? {
                            let v = v.trim().to_owned();
                            if !v.is_empty() {
                                joined.push(v);
                            }
                        }
                    }
                    Some(joined.join(" "))
                }
            };
            if let Some(v) = value {
                out.insert((*field).to_owned(), v);
            }
        }
        Ok(out)
    }

    /// A create's refusal of a mapped field, naming the tool's field too.
    pub fn explain(&self, profile: Profile, e: Invalid) -> DomainError {
        DomainError::Payload(format!("{}: {}", self.describe(profile, e.param), e.rule))
    }
}

/// Parses the mapped parameters into a create's fields, naming the tool's field on failure.
pub fn parse_mapped(
    map: &FieldMap,
    profile: Profile,
    fields: &impl Fields,
    today: jiff::civil::Date,
) -> Result<CustomerFields, DomainError> {
    CustomerFields::parse_create(fields, today).map_err(|e| map.explain(profile, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"type":{"const":"Individual"},"name":{"join":["first","last"]},
        "mobile":"phone","email":"work_email","zipcode":"zip","state":"state","city":"city",
        "street":"street","notes":"plan"}"#;

    #[test]
    fn a_good_map_round_trips() {
        let map = FieldMap::parse(Profile::Typeform, GOOD).unwrap();
        let again = FieldMap::parse(Profile::Typeform, &map.to_json().to_string()).unwrap();
        assert_eq!(map, again);
    }

    #[test]
    fn bad_maps_are_refused_with_the_reason() {
        let cases = [
            (r#"{"colour":"x"}"#, "colour: not a customer field"),
            (r#"{"ispid":"x"}"#, "ispid: not a customer field"),
            (
                r#"{"name":"n"}"#,
                "a required customer field needs a source",
            ),
            (r#"[]"#, "must be a JSON object"),
        ];
        for (text, expected) in cases {
            let err = FieldMap::parse(Profile::Typeform, text).unwrap_err();
            assert!(err.to_string().contains(expected), "{text}: {err}");
        }
        let bad_const = GOOD.replace("Individual", "Company");
        let err = FieldMap::parse(Profile::Typeform, &bad_const).unwrap_err();
        assert!(
            err.to_string().starts_with("form_map: type (constant)"),
            "{err}"
        );
        let err = FieldMap::parse(Profile::Json, GOOD).unwrap_err();
        assert!(err.to_string().contains("not a JSON Pointer"), "{err}");
        assert!(FieldMap::parse(Profile::Fields, GOOD).is_err());
    }

    #[test]
    fn apply_joins_skips_absent_parts_and_names_both_fields() {
        let map = FieldMap::parse(Profile::Typeform, GOOD).unwrap();
        let got = map
            .apply(Profile::Typeform, |r| match r {
                "first" => Lookup::Value("Asha".into()),
                "work_email" => Lookup::Value("asha@example.com".into()),
                _ => Lookup::Missing,
            })
            .unwrap();
        assert_eq!(got["name"], "Asha");
        assert_eq!(got["type"], "Individual");
        assert!(!got.contains_key("mobile"));
        let err =
            parse_mapped(&map, Profile::Typeform, &got, jiff::civil::date(2026, 1, 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "mobile (Typeform ref \"phone\"): is required"
        );
        let err = map
            .apply(Profile::Typeform, |_| Lookup::WrongType("an object"))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("name (Typeform refs \"first\" + \"last\"): must be")
        );
    }
}
