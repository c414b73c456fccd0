//! `Params::from_body`: a form, multipart or JSON body under a Content-Type (the first byte
//! picks one of `CONTENT_TYPES`, none, or the input's first line). Parsed parameters are
//! what a form of the same pairs parses to; a refusal is a 4xx.
#![no_main]

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use isp_crm::domain::Fields;
use isp_crm::http::Params;
use isp_crm_fuzz::{CONTENT_TYPES, assert_client_error, block_on};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (content_type, body): (Option<&[u8]>, &[u8]) = match usize::from(selector) % 10 {
        i if i < CONTENT_TYPES.len() => (Some(CONTENT_TYPES[i].as_bytes()), rest),
        8 => (None, rest),
        _ => match rest.iter().position(|b| *b == b'\n') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (Some(rest), &[]),
        },
    };
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_bytes(c).ok()) {
        headers.insert(CONTENT_TYPE, ct);
    }
    match block_on(Params::from_body(&headers, Bytes::copy_from_slice(body))) {
        Ok(params) => {
            let form = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.pairs())
                .finish();
            assert_eq!(Params::from_form(form.as_bytes()), Ok(params));
        }
        Err(e) => assert_client_error(e),
    }
});
