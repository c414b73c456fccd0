//! The parameters each route reads, and the headers the API reads and writes, declared once.
//! The handlers read a request's parameters through this table (an undeclared name reads as
//! absent, and trips a debug assertion in tests), `credentials.rs`, `routes.rs` and `error.rs`
//! read and write the headers named here, and `tests/contract.rs` compares all of it with
//! docs/openapi.yaml, both ways.

use super::params::Params;
use crate::domain::entity::Pick;
use crate::domain::signup::web::WEB_PARAMS;
use crate::domain::{Fields, customer, service};

/// A route and the body parameters its use case reads (besides the credentials).
#[derive(Debug)]
pub struct Route {
    pub path: &'static str,
    pub params: &'static [&'static str],
}

impl Route {
    /// Whether the route uses an idempotency key, and so may answer a replay
    /// (`Idempotent-Replayed: true`).
    pub fn replays(&self) -> bool {
        self.params.contains(&IDEMPOTENCY_KEY.param)
    }
}

/// A value read on every route from three places (`credentials.rs`): the body parameter
/// `param`, the request header `header`, and `param` in the query string. Given in more than
/// one place, the values must agree (else 400).
#[derive(Debug)]
pub struct Place {
    pub param: &'static str,
    /// Lower case, as `http::HeaderName` spells it.
    pub header: &'static str,
}

pub const USERID: Place = Place {
    param: "userid",
    header: "x-userid",
};
pub const API_KEY: Place = Place {
    param: "api_key",
    header: "x-api-key",
};
/// Not a credential, but read the same ways on every route (so its places must agree there
/// too); only the routes that declare `idempotency_key` (the creates) use it.
pub const IDEMPOTENCY_KEY: Place = Place {
    param: "idempotency_key",
    header: "idempotency-key",
};

/// What every route reads besides its own parameters: the credentials and the idempotency key.
pub const EVERY_ROUTE: [&Place; 3] = [&USERID, &API_KEY, &IDEMPOTENCY_KEY];

/// Response header of every 429 and 503 answer (`error.rs`): seconds to wait before retrying.
/// The headers `customer/create` reads besides, for a profiled form key's delivery: the
/// tools' signatures (`domain::signup`).
pub use crate::domain::signup::SIGNATURE_HEADERS;

pub const RETRY_AFTER: &str = "retry-after";
/// The statuses that carry `Retry-After`.
pub const RETRY_AFTER_STATUSES: [u16; 2] = [429, 503];
/// Response header of a create's 200 answered from a claim (a retry with the same
/// `Idempotency-Key`, or a duplicate the guard recognised): nothing was written, the id is the
/// first request's. Only on the routes that declare `idempotency_key` (`Route::replays`).
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// The media type of every answer, success or failure (the JSON envelope).
pub const RESPONSE_TYPE: &str = "application/json";

pub const CUSTOMER_LIST: Route = Route {
    path: "/api/customer/list",
    params: &[
        "ispid",
        "resellerid",
        "customerid",
        "serviceid",
        "username",
        "type",
        "name",
        "mobile",
        "email",
        "zipcode",
        "state",
        "city",
        "created_from",
        "created_upto",
        "sort_field",
        "sort_order",
        "rows_limit",
        "rows_offset",
        "show_count",
        "cursor",
        "deleted",
    ],
};
pub const CUSTOMER_CREATE: Route = Route {
    path: "/api/customer/create",
    params: &crate::field_names!(&["idempotency_key"], customer::FIELDS, Pick::Create, &[]),
};
pub const CUSTOMER_UPDATE: Route = Route {
    path: "/api/customer/update",
    params: &crate::field_names!(
        &["customerid"],
        customer::FIELDS,
        Pick::Update,
        &["reset_password"]
    ),
};
pub const CUSTOMER_DELETE: Route = Route {
    path: "/api/customer/delete",
    params: &["customerid"],
};
pub const CUSTOMER_RESTORE: Route = Route {
    path: "/api/customer/restore",
    params: &["customerid"],
};
pub const CUSTOMER_EXPORT: Route = Route {
    path: "/api/customer/export",
    params: &["customerid"],
};
pub const CUSTOMER_ERASE: Route = Route {
    path: "/api/customer/erase",
    params: &["customerid", "erase_services"],
};
pub const CUSTOMER_HISTORY: Route = Route {
    path: "/api/customer/history",
    params: &["customerid", "rows_limit", "cursor"],
};
pub const SERVICE_LIST: Route = Route {
    path: "/api/service/list",
    params: &[
        "ispid",
        "resellerid",
        "customerid",
        "serviceid",
        "username",
        "status",
        "sort_field",
        "sort_order",
        "rows_limit",
        "rows_offset",
        "show_count",
    ],
};
pub const SERVICE_CREATE: Route = Route {
    path: "/api/service/create",
    params: &crate::field_names!(&["idempotency_key"], service::FIELDS, Pick::Create, &[]),
};
pub const SERVICE_UPDATE: Route = Route {
    path: "/api/service/update",
    params: &crate::field_names!(&["serviceid"], service::FIELDS, Pick::Update, &[]),
};
pub const SERVICE_DELETE: Route = Route {
    path: "/api/service/delete",
    params: &["serviceid"],
};

