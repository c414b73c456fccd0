//! Reading a tool's delivery: its answers by the references a field map names, and its
//! submission id. The shapes are the tools' documented webhook payloads (the fixtures in
//! `tests/fixtures/signup/` cite each page):
//!
//! - Typeform: JSON, `form_response.answers[]`, each with `field.ref` / `field.id`, `type`,
//!   and the value under the key its type names (`text`, `email`, `choice.label`,
//!   `choices.labels`…); `form_response.hidden` holds hidden fields; id `form_response.token`
//!   (else `event_id`).
//! - Tally: JSON, `data.fields[]` with `key`, `label`, `value` (choices: option ids, named by
//!   `options[]`); id `data.responseId` (else `eventId`).
//! - Jotform: multipart or form-encoded, answers in the `rawRequest` JSON under generated
//!   names (`q3_name` with parts `first`, `last`); id `submissionID`.
//! - Fillout: JSON, `questions[]` (and `urlParameters[]`) with `id`, `name`, `value`, at the
//!   top or under `submission`; id `submissionId`.
//! - json: any JSON; references are JSON Pointers.

use super::Profile;
use super::answers::{self, Lookup};
use crate::domain::DomainError;
use serde_json::Value;
use std::collections::HashMap;

/// A delivery's body as HTTP read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Json(Value),
    /// Form-encoded or multipart: names and values.
    Form(HashMap<String, String>),
}

/// A delivery checked against its profile's shape.
#[derive(Debug)]
pub struct Submission<'a> {
    profile: Profile,
    root: Root<'a>,
}

#[derive(Debug)]
enum Root<'a> {
    Json(&'a Value),
    /// Jotform: the form's names and values, and `rawRequest` parsed.
    Jotform(&'a HashMap<String, String>, Option<Value>),
}

fn not_shaped(profile: Profile, what: &str) -> DomainError {
    DomainError::Payload(format!(
        "body: not a {} delivery ({what})",
        match profile {
            Profile::Typeform => "Typeform",
            Profile::Tally => "Tally",
            Profile::Jotform => "Jotform",
            Profile::Fillout => "Fillout",
            Profile::Json | Profile::Fields => "JSON",
        }
    ))
}

fn str_at<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value.pointer(pointer).and_then(Value::as_str)
}

impl<'a> Submission<'a> {
    pub fn read(profile: Profile, delivery: &'a Delivery) -> Result<Self, DomainError> {
        let root = match (profile, delivery) {
            (Profile::Jotform, Delivery::Form(pairs)) => {
                let raw = match pairs.get("rawRequest") {
                    None => None,
                    Some(text) => match serde_json::from_str::<Value>(text) {
                        Ok(v @ Value::Object(_)) => Some(v),
                        _ => return Err(not_shaped(profile, "rawRequest is not a JSON object")),
                    },
                };
                Root::Jotform(pairs, raw)
            }
            (Profile::Jotform, Delivery::Json(_)) => {
                return Err(not_shaped(profile, "Jotform posts multipart/form-data"));
            }
            (_, Delivery::Form(_)) => {
                return Err(not_shaped(profile, "expected a JSON body"));
            }
            (_, Delivery::Json(v)) => Root::Json(v),
        };
        let shaped = match (&root, profile) {
            (Root::Json(v), Profile::Typeform) => v
                .pointer("/form_response/answers")
                .is_some_and(Value::is_array)
                .then_some(())
                .ok_or("no form_response.answers"),
            (Root::Json(v), Profile::Tally) => v
                .pointer("/data/fields")
                .is_some_and(Value::is_array)
                .then_some(())
                .ok_or("no data.fields"),
            (Root::Json(v), Profile::Fillout) => answers::fillout_submission(v)
                .map(|_| ())
                .ok_or("no questions or submission.questions"),
            _ => Ok(()),
        };
        shaped.map_err(|what| not_shaped(profile, what))?;
        Ok(Self { profile, root })
    }

    /// The tool's own id of this submission, the same on every re-delivery.
    pub fn id(&self) -> Option<String> {
        let id = match (&self.root, self.profile) {
            (Root::Json(v), Profile::Typeform) => {
                str_at(v, "/form_response/token").or_else(|| str_at(v, "/event_id"))
            }
            (Root::Json(v), Profile::Tally) => {
                str_at(v, "/data/responseId").or_else(|| str_at(v, "/eventId"))
            }
            (Root::Json(v), Profile::Fillout) => answers::fillout_submission(v)
                .and_then(|s| s.get("submissionId"))
                .and_then(Value::as_str),
            (Root::Jotform(pairs, _), _) => pairs.get("submissionID").map(String::as_str),
            _ => None,
        };
        id.map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }

    /// Refuses a signed delivery the tool made longer than `ttl` ago (Typeform's
    /// `form_response.submitted_at`, Tally's `data.createdAt`, else its `createdAt`): its
    /// idempotency claim may have expired, so a replay of it could create again. The time is
    /// inside the signed body, so a replayer cannot change it. Other tools carry no signed
    /// time: `Ok`.
    pub fn check_fresh(
        &self,
        now: jiff::Timestamp,
        ttl: std::time::Duration,
    ) -> Result<(), DomainError> {
        let Root::Json(v) = &self.root else {
            return Ok(());
        };
        let (field, at) = match self.profile {
            Profile::Typeform => (
                "form_response.submitted_at",
                str_at(v, "/form_response/submitted_at"),
            ),
            Profile::Tally => (
                "data.createdAt",
                str_at(v, "/data/createdAt").or_else(|| str_at(v, "/createdAt")),
            ),
            _ => return Ok(()),
        };
        let at = at
            .and_then(|t| t.trim().parse::<jiff::Timestamp>().ok())
            .ok_or_else(|| {
                DomainError::Payload(format!(
                    "{field}: a signed delivery needs the tool's submission time (RFC 3339)"
                ))
            })?;
        let age = now.duration_since(at);
        match age.as_secs() > i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX) {
            true => Err(DomainError::Payload(format!(
                "{field}: the submission is older than IDEMPOTENCY_TTL_SECONDS ({}s): \
                 refused as a possible replay (nothing written)",
                ttl.as_secs()
            ))),
            false => Ok(()),
        }
    }

    /// The answer a map's reference names.
    pub fn lookup(&self, reference: &str) -> Lookup {
        match (&self.root, self.profile) {
            (Root::Json(v), Profile::Typeform) => answers::typeform(v, reference),
            (Root::Json(v), Profile::Tally) => answers::tally(v, reference),
            (Root::Json(v), Profile::Fillout) => answers::fillout(v, reference),
            (Root::Json(v), _) => answers::scalar(v.pointer(reference)),
            (Root::Jotform(pairs, raw), _) => answers::jotform(pairs, raw.as_ref(), reference),
        }
    }
}
