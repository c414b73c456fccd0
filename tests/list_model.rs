//! Model-based test of the list: random data sets and random callers, filters, sorts, limits,
//! offsets and cursors, each checked against a brute-force reference written independently
//! of the product (its own wildcard matcher, case folding and time-zone arithmetic). In each
//! world ISPs 1 and 2 take the deployment's `TIME_ZONE` and ISP 3 has a zone of its own, so
//! an admin's list across ISPs mixes two zones.

mod common;
use common::*;
use isp_crm::admin::{self, NewUser};
use isp_crm::domain::ids::{IspId, ResellerId, UserId};
use isp_crm::domain::scope::Role;
use isp_crm::domain::zone::IspTimeZone;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// Resellers of the model world: (reseller, its ISP). 1, 2 and 3 come from `spawn_app`.
const RESELLERS: [(u64, u64); 5] = [(1, 1), (2, 1), (3, 2), (4, 3), (5, 3)];
const ISPS: [u64; 3] = [1, 2, 3];
const NAMES: [&str; 14] = [
    "Ann",
    "ann",
    "ANNA",
    "Anne-Marie",
    "anneliese",
    "Bob",
    "bobby",
    "BOB JR",
    "xyz_a",
    "xyzab",
    "Zoë",
    "zoe",
    "Ümit",
    "a_b",
];
const MOBILES: [&str; 6] = [
    "9000000001",
    "9000000002",
    "+919000000003",
    "12344444",
    "9000000005",
    "77777777",
];
const EMAILS: [&str; 5] = [
    "a@x.com",
    "A@X.com",
    "b@y.org",
    "ann@example.com",
    "Ann@Example.com",
];
const ZIPS: [&str; 4] = ["12345", "403001", "SW1A 1AA", "10115"];
const CITIES: [&str; 4] = ["Panaji", "panaji", "Margao", "Berlin"];
const STATES: [&str; 3] = ["Goa", "GOA", "Berlin"];
const TYPES: [&str; 2] = ["Individual", "Organisation"];
const ZONES: [&str; 3] = ["UTC", "Asia/Kolkata", "America/New_York"];
/// ISP 3's own zone in the world of each deployment zone above.
const ISP3_ZONES: [&str; 3] = ["Asia/Kolkata", "America/New_York", "UTC"];

#[derive(Debug, Clone)]
struct Cust {
    id: u64,
    isp: u64,
    reseller: u64,
    ctype: &'static str,
    name: &'static str,
    mobile: &'static str,
    email: &'static str,
    zipcode: &'static str,
    state: &'static str,
    city: &'static str,
    /// Seconds after 2026-11-20T00:00:00Z.
    created: i64,
}

struct World {
    app: TestApp,
    /// The deployment's `TIME_ZONE`.
    zone: TimeZone,
    /// ISP 3's own zone.
    isp3_zone: TimeZone,
    customers: Vec<Cust>,
}