// Tenant self-service (docs/api.md, "ISPs, resellers and users").
pub const ISP_LIST: Route = Route {
    path: "/api/isp/list",
    params: &["rows_limit", "cursor"],
};
pub const ISP_CREATE: Route = Route {
    path: "/api/isp/create",
    params: &["name", "time_zone", "enabled"],
};
pub const ISP_UPDATE: Route = Route {
    path: "/api/isp/update",
    params: &["ispid", "name", "time_zone", "enabled"],
};
pub const RESELLER_LIST: Route = Route {
    path: "/api/reseller/list",
    params: &["ispid", "rows_limit", "cursor"],
};
pub const RESELLER_CREATE: Route = Route {
    path: "/api/reseller/create",
    params: &["ispid", "name", "enabled"],
};
pub const RESELLER_UPDATE: Route = Route {
    path: "/api/reseller/update",
    params: &["resellerid", "ispid", "name", "enabled"],
};
pub const USER_LIST: Route = Route {
    path: "/api/user/list",
    params: &["role", "ispid", "resellerid", "rows_limit", "cursor"],
};
pub const USER_CREATE: Route = Route {
    path: "/api/user/create",
    params: &["role", "ispid", "resellerid"],
};
pub const USER_ROTATE_KEY: Route = Route {
    path: "/api/user/rotate_key",
    params: &["target_userid"],
};
pub const USER_DISABLE: Route = Route {
    path: "/api/user/disable",
    params: &["target_userid"],
};
pub const USER_ENABLE: Route = Route {
    path: "/api/user/enable",
    params: &["target_userid"],
};
pub const USER_UPDATE: Route = Route {
    path: "/api/user/update",
    params: &USER_UPDATE_PARAMS,
};
/// A form key's setup (#20), then its web settings as the domain declares them (#21).
const USER_UPDATE_PARAMS: [&str; 4 + WEB_PARAMS.len()] = {
    let setup = [
        "target_userid",
        "form_profile",
        "form_map",
        "signing_secret",
    ];
    let mut all = [""; 4 + WEB_PARAMS.len()];
    let mut i = 0;
    while i < setup.len() {
        all[i] = setup[i];
        i += 1;
    }
    let mut j = 0;
    while j < WEB_PARAMS.len() {
        all[setup.len() + j] = WEB_PARAMS[j];
        j += 1;
    }
    all
};

/// Tenant webhooks' endpoints (issue 24, docs/events.md#webhooks).
pub const WEBHOOK_CREATE: Route = Route {
    path: "/api/webhook/create",
    params: &[
        "ispid",
        "resellerid",
        "url",
        "types",
        "description",
        "enabled",
    ],
};
pub const WEBHOOK_LIST: Route = Route {
    path: "/api/webhook/list",
    params: &["ispid", "resellerid", "rows_limit", "cursor"],
};
pub const WEBHOOK_UPDATE: Route = Route {
    path: "/api/webhook/update",
    params: &["webhookid", "url", "types", "description", "enabled"],
};
pub const WEBHOOK_DELETE: Route = Route {
    path: "/api/webhook/delete",
    params: &["webhookid"],
};
pub const WEBHOOK_ROTATE_SECRET: Route = Route {
    path: "/api/webhook/rotate_secret",
    params: &["webhookid"],
};
pub const WEBHOOK_DELIVERIES: Route = Route {
    path: "/api/webhook/deliveries",
    params: &["webhookid", "rows_limit", "cursor"],
};
pub const WEBHOOK_TEST: Route = Route {
    path: "/api/webhook/test",
    params: &["webhookid"],
};
pub const WEBHOOK_REPLAY: Route = Route {
    path: "/api/webhook/replay",
    params: &["webhookid", "message", "since"],
};

/// The hosted signup page's paths (issue 21): HTML for browsers, by a form key's public id,
/// not API routes (no credentials); docs/openapi.yaml describes them. `SIGNUP_STAMP` is
/// JSON: a fresh signed `shown_at` for the key's own HTML form (its minimum fill time).
pub const SIGNUP_PAGE: &str = "/signup/{form}";
pub const SIGNUP_THANKS: &str = "/signup/{form}/thanks";
pub const SIGNUP_STAMP: &str = "/signup/{form}/stamp";
pub const PAGES: [&str; 3] = [SIGNUP_PAGE, SIGNUP_THANKS, SIGNUP_STAMP];

