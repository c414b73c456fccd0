//! Each tool's answers by the references a field map names, as text a customer field takes
//! (`Lookup`): the readers behind `payload::Submission::lookup`.

use serde_json::Value;
use std::collections::HashMap;

/// One answer, as a customer field can take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Not in the delivery, or null / unanswered.
    Missing,
    Value(String),
    /// A value no customer field takes: what it was ("an object").
    WrongType(&'static str),
    /// A reference that names more than one of the tool's fields (Jotform's `email` when
    /// the form has `q3_email` and `q7_email`): those fields' names, sorted.
    Ambiguous(Vec<String>),
}

/// The most items a list answer (a multi-choice answer) may have: no form offers more
/// choices, and a customer field could not hold them.
pub const MAX_CHOICES: usize = 100;
const TOO_MANY: &str = "a list of more than 100 items";

/// A scalar, or a list of scalars (a multi-choice answer) joined by ", ".
pub(super) fn scalar(value: Option<&Value>) -> Lookup {
    match value {
        None | Some(Value::Null) => Lookup::Missing,
        Some(Value::String(s)) => Lookup::Value(s.clone()),
        Some(Value::Number(n)) => Lookup::Value(n.to_string()),
        Some(Value::Bool(b)) => Lookup::Value(b.to_string()),
        Some(Value::Array(items)) if items.len() > MAX_CHOICES => Lookup::WrongType(TOO_MANY),
        Some(Value::Array(items)) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match scalar(Some(item)) {
                    Lookup::Value(v) if !v.trim().is_empty() => parts.push(v),
                    Lookup::Value(_) | Lookup::Missing => {}
                    Lookup::WrongType(_) | Lookup::Ambiguous(_) => {
                        return Lookup::WrongType("a list of objects");
                    }
                }
            }
            match parts.is_empty() {
                true => Lookup::Missing,
                false => Lookup::Value(parts.join(", ")),
            }
        }
        Some(Value::Object(_)) => Lookup::WrongType("an object"),
    }
}

pub(super) fn typeform(v: &Value, reference: &str) -> Lookup {
    let answers = v
        .pointer("/form_response/answers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // `get` chains, not `pointer`: a pointer allocates per segment, and this runs per answer.
    let by = |key: &str| {
        answers.iter().find(|a| {
            a.get("field")
                .and_then(|f| f.get(key))
                .and_then(Value::as_str)
                == Some(reference)
        })
    };
    let Some(answer) = by("ref").or_else(|| by("id")) else {
        return scalar(
            v.pointer("/form_response/hidden")
                .and_then(|h| h.get(reference)),
        );
    };
    let kind = answer.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        // One choice: its label, or the respondent's own "other" text.
        "choice" => scalar(
            answer
                .pointer("/choice/label")
                .or_else(|| answer.pointer("/choice/other")),
        ),
        "choices" => {
            let mut labels: Vec<Value> = answer
                .pointer("/choices/labels")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(other) = answer.pointer("/choices/other") {
                labels.push(other.clone());
            }
            scalar(Some(&Value::Array(labels)))
        }
        kind => scalar(answer.get(kind)),
    }
}

pub(super) fn tally(v: &Value, reference: &str) -> Lookup {
    let fields = v
        .pointer("/data/fields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let by = |key: &str| {
        fields
            .iter()
            .find(|f| f.get(key).and_then(Value::as_str).map(str::trim) == Some(reference.trim()))
    };
    let Some(field) = by("key").or_else(|| by("label")) else {
        return Lookup::Missing;
    };
    let value = field.get("value");
    // Choices arrive as option ids: the respondent's answer is the options' text. The
    // options are indexed once (a body of many ids and options must not cost ids × options).
    match (value, field.get("options").and_then(Value::as_array)) {
        (Some(Value::Array(ids)), _) if ids.len() > MAX_CHOICES => Lookup::WrongType(TOO_MANY),
        (Some(Value::Array(ids)), Some(options)) => {
            let texts: HashMap<&str, &Value> = options
                .iter()
                .filter_map(|o| Some((o.get("id")?.as_str()?, o.get("text")?)))
                .collect();
            let chosen: Vec<Value> = ids
                .iter()
                .map(|id| {
                    id.as_str()
                        .and_then(|id| texts.get(id))
                        .map_or_else(|| id.clone(), |t| (*t).clone())
                })
                .collect();
            scalar(Some(&Value::Array(chosen)))
        }
        (value, _) => scalar(value),
    }
}

