//! Per-ISP time zones (issue #13): `created_from`/`created_upto` name whole days in the zone
//! of the ISP whose customers are listed, through HTTP against moto.
//!
//! The world: ISP 1 in Asia/Kolkata (UTC+05:30, resellers 1 and 2), ISP 2 in
//! America/New_York (reseller 3), ISP 3 without a zone of its own (reseller 4), on a
//! deployment whose `TIME_ZONE` is Europe/Berlin (UTC+01:00 in November). Customers are
//! created a second either side of local midnights and through New York's 23-hour day
//! (2026-03-08) and 25-hour day (2026-11-01). Each one's local day below was worked out by
//! hand from its UTC instant, not by the code under test.

mod common;
use common::*;
use isp_crm::admin::{self, IspChange, NewUser};
use isp_crm::domain::ids::{IspId, ResellerId, UserId};
use isp_crm::domain::scope::{Caller, Role, Scope};
use isp_crm::domain::zone::IspTimeZone;
use isp_crm::store::capacity;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ISP3_USER: u64 = 30;
const BERLIN: (&str, &str) = ("TIME_ZONE", "Europe/Berlin");

/// (id, ISP, reseller, created_at, local day in its ISP's zone: local time).
const CUSTOMERS: &[(u64, u64, u64, &str, &str)] = &[
    // ISP 1, Asia/Kolkata.
    (2001, 1, 1, "2026-11-26T18:29:59Z", "2026-11-26"), // 23:59:59
    (2002, 1, 1, "2026-11-26T18:30:00Z", "2026-11-27"), // 00:00:00
    (2003, 1, 2, "2026-11-27T04:59:59Z", "2026-11-27"), // 10:29:59 (New York: the 26th)
    (2004, 1, 1, "2026-11-27T18:29:59Z", "2026-11-27"), // 23:59:59
    (2005, 1, 2, "2026-11-27T18:30:00Z", "2026-11-28"), // 00:00:00
    (2006, 1, 1, "2026-11-28T02:00:00Z", "2026-11-28"), // 07:30 (New York: the 27th)
    // ISP 2, America/New_York.
    (2101, 2, 3, "2026-11-27T04:59:59Z", "2026-11-26"), // 23:59:59 EST
    (2102, 2, 3, "2026-11-27T05:00:00Z", "2026-11-27"), // 00:00:00 EST
    (2103, 2, 3, "2026-11-26T20:00:00Z", "2026-11-26"), // 15:00 (Kolkata: the 27th)
    (2104, 2, 3, "2026-11-28T04:59:59Z", "2026-11-27"), // 23:59:59 EST
    (2105, 2, 3, "2026-11-28T05:00:00Z", "2026-11-28"), // 00:00:00 EST
    // New York springs forward at 02:00 EST on 2026-03-08: a 23-hour day.
    (2111, 2, 3, "2026-03-08T04:59:59Z", "2026-03-07"), // 23:59:59 EST
    (2112, 2, 3, "2026-03-08T05:00:00Z", "2026-03-08"), // 00:00:00 EST
    (2113, 2, 3, "2026-03-08T06:59:59Z", "2026-03-08"), // 01:59:59 EST
    (2114, 2, 3, "2026-03-08T07:00:00Z", "2026-03-08"), // 03:00:00 EDT
    (2115, 2, 3, "2026-03-09T03:59:59Z", "2026-03-08"), // 23:59:59 EDT
    (2116, 2, 3, "2026-03-09T04:00:00Z", "2026-03-09"), // 00:00:00 EDT
    (2117, 2, 3, "2026-03-09T04:30:00Z", "2026-03-09"), // 00:30 EDT (a 24-hour day has it)
    // New York falls back at 02:00 EDT on 2026-11-01: a 25-hour day.
    (2121, 2, 3, "2026-11-01T03:59:59Z", "2026-10-31"), // 23:59:59 EDT
    (2122, 2, 3, "2026-11-01T04:00:00Z", "2026-11-01"), // 00:00:00 EDT
    (2123, 2, 3, "2026-11-01T05:30:00Z", "2026-11-01"), // 01:30 EDT
    (2124, 2, 3, "2026-11-01T06:30:00Z", "2026-11-01"), // 01:30 EST, the hour again
    (2125, 2, 3, "2026-11-02T04:30:00Z", "2026-11-01"), // 23:30 EST (a 24-hour day misses it)
    (2126, 2, 3, "2026-11-02T05:00:00Z", "2026-11-02"), // 00:00:00 EST
    // ISP 3, no zone: the deployment's Europe/Berlin (CET).
    (2201, 3, 4, "2026-11-26T22:59:59Z", "2026-11-26"), // 23:59:59 CET
    (2202, 3, 4, "2026-11-26T23:00:00Z", "2026-11-27"), // 00:00:00 CET
    (2203, 3, 4, "2026-11-27T22:59:59Z", "2026-11-27"), // 23:59:59 CET
    (2204, 3, 4, "2026-11-27T23:00:00Z", "2026-11-28"), // 00:00:00 CET
];

