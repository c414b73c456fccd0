//! Deliveries shaped exactly as each tool documents its webhook payloads (the page is cited
//! above each), with the answers of one signup. Values are ours; names and nesting are the
//! tools'.

use serde_json::{Value, json};

/// A time `n` minutes ago as the tools write it: a signed Typeform or Tally delivery older
/// than IDEMPOTENCY_TTL_SECONDS is refused as a possible replay.
pub fn minutes_ago(n: i64) -> String {
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(n);
    at.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// Typeform, "Example webhook payload"
/// (https://www.typeform.com/developers/webhooks/example-payload/): `event_id`,
/// `event_type: form_response`, `form_response` with `form_id`, `token`, `landed_at`,
/// `submitted_at`, `hidden`, `definition.fields[]` and `answers[]`, each answer with its
/// `type`, the value under that type's key and `field {id, type, ref}`. Signed with
/// `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`
/// (https://www.typeform.com/developers/webhooks/secure-your-webhooks/).
pub fn typeform() -> Value {
    json!({
      "event_id": "01HZ6Q1TKXW8C3V7F2C9M5B4NA",
      "event_type": "form_response",
      "form_response": {
        "form_id": "lT4Z3j",
        "token": "a3a12ec67a1365927098a606107fbc15",
        "landed_at": minutes_ago(3),
        "submitted_at": minutes_ago(1),
        "hidden": {"utm_source": "newsletter"},
        "definition": {
          "id": "lT4Z3j",
          "title": "Fibre signup",
          "fields": [
            {"id": "Kq1", "title": "First name", "type": "short_text", "ref": "first_name", "properties": {}},
            {"id": "Kq2", "title": "Last name", "type": "short_text", "ref": "last_name", "properties": {}},
            {"id": "Kq3", "title": "Work email", "type": "email", "ref": "work_email", "properties": {}},
            {"id": "Kq4", "title": "Mobile", "type": "phone_number", "ref": "phone", "properties": {}},
            {"id": "Kq5", "title": "Street", "type": "long_text", "ref": "street", "properties": {}},
            {"id": "Kq6", "title": "City", "type": "short_text", "ref": "city", "properties": {}},
            {"id": "Kq7", "title": "State", "type": "dropdown", "ref": "state", "properties": {}},
            {"id": "Kq8", "title": "PIN code", "type": "number", "ref": "zip", "properties": {}},
            {"id": "Kq9", "title": "Plans", "type": "multiple_choice", "ref": "plans", "allow_multiple_selections": true, "properties": {}},
            {"id": "Kq10", "title": "Newsletter?", "type": "yes_no", "ref": "newsletter", "properties": {}}
          ]
        },
        "answers": [
          {"type": "text", "text": "Asha", "field": {"id": "Kq1", "type": "short_text", "ref": "first_name"}},
          {"type": "text", "text": "Naik", "field": {"id": "Kq2", "type": "short_text", "ref": "last_name"}},
          {"type": "email", "email": "asha@example.com", "field": {"id": "Kq3", "type": "email", "ref": "work_email"}},
          {"type": "phone_number", "phone_number": "+919876543210", "field": {"id": "Kq4", "type": "phone_number", "ref": "phone"}},
          {"type": "text", "text": "12 MG Road", "field": {"id": "Kq5", "type": "long_text", "ref": "street"}},
          {"type": "text", "text": "Panaji", "field": {"id": "Kq6", "type": "short_text", "ref": "city"}},
          {"type": "choice", "choice": {"label": "Goa"}, "field": {"id": "Kq7", "type": "dropdown", "ref": "state"}},
          {"type": "number", "number": 403001, "field": {"id": "Kq8", "type": "number", "ref": "zip"}},
          {"type": "choices", "choices": {"labels": ["Fibre 100", "IPTV"]}, "field": {"id": "Kq9", "type": "multiple_choice", "ref": "plans"}},
          {"type": "boolean", "boolean": true, "field": {"id": "Kq10", "type": "yes_no", "ref": "newsletter"}}
        ]
      }
    })
}

pub const TYPEFORM_MAP: &str = r#"{"type": {"const": "Individual"},
  "name": {"join": ["first_name", "last_name"]}, "email": "work_email", "mobile": "phone",
  "street": "street", "city": "city", "state": "state", "zipcode": "zip", "notes": "plans",
  "dob": "dob"}"#;