pub(super) fn fillout_submission(v: &Value) -> Option<&Value> {
    [v.get("submission"), Some(v)]
        .into_iter()
        .flatten()
        .find(|s| s.get("questions").is_some_and(Value::is_array))
}

pub(super) fn fillout(v: &Value, reference: &str) -> Lookup {
    let Some(submission) = fillout_submission(v) else {
        return Lookup::Missing;
    };
    let lists = ["questions", "urlParameters"]
        .into_iter()
        .filter_map(|l| submission.get(l).and_then(Value::as_array))
        .flatten();
    let items: Vec<&Value> = lists.collect();
    let by = |key: &str| {
        items
            .iter()
            .find(|q| q.get(key).and_then(Value::as_str) == Some(reference))
    };
    match by("id").or_else(|| by("name")) {
        Some(q) => scalar(q.get("value")),
        None => Lookup::Missing,
    }
}

/// `q3_name[first]` → (`q3_name`, `first`); `name` → (`name`, none).
fn split_part(reference: &str) -> (&str, Option<&str>) {
    match reference.strip_suffix(']').and_then(|r| r.split_once('[')) {
        Some((base, part)) => (base, Some(part)),
        None => (reference, None),
    }
}

/// Whether Jotform's generated name `q3_fullName` is `wanted`, with or without its
/// `q<n>_` prefix (the form builder shows the name without it).
fn jotform_name(name: &str, wanted: &str) -> bool {
    if name == wanted {
        return true;
    }
    let rest = name.strip_prefix('q').and_then(|r| {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0).then(|| &r[digits..])
    });
    rest.and_then(|r| r.strip_prefix('_')) == Some(wanted)
}

/// The one field named `wanted`: exactly, else without its `q<n>_` prefix, where two
/// fields of one name (`q3_email`, `q7_email`) make the reference ambiguous.
fn jotform_find<'a, V>(
    fields: impl Iterator<Item = (&'a String, V)> + Clone,
    wanted: &str,
) -> Result<Option<V>, Lookup> {
    if let Some((_, v)) = fields.clone().find(|(k, _)| *k == wanted) {
        return Ok(Some(v));
    }
    let mut found: Vec<(&String, V)> = fields.filter(|(k, _)| jotform_name(k, wanted)).collect();
    if found.len() <= 1 {
        return Ok(found.pop().map(|(_, v)| v));
    }
    let mut names: Vec<String> = found.into_iter().map(|(k, _)| k.clone()).collect();
    names.sort();
    Err(Lookup::Ambiguous(names))
}

