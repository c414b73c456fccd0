//! Bounded work: what a list reads follows its page, not the size of the ISP or the
//! reseller's share of it. Data sets are written straight into the table (moto copies whole
//! tables per transaction) and the counts rebuilt after, as `crm-admin counters rebuild`
//! does; the reads of each request are counted by DynamoDB's rules (`store::capacity`).

mod common;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use common::*;
use isp_crm::admin;
use isp_crm::app::ListOutcome;
use isp_crm::domain::customer::CustomerFields;
use isp_crm::domain::ids::{CustomerId, IspId, ResellerId, UserId};
use isp_crm::domain::scope::{Caller, Placement, Role, Scope};
use isp_crm::store::capacity::{self, Usage};
use isp_crm::store::records::CustomerItem;
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

const NAMES: [&str; 6] = [
    "Anita Rao",
    "Anil Naik",
    "Zara Pai",
    "Rahul Rao",
    "Maya Kamat",
    "Tara Gomes",
];
const CITIES: [&str; 3] = ["Panaji", "Vasco", "Margao"];
const RARE_CITY: &str = "Canacona";
/// Extra resellers of ISP 1 (1 and 2 come from `spawn_app`).
const SMALL_RESELLERS: std::ops::RangeInclusive<u64> = 100..=119;

/// A customer's reseller in the skewed world: reseller 1 holds ~30 %, reseller 2 ~1 %, the
/// rest is spread over twenty small resellers; ISP 2 (reseller 3) gets a few too.
fn reseller_of(rng: &mut StdRng) -> (u64, u64) {
    match rng.random_range(0..1000) {
        0..300 => (1, 1),
        300..310 => (1, 2),
        310..340 => (2, 3),
        _ => (1, rng.random_range(SMALL_RESELLERS)),
    }
}

/// Writes `n` customers (ids from 10,000 on) placed by `reseller_of` and rebuilds the
/// counts; returns them.
async fn load(app: &TestApp, n: u64, seed: u64) -> Vec<CustomerItem> {
    load_with(app, n, seed, "1 Main Road", reseller_of).await
}

/// As `load`, with customers placed (ISP, reseller) by `place`.
async fn load_with(
    app: &TestApp,
    n: u64,
    seed: u64,
    street: &str,
    mut place: impl FnMut(&mut StdRng) -> (u64, u64),
) -> Vec<CustomerItem> {
    for r in SMALL_RESELLERS {
        admin::create_reseller(&app.store, IspId(1), ResellerId(r), "Small")
            .await
            .unwrap();
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let today = jiff::civil::date(2026, 11, 27);
    let mut items = Vec::new();
    for i in 0..n {
        let (isp, reseller) = place(&mut rng);
        let mut f = HashMap::new();
        // Every 7th an organisation, every 5th in another state: the counted fields vary
        // without drawing from `rng` (the other fields keep their values).
        let ctype = if i % 7 == 0 {
            "Organisation"
        } else {
            "Individual"
        };
        f.insert("type".to_string(), ctype.to_string());
        f.insert(
            "name".into(),
            NAMES[rng.random_range(0..NAMES.len())].into(),
        );
        f.insert(
            "mobile".into(),
            format!("98{:08}", rng.random_range(0..100_000_000u64)),
        );
        f.insert("email".into(), format!("c{i}@example.com"));
        f.insert(
            "zipcode".into(),
            format!("4030{:02}", rng.random_range(0..10)),
        );
        let state = if i % 5 == 0 { "Maharashtra" } else { "Goa" };
        f.insert("state".into(), state.into());
        let city = CITIES[rng.random_range(0..CITIES.len())];
        // One in 300 in a rare city: its share shrinks as the world grows.
        let city = if i % 300 == 7 { RARE_CITY } else { city };
        f.insert("city".into(), city.into());
        f.insert("street".into(), street.into());
        let fields = CustomerFields::parse_create(&f, today).unwrap();
        let created = format!("2026-{:02}-{:02}T10:00:00Z", 1 + i % 10, 1 + i % 28);
        let placement = Placement {
            isp: IspId(isp),
            reseller: ResellerId(reseller),
        };
        items.push(CustomerItem::new(
            CustomerId(10_000 + i),
            placement,
            fields,
            created,
            isp_crm::domain::scope::Actor::Admin,
            &jiff::tz::TimeZone::UTC,
        ));
    }
    for chunk in items.chunks(25) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .map(|c| {
                let item: HashMap<String, AttributeValue> =
                    isp_crm::store::records::to_item(c).unwrap();
                let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        while !pending.is_empty() {
            let out = app
                .store
                .client
                .batch_write_item()
                .request_items(&app.store.tables.customers, pending)
                .send()
                .await
                .unwrap();
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&app.store.tables.customers))
                .unwrap_or_default();
        }
    }
    admin::rebuild_counts(&app.store, None).await.unwrap();
    items
}

fn caller(scope: Scope) -> Caller {
    Caller {
        userid: UserId(ADMIN),
        role: match scope {
            Scope::Platform => Role::Admin,
            Scope::Isp(_) => Role::Isp,
            Scope::Reseller { .. } => Role::Reseller,
        },
        scope,
    }
}

const ISP1: Scope = Scope::Isp(IspId(1));
const BIG_RESELLER: Scope = Scope::Reseller {
    isp: IspId(1),
    reseller: ResellerId(1),
};
const TINY_RESELLER: Scope = Scope::Reseller {
    isp: IspId(1),
    reseller: ResellerId(2),
};

/// Runs one list as `scope` and returns what it answered and what it read.
async fn list(app: &TestApp, scope: Scope, params: &[(&str, &str)]) -> (ListOutcome, Usage) {
    let (out, usage) = capacity::measure(
        app.app
            .list_customers(&caller(scope), &common::params(params)),
    )
    .await;
    (out.unwrap_or_else(|e| panic!("{params:?}: {e}")), usage)
}

fn rows(out: &ListOutcome) -> usize {
    match out {
        ListOutcome::Rows { rows, .. } => rows.len(),
        ListOutcome::Count(_) => 1,
        ListOutcome::Deleted { rows, .. } => rows.len(),
    }
}

