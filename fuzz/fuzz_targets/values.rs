//! Every value parser on one text: mobile, email, zipcode, type, dates, idempotency key,
//! username, service status, the free-text rules, the ids, time zones, flags, roles, keys.
//! Each refuses with a rule naming its parameter, or gives a value that parses to itself.
#![no_main]

use isp_crm::domain::credentials::{ApiKey, KeyDigest};
use isp_crm::domain::customer::{CustomerType, Email, Mobile, Zipcode, parse_date, parse_dob};
use isp_crm::domain::idempotency::IdempotencyKey;
use isp_crm::domain::ids::{CustomerId, IspId, MAX_ID, ResellerId, ServiceId, UserId};
use isp_crm::domain::service::{PLAN, ServiceStatus, Username};
use isp_crm::domain::tenancy::{parse_flag, parse_role};
use isp_crm::domain::text;
use isp_crm::domain::zone::IspTimeZone;
use isp_crm_fuzz::assert_clear;
use libfuzzer_sys::fuzz_target;

/// `parse(param, v)`: refused naming `param`, or a value that `back` turns into a text that
/// parses to the same value.
fn fixed<T: PartialEq + std::fmt::Debug>(
    param: &'static str,
    v: &str,
    parse: impl Fn(&'static str, &str) -> Result<T, isp_crm::domain::Invalid>,
    back: impl Fn(&T) -> String,
) -> Option<T> {
    match parse(param, v) {
        Ok(t) => {
            assert_eq!(parse(param, &back(&t)).as_ref(), Ok(&t), "{param}: {v:?}");
            Some(t)
        }
        Err(e) => {
            assert_clear(&e, param);
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let v = String::from_utf8_lossy(data);
    let v = v.as_ref();
    let trimmed = v.trim();
    fixed("mobile", v, Mobile::parse, |m| m.as_str().to_owned());
    fixed("email", v, Email::parse, |e| e.as_str().to_owned());
    if let Some(z) = fixed("zipcode", v, Zipcode::parse, |z| z.as_str().to_owned()) {
        assert_eq!(z.as_str(), trimmed.to_ascii_uppercase());
    }
    fixed("type", v, CustomerType::parse, |t| t.as_str().to_owned());
    fixed("created_from", v, parse_date, |d| d.to_string());
    let today = jiff::civil::date(2026, 11, 27);
    if let Some(d) = fixed("dob", v, |p, v| parse_dob(p, v, today), |d| d.to_string()) {
        assert!(d <= today && d.year() >= 1850);
    }
    if let Some(k) = fixed("idempotency_key", v, IdempotencyKey::parse, |k| {
        k.as_str().to_owned()
    }) {
        assert_eq!(k.as_str(), trimmed);
    }
    if let Some(u) = fixed("username", v, Username::parse, |u| u.as_str().to_owned()) {
        assert_eq!(u.as_str(), trimmed);
        assert!(!u.as_str().contains('%'), "the list's wildcard");
        assert!(Username::parse("username", &u.folded()).is_ok());
    }
    if let Some(s) = fixed("status", v, ServiceStatus::parse, |s| s.as_str().to_owned()) {
        assert!(s.as_str().eq_ignore_ascii_case(trimmed));
    }
    for (param, rule) in [
        ("name", text::NAME),
        ("city", text::PLACE),
        ("uniqueid", text::UNIQUE_ID),
        ("street", text::STREET),
        ("notes", text::NOTES),
        ("plan", PLAN),
    ] {
        if let Some(t) = fixed(param, v, |p, v| rule.parse(p, v), String::clone) {
            assert_eq!(t, trimmed);
            assert!(t.chars().count() <= rule.max);
            assert!(
                t.chars()
                    .all(|c| !c.is_control() || (rule.multiline && "\n\r\t".contains(c)))
            );
        }
    }
    let expected = trimmed
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| trimmed.parse::<u64>().ok())
        .flatten()
        .filter(|n| (1..=MAX_ID).contains(n));
    let ids = [
        fixed("userid", v, UserId::parse, |i| i.to_string()).map(UserId::get),
        fixed("ispid", v, IspId::parse, |i| i.to_string()).map(IspId::get),
        fixed("resellerid", v, ResellerId::parse, |i| i.to_string()).map(ResellerId::get),
        fixed("customerid", v, CustomerId::parse, |i| i.to_string()).map(CustomerId::get),
        fixed("serviceid", v, ServiceId::parse, |i| i.to_string()).map(ServiceId::get),
    ];
    assert!(ids.iter().all(|id| *id == expected), "{v:?}: {ids:?}");
    match fixed("time_zone", v, IspTimeZone::parse, |z| z.name().to_owned()) {
        Some(z) => {
            assert!(z.name().eq_ignore_ascii_case(trimmed), "{v:?} -> {z}");
            assert_eq!(IspTimeZone::parse_change("time_zone", v), Ok(Some(z)));
        }
        None => assert_eq!(
            IspTimeZone::parse_change("time_zone", v).is_ok(),
            trimmed.is_empty()
        ),
    }
    fixed("enabled", v, parse_flag, |b| {
        if *b { "Y" } else { "N" }.to_owned()
    });
    if let Some(r) = fixed("role", v, parse_role, |r| r.as_str().to_owned()) {
        assert!(r.as_str().eq_ignore_ascii_case(trimmed));
    }
    if let Ok(k) = ApiKey::presented("api_key", v) {
        assert_eq!(k.expose(), trimmed);
        assert_eq!(KeyDigest::from_hex(&k.digest().to_hex()), Some(k.digest()));
    }
    let _ = KeyDigest::from_hex(v);
});