pub(super) fn jotform(
    pairs: &HashMap<String, String>,
    raw: Option<&Value>,
    reference: &str,
) -> Lookup {
    let (base, part) = split_part(reference);
    let Some(raw) = raw.and_then(Value::as_object) else {
        // No rawRequest: the plain form names (`q3_name[first]`).
        return match jotform_find(pairs.iter(), reference) {
            Ok(Some(v)) => Lookup::Value(v.clone()),
            Ok(None) => Lookup::Missing,
            Err(ambiguous) => ambiguous,
        };
    };
    let value = match jotform_find(raw.iter(), base) {
        Ok(v) => v,
        Err(ambiguous) => return ambiguous,
    };
    match (value, part) {
        (Some(Value::Object(parts)), Some(part)) => scalar(parts.get(part)),
        // A whole compound answer (Full Name, Phone): its text parts joined by spaces.
        (Some(Value::Object(parts)), None) => {
            let mut words = Vec::new();
            for v in parts.values() {
                match v {
                    Value::String(s) if !s.trim().is_empty() => words.push(s.trim()),
                    Value::String(_) | Value::Null => {}
                    _ => return Lookup::WrongType("an object"),
                }
            }
            match words.is_empty() {
                true => Lookup::Missing,
                false => Lookup::Value(words.join(" ")),
            }
        }
        (_, Some(_)) => Lookup::Missing,
        (value, None) => scalar(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::signup::Profile;
    use crate::domain::signup::payload::{Delivery, Submission};
    use serde_json::json;

    fn json(profile: Profile, v: Value, reference: &str) -> Lookup {
        let d = Delivery::Json(v);
        Submission::read(profile, &d).unwrap().lookup(reference)
    }

    #[test]
    fn typeform_answers_by_ref_id_and_hidden() {
        let v = json!({"event_id": "E", "form_response": {"token": "T", "hidden": {"src": "ad"},
        "answers": [
            {"type": "email", "email": "a@b.co", "field": {"id": "i1", "ref": "work_email", "type": "email"}},
            {"type": "choices", "choices": {"labels": ["A", "B"], "other": "C"}, "field": {"id": "i2", "ref": "plans", "type": "multiple_choice"}},
            {"type": "choice", "choice": {"label": "Fibre"}, "field": {"id": "i3", "ref": "plan", "type": "dropdown"}},
            {"type": "number", "number": 4, "field": {"id": "i4", "ref": "n", "type": "number"}}
        ]}});
        assert_eq!(
            json(Profile::Typeform, v.clone(), "work_email"),
            Lookup::Value("a@b.co".into())
        );
        assert_eq!(
            json(Profile::Typeform, v.clone(), "i1"),
            Lookup::Value("a@b.co".into())
        );
        assert_eq!(
            json(Profile::Typeform, v.clone(), "plans"),
            Lookup::Value("A, B, C".into())
        );
        assert_eq!(
            json(Profile::Typeform, v.clone(), "plan"),
            Lookup::Value("Fibre".into())
        );
        assert_eq!(
            json(Profile::Typeform, v.clone(), "n"),
            Lookup::Value("4".into())
        );
        assert_eq!(
            json(Profile::Typeform, v.clone(), "src"),
            Lookup::Value("ad".into())
        );
        assert_eq!(json(Profile::Typeform, v.clone(), "nope"), Lookup::Missing);
        let d = Delivery::Json(v);
        assert_eq!(
            Submission::read(Profile::Typeform, &d)
                .unwrap()
                .id()
                .as_deref(),
            Some("T")
        );
        let d = Delivery::Json(json!({"a": 1}));
        assert!(Submission::read(Profile::Typeform, &d).is_err());
    }

    #[test]
    fn tally_choices_are_option_texts() {
        let v = json!({"eventId": "E", "data": {"responseId": "R", "fields": [
            {"key": "question_1", "label": "Plan", "type": "MULTIPLE_CHOICE", "value": ["o2"],
             "options": [{"id": "o1", "text": "Basic"}, {"id": "o2", "text": "Fibre 100"}]},
            {"key": "question_2", "label": "Email", "type": "INPUT_EMAIL", "value": "x@y.io"},
            {"key": "question_3", "label": "Notes", "type": "TEXTAREA", "value": null}
        ]}});
        assert_eq!(
            json(Profile::Tally, v.clone(), "question_1"),
            Lookup::Value("Fibre 100".into())
        );
        assert_eq!(
            json(Profile::Tally, v.clone(), "Email"),
            Lookup::Value("x@y.io".into())
        );
        assert_eq!(json(Profile::Tally, v.clone(), "Notes"), Lookup::Missing);
        let d = Delivery::Json(v);
        assert_eq!(
            Submission::read(Profile::Tally, &d)
                .unwrap()
                .id()
                .as_deref(),
            Some("R")
        );
    }

    #[test]
    fn tally_choices_are_indexed_and_capped() {
        let options: Vec<Value> = (0..2000)
            .map(|i| json!({"id": format!("o{i}"), "text": format!("Plan {i}")}))
            .collect();
        let field = |ids: Vec<Value>| {
            json!({"data": {"fields": [{"key": "k", "label": "Plans", "type": "CHECKBOXES",
                "value": ids, "options": options.clone()}]}})
        };
        let ids: Vec<Value> = [1999, 0, 7]
            .iter()
            .map(|i| json!(format!("o{i}")))
            .collect();
        assert_eq!(
            json(Profile::Tally, field(ids), "k"),
            Lookup::Value("Plan 1999, Plan 0, Plan 7".into())
        );
        // An unknown id is shown as sent; more ids than any form offers are refused.
        assert_eq!(
            json(Profile::Tally, field(vec![json!("zz")]), "k"),
            Lookup::Value("zz".into())
        );
        let many = vec![json!("zz"); MAX_CHOICES + 1];
        assert_eq!(
            json(Profile::Tally, field(many), "k"),
            Lookup::WrongType(TOO_MANY)
        );
        let many = json!({"a": vec![json!("x"); MAX_CHOICES + 1]});
        assert_eq!(json(Profile::Json, many, "/a"), Lookup::WrongType(TOO_MANY));
        assert!(TOO_MANY.contains(&MAX_CHOICES.to_string()));
    }

    #[test]
    fn jotform_parts_and_prefixless_names() {
        let mut pairs = HashMap::new();
        pairs.insert("submissionID".to_owned(), "608".to_owned());
        pairs.insert(
            "rawRequest".to_owned(),
            r#"{"q3_name":{"first":"Niloth","last":"P"},"q4_email":"n@p.in","q9_list":["a","b"],"q5_addr":{"x":{"y":1}}}"#.to_owned(),
        );
        let d = Delivery::Form(pairs);
        let s = Submission::read(Profile::Jotform, &d).unwrap();
        assert_eq!(s.lookup("q3_name[first]"), Lookup::Value("Niloth".into()));
        assert_eq!(s.lookup("name[last]"), Lookup::Value("P".into()));
        assert_eq!(s.lookup("q3_name"), Lookup::Value("Niloth P".into()));
        assert_eq!(s.lookup("email"), Lookup::Value("n@p.in".into()));
        assert_eq!(s.lookup("q9_list"), Lookup::Value("a, b".into()));
        assert_eq!(s.lookup("q5_addr"), Lookup::WrongType("an object"));
        assert_eq!(s.id().as_deref(), Some("608"));
    }

    #[test]
    fn jotform_names_of_two_fields_are_ambiguous() {
        let mut pairs = HashMap::new();
        pairs.insert(
            "rawRequest".to_owned(),
            r#"{"q3_email":"a@b.in","q7_email":"c@d.in"}"#.to_owned(),
        );
        let d = Delivery::Form(pairs);
        let s = Submission::read(Profile::Jotform, &d).unwrap();
        let both = Lookup::Ambiguous(vec!["q3_email".into(), "q7_email".into()]);
        assert_eq!(s.lookup("email"), both);
        assert_eq!(s.lookup("q7_email"), Lookup::Value("c@d.in".into()));
        // Without rawRequest, the form's own names.
        let pairs: HashMap<String, String> = [("q3_email", "a@b.in"), ("q7_email", "c@d.in")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        let d = Delivery::Form(pairs);
        let s = Submission::read(Profile::Jotform, &d).unwrap();
        assert_eq!(s.lookup("email"), both);
        assert_eq!(s.lookup("q3_email"), Lookup::Value("a@b.in".into()));
    }

    #[test]
    fn fillout_and_json_pointers() {
        let v = json!({"submission": {"submissionId": "S", "questions": [
            {"id": "abc", "name": "What's your name?", "type": "ShortAnswer", "value": "Timmy"}],
            "urlParameters": [{"id": "src", "name": "src", "value": "ad"}]}});
        assert_eq!(
            json(Profile::Fillout, v.clone(), "abc"),
            Lookup::Value("Timmy".into())
        );
        assert_eq!(
            json(Profile::Fillout, v.clone(), "What's your name?"),
            Lookup::Value("Timmy".into())
        );
        assert_eq!(
            json(Profile::Fillout, v.clone(), "src"),
            Lookup::Value("ad".into())
        );
        let v = json!({"contact": {"email": "a@b.co", "tags": [1, 2], "o": {}}});
        assert_eq!(
            json(Profile::Json, v.clone(), "/contact/email"),
            Lookup::Value("a@b.co".into())
        );
        assert_eq!(
            json(Profile::Json, v.clone(), "/contact/tags"),
            Lookup::Value("1, 2".into())
        );
        assert_eq!(
            json(Profile::Json, v.clone(), "/contact/o"),
            Lookup::WrongType("an object")
        );
    }
}