/// The request shapes an index serves in order, for a world whose data holds `sample` and
/// its service `service` (id, username).
fn ordered_shapes(sample: &CustomerItem, service: (u64, &str)) -> Vec<Vec<(&'static str, String)>> {
    let mut shapes: Vec<Vec<(&'static str, String)>> = ["id", "name", "mobile", "email"]
        .into_iter()
        .map(|sort| vec![("sort_field", sort.to_string())])
        .collect();
    shapes.push(vec![("mobile", sample.mobile.clone())]);
    shapes.push(vec![("email", sample.email.clone())]);
    shapes.push(vec![("name", "Anita Rao".into())]);
    shapes.push(vec![("zipcode", "403003".into())]);
    // Type, state and city in id order: their own indexes, however rare the value.
    shapes.push(vec![("type", "Organisation".into())]);
    shapes.push(vec![("state", "Maharashtra".into())]);
    shapes.push(vec![("city", "Vasco".into())]);
    shapes.push(vec![("city", RARE_CITY.into())]);
    shapes.push(vec![("name", "an%".into()), ("sort_field", "name".into())]);
    shapes.push(vec![("customerid", sample.id.get().to_string())]);
    shapes.push(vec![("serviceid", service.0.to_string())]);
    shapes.push(vec![("username", service.1.to_string())]);
    shapes.push(vec![("show_count", "1".into())]);
    shapes
}

/// Gives `customer` (of ISP 1) a service named after it; returns its id and username.
async fn service_of(app: &TestApp, customer: CustomerId) -> (u64, String) {
    let username = format!("svc{}", customer.get());
    let id = app
        .create_service(ISP1_USER, customer.get(), &username, &[])
        .await
        .id();
    (id, username)
}

#[tokio::test]
async fn pages_an_index_serves_in_order_cost_the_same_at_any_size_and_share() {
    let small = spawn_app().await;
    let big = spawn_app().await;
    let small_items = load(&small, 300, 1).await;
    let big_items = load(&big, 1500, 1).await;
    let admin_isp1 = [("ispid", "1")];
    for scope in [Scope::Platform, ISP1, BIG_RESELLER, TINY_RESELLER] {
        // A customer of the scope, present in both worlds (same seed: the same first rows).
        let sample = small_items
            .iter()
            .find(|c| scope.permits(c.ispid, c.resellerid) && c.ispid == IspId(1))
            .expect("a customer in every scope");
        assert!(big_items.iter().any(|c| c.id == sample.id));
        // The same service (id and username) in both worlds, for `serviceid` and `username`.
        let service = service_of(&small, sample.id).await;
        assert_eq!(service_of(&big, sample.id).await, service);
        for shape in ordered_shapes(sample, (service.0, &service.1)) {
            let mut params = as_pairs(&shape);
            if scope == Scope::Platform {
                params.extend(admin_isp1);
            }
            let (small_out, small_use) = list(&small, scope, &params).await;
            let (big_out, big_use) = list(&big, scope, &params).await;
            for (size, usage) in [(300, &small_use), (1500, &big_use)] {
                assert!(
                    usage.calls <= 4 && usage.computed_read_units <= 6.0,
                    "{scope:?} {params:?} at {size}: {} calls, {} units",
                    usage.calls,
                    usage.computed_read_units
                );
            }
            // Flat: a page of the same size costs the same whatever the ISP's size.
            if rows(&small_out) == rows(&big_out) {
                assert!(
                    big_use.calls <= small_use.calls + 1
                        && big_use.computed_read_units <= small_use.computed_read_units + 0.5,
                    "{scope:?} {params:?}: {small_use:?} at 300, {big_use:?} at 1500"
                );
            }
        }
    }
    // Paging forward by cursor costs one page at any depth: twenty pages of the big
    // reseller (~450 customers) sorted by name, and the tiny one's to its end.
    for (scope, pages) in [(BIG_RESELLER, 20), (TINY_RESELLER, 5)] {
        let (mut cursor, mut costs, mut seen) = (String::new(), Vec::new(), Vec::new());
        for _ in 0..pages {
            let params = [("sort_field", "name"), ("cursor", cursor.as_str())];
            let (out, usage) = list(&big, scope, &params).await;
            assert!(
                usage.calls <= 2 && usage.computed_read_units <= 6.0,
                "{scope:?} page {}: {usage:?}",
                costs.len()
            );
            let ListOutcome::Rows { rows, next } = out else {
                panic!("a page")
            };
            seen.extend(rows.iter().map(|c| c.id));
            if rows.len() == 10 {
                costs.push(usage.computed_read_units);
            }
            match next {
                Some(n) => cursor = n,
                None => break,
            }
        }
        let (lo, hi) = costs
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), c| (lo.min(*c), hi.max(*c)));
        assert!(hi - lo <= 0.5, "{scope:?}: full pages cost {costs:?}");
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), n, "{scope:?}: a row came twice");
    }
}

/// The order of a customer in a list sorted by `sort`: its sort key, then its id.
fn sort_key(c: &CustomerItem, sort: &str) -> (String, u64) {
    let key = match sort {
        "name" => c.name_key.clone(),
        "mobile" => c.mobile_key.clone(),
        "email" => c.email_key.clone(),
        _ => String::new(),
    };
    (key, c.id.get())
}