fn zone(name: &str) -> Option<IspTimeZone> {
    Some(IspTimeZone::parse("time_zone", name).unwrap())
}

/// The world above on fresh tables; `vars` add settings to `TIME_ZONE=Europe/Berlin`.
async fn world(vars: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![BERLIN];
    settings.extend_from_slice(vars);
    let mut app = spawn_app_with(&settings).await;
    for (isp, name) in [(1, "Asia/Kolkata"), (2, "America/New_York")] {
        let change = IspChange {
            time_zone: Some(zone(name)),
            ..IspChange::default()
        };
        admin::update_isp(&app.store, IspId(isp), change)
            .await
            .unwrap();
    }
    admin::create_isp_in(&app.store, IspId(3), "ISP Three", None)
        .await
        .unwrap();
    admin::create_reseller(&app.store, IspId(3), ResellerId(4), "Reseller Four")
        .await
        .unwrap();
    let key = admin::create_user(
        &app.store,
        NewUser {
            userid: UserId(ISP3_USER),
            role: Role::Isp,
            isp: Some(IspId(3)),
            reseller: None,
            api_key: None,
        },
    )
    .await
    .unwrap();
    app.add_key(ISP3_USER, key.expose());
    let rows: Vec<Value> = CUSTOMERS
        .iter()
        .map(|(id, isp, reseller, at, _)| {
            json!({
                "id": id, "ispid": isp, "resellerid": reseller, "type": "Individual",
                "name": format!("Zone {id}"), "mobile": format!("90000{id}"),
                "email": format!("c{id}@example.com"), "zipcode": "12345", "state": "Goa",
                "city": "Panaji", "street": "1 Road", "created_at": at,
            })
        })
        .collect();
    admin::import_customers(
        &app.store,
        &Value::Array(rows).to_string(),
        false,
        &jiff::tz::TimeZone::get(BERLIN.1).unwrap(),
    )
    .await
    .unwrap();
    app
}

/// The customers `sees` admits whose local day is within `from..=upto`, in id order.
fn expected(sees: impl Fn(u64, u64) -> bool, from: Option<&str>, upto: Option<&str>) -> Vec<u64> {
    let mut ids: Vec<u64> = CUSTOMERS
        .iter()
        .filter(|(_, isp, reseller, _, day)| {
            sees(*isp, *reseller)
                && from.is_none_or(|f| *day >= f)
                && upto.is_none_or(|u| *day <= u)
        })
        .map(|c| c.0)
        .collect();
    ids.sort();
    ids
}

fn range<'a>(from: Option<&'a str>, upto: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut p = vec![("rows_limit", "100")];
    p.extend(from.map(|f| ("created_from", f)));
    p.extend(upto.map(|u| ("created_upto", u)));
    p
}

/// Day ranges around the midnights and DST changes of the world.
const RANGES: &[(Option<&str>, Option<&str>)] = &[
    (Some("2026-11-26"), Some("2026-11-26")),
    (Some("2026-11-27"), Some("2026-11-27")),
    (Some("2026-11-28"), Some("2026-11-28")),
    (Some("2026-11-27"), Some("2026-11-28")),
    (Some("2026-11-27"), None),
    (None, Some("2026-11-26")),
    (Some("2026-03-07"), Some("2026-03-07")),
    (Some("2026-03-08"), Some("2026-03-08")),
    (Some("2026-03-09"), Some("2026-03-09")),
    (Some("2026-10-31"), Some("2026-10-31")),
    (Some("2026-11-01"), Some("2026-11-01")),
    (Some("2026-11-02"), Some("2026-11-02")),
];