impl World {
    fn zone_of(&self, isp: u64) -> &TimeZone {
        match isp {
            3 => &self.isp3_zone,
            _ => &self.zone,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Caller {
    Admin,
    Isp(u64),
    Reseller(u64),
}

impl Caller {
    fn userid(self) -> u64 {
        match self {
            Caller::Admin => ADMIN,
            Caller::Isp(1) => ISP1_USER,
            Caller::Isp(2) => ISP2_USER,
            Caller::Isp(_) => 10,
            Caller::Reseller(1) => RESELLER1_USER,
            Caller::Reseller(3) => RESELLER3_USER,
            Caller::Reseller(_) => 11,
        }
    }

    fn sees(self, c: &Cust) -> bool {
        match self {
            Caller::Admin => true,
            Caller::Isp(i) => c.isp == i,
            Caller::Reseller(r) => c.reseller == r,
        }
    }
}

fn base() -> Timestamp {
    "2026-11-20T00:00:00Z".parse().unwrap()
}

fn cust_strategy() -> impl Strategy<
    Value = (
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        i64,
    ),
> {
    (
        0..RESELLERS.len(),
        0..TYPES.len(),
        0..NAMES.len(),
        0..MOBILES.len(),
        0..EMAILS.len(),
        0..ZIPS.len(),
        0..STATES.len(),
        0..CITIES.len(),
        0..2usize,
        // Eight days, with many creations in the hours around midnight in each zone.
        prop_oneof![
            0i64..8 * 86_400,
            (0i64..8).prop_flat_map(|d| (d * 86_400 - 7 * 3600)..(d * 86_400 + 7 * 3600))
        ],
    )
}

async fn build_world(zone: &str, isp3_zone: &str, seed: u64) -> World {
    let mut app = spawn_app_with(&[("TIME_ZONE", zone)]).await;
    let own = IspTimeZone::parse("time_zone", isp3_zone).unwrap();
    admin::create_isp_in(&app.store, IspId(3), "ISP Three", Some(own))
        .await
        .unwrap();
    admin::create_reseller(&app.store, IspId(3), ResellerId(4), "R4")
        .await
        .unwrap();
    admin::create_reseller(&app.store, IspId(3), ResellerId(5), "R5")
        .await
        .unwrap();
    for (userid, role, isp, reseller) in [
        (10, Role::Isp, Some(3), None),
        (11, Role::Reseller, None, Some(4)),
    ] {
        let key = admin::create_user(
            &app.store,
            NewUser {
                userid: UserId(userid),
                role,
                isp: isp.map(IspId),
                reseller: reseller.map(ResellerId),
                api_key: None,
            },
        )
        .await
        .unwrap();
        app.add_key(userid, key.expose());
    }
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &[seed as u8; 32],
        ),
    );
    let raw = proptest::collection::vec(cust_strategy(), 180..220)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let mut customers = Vec::new();
    let mut import = Vec::new();
    for (n, (r, t, name, m, e, z, s, c, _, created)) in raw.into_iter().enumerate() {
        let (reseller, isp) = RESELLERS[r];
        let cust = Cust {
            id: 1000 + n as u64 * 3,
            isp,
            reseller,
            ctype: TYPES[t],
            name: NAMES[name],
            mobile: MOBILES[m],
            email: EMAILS[e],
            zipcode: ZIPS[z],
            state: STATES[s],
            city: CITIES[c],
            created: created.max(0),
        };
        let at = base()
            .checked_add(jiff::SignedDuration::from_secs(cust.created))
            .unwrap();
        import.push(json!({
            "id": cust.id, "ispid": isp, "resellerid": reseller, "type": cust.ctype, "name": cust.name,
            "mobile": cust.mobile, "email": cust.email, "zipcode": cust.zipcode, "state": cust.state,
            "city": cust.city, "street": "1 Road", "created_at": at.to_string(),
            "surname": if n % 3 == 0 { Value::Null } else { json!("S") },
        }));
        customers.push(cust);
    }
    let text = serde_json::to_string(
        &import
            .into_iter()
            .map(|mut v| {
                v.as_object_mut().unwrap().retain(|_, x| !x.is_null());
                v
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    admin::import_customers(&app.store, &text, false, &TimeZone::get(zone).unwrap())
        .await
        .unwrap();
    World {
        app,
        zone: TimeZone::get(zone).unwrap(),
        isp3_zone: TimeZone::get(isp3_zone).unwrap(),
        customers,
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn worlds() -> &'static Vec<World> {
    static WORLDS: OnceLock<Vec<World>> = OnceLock::new();
    WORLDS.get_or_init(|| {
        runtime().block_on(async {
            let mut worlds = Vec::new();
            for (i, (zone, isp3)) in ZONES.iter().zip(ISP3_ZONES).enumerate() {
                worlds.push(build_world(zone, isp3, 11 + i as u64).await);
            }
            worlds
        })
    })
}

// ---------- the model the planner's answers are checked against ----------

fn fold(s: &str) -> String {
    s.chars().flat_map(|c| c.to_lowercase()).collect()
}

/// `%` matches any run of characters; everything else literally (dynamic programming).
fn like(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let mut dp = vec![vec![false; t.len() + 1]; p.len() + 1];
    dp[0][0] = true;
    for i in 1..=p.len() {
        dp[i][0] = dp[i - 1][0] && p[i - 1] == '%';
        for j in 1..=t.len() {
            dp[i][j] = if p[i - 1] == '%' {
                dp[i - 1][j] || dp[i][j - 1]
            } else {
                dp[i - 1][j - 1] && p[i - 1] == t[j - 1]
            };
        }
    }
    dp[p.len()][t.len()]
}

fn normal_mobile(m: &str) -> String {
    m.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

#[derive(Debug, Clone)]
struct Query {
    caller: Caller,
    params: Vec<(&'static str, String)>,
    follow: bool,
}

impl Query {
    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

enum Expected {
    Forbidden,
    Rows(Vec<u64>),
}

fn reference(world: &World, q: &Query) -> Expected {
    let caller = q.caller;
    let own_isp = match caller {
        Caller::Admin => None,
        Caller::Isp(i) => Some(i),
        Caller::Reseller(r) => RESELLERS.iter().find(|(x, _)| *x == r).map(|(_, i)| *i),
    };
    let ispid: Option<u64> = q.get("ispid").map(|v| v.parse().unwrap());
    let resellerid: Option<u64> = q.get("resellerid").map(|v| v.parse().unwrap());
    if let (Some(own), Some(given)) = (own_isp, ispid)
        && own != given
    {
        return Expected::Forbidden;
    }
    if let Some(r) = resellerid {
        let owner = RESELLERS.iter().find(|(x, _)| *x == r).map(|(_, i)| *i);
        match caller {
            Caller::Reseller(own) if own != r => return Expected::Forbidden,
            Caller::Isp(i) if owner != Some(i) => return Expected::Forbidden,
            _ => {}
        }
    }
    let local_date = |c: &Cust| {
        base()
            .checked_add(jiff::SignedDuration::from_secs(c.created))
            .unwrap()
            .to_zoned_datetime(world.zone_of(c.isp).clone())
            .date()
    };
    let mut rows: Vec<&Cust> = world
        .customers
        .iter()
        .filter(|c| caller.sees(c))
        .filter(|c| ispid.is_none_or(|i| c.isp == i))
        .filter(|c| resellerid.is_none_or(|r| c.reseller == r))
        .filter(|c| {
            q.get("customerid")
                .is_none_or(|v| v.parse::<u64>().unwrap() == c.id)
        })
        .filter(|_| q.get("serviceid").is_none() && q.get("username").is_none())
        .filter(|c| {
            q.get("type")
                .is_none_or(|v| v.eq_ignore_ascii_case(c.ctype))
        })
        .filter(|c| q.get("name").is_none_or(|v| like(&fold(v), &fold(c.name))))
        .filter(|c| q.get("mobile").is_none_or(|v| normal_mobile(v) == c.mobile))
        .filter(|c| q.get("email").is_none_or(|v| fold(v) == fold(c.email)))
        .filter(|c| {
            q.get("zipcode")
                .is_none_or(|v| v.to_uppercase() == c.zipcode)
        })
        .filter(|c| q.get("state").is_none_or(|v| v == c.state))
        .filter(|c| q.get("city").is_none_or(|v| v == c.city))
        .filter(|c| {
            q.get("created_from")
                .is_none_or(|v| local_date(c) >= v.parse().unwrap())
        })
        .filter(|c| {
            q.get("created_upto")
                .is_none_or(|v| local_date(c) <= v.parse().unwrap())
        })
        .collect();
    let sort = q.get("sort_field").unwrap_or("id");
    rows.sort_by(|a, b| {
        let key = |c: &Cust| match sort {
            "name" => fold(c.name),
            "mobile" => c.mobile.to_owned(),
            "email" => fold(c.email),
            _ => String::new(),
        };
        key(a).cmp(&key(b)).then(a.id.cmp(&b.id))
    });
    if q.get("sort_order") == Some("desc") {
        rows.reverse();
    }
    Expected::Rows(rows.into_iter().map(|c| c.id).collect())
}

// ---------- the generator ----------

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    (0..items.len()).prop_map(move |i| items[i].clone())
}

fn name_pattern() -> impl Strategy<Value = String> {
    (pick(&NAMES), 0..7usize, any::<bool>()).prop_map(|(name, shape, upper)| {
        let n: Vec<char> = name.chars().collect();
        let cut = |k: usize| n.iter().take(k.min(n.len())).collect::<String>();
        let tail = |k: usize| n.iter().skip(n.len().saturating_sub(k)).collect::<String>();
        let p = match shape {
            0 => name.to_owned(),
            1 => format!("{}%", cut(2)),
            2 => format!("%{}", tail(2)),
            3 => format!("%{}%", n.iter().skip(1).take(2).collect::<String>()),
            4 => format!("{}%{}", cut(1), tail(1)),
            5 => "%".to_owned(),
            _ => format!("{}%", cut(4)),
        };
        if upper { p.to_uppercase() } else { p }
    })
}

fn date() -> impl Strategy<Value = String> {
    (19u32..29).prop_map(|d| format!("2026-11-{d:02}"))
}

fn query() -> impl Strategy<Value = Query> {
    let caller = prop_oneof![
        Just(Caller::Admin),
        pick(&ISPS).prop_map(Caller::Isp),
        prop_oneof![Just(1u64), Just(3), Just(4)].prop_map(Caller::Reseller),
    ];
    let opt = |s: BoxedStrategy<String>| prop::option::weighted(0.15, s);
    let filters = (
        opt(pick(&ISPS).prop_map(|i| i.to_string()).boxed()),
        opt((1u64..6).prop_map(|r| r.to_string()).boxed()),
        prop::option::weighted(
            0.05,
            (0usize..230)
                .prop_map(|n| (1000 + n * 3).to_string())
                .boxed(),
        ),
        opt(pick(&TYPES).prop_map(|t| t.to_lowercase()).boxed()),
        prop::option::weighted(0.3, name_pattern().boxed()),
        opt(pick(&MOBILES)
            .prop_map(|m| {
                if m.len() > 9 {
                    format!("{} {}", &m[..4], &m[4..])
                } else {
                    m.to_owned()
                }
            })
            .boxed()),
        opt(pick(&EMAILS).prop_map(|e| e.to_uppercase()).boxed()),
        opt(pick(&ZIPS).prop_map(|z| z.to_lowercase()).boxed()),
        opt(pick(&STATES).prop_map(str::to_owned).boxed()),
        opt(pick(&CITIES).prop_map(str::to_owned).boxed()),
        (
            prop::option::weighted(0.2, date()),
            prop::option::weighted(0.2, date()),
        ),
        prop::option::weighted(0.03, Just("1".to_owned())),
    );
    let paging = (
        pick(&["id", "name", "mobile", "email"]),
        pick(&["asc", "desc"]),
        prop_oneof![1u32..12, 12u32..101],
        prop_oneof![Just(0u32), 0u32..40, 40u32..250],
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.3),
    );
    (caller, filters, paging).prop_map(
        |(caller, f, (sort, order, limit, offset, count, follow))| {
            let mut params: Vec<(&'static str, String)> = Vec::new();
            let names = [
                "ispid",
                "resellerid",
                "customerid",
                "type",
                "name",
                "mobile",
                "email",
                "zipcode",
                "state",
                "city",
            ];
            let values = [f.0, f.1, f.2, f.3, f.4, f.5, f.6, f.7, f.8, f.9];
            for (name, value) in names.into_iter().zip(values) {
                if let Some(v) = value {
                    params.push((name, v));
                }
            }
            let (from, upto) = f.10;
            if let (Some(a), Some(b)) = (&from, &upto) {
                let (a, b) = if a <= b {
                    (a.clone(), b.clone())
                } else {
                    (b.clone(), a.clone())
                };
                params.push(("created_from", a));
                params.push(("created_upto", b));
            } else if let Some(v) = from.or(upto.clone()) {
                params.push((
                    if upto.is_some() {
                        "created_upto"
                    } else {
                        "created_from"
                    },
                    v,
                ));
            }
            if let Some(v) = f.11 {
                params.push(("username", format!("user{v}%")));
            }
            params.push(("sort_field", sort.to_owned()));
            params.push(("sort_order", order.to_owned()));
            params.push(("rows_limit", limit.to_string()));
            params.push(("rows_offset", offset.to_string()));
            if count {
                params.push(("show_count", "1".to_owned()));
            }
            Query {
                caller,
                params,
                follow,
            }
        },
    )
}

fn check(world: &World, q: &Query) -> Result<(), TestCaseError> {
    let app = &world.app;
    let params = as_pairs(&q.params);
    let reply = runtime().block_on(app.call(q.caller.userid(), "list", &params));
    let expected = reference(world, q);
    let ids = match expected {
        Expected::Forbidden => {
            prop_assert_eq!(reply.status, StatusCode::FORBIDDEN, "{:?} → {:?}", q, reply);
            return Ok(());
        }
        Expected::Rows(ids) => ids,
    };
    prop_assert_eq!(reply.status, StatusCode::OK, "{:?} → {:?}", q, reply);
    if q.get("show_count").is_some() {
        prop_assert_eq!(
            reply.result().as_u64(),
            Some(ids.len() as u64),
            "count of {:?}",
            q
        );
        return Ok(());
    }
    let offset: usize = q.get("rows_offset").unwrap().parse().unwrap();
    let limit: usize = q.get("rows_limit").unwrap().parse().unwrap();
    let page: Vec<u64> = ids.iter().skip(offset).take(limit).copied().collect();
    prop_assert_eq!(reply.ids(), page.clone(), "rows of {:?}", q);
    let more = ids.len() > offset + limit;
    prop_assert_eq!(reply.body.get("next").is_some(), more, "next of {:?}", q);
    if q.follow && more {
        let token = reply.body["next"].as_str().unwrap().to_owned();
        let mut next_params: Vec<(&str, &str)> = params
            .iter()
            .filter(|(k, _)| *k != "rows_offset")
            .copied()
            .collect();
        next_params.push(("cursor", &token));
        let next = runtime().block_on(app.call(q.caller.userid(), "list", &next_params));
        let expected_next: Vec<u64> = ids
            .iter()
            .skip(offset + limit)
            .take(limit)
            .copied()
            .collect();
        prop_assert_eq!(next.ids(), expected_next, "cursor page of {:?}", q);
    }
    Ok(())
}

#[test]
fn list_agrees_with_the_reference_model() {
    let worlds = worlds();
    let cases = std::env::var("LIST_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(0..worlds.len(), query()), |(w, q)| check(&worlds[w], &q))
        .unwrap();
}

#[test]
fn paging_forward_by_offset_and_by_cursor_walks_every_row_once() {
    let world = &worlds()[1];
    for sort in ["id", "name", "mobile", "email"] {
        for order in ["asc", "desc"] {
            let q = Query {
                caller: Caller::Isp(1),
                params: vec![("sort_field", sort.into()), ("sort_order", order.into())],
                follow: false,
            };
            let Expected::Rows(all) = reference(world, &q) else {
                panic!()
            };
            let base: Vec<(&str, &str)> = vec![
                ("sort_field", sort),
                ("sort_order", order),
                ("rows_limit", "7"),
            ];
            // By offset: the warm instance resumes where the previous page ended.
            let mut by_offset = Vec::new();
            for offset in (0..all.len() + 7).step_by(7) {
                let o = offset.to_string();
                let mut p = base.clone();
                p.push(("rows_offset", &o));
                by_offset.extend(
                    runtime()
                        .block_on(world.app.call(ISP1_USER, "list", &p))
                        .ids(),
                );
            }
            assert_eq!(by_offset, all, "offsets, {sort} {order}");
            // By cursor.
            let mut by_cursor = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut p = base.clone();
                if let Some(t) = &token {
                    p.push(("cursor", t));
                }
                let reply = runtime().block_on(world.app.call(ISP1_USER, "list", &p));
                by_cursor.extend(reply.ids());
                match reply.body.get("next").and_then(Value::as_str) {
                    Some(t) => token = Some(t.to_owned()),
                    None => break,
                }
            }
            assert_eq!(by_cursor, all, "cursors, {sort} {order}");
        }
    }
}

#[test]
fn a_cursor_is_bound_to_its_query_and_caller() {
    let world = &worlds()[0];
    let app = &world.app;
    let first = runtime().block_on(app.call(ADMIN, "list", &[("rows_limit", "5"), ("name", "a%")]));
    let token = first.body["next"]
        .as_str()
        .expect("a next cursor")
        .to_owned();
    let other_filter = runtime().block_on(app.call(
        ADMIN,
        "list",
        &[("rows_limit", "5"), ("name", "b%"), ("cursor", &token)],
    ));
    assert_eq!(other_filter.status, StatusCode::BAD_REQUEST);
    assert!(
        other_filter.error().starts_with("cursor:"),
        "{other_filter:?}"
    );
    let other_user = runtime().block_on(app.call(
        ISP1_USER,
        "list",
        &[("rows_limit", "5"), ("name", "a%"), ("cursor", &token)],
    ));
    assert_eq!(other_user.status, StatusCode::BAD_REQUEST);
    let mut tampered = token.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let reply = runtime().block_on(app.call(
        ADMIN,
        "list",
        &[("rows_limit", "5"), ("name", "a%"), ("cursor", &tampered)],
    ));
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let with_offset = runtime().block_on(app.call(
        ADMIN,
        "list",
        &[
            ("rows_limit", "5"),
            ("name", "a%"),
            ("cursor", &token),
            ("rows_offset", "5"),
        ],
    ));
    assert_eq!(with_offset.status, StatusCode::BAD_REQUEST);
    let same = runtime().block_on(app.call(
        ADMIN,
        "list",
        &[("rows_limit", "5"), ("name", "a%"), ("cursor", &token)],
    ));
    assert_eq!(same.status, StatusCode::OK);
}