#[tokio::test]
async fn random_worlds_stay_within_the_bounds_and_an_admin_pays_a_small_query_per_isp() {
    // Few ISPs, and more than 12: past that, reading a page of whole items from every ISP
    // (1 unit each at these sizes) would exceed 6 units plus 0.5 per ISP.
    // Skewed ISPs, and more than 12 of about the same size (each with a page or more).
    for (seed, isps, weight) in [(21u64, 3..=7, 1..=20), (22, 14..=16, 10..=12)] {
        let mut rng = StdRng::seed_from_u64(seed);
        // ISPs of random weight; each beyond ISP 2 has one reseller (200 + its id).
        let isps: u64 = rng.random_range(isps);
        let weights: Vec<u64> = (0..isps)
            .map(|_| rng.random_range(weight.clone()))
            .collect();
        let app = spawn_app().await;
        for isp in 3..=isps {
            admin::create_isp(&app.store, IspId(isp), "Random")
                .await
                .unwrap();
            admin::create_reseller(&app.store, IspId(isp), ResellerId(200 + isp), "Random")
                .await
                .unwrap();
        }
        // Records the size of real ones (~550 B: 11 make a 1-unit page).
        let street = "Flat 12, Sunrise Apartments, Near the Old Market, ".repeat(5);
        let isp_of = WeightedIndex::new(&weights).unwrap();
        let items = load_with(&app, 240, seed, &street, |rng| {
            let isp = 1 + isp_of.sample(rng) as u64;
            match isp {
                1 => reseller_of(rng),
                2 => (2, 3),
                _ => (isp, 200 + isp),
            }
        })
        .await;
        let world = format!("seed {seed}, {isps} ISPs weighted {weights:?}");

        // Any scope of the world, for its ordered shapes: within 4 calls and 6 units.
        let sample = items.iter().find(|c| c.ispid == IspId(1)).expect("ISP 1");
        let service = service_of(&app, sample.id).await;
        for scope in [
            ISP1,
            Scope::Reseller {
                isp: IspId(1),
                reseller: sample.resellerid,
            },
        ] {
            for shape in ordered_shapes(sample, (service.0, &service.1)) {
                let params = as_pairs(&shape);
                let (_, usage) = list(&app, scope, &params).await;
                assert!(
                    usage.calls <= 4 && usage.computed_read_units <= 6.0,
                    "{world}: {scope:?} {params:?}: {usage:?}"
                );
            }
        }

        // An admin's list across every ISP, each sort and order, paged by cursor to the end:
        // every customer once, in order, and each page within 4 calls and 6 units plus one
        // call and 0.5 unit per ISP.
        list(&app, Scope::Platform, &[("show_count", "1")]).await; // caches the ISP list
        let calls = 4 + isps as u32;
        let units = 6.0 + 0.5 * isps as f64;
        for sort in ["id", "name", "mobile", "email"] {
            for order in ["asc", "desc"] {
                let mut want: Vec<&CustomerItem> = items.iter().collect();
                want.sort_by_key(|c| sort_key(c, sort));
                if order == "desc" {
                    want.reverse();
                }
                let want: Vec<CustomerId> = want.iter().map(|c| c.id).collect();
                let (mut got, mut cursor) = (Vec::new(), String::new());
                loop {
                    let params = [
                        ("sort_field", sort),
                        ("sort_order", order),
                        ("cursor", cursor.as_str()),
                    ];
                    let (out, usage) = list(&app, Scope::Platform, &params).await;
                    assert!(
                        usage.calls <= calls && usage.computed_read_units <= units,
                        "{world}: admin by {sort} {order}, page {}: {usage:?}",
                        got.len() / 10
                    );
                    let ListOutcome::Rows { rows, next } = out else {
                        panic!("a page")
                    };
                    got.extend(rows.iter().map(|c| c.id));
                    match next {
                        Some(n) => cursor = n,
                        None => break,
                    }
                }
                assert_eq!(got, want, "{world}: admin by {sort} {order}");
            }
        }
    }
}

#[tokio::test]
async fn a_created_range_or_name_prefix_in_id_order_reads_the_cheaper_of_its_index_and_the_scope() {
    let worlds = two_sizes(4).await;
    for scope in [ISP1, BIG_RESELLER] {
        let shapes: [(&[(&str, &str)], &Matches); 3] = [
            (
                &[
                    ("created_from", "2026-01-01"),
                    ("created_upto", "2026-12-31"),
                ],
                &|c| c.audit.created_at.starts_with("2026"),
            ),
            (
                &[
                    ("created_from", "2026-03-01"),
                    ("created_upto", "2026-05-31"),
                ],
                &|c| ("2026-03-01".."2026-06-01").contains(&c.audit.created_at.as_str()),
            ),
            (&[("name", "Ani%")], &|c| c.name.starts_with("Ani")),
        ];
        for (params, test) in shapes {
            let mut used = Vec::new();
            for (app, items) in &worlds {
                let (out, usage) = list(app, scope, params).await;
                let mut want: Vec<CustomerId> = items
                    .iter()
                    .filter(|c| scope.permits(c.ispid, c.resellerid) && test(c))
                    .map(|c| c.id)
                    .collect();
                want.sort_unstable();
                want.truncate(10);
                let ListOutcome::Rows { rows, .. } = out else {
                    panic!("a page")
                };
                let got: Vec<CustomerId> = rows.iter().map(|c| c.id).collect();
                assert_eq!(got, want, "{scope:?} {params:?}");
                used.push(usage);
            }
            // The filter's index when it matches few, else the scope in id order (a few
            // pages): what is read grows at most with the square root of the scope (×√5 from
            // 300 to 1,500 customers), not with the matches (the counts: small reads).
            let (small_use, big_use) = (&used[0], &used[1]);
            assert!(
                big_use.computed_read_units <= small_use.computed_read_units * 5f64.sqrt()
                    && big_use.computed_read_units <= 10.0
                    && big_use.calls <= 5,
                "{scope:?} {params:?}: {small_use:?} at 300, {big_use:?} at 1500"
            );
        }
    }
}

