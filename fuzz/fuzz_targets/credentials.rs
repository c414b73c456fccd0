//! `http::credentials`: `userid`, `api_key` and `idempotency_key` in the body, the query
//! string and the X-Userid / X-Api-Key / Idempotency-Key headers, against a model: every
//! non-blank value of a credential, trimmed, is the same one, or the request is 400 naming
//! the credential (or the name the query string gives twice); an unreadable header is 400.
#![no_main]

use http::header::{HeaderMap, HeaderName, HeaderValue};
use isp_crm::domain::Fields;
use isp_crm::http::{Params, RequestError, credentials};
use isp_crm_fuzz::assert_client_error;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

const PARAMS: [&str; 4] = ["userid", "api_key", "idempotency_key", "name"];
const HEADERS: [&str; 4] = ["x-userid", "x-api-key", "idempotency-key", "content-type"];

struct Input {
    body: Vec<(u8, String)>,
    query: Option<String>,
    headers: Vec<(u8, Vec<u8>)>,
}

fn input(data: &[u8]) -> Result<Input> {
    let mut u = Unstructured::new(data);
    Ok(Input {
        body: u.arbitrary()?,
        query: u.arbitrary()?,
        headers: u.arbitrary()?,
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = input(data) else {
        return;
    };
    let mut body = Params::default();
    for (i, v) in &input.body {
        body.set(PARAMS[usize::from(*i) % PARAMS.len()], v.clone());
    }
    let mut headers = HeaderMap::new();
    for (i, v) in &input.headers {
        if let Ok(v) = HeaderValue::from_bytes(v) {
            let name = HEADERS[usize::from(*i) % HEADERS.len()];
            headers.append(HeaderName::from_static(name), v);
        }
    }
    let got = credentials(&headers, input.query.as_deref(), &body);

    let query: Vec<(String, String)> =
        form_urlencoded::parse(input.query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let names: HashSet<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    let mut refused = names.len() < query.len();
    let mut expected = Vec::new();
    for (param, header) in PARAMS.iter().zip(HEADERS).take(3) {
        let mut values: Vec<String> = body.get(param).into_iter().map(str::to_owned).collect();
        values.extend(
            query
                .iter()
                .filter(|(k, _)| k == param)
                .map(|(_, v)| v.clone()),
        );
        for v in headers.get_all(header) {
            match v.to_str() {
                Ok(v) => values.push(v.to_owned()),
                Err(_) => refused = true,
            }
        }
        let distinct: HashSet<&str> = values
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        refused |= distinct.len() > 1;
        expected.push(distinct.into_iter().next().map(str::to_owned));
    }
    match got {
        Ok(c) => {
            assert!(!refused, "accepted: {c:?}");
            assert_eq!(
                [c.userid, c.api_key, c.idempotency_key].as_slice(),
                expected.as_slice()
            );
            let in_query = query
                .iter()
                .any(|(k, v)| k == "api_key" && !v.trim().is_empty());
            assert_eq!(c.api_key_in_query, in_query);
        }
        Err(e) => {
            assert!(refused, "refused: {e}");
            match &e {
                RequestError::Duplicate(name) => {
                    assert!(query.iter().filter(|(k, _)| k == name).count() > 1, "{e}");
                }
                other => {
                    let text = other.to_string();
                    let named = ["userid:", "api_key:", "idempotency_key:"]
                        .iter()
                        .any(|p| text.starts_with(p));
                    assert!(named, "{text}");
                }
            }
            assert_client_error(e);
        }
    }
});