pub const ROUTES: [&Route; 32] = [
    &CUSTOMER_LIST,
    &CUSTOMER_CREATE,
    &CUSTOMER_UPDATE,
    &CUSTOMER_DELETE,
    &CUSTOMER_RESTORE,
    &CUSTOMER_EXPORT,
    &CUSTOMER_ERASE,
    &CUSTOMER_HISTORY,
    &SERVICE_LIST,
    &SERVICE_CREATE,
    &SERVICE_UPDATE,
    &SERVICE_DELETE,
    &ISP_LIST,
    &ISP_CREATE,
    &ISP_UPDATE,
    &RESELLER_LIST,
    &RESELLER_CREATE,
    &RESELLER_UPDATE,
    &USER_LIST,
    &USER_CREATE,
    &USER_ROTATE_KEY,
    &USER_DISABLE,
    &USER_ENABLE,
    &USER_UPDATE,
    &WEBHOOK_CREATE,
    &WEBHOOK_LIST,
    &WEBHOOK_UPDATE,
    &WEBHOOK_DELETE,
    &WEBHOOK_ROTATE_SECRET,
    &WEBHOOK_DELIVERIES,
    &WEBHOOK_TEST,
    &WEBHOOK_REPLAY,
];

/// A request's parameters as its route declares them, and where the request came from.
#[derive(Debug)]
pub struct Declared {
    params: Params,
    route: &'static Route,
    source: Option<std::net::IpAddr>,
}

impl Declared {
    pub fn new(params: Params, route: &'static Route, source: Option<std::net::IpAddr>) -> Self {
        Self {
            params,
            route,
            source,
        }
    }

    /// The client's address: API Gateway's `sourceIp` (or the function URL's) under Lambda,
    /// the peer address of the local server.
    pub fn source(&self) -> Option<std::net::IpAddr> {
        self.source
    }
}

impl Fields for Declared {
    fn get(&self, name: &str) -> Option<&str> {
        let declared = self.route.params.contains(&name);
        debug_assert!(
            declared,
            "{} reads {name}, which its table does not declare",
            self.route.path
        );
        declared.then(|| self.params.get(name)).flatten()
    }

    /// Every parameter, declared or not: a create's fingerprint covers what the sender sent.
    fn pairs(&self) -> Vec<(&str, &str)> {
        self.params.pairs()
    }
}

/// The parameter lists agree with the domain: what each parser reads is what its route
/// declares (besides what the use case reads itself: placement, credentials, the key).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::entity::check::{Reads, set};
    use crate::domain::list::{self, ListRequest};
    use crate::domain::service::{ServiceFields, ServiceListRequest, ServiceUpdate};
    use crate::domain::tenancy;
    use std::collections::BTreeSet;

    fn declared(route: &Route, besides: &[&str]) -> BTreeSet<String> {
        let mut names = set(route.params.iter().copied());
        for b in besides {
            names.remove(*b);
        }
        names
    }

    #[test]
    fn parsers_read_what_their_routes_declare() {
        // The customer's create and update lists are the table's (`customer::FIELDS`), and
        // its parsers read the table's fields (tests in `domain::customer`).
        let f = Reads::new(&[]);
        ListRequest::parse(&f).unwrap();
        assert_eq!(f.names(), declared(&CUSTOMER_LIST, &[]));
        let f = Reads::new(&[]);
        ServiceListRequest::parse(&f).unwrap();
        assert_eq!(f.names(), declared(&SERVICE_LIST, &[]));

        let f = Reads::new(&[("customerid", "1"), ("username", "u"), ("plan", "p")]);
        ServiceFields::parse_create(&f).unwrap();
        assert_eq!(f.names(), declared(&SERVICE_CREATE, &["idempotency_key"]));
        let f = Reads::new(&[("serviceid", "1"), ("notes", "")]);
        ServiceUpdate::parse(&f).unwrap();
        assert_eq!(f.names(), declared(&SERVICE_UPDATE, &[]));
    }

    #[test]
    fn list_routes_declare_the_paging_their_rules_read() {
        let paging = |route: &Route| -> BTreeSet<String> {
            let every = [
                "sort_field",
                "sort_order",
                "rows_limit",
                "rows_offset",
                "show_count",
                "cursor",
            ];
            route
                .params
                .iter()
                .filter(|p| every.contains(p))
                .map(|p| p.to_string())
                .collect()
        };
        assert_eq!(paging(&CUSTOMER_LIST), set(list::PAGING.params()));
        assert_eq!(
            paging(&SERVICE_LIST),
            set(crate::domain::service::PAGING.params())
        );
        assert_eq!(
            paging(&CUSTOMER_HISTORY),
            set(crate::domain::customer::HISTORY_PAGING.params())
        );
        // The directory lists open `cursor` in the use case.
        let mut directory = set(tenancy::PAGING.params());
        directory.insert("cursor".into());
        for route in [&ISP_LIST, &RESELLER_LIST, &USER_LIST] {
            assert_eq!(paging(route), directory, "{}", route.path);
        }
    }
}
