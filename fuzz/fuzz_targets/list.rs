//! The list requests and cursors: `ListRequest` and `ServiceListRequest` from a form body,
//! the created days in an ISP's zone, the index plan and where a page resumes, the `%`
//! patterns against a reference matcher, and cursors: a forged one is refused, a sealed one
//! opens to its position.
#![no_main]

use isp_crm::app::cursor::CursorSeal;
use isp_crm::app::planner::{Part, plan};
use isp_crm::domain::ids::{IspId, ResellerId};
use isp_crm::domain::list::{ListRequest, MAX_LIMIT, MAX_OFFSET, Pattern};
use isp_crm::domain::service::ServiceListRequest;
use isp_crm::domain::text::fold;
use isp_crm::http::{Params, contract};
use isp_crm_fuzz::assert_client_error;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const ZONES: [&str; 5] = [
    "UTC",
    "Asia/Kolkata",
    "America/New_York",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
];

struct Input<'a> {
    form: &'a [u8],
    zone: u8,
    after: String,
    pattern: String,
    text: String,
}

fn input(data: &[u8]) -> Result<Input<'_>> {
    let mut u = Unstructured::new(data);
    Ok(Input {
        zone: u.arbitrary()?,
        after: u.arbitrary()?,
        pattern: u.arbitrary()?,
        text: u.arbitrary()?,
        form: u.take_rest(),
    })
}

/// `%` matches any run of characters, everything else itself, ignoring case.
fn reference(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = fold(pattern).chars().collect();
    let t: Vec<char> = fold(text).chars().collect();
    // can[j]: the pattern so far matches t[..j].
    let mut can = vec![false; t.len() + 1];
    can[0] = true;
    for c in p {
        let mut next = vec![false; t.len() + 1];
        for j in 0..=t.len() {
            next[j] = match c {
                '%' => can[j] || (j > 0 && next[j - 1]),
                _ => j > 0 && can[j - 1] && t[j - 1] == c,
            };
        }
        can = next;
    }
    can[t.len()]
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = input(data) else {
        return;
    };
    let seal = CursorSeal::new(b"fuzz-secret");
    let fp = [7u8; 16];
    if !input.after.is_empty() {
        let token = seal.seal(&fp, &input.after);
        assert_eq!(seal.open(&token, &fp).as_deref(), Ok(input.after.as_str()));
        assert!(
            seal.open(&token, &[8u8; 16]).is_err(),
            "another query's cursor"
        );
    }
    assert_eq!(
        Pattern::new(&input.pattern, true).matches(&input.text),
        reference(&input.pattern, &input.text),
        "{:?} ~ {:?}",
        input.pattern,
        input.text
    );

    let params = match Params::from_form(input.form) {
        Ok(p) => p,
        Err(e) => return assert_client_error(e),
    };
    match ServiceListRequest::parse(&params) {
        Ok(l) => assert!((1..=MAX_LIMIT).contains(&l.limit) && l.offset <= MAX_OFFSET),
        Err(e) => assert!(contract::SERVICE_LIST.params.contains(&e.param), "{e}"),
    }
    let req = match ListRequest::parse(&params) {
        Ok(r) => r,
        Err(e) => return assert!(contract::CUSTOMER_LIST.params.contains(&e.param), "{e}"),
    };
    assert!((1..=MAX_LIMIT).contains(&req.limit) && req.offset <= MAX_OFFSET);
    if let Some(token) = &req.cursor {
        assert!(
            seal.open(token, &fp).is_err(),
            "a forged cursor opened: {token:?}"
        );
    }
    let Ok(tz) = jiff::tz::TimeZone::get(ZONES[usize::from(input.zone) % ZONES.len()]) else {
        return;
    };
    let filters = match req.filters.in_zone(&tz) {
        Ok(f) => f,
        Err(e) => return assert!(["created_from", "created_upto"].contains(&e.param), "{e}"),
    };
    for part in [
        Part::Isp(IspId(1)),
        Part::Reseller {
            isp: IspId(1),
            reseller: ResellerId(2),
        },
    ] {
        let p = plan(part, &filters, req.sort);
        let _ = p.start_after(&input.after);
    }
});