/// Tally, "Webhooks" › "Example webhook event" (https://tally.so/help/webhooks): `eventId`,
/// `eventType: FORM_RESPONSE`, `createdAt`, `data` with `responseId`, `submissionId`,
/// `respondentId`, `formId`, `formName`, `createdAt` and `fields[]` of `key`, `label`,
/// `type`, `value` (choices: option ids, with `options[] {id, text}`). Signed with
/// `Tally-Signature: <base64 HMAC-SHA256 of the body>` (same page, "Add a signing secret").
pub fn tally() -> Value {
    json!({
      "eventId": "a4cb511e-d513-4fa5-baee-b815d718dfd1",
      "eventType": "FORM_RESPONSE",
      "createdAt": minutes_ago(1),
      "data": {
        "responseId": "2wgx4n",
        "submissionId": "2wgx4n",
        "respondentId": "dwQKYm",
        "formId": "VwbNEw",
        "formName": "Fibre signup",
        "createdAt": minutes_ago(1),
        "fields": [
          {"key": "question_mVGEg3", "label": "Full name", "type": "INPUT_TEXT", "value": "Ravi Kumar"},
          {"key": "question_nPEzOv", "label": "Email", "type": "INPUT_EMAIL", "value": "ravi@example.com"},
          {"key": "question_3EKz4n", "label": "Phone", "type": "INPUT_PHONE_NUMBER", "value": "+91 98765 43211"},
          {"key": "question_w4Q5Xo", "label": "Address", "type": "TEXTAREA", "value": "4 Beach Road"},
          {"key": "question_3jpW4l", "label": "City", "type": "INPUT_TEXT", "value": "Margao"},
          {"key": "question_wQe0g1", "label": "PIN", "type": "INPUT_NUMBER", "value": 403601},
          {"key": "question_mRpKvE", "label": "Plans", "type": "CHECKBOXES", "value": ["5c3e0c8f", "b1d0a7e2"],
           "options": [{"id": "5c3e0c8f", "text": "Fibre 100"}, {"id": "9a0c1d22", "text": "Fibre 300"}, {"id": "b1d0a7e2", "text": "IPTV"}]},
          {"key": "question_nGPd5E", "label": "Notes", "type": "TEXTAREA", "value": null}
        ]
      }
    })
}

pub const TALLY_MAP: &str = r#"{"type": {"const": "Individual"}, "name": "Full name",
  "email": "question_nPEzOv", "mobile": "Phone", "street": "Address", "city": "City",
  "state": {"const": "Goa"}, "zipcode": "PIN", "notes": "Plans", "uniqueid": "Notes"}"#;

/// Jotform, "How to Set Up a Webhook with Jotform"
/// (https://www.jotform.com/help/245-how-to-setup-a-webhook-with-jotform/): a
/// `multipart/form-data` POST with `formID`, `submissionID`, `formTitle`, `pretty`, `ip`,
/// and `rawRequest`, the answers as JSON under generated names (`q3_fullName` with parts
/// `first` and `last`, an address's `addr_line1`, `city`, `state`, `postal`, a phone's
/// `full`). Jotform does not sign deliveries.
pub fn jotform_raw_request() -> Value {
    json!({
      "slug": "submit/243231271343446",
      "q3_fullName": {"first": "Zoë", "last": "D'Souza"},
      "q4_email": "zoe@example.com",
      "q5_phoneNumber": {"full": "(987) 654-3212"},
      "q6_address": {"addr_line1": "7 Church Square", "addr_line2": "", "city": "Mapusa",
                     "state": "Goa", "postal": "403507", "country": "India"},
      "q7_plans": ["Fibre 300", "IPTV"],
      "q8_comments": "",
      "event_id": "1732615894703_243231271343446_abcd123",
      "timeToSubmit": "31",
      "path": "/submit/243231271343446"
    })
}

pub const JOTFORM_MAP: &str = r#"{"type": {"const": "Individual"},
  "name": "q3_fullName[first]", "surname": "fullName[last]", "email": "q4_email",
  "mobile": "q5_phoneNumber[full]", "street": "q6_address[addr_line1]",
  "city": "q6_address[city]", "state": "q6_address[state]", "zipcode": "q6_address[postal]",
  "notes": "q7_plans", "uniqueid": "q8_comments"}"#;