#[tokio::test]
async fn a_filter_under_another_sort_reads_the_cheaper_of_its_index_and_the_sorts_walk() {
    let worlds = two_sizes(5).await;
    for scope in [ISP1, BIG_RESELLER] {
        let shapes: [(&[(&str, &str)], &Matches); 5] = [
            (&[("state", "Goa")], &|c| c.state == "Goa"),
            (&[("city", "Vasco")], &|c| c.city == "Vasco"),
            (&[("city", RARE_CITY)], &|c| c.city == RARE_CITY),
            (&[("type", "Organisation")], &|c| c.ctype == "Organisation"),
            (
                &[
                    ("created_from", "2026-03-01"),
                    ("created_upto", "2026-05-31"),
                ],
                &|c| ("2026-03-01".."2026-06-01").contains(&c.audit.created_at.as_str()),
            ),
        ];
        for (filter, test) in shapes {
            for sort in ["name", "email"] {
                let mut params = filter.to_vec();
                params.push(("sort_field", sort));
                for (app, items) in &worlds {
                    let (out, usage) = list(app, scope, &params).await;
                    let in_scope: Vec<&CustomerItem> = items
                        .iter()
                        .filter(|c| scope.permits(c.ispid, c.resellerid))
                        .collect();
                    let mut want: Vec<&CustomerItem> =
                        in_scope.iter().copied().filter(|c| test(c)).collect();
                    let (n, m) = (in_scope.len() as f64, want.len() as f64);
                    want.sort_by_key(|c| sort_key(c, sort));
                    let want: Vec<CustomerId> = want.iter().take(10).map(|c| c.id).collect();
                    let ListOutcome::Rows { rows, .. } = out else {
                        panic!("a page")
                    };
                    let got: Vec<CustomerId> = rows.iter().map(|c| c.id).collect();
                    assert_eq!(got, want, "{scope:?} {params:?}");
                    // The filter's index when it matches few (its M entries, which carry
                    // the sort's key), else the sort's own index checking the filter on each
                    // entry (about 11·N/M, which carry the filter's field): the cheaper of
                    // the two, with room for the walk's page sizes (twice what is missing, at
                    // least 20: `page_size`), then the page's 10 records. Reading the scope
                    // instead reads N whole items; reading each candidate's record, twice.
                    let candidates = m.min(11.0 * n / m.max(1.0));
                    assert!(
                        (usage.items_read as f64) <= 2.0 * candidates + 20.0 + 12.0,
                        "{scope:?} {params:?}: N {n}, M {m}: {usage:?}"
                    );
                }
            }
        }
    }
}

/// The same world (one seed) at 300 and at 1,500 customers, to compare what a request reads.
async fn two_sizes(seed: u64) -> [(TestApp, Vec<CustomerItem>); 2] {
    let (small, big) = (spawn_app().await, spawn_app().await);
    let small_items = load(&small, 300, seed).await;
    let big_items = load(&big, 1500, seed).await;
    [(small, small_items), (big, big_items)]
}

/// Whether a customer matches a filter, as the test sees it.
type Matches = dyn Fn(&CustomerItem) -> bool;

#[tokio::test]
async fn counts_follow_their_scope_not_the_isp() {
    let app = spawn_app().await;
    let items = load(&app, 600, 2).await;
    let expect = |f: &dyn Fn(&CustomerItem) -> bool| items.iter().filter(|c| f(c)).count() as u64;
    for (scope, want) in [
        (ISP1, expect(&|c| c.ispid == IspId(1))),
        (BIG_RESELLER, expect(&|c| c.resellerid == ResellerId(1))),
        (TINY_RESELLER, expect(&|c| c.resellerid == ResellerId(2))),
    ] {
        let (out, usage) = list(&app, scope, &[("show_count", "1")]).await;
        assert_eq!(out, ListOutcome::Count(want), "{scope:?}");
        assert!(
            usage.calls == 1 && usage.computed_read_units <= 1.0,
            "{usage:?}"
        );
        // A count by one counted field reads its kept count: one small Query, whatever the
        // number of matches.
        let spring =
            |c: &CustomerItem| ("2026-03-01".."2026-06-01").contains(&c.audit.created_at.as_str());
        // Days counted in month items: a range that starts and ends inside months too.
        let mid =
            |c: &CustomerItem| ("2026-03-10".."2026-04-21").contains(&c.audit.created_at.as_str());
        // A name or a name prefix reads its name items: one entry per distinct name.
        let named = |text: &'static str| move |c: &CustomerItem| c.name.to_lowercase() == text;
        let named_from =
            |text: &'static str| move |c: &CustomerItem| c.name.to_lowercase().starts_with(text);
        let by: [(&str, &str, &Matches); 14] = [
            ("created_from", "2026-03-01", &|c| {
                c.audit.created_at.as_str() >= "2026-03-01"
            }),
            ("created_upto", "2026-02-28", &|c| {
                c.audit.created_at.as_str() < "2026-03-01"
            }),
            (
                "created_from",
                "2026-03-01&created_upto=2026-05-31",
                &spring,
            ),
            ("created_from", "2026-03-10&created_upto=2026-04-20", &mid),
            ("zipcode", "403004", &|c| c.zipcode == "403004"),
            ("city", "Vasco", &|c| c.city == "Vasco"),
            ("state", "Maharashtra", &|c| c.state == "Maharashtra"),
            ("type", "Organisation", &|c| c.ctype == "Organisation"),
            ("type", "individual", &|c| c.ctype == "Individual"),
            ("name", "Anita Rao", &named("anita rao")),
            ("name", "RAHUL rao", &named("rahul rao")),
            ("name", "Ani%", &named_from("ani")),
            ("name", "a%", &named_from("a")),
            ("name", "%", &|_| true),
        ];
        for (param, value, test) in by {
            // `a=b&c=d` in a value: two parameters (a created range).
            let (value, more) = value.split_once('&').unwrap_or((value, ""));
            let mut p = vec![(param, value), ("show_count", "1")];
            p.extend(more.split_once('='));
            let (out, usage) = list(&app, scope, &p).await;
            let matching = expect(&|c| scope.permits(c.ispid, c.resellerid) && test(c));
            assert_eq!(
                out,
                ListOutcome::Count(matching),
                "{scope:?} {param}={value}"
            );
            assert!(
                usage.calls == 1 && usage.computed_read_units <= 2.0 && usage.counted.is_empty(),
                "{scope:?} {param}={value}: {usage:?}"
            );
        }
        // Two counted fields: the candidates of the first are walked, within the budget.
        let (out, usage) = list(
            &app,
            scope,
            &[
                ("zipcode", "403004"),
                ("city", "Vasco"),
                ("show_count", "1"),
            ],
        )
        .await;
        let matching = expect(&|c| {
            scope.permits(c.ispid, c.resellerid) && c.zipcode == "403004" && c.city == "Vasco"
        });
        assert_eq!(out, ListOutcome::Count(matching));
        assert!(usage.computed_read_units > 0.0, "{usage:?}");
    }
    // An admin across ISPs: one kept count per ISP.
    let (out, _) = list(
        &app,
        Scope::Platform,
        &[("city", "Vasco"), ("show_count", "1")],
    )
    .await;
    assert_eq!(out, ListOutcome::Count(expect(&|c| c.city == "Vasco")));
    let (out, _) = list(&app, Scope::Platform, &[("show_count", "1")]).await;
    assert_eq!(out, ListOutcome::Count(items.len() as u64));
}

