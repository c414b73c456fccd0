//! The records of creates, updates and lists from a form body: each parses, or is refused
//! naming a parameter its route declares (`contract::ROUTES`); a parsed update changes
//! something, a parsed create's values parse again to themselves.
#![no_main]

use isp_crm::domain::Invalid;
use isp_crm::domain::customer::{CustomerFields, CustomerUpdate, Email, Mobile};
use isp_crm::domain::service::{ServiceFields, ServiceUpdate, Username};
use isp_crm::domain::tenancy::DirectoryUpdate;
use isp_crm::http::Params;
use isp_crm::http::contract::{self, Route};
use isp_crm_fuzz::assert_client_error;
use libfuzzer_sys::fuzz_target;

fn declared<T>(route: &Route, parsed: Result<T, Invalid>) -> Option<T> {
    match parsed {
        Ok(t) => Some(t),
        Err(e) => {
            assert!(route.params.contains(&e.param), "{}: {e}", route.path);
            assert!(!e.rule.trim().is_empty());
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let f = match Params::from_form(data) {
        Ok(p) => p,
        Err(e) => return assert_client_error(e),
    };
    let today = jiff::civil::date(2026, 11, 27);
    if let Some(c) = declared(
        &contract::CUSTOMER_CREATE,
        CustomerFields::parse_create(&f, today),
    ) {
        assert_eq!(
            Mobile::parse("mobile", c.mobile.as_str()),
            Ok(c.mobile.clone())
        );
        assert_eq!(Email::parse("email", c.email.as_str()), Ok(c.email.clone()));
        assert!(c.dob.is_none_or(|d| d <= today));
    }
    if let Some(u) = declared(&contract::CUSTOMER_UPDATE, CustomerUpdate::parse(&f, today)) {
        assert!(!u.changes.is_empty() || u.reset_password);
    }
    if let Some(s) = declared(&contract::SERVICE_CREATE, ServiceFields::parse_create(&f)) {
        assert_eq!(
            Username::parse("username", s.username.as_str()),
            Ok(s.username.clone())
        );
    }
    if let Some(u) = declared(&contract::SERVICE_UPDATE, ServiceUpdate::parse(&f)) {
        assert!(
            u.username.is_some() || u.plan.is_some() || u.status.is_some() || u.notes.is_some()
        );
    }
    if let Some(u) = declared(&contract::RESELLER_UPDATE, DirectoryUpdate::parse(&f)) {
        assert_ne!(u, DirectoryUpdate::default());
    }
    let _ = declared(&contract::ISP_UPDATE, DirectoryUpdate::read(&f));
});