/// The multipart body Jotform posts, with `raw` as its `rawRequest`.
pub fn jotform_body(raw: &Value, submission: &str) -> (String, String) {
    let boundary = "------------------------J1JNT4vbVO4FCC1qLG4HSv";
    let parts = [
        ("action", String::new()),
        (
            "webhookURL",
            "https://api.example/api/customer/create".to_owned(),
        ),
        ("username", "fibreco".to_owned()),
        ("formID", "243231271343446".to_owned()),
        ("type", "WEB".to_owned()),
        ("formTitle", "Fibre signup".to_owned()),
        ("submissionID", submission.to_owned()),
        ("rawRequest", raw.to_string()),
        (
            "pretty",
            "Full Name:Zoë D'Souza, E-mail:zoe@example.com".to_owned(),
        ),
        ("ip", "203.0.113.9".to_owned()),
    ];
    let mut body = String::new();
    for (name, value) in parts {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Fillout: its webhook POSTs each submission in the shape of the REST API's submission
/// (https://www.fillout.com/help/webhook; the object: "Get submission by id",
/// https://www.fillout.com/docs/api-reference/get-submission-by-id): `submissionId`,
/// `submissionTime`, `questions[] {id, name, type, value}`, `calculations[]`,
/// `urlParameters[] {id, name, value}`. Fillout does not sign deliveries.
pub fn fillout() -> Value {
    json!({
      "submissionId": "b2a1e8f0-5c4d-4e8f-9a71-3d0f7c1e2b44",
      "submissionTime": "2026-11-27T09:02:00.324Z",
      "lastUpdatedAt": "2026-11-27T09:02:00.324Z",
      "questions": [
        {"id": "abcdef", "name": "What's your name?", "type": "ShortAnswer", "value": "Meera Pai"},
        {"id": "q2xYz1", "name": "Email", "type": "EmailInput", "value": "meera@example.com"},
        {"id": "q3pHn9", "name": "Phone", "type": "PhoneNumber", "value": "+91 91234 56789"},
        {"id": "q4aDd2", "name": "Street", "type": "ShortAnswer", "value": "3 Fort Lane"},
        {"id": "q5cTy7", "name": "City", "type": "ShortAnswer", "value": "Vasco"},
        {"id": "q6sTt3", "name": "State", "type": "Dropdown", "value": "Goa"},
        {"id": "q7zIp4", "name": "PIN", "type": "NumberInput", "value": 403802},
        {"id": "q8pLn5", "name": "Plans", "type": "MultiSelect", "value": ["Fibre 100", "Static IP"]},
        {"id": "q9dOb6", "name": "Date of birth", "type": "DatePicker", "value": "1990-01-31"}
      ],
      "calculations": [{"id": "calculation1", "name": "price", "type": "number", "value": "12.50"}],
      "urlParameters": [{"id": "email", "name": "email", "value": "prefill@example.com"}],
      "quiz": {},
      "documents": []
    })
}

pub const FILLOUT_MAP: &str = r#"{"type": {"const": "Individual"},
  "name": "What's your name?", "email": "q2xYz1", "mobile": "Phone", "street": "Street",
  "city": "City", "state": "State", "zipcode": "PIN", "notes": "Plans", "dob": "q9dOb6"}"#;

/// The `json` profile: any JSON, read through JSON Pointers (RFC 6901).
pub fn json_payload() -> Value {
    json!({
      "lead": {"id": "lead-77f1", "contact": {"given": "Ananya", "family": "Rao",
               "email": "ananya@example.com", "phones": ["9876543213"]}},
      "address": {"line": "9 River View", "town": "Ponda", "region": "Goa", "pin": "403401"},
      "meta": {"kind": "Organisation", "tags": ["web", "fibre"]}
    })
}

pub const JSON_MAP: &str = r#"{"type": "/meta/kind", "name": "/lead/contact/given",
  "surname": "/lead/contact/family", "email": "/lead/contact/email",
  "mobile": "/lead/contact/phones/0", "street": "/address/line", "city": "/address/town",
  "state": "/address/region", "zipcode": "/address/pin", "notes": "/meta/tags",
  "idempotency_key": "/lead/id"}"#;