/// Whether a caller sees a customer of (ISP, reseller).
type Sees = fn(u64, u64) -> bool;
/// A caller: what to call it, its userid, the scope parameters it sends, what it sees.
type Who = (&'static str, u64, Vec<(&'static str, &'static str)>, Sees);

#[tokio::test]
async fn each_caller_gets_the_local_days_of_its_isps_zone() {
    let app = world(&[]).await;
    let callers: Vec<Who> = vec![
        ("ISP 1 user", ISP1_USER, vec![], |i, _| i == 1),
        ("ISP 2 user", ISP2_USER, vec![], |i, _| i == 2),
        ("ISP 3 user (TIME_ZONE)", ISP3_USER, vec![], |i, _| i == 3),
        ("reseller 1 user", RESELLER1_USER, vec![], |_, r| r == 1),
        ("reseller 3 user", RESELLER3_USER, vec![], |_, r| r == 3),
        ("admin, ispid 1", ADMIN, vec![("ispid", "1")], |i, _| i == 1),
        ("admin, ispid 2", ADMIN, vec![("ispid", "2")], |i, _| i == 2),
        ("admin, ispid 3", ADMIN, vec![("ispid", "3")], |i, _| i == 3),
        (
            "admin, reseller 2",
            ADMIN,
            vec![("resellerid", "2")],
            |_, r| r == 2,
        ),
        ("admin, every ISP", ADMIN, vec![], |_, _| true),
    ];
    for (who, user, scope, sees) in &callers {
        for (from, upto) in RANGES {
            let mut params = range(*from, *upto);
            params.extend(scope.iter().copied());
            let want = expected(sees, *from, *upto);
            let got = app.call(*user, "list", &params).await;
            assert_eq!(got.ids(), want, "{who}, {from:?}..{upto:?}");
            params.push(("show_count", "1"));
            let count = app.call(*user, "list", &params).await;
            assert_eq!(
                count.result().as_u64(),
                Some(want.len() as u64),
                "count: {who}, {from:?}..{upto:?}"
            );
        }
    }
}

#[tokio::test]
async fn an_admin_list_across_isps_applies_each_isps_zone_on_every_path() {
    let app = world(&[]).await;
    let day = Some("2026-11-27");
    let want = expected(|_, _| true, day, day);
    // 2003 and 2101 were created at the same second, on different local days; 2006 and
    // 2103 would be on the 27th in each other's zone.
    assert!(want.contains(&2003) && !want.contains(&2101), "{want:?}");
    assert!(!want.contains(&2006) && !want.contains(&2103), "{want:?}");

    // Sorted by name (another index, checked on each record) and in pages of 2 by cursor.
    let mut params = range(day, day);
    params.push(("sort_field", "name"));
    let by_name = app.call(ADMIN, "list", &params).await.ids();
    let mut sorted = want.clone();
    sorted.sort_by_key(|id| format!("zone {id}"));
    assert_eq!(by_name, sorted);
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut p = range(day, day);
        p.retain(|(k, _)| *k != "rows_limit");
        p.extend([("rows_limit", "2"), ("cursor", cursor.as_str())]);
        let reply = app.call(ADMIN, "list", &p).await;
        paged.extend(reply.ids());
        match reply.body.get("next").and_then(Value::as_str) {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(paged, want, "pages by cursor");

    // Through services (username): each customer in its own ISP's zone.
    let with_services = [2003, 2005, 2101, 2102, 2202, 2204];
    for id in with_services {
        let username = format!("tz{id}");
        app.create_service(ADMIN, id, &username, &[]).await.id();
    }
    let mut p = range(day, day);
    p.push(("username", "tz%"));
    let through_services = app.call(ADMIN, "list", &p).await.ids();
    let want_services: Vec<u64> = want
        .iter()
        .copied()
        .filter(|id| with_services.contains(id))
        .collect();
    assert_eq!(through_services, want_services);
    assert_eq!(want_services.len(), 3, "one per ISP: {want_services:?}");
    // By id: the customer's own ISP's zone.
    for (id, isp, _, _, local) in CUSTOMERS {
        let id = id.to_string();
        let mut p = range(day, day);
        p.push(("customerid", &id));
        let found = app.call(ADMIN, "list", &p).await.ids();
        assert_eq!(
            found.len(),
            usize::from(*local == "2026-11-27"),
            "{id} of ISP {isp}"
        );
    }
}

fn isp1_user() -> Caller {
    Caller {
        userid: UserId(ISP1_USER),
        role: Role::Isp,
        scope: Scope::Isp(IspId(1)),
    }
}

#[tokio::test]
async fn a_warm_instance_reads_an_isps_zone_once_per_cache_time() {
    let app = world(&[]).await;
    let f = params(&[
        ("created_from", "2026-11-27"),
        ("created_upto", "2026-11-27"),
    ]);
    let first = capacity::measure(app.app.list_customers(&isp1_user(), &f)).await;
    let second = capacity::measure(app.app.list_customers(&isp1_user(), &f)).await;
    assert_eq!(first.0.unwrap(), second.0.unwrap());
    assert_eq!(
        first.1.calls,
        second.1.calls + 1,
        "the first list reads the ISP's zone, the second has it cached: {first:?} {second:?}",
        first = first.1,
        second = second.1
    );
}

#[tokio::test]
async fn the_authentications_read_of_the_isp_gives_its_zone_too() {
    let app = world(&[]).await;
    let key = app.key(ISP1_USER).to_owned();
    app.app
        .authenticate(Some(&ISP1_USER.to_string()), Some(&key))
        .await
        .unwrap();
    let f = params(&[("created_from", "2026-11-27")]);
    let first = capacity::measure(app.app.list_customers(&isp1_user(), &f)).await;
    let second = capacity::measure(app.app.list_customers(&isp1_user(), &f)).await;
    assert_eq!(first.0.unwrap(), second.0.unwrap());
    assert_eq!(
        first.1.calls, second.1.calls,
        "no read of the zone after authenticating"
    );
}

/// ISP 1's customers' local days in New York and in Berlin (CET), worked out by hand.
const ISP1_ELSEWHERE: &[(u64, &str, &str)] = &[
    (2001, "2026-11-26", "2026-11-26"), // 13:29:59 EST, 19:29:59 CET
    (2002, "2026-11-26", "2026-11-26"), // 13:30 EST, 19:30 CET
    (2003, "2026-11-26", "2026-11-27"), // 23:59:59 EST, 05:59:59 CET
    (2004, "2026-11-27", "2026-11-27"), // 13:29:59 EST, 19:29:59 CET
    (2005, "2026-11-27", "2026-11-27"), // 13:30 EST, 19:30 CET
    (2006, "2026-11-27", "2026-11-28"), // 21:00 EST, 03:00 CET
];

#[tokio::test]
async fn a_zone_change_applies_when_the_cache_expires_and_old_cursors_are_refused() {
    // AUTH_CACHE_SECONDS=0: nothing cached, so the change applies to the next request.
    let app = world(&[("AUTH_CACHE_SECONDS", "0")]).await;
    let day = Some("2026-11-27");
    let mut p = range(day, day);
    p.retain(|(k, _)| *k != "rows_limit");
    p.extend([("rows_limit", "1"), ("cursor", "")]);
    let first = app.call(ISP1_USER, "list", &p).await;
    let next = first.body["next"].as_str().expect("a next page").to_owned();
    let mut again = p.clone();
    again.retain(|(k, _)| *k != "cursor");
    again.push(("cursor", &next));
    assert_eq!(
        app.call(ISP1_USER, "list", &again).await.status,
        StatusCode::OK
    );

    let out = crm_admin(
        &app.prefix(),
        &[
            "isp",
            "update",
            "--id",
            "1",
            "--time-zone",
            "America/New_York",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ISP 1's customers now fall on New York's days.
    let on_27th = |local: fn(&(u64, &'static str, &'static str)) -> &'static str| {
        ISP1_ELSEWHERE
            .iter()
            .filter(|c| local(c) == "2026-11-27")
            .map(|c| c.0)
            .collect::<Vec<u64>>()
    };
    assert_eq!(
        app.call(ISP1_USER, "list", &range(day, day)).await.ids(),
        on_27th(|c| c.1)
    );
    let stale = app.call(ISP1_USER, "list", &again).await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST, "{stale:?}");
    assert!(stale.error().starts_with("cursor:"), "{stale:?}");
    assert!(stale.error().contains("time zone"), "{stale:?}");

    // An empty zone: the deployment's TIME_ZONE (Berlin) again.
    let out = crm_admin(
        &app.prefix(),
        &["isp", "update", "--id", "1", "--time-zone", ""],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.call(ISP1_USER, "list", &range(day, day)).await.ids(),
        on_27th(|c| c.2)
    );
}