#[tokio::test]
async fn over_budget_is_refused_and_a_cursor_gets_short_pages_that_miss_nothing() {
    let app = spawn_app_with(&[("LIST_READ_BUDGET_UNITS", "3")]).await;
    let items = load(&app, 400, 3).await;
    // A name infix has no index and no entry carries it: sorted by mobile, the walk of
    // by-mobile reads each candidate's record.
    let params = [("name", "%Rao%"), ("sort_field", "mobile")];
    let reply = app.call(ISP1_USER, "list", &params).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(reply.error().contains("cursor"), "{reply:?}");
    // A count by city alone reads its kept count, well within the budget ...
    let reply = app
        .call(ISP1_USER, "list", &[("city", "Vasco"), ("show_count", "1")])
        .await;
    let vasco = items
        .iter()
        .filter(|c| c.ispid == IspId(1) && c.city == "Vasco")
        .count() as u64;
    assert_eq!(reply.result().as_u64(), Some(vasco), "{reply:?}");
    // ... while one with a filter nothing keeps a count of walks, and over budget is refused.
    let reply = app
        .call(
            ISP1_USER,
            "list",
            &[("city", "Vasco"), ("name", "%Rao%"), ("show_count", "1")],
        )
        .await;
    assert_eq!(
        reply.status, 400,
        "a count over budget is refused too: {reply:?}"
    );
    assert!(
        !reply.error().contains("cursor") && reply.error().contains("zipcode"),
        "a count cannot be paged: its refusal names filters, not cursor: {reply:?}"
    );
    // Outside id order the customers a `username` pattern selects are all read whole (to
    // be ordered): within the budget too.
    let sample: Vec<&CustomerItem> = items.iter().filter(|c| c.ispid == IspId(1)).collect();
    for c in sample.iter().take(8) {
        let username = format!("budget{}", c.id.get());
        app.create_service(ISP1_USER, c.id.get(), &username, &[])
            .await
            .id();
    }
    let by_name = [("username", "budget%"), ("sort_field", "name")];
    let reply = app.call(ISP1_USER, "list", &by_name).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(
        reply.error().contains("LIST_READ_BUDGET_UNITS") && !reply.error().contains("cursor"),
        "cursor would not help: the candidates are read before any page: {reply:?}"
    );
    // In id order only the page's rows are read: the 8 services (0.5 unit) and 4 customers
    // (2.0), where all 8 customers would be 4.0.
    let (out, usage) = list(&app, ISP1, &[("username", "budget%"), ("rows_limit", "4")]).await;
    let mut first: Vec<u64> = sample.iter().take(8).map(|c| c.id.get()).collect();
    first.sort_unstable();
    let ListOutcome::Rows { rows, .. } = &out else {
        panic!("{out:?}")
    };
    let got: Vec<u64> = rows.iter().map(|c| c.id.get()).collect();
    assert_eq!(got, first[..4], "{out:?}");
    assert!(usage.computed_read_units <= 2.5, "{usage:?}");
    // One service's customer is well within it.
    let one = format!("budget{}", sample[0].id.get());
    let reply = app.call(ISP1_USER, "list", &[("username", &one)]).await;
    assert_eq!(reply.ids(), vec![sample[0].id.get()], "{reply:?}");

    let mut want: Vec<&CustomerItem> = items
        .iter()
        .filter(|c| c.ispid == IspId(1) && c.name.to_lowercase().contains("rao"))
        .collect();
    want.sort_by(|a, b| a.mobile_key.cmp(&b.mobile_key));
    let want: Vec<u64> = want.iter().map(|c| c.id.get()).collect();
    let (mut got, mut cursor, mut short) = (Vec::new(), String::new(), 0);
    for _ in 0..500 {
        let mut p = params.to_vec();
        p.push(("cursor", cursor.as_str()));
        let reply = app.call(ISP1_USER, "list", &p).await;
        let ids = reply.ids();
        short += usize::from(ids.len() < 10 && reply.body.get("next").is_some());
        got.extend(ids);
        match reply.body.get("next").and_then(|n| n.as_str()) {
            Some(n) => cursor = n.to_owned(),
            None => break,
        }
    }
    assert_eq!(got, want, "cursor pages return every match once, in order");
    assert!(short > 0, "the budget cut some pages short");
}

#[tokio::test]
async fn counts_stay_exact_through_concurrent_creates_deletes_and_refusals() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let creates = (0..12).map(|i| {
        let (user, reseller) = match i % 2 {
            0 => (ISP1_USER, "1"),
            _ => (ISP1_USER, "2"),
        };
        let name = format!("Count {i}");
        let app = &app;
        async move {
            app.create(user, &[("resellerid", reseller), ("name", &name)])
                .await
                .id()
        }
    });
    let mut ids = futures_util::future::join_all(creates).await;
    // Deletes of four while four more are created, all at once.
    let deletes = ids.iter().take(4).map(|id| {
        let id = id.to_string();
        let app = &app;
        async move { app.call(ISP1_USER, "delete", &[("customerid", &id)]).await }
    });
    let more = (12..16).map(|i| {
        let name = format!("Count {i}");
        let app = &app;
        async move {
            app.create(ISP1_USER, &[("resellerid", "1"), ("name", &name)])
                .await
                .id()
        }
    });
    let (deleted, created) = futures_util::future::join(
        futures_util::future::join_all(deletes),
        futures_util::future::join_all(more),
    )
    .await;
    for reply in deleted {
        reply.result();
    }
    ids.extend(created);
    // Refused writes change no count: a delete of a customer with a service, a delete out of
    // scope, and a create whose idempotency key was used for another request.
    app.create_service(ISP1_USER, ids[5], "count.svc", &[])
        .await
        .id();
    let id5 = ids[5].to_string();
    assert_eq!(
        app.call(ISP1_USER, "delete", &[("customerid", &id5)])
            .await
            .status,
        409
    );
    assert_eq!(
        app.call(ISP2_USER, "delete", &[("customerid", &id5)])
            .await
            .status,
        404
    );
    let key = [("Idempotency-Key", "count-key")];
    let fields: Vec<(&str, String)> = customer_fields();
    let mut params = as_pairs(&fields);
    params.push(("resellerid", "1"));
    app.call_with_headers(ISP1_USER, "create", &params, &key)
        .await
        .id();
    params.retain(|(k, _)| *k != "street");
    params.push(("street", "another street"));
    let reply = app
        .call_with_headers(ISP1_USER, "create", &params, &key)
        .await;
    assert_eq!(reply.status, 409, "{reply:?}");

    // Concurrent moves of counted fields, two racing on each customer: the counts follow
    // whichever write lands last, and a refused move (out of scope) moves nothing.
    let moves = ids[6..10].iter().flat_map(|id| {
        let app = &app;
        let id = id.to_string();
        [("Vasco", "Organisation"), ("Margao", "Individual")].map(move |(city, ctype)| {
            let id = id.clone();
            async move {
                let p = [("customerid", id.as_str()), ("city", city), ("type", ctype)];
                app.call(ISP1_USER, "update", &p).await.result();
            }
        })
    });
    futures_util::future::join_all(moves).await;
    // Renames racing the same way: one of each pair lands, both names' counts follow.
    let renames = ids[10..14].iter().flat_map(|id| {
        let app = &app;
        let id = id.to_string();
        ["Moved Left", "moved right"].map(move |name| {
            let id = id.clone();
            async move {
                let p = [("customerid", id.as_str()), ("name", name)];
                app.call(ISP1_USER, "update", &p).await.result();
            }
        })
    });
    futures_util::future::join_all(renames).await;
    // A rename racing a delete: whichever lands first, the counts follow what it did.
    let raced = ids[14..16].iter().flat_map(|id| {
        let app = &app;
        let id = id.to_string();
        [true, false].map(move |delete| {
            let id = id.clone();
            async move {
                let reply = match delete {
                    true => app.call(ISP1_USER, "delete", &[("customerid", &id)]).await,
                    false => {
                        let p = [("customerid", id.as_str()), ("name", "Raced Away")];
                        app.call(ISP1_USER, "update", &p).await
                    }
                };
                assert!([200, 404].contains(&reply.status.as_u16()), "{reply:?}");
            }
        })
    });
    futures_util::future::join_all(raced).await;
    let id6 = ids[6].to_string();
    let out_of_scope = [("customerid", id6.as_str()), ("city", "Nowhere")];
    assert_eq!(
        app.call(ISP2_USER, "update", &out_of_scope).await.status,
        404
    );
    let vasco = app
        .call(
            ISP1_USER,
            "list",
            &[("city", "Vasco"), ("rows_limit", "100")],
        )
        .await
        .ids()
        .len() as u64;
    let orgs = app
        .call(
            ISP1_USER,
            "list",
            &[("type", "Organisation"), ("rows_limit", "100")],
        )
        .await
        .ids()
        .len() as u64;

    let count = |user, extra: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move {
            let mut p = vec![("show_count", "1")];
            p.extend_from_slice(extra);
            app.call(user, "list", &p).await.result().as_u64().unwrap()
        }
    };
    // 12 created, 4 deleted while 4 more were created (reseller 1), 1 created with the key,
    // 2 deleted while renamed (ids 14 and 15: reseller 1).
    assert_eq!(count(ISP1_USER, &[]).await, 13 - 2);
    assert_eq!(count(ISP1_USER, &[("resellerid", "1")]).await, 9 - 2);
    assert_eq!(count(RESELLER1_USER, &[]).await, 9 - 2);
    assert_eq!(count(ISP1_USER, &[("resellerid", "2")]).await, 4);
    assert_eq!(count(ISP2_USER, &[]).await, 0);
    assert_eq!(count(ISP1_USER, &[("city", "Vasco")]).await, vasco);
    assert_eq!(count(ISP1_USER, &[("type", "Organisation")]).await, orgs);
    assert_eq!(count(ISP2_USER, &[("city", "Nowhere")]).await, 0);
    let left = count(ISP1_USER, &[("name", "moved left")]).await;
    assert_eq!(left + count(ISP1_USER, &[("name", "Moved Right")]).await, 4);
    assert_eq!(count(ISP1_USER, &[("name", "Moved%")]).await, 4);
    // 16 created, 6 of them deleted and 4 renamed.
    assert_eq!(count(ISP1_USER, &[("name", "Count%")]).await, 16 - 6 - 4);
    assert_eq!(count(ISP1_USER, &[("name", "Raced%")]).await, 0);
    // The names of the deleted and the renamed count nobody: their items are gone.
    let items = app.every_item().await;
    for i in (0..4).chain(10..16) {
        let gone = format!("name|count {i}\")");
        assert!(
            !items.iter().any(|(_, item)| item.contains(&gone)),
            "count {i}: {items:?}"
        );
    }
    let checks = admin::check_counts(&app.store, None).await.unwrap();
    assert!(checks.iter().all(|c| c.agrees()), "{checks:?}");
    assert!(
        checks.len() >= 5,
        "every ISP and reseller is checked: {checks:?}"
    );
}

#[tokio::test]
async fn a_count_by_username_alone_reads_services_not_customers() {
    // A budget of 4 units: 36 customers read whole would cost 18.
    let app = spawn_app_with(&[("LIST_READ_BUDGET_UNITS", "4"), NO_DUPLICATE_GUARD]).await;
    let mut reseller1 = Vec::new();
    for (i, reseller) in (0..36).map(|i| (i, if i < 31 { "1" } else { "2" })) {
        let id = app
            .create(ISP1_USER, &[("resellerid", reseller)])
            .await
            .id();
        app.create_service(ISP1_USER, id, &format!("bulk{i:02}"), &[])
            .await
            .id();
        if reseller == "1" {
            reseller1.push(id);
        }
    }
    // A second matching service of one customer, and one that does not match.
    app.create_service(ISP1_USER, reseller1[0], "bulk_extra", &[])
        .await
        .id();
    app.create_service(ISP1_USER, reseller1[1], "dsl01", &[])
        .await
        .id();
    let count = |user, params: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move { app.call(user, "list", params).await }
    };
    let reply = count(ISP1_USER, &[("username", "bulk%"), ("show_count", "1")]).await;
    assert_eq!(reply.result().as_u64(), Some(36), "{reply:?}");
    let reply = count(
        RESELLER1_USER,
        &[("username", "bulk%"), ("show_count", "1")],
    )
    .await;
    assert_eq!(reply.result().as_u64(), Some(31), "{reply:?}");
    let reply = count(ISP2_USER, &[("username", "bulk%"), ("show_count", "1")]).await;
    assert_eq!(reply.result().as_u64(), Some(0), "{reply:?}");
    // With another filter, or for a page in another order, every matching customer is read
    // whole: over this budget.
    for params in [
        &[
            ("username", "bulk%"),
            ("city", "Panaji"),
            ("show_count", "1"),
        ][..],
        &[("username", "bulk%"), ("sort_field", "name")][..],
    ] {
        let reply = app.call(ISP1_USER, "list", params).await;
        assert_eq!(reply.status, 400, "{params:?}: {reply:?}");
        assert!(
            reply.error().starts_with("username: selects more"),
            "{reply:?}"
        );
    }
    // A page in id order is answered: see
    // a_broad_username_pattern_pages_in_id_order_by_walking_services_in_customer_order.
}

#[tokio::test]
async fn a_name_count_reads_one_entry_per_distinct_name_within_the_budget() {
    // A budget of 1 unit (8 KB of entries): 200 distinct names (~70 bytes an entry) need
    // ~2, the ten of `Dist 00%` ~0.1. A walk asks for what the rest of its budget pays for
    // at the smallest entry size (163 entries here), so its last page may read past it.
    let app = spawn_app_with(&[("LIST_READ_BUDGET_UNITS", "1"), NO_DUPLICATE_GUARD]).await;
    let creates = (0..200).chain([7, 7]).enumerate().map(|(n, i)| {
        let app = &app;
        async move {
            // Even names in reseller 1, odd in 2; the two more `Dist 007` in reseller 1.
            let reseller = if i % 2 == 0 || n >= 200 { "1" } else { "2" };
            let name = format!("Dist {i:03}");
            let p = [("resellerid", reseller), ("name", name.as_str())];
            app.create(ISP1_USER, &p).await.id()
        }
    });
    let ids = futures_util::future::join_all(creates).await;
    let count = |scope, name: &'static str| {
        let app = &app;
        async move { list(app, scope, &[("name", name), ("show_count", "1")]).await }
    };
    for (scope, name, want) in [
        (ISP1, "Dist 00%", 12),
        (BIG_RESELLER, "Dist 00%", 7),
        (TINY_RESELLER, "dist 00%", 5),
        (ISP1, "dist 007", 3),
        (BIG_RESELLER, "DIST 007", 2),
        (TINY_RESELLER, "Dist 008", 0),
        (ISP1, "Dist 1%", 100),
    ] {
        let (out, usage) = count(scope, name).await;
        assert_eq!(out, ListOutcome::Count(want), "{scope:?} {name}");
        assert!(
            usage.calls == 1 && usage.computed_read_units <= 1.0 && usage.items_read <= 100,
            "{scope:?} {name}: one entry per name: {usage:?}"
        );
    }
    // All 200 names: more than the budget reads, refused; a reseller's 101 are not.
    let reply = app
        .call(ISP1_USER, "list", &[("name", "Dist%"), ("show_count", "1")])
        .await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(
        reply.error().contains("counting this would read more"),
        "{reply:?}"
    );
    let (out, _) = count(BIG_RESELLER, "Dist%").await;
    assert_eq!(out, ListOutcome::Count(102));
    // A delete and a restore move the name's counts; an erase leaves no item of a name
    // that counts nobody.
    let id = ids[200].to_string();
    app.call(ISP1_USER, "delete", &[("customerid", &id)])
        .await
        .result();
    assert_eq!(count(ISP1, "Dist 007").await.0, ListOutcome::Count(2));
    app.call(ISP1_USER, "restore", &[("customerid", &id)])
        .await
        .result();
    assert_eq!(
        count(BIG_RESELLER, "Dist 007").await.0,
        ListOutcome::Count(2)
    );
    let id = ids[199].to_string();
    app.call(ADMIN, "erase", &[("customerid", &id)])
        .await
        .result();
    assert_eq!(count(ISP1, "Dist 199").await.0, ListOutcome::Count(0));
    let items = app.every_item().await;
    assert!(
        !items.iter().any(|(_, item)| item.contains("dist 199")),
        "an erased customer's name stays in a count"
    );
    let checks = admin::check_counts(&app.store, None).await.unwrap();
    assert!(checks.iter().all(|c| c.agrees()), "{checks:?}");
}

#[tokio::test]
async fn a_deep_offset_in_id_order_is_counted_on_ids_not_whole_customers() {
    let app = spawn_app().await;
    let items = load(&app, 1500, 5).await;
    for scope in [ISP1, BIG_RESELLER] {
        let mut ids: Vec<u64> = items
            .iter()
            .filter(|c| scope.permits(c.ispid, c.resellerid))
            .map(|c| c.id.get())
            .collect();
        ids.sort_unstable();
        for order in ["asc", "desc"] {
            if order == "desc" {
                ids.reverse();
            }
            // Cold; then from the position the first remembered; then past the end.
            for offset in [300, 400, ids.len() + 5] {
                let at = offset.to_string();
                let params = [("rows_offset", at.as_str()), ("sort_order", order)];
                let (out, usage) = list(&app, scope, &params).await;
                let ListOutcome::Rows { rows, .. } = out else {
                    panic!("{out:?}")
                };
                let got: Vec<u64> = rows.iter().map(|c| c.id.get()).collect();
                let want: Vec<u64> = ids.iter().skip(offset).take(10).copied().collect();
                assert_eq!(got, want, "{scope:?} {params:?}");
                // ~13 bytes an id, then the page's 11 customers; whole customers to the
                // offset would read ~25 units.
                assert!(
                    usage.calls <= 2 && usage.computed_read_units <= 3.0,
                    "{scope:?} {params:?}: {usage:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_broad_username_pattern_pages_in_id_order_by_walking_services_in_customer_order() {
    // A budget of 2 units: an eighth of it collects ~13 services in username order, so every
    // pattern here is broad; before the walk in customer order such a page was refused
    // (reading the ~130 customers whole would cost 65 units).
    let app = spawn_app_with(&[("LIST_READ_BUDGET_UNITS", "2"), NO_DUPLICATE_GUARD]).await;
    let items = load(&app, 200, 11).await;
    let isp1: Vec<&CustomerItem> = items.iter().filter(|c| c.ispid == IspId(1)).collect();
    // (customer, its services): every tenth another pattern only, every seventh a second
    // match `.b` (adjacent entries a page boundary may split); ISP 2's customers `.b` only.
    let mut world: Vec<(u64, Vec<String>)> = Vec::new();
    for (i, c) in isp1.iter().enumerate().take(140) {
        let id = c.id.get();
        world.push((
            id,
            match (i % 10, i % 7) {
                (3, _) => vec![format!("dsl{id}")],
                (_, 0) => vec![format!("Wide{id}"), format!("wide{id}.b")],
                _ => vec![format!("wide{id}")],
            },
        ));
    }
    // Reseller 2's own few (ISP 1), to page a reseller whose share is tiny.
    let mut tiny = Vec::new();
    for _ in 0..3 {
        let id = app.create(ISP1_USER, &[("resellerid", "2")]).await.id();
        world.push((id, vec![format!("wide{id}")]));
        tiny.push(id);
    }
    for (id, names) in &world {
        for name in names {
            app.create_service(ISP1_USER, *id, name, &[]).await.id();
        }
    }
    let isp2: Vec<u64> = items
        .iter()
        .filter(|c| c.ispid == IspId(2))
        .map(|c| c.id.get())
        .collect();
    assert!(!isp2.is_empty());
    for id in &isp2 {
        app.create_service(ISP2_USER, *id, &format!("wide{id}.b"), &[])
            .await
            .id();
    }
    let matching = |pattern: &dyn Fn(&str) -> bool| {
        let mut ids: Vec<u64> = world
            .iter()
            .filter(|(_, names)| names.iter().any(|n| pattern(&n.to_lowercase())))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    };
    let all = matching(&|n| n.starts_with("wide"));
    let second = matching(&|n| n.ends_with(".b"));
    assert!(all.len() > 110 && second.len() > 15, "{}", all.len());
    let mut everywhere = all.clone();
    everywhere.extend(&isp2);
    everywhere.sort_unstable();
    let placed: HashMap<u64, u64> = items
        .iter()
        .map(|c| (c.id.get(), c.resellerid.get()))
        .collect();
    let mine: Vec<u64> = all
        .iter()
        .filter(|id| placed.get(id) == Some(&1))
        .copied()
        .collect();
    assert!(mine.len() > 5, "{}", mine.len());
    let tiny: Vec<u64> = all
        .iter()
        .filter(|id| placed.get(id) == Some(&2) || tiny.contains(id))
        .take(5)
        .copied()
        .collect();
    for (scope, params, want) in [
        (ISP1, vec![("rows_limit", "5")], all[..5].to_vec()),
        (
            Scope::Platform,
            vec![("rows_limit", "5")],
            everywhere[..5].to_vec(),
        ),
        (
            ISP1,
            vec![("rows_limit", "5"), ("sort_order", "desc")],
            all.iter().rev().take(5).copied().collect(),
        ),
        (
            ISP1,
            vec![("rows_limit", "5"), ("rows_offset", "20")],
            all[20..25].to_vec(),
        ),
        (BIG_RESELLER, vec![("rows_limit", "5")], mine[..5].to_vec()),
        // The username order is the ISP's: a reseller's few are not collected through the
        // ISP's many (each read is charged, kept or not), but found in its own customer order.
        (TINY_RESELLER, vec![("rows_limit", "5")], tiny.clone()),
    ] {
        let mut params = params.clone();
        params.push(("username", "WIDE%"));
        let (out, usage) = list(&app, scope, &params).await;
        let ListOutcome::Rows { rows, .. } = &out else {
            panic!("{out:?}")
        };
        let got: Vec<u64> = rows.iter().map(|c| c.id.get()).collect();
        assert_eq!(got, want, "{scope:?} {params:?}");
        // The budget, and the page's own records (5 at 0.5 unit).
        assert!(usage.computed_read_units <= 5.0, "{params:?}: {usage:?}");
    }
    // Cursor pages, short where the budget cuts them, return every match once, in order:
    // in one ISP, and for an admin across ISPs (each ISP with its share of the budget).
    for (scope, pattern, want) in [
        (ISP1, "wide%", &all),
        (ISP1, "%.b", &second),
        (Scope::Platform, "%.b", &{
            let mut both = second.clone();
            both.extend(&isp2);
            both.sort_unstable();
            both
        }),
    ] {
        let (mut got, mut cursor, mut short) = (Vec::new(), String::new(), 0);
        for _ in 0..200 {
            let params = [
                ("username", pattern),
                ("rows_limit", "20"),
                ("cursor", cursor.as_str()),
            ];
            let (out, _) = list(&app, scope, &params).await;
            let ListOutcome::Rows { rows, next } = out else {
                panic!("{out:?}")
            };
            short += usize::from(rows.len() < 20 && next.is_some());
            got.extend(rows.iter().map(|c| c.id.get()));
            match next {
                Some(n) => cursor = n,
                None => break,
            }
        }
        assert_eq!(
            &got, want,
            "{scope:?} {pattern}: every match once, in id order"
        );
        if pattern.starts_with('%') {
            assert!(
                short > 0,
                "{scope:?} {pattern}: the budget cut some pages short"
            );
        }
    }
}
