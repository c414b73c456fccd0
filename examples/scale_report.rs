//! Scale report: what each list shape reads at 2,000 and at 20,000 customers, in one ISP of
//! 120 resellers (reseller 1 holds ~30 %, reseller 2 ~1 %, the rest ~0.6 % each), per scope
//! (admin naming `ispid`, ISP user, the ~1 % reseller, the ~30 % reseller). `make scale-report`
//! runs it in a fresh moto and prints Markdown (docs/data-model.md has the results).
//!
//! Units are computed by DynamoDB's rules from what each call returned (`store::capacity`),
//! eventually consistent; authentication is not included (cached on a warm instance).
//! Beside ISP 1, `OTHER_ISPS` small ISPs (`OTHER_CUSTOMERS` customers each) make an admin's
//! list across every ISP (no `ispid`): its own table. Then the peak memory of the real binary (`CUSTOMER_API_BIN`, default the release build)
//! serving the costliest shapes over HTTP at 20,000 customers.

#[path = "data/customers.rs"]
mod data;

use aws_sdk_dynamodb::types::AttributeValue;
use isp_crm::admin::{self, NewUser};
use isp_crm::app::{App, ListOutcome};
use isp_crm::config::Settings;
use isp_crm::domain::customer::CustomerFields;
use isp_crm::domain::ids::{CustomerId, IspId, ResellerId, ServiceId, UserId};
use isp_crm::domain::scope::{Actor, Caller, Placement, Role, Scope};
use isp_crm::domain::service::ServiceFields;
use isp_crm::store::Store;
use isp_crm::store::capacity::{self, Usage};
use isp_crm::store::records::{CustomerItem, ServiceItem};
use isp_crm::store::sequences::Sequence;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

const SIZES: [u64; 2] = [2_000, 20_000];
const RESELLERS: u64 = 120;
const BIG: u64 = 1;
const TINY: u64 = 2;
/// ISPs 2..=20, one reseller each (1000 + the ISP's id), for the admin's list across ISPs.
const OTHER_ISPS: u64 = 19;
const OTHER_CUSTOMERS: u64 = 50;

fn reseller_of(rng: &mut StdRng) -> u64 {
    match rng.random_range(0..1000) {
        0..300 => BIG,
        300..310 => TINY,
        _ => rng.random_range(3..=RESELLERS),
    }
}

struct World {
    store: Store,
    settings: Settings,
    /// A customer of each scope, for the equality shapes: (mobile, email, id).
    samples: HashMap<&'static str, (String, String, u64)>,
    /// The service of each scope's sample customer: (service id, username).
    services: HashMap<&'static str, (String, String)>,
    isp_key: String,
}

async fn world(endpoint: &str, size: u64) -> World {
    let prefix = format!("scale{}-{size}-", std::process::id());
    // Every request runs on a fresh instance: they must share the cursor key.
    let (settings, store) =
        data::fresh_tables(endpoint, &prefix, &[("CURSOR_SECRET", "scale-report")]).await;
    admin::create_isp(&store, IspId(1), "ISP").await.unwrap();
    for r in 1..=RESELLERS {
        admin::create_reseller(&store, IspId(1), ResellerId(r), "Reseller")
            .await
            .unwrap();
    }
    let isp_key = admin::create_user(
        &store,
        NewUser {
            userid: UserId(5),
            role: Role::Isp,
            isp: Some(IspId(1)),
            reseller: None,
            api_key: None,
        },
    )
    .await
    .unwrap()
    .expose()
    .to_owned();
    for isp in 2..=1 + OTHER_ISPS {
        admin::create_isp(&store, IspId(isp), "Small ISP")
            .await
            .unwrap();
        admin::create_reseller(&store, IspId(isp), ResellerId(1000 + isp), "Reseller")
            .await
            .unwrap();
    }
    eprintln!("loading {size} customers…");
    let mut rng = StdRng::seed_from_u64(size);
    let today = jiff::civil::date(2026, 11, 27);
    let start: jiff::Timestamp = "2025-11-27T00:00:00Z".parse().unwrap();
    let mut batch = Vec::new();
    let mut counts = isp_crm::store::counts::Deltas::default();
    let mut samples = HashMap::new();
    let mut services_batch = Vec::new();
    // ISP 1's customers, then the small ISPs' (the ids after them).
    let total = size + OTHER_ISPS * OTHER_CUSTOMERS;
    for n in 1..=total {
        let (isp, reseller) = match n <= size {
            true => (1, reseller_of(&mut rng)),
            false => {
                let isp = 2 + (n - size - 1) / OTHER_CUSTOMERS;
                (isp, 1000 + isp)
            }
        };
        let mut fields = data::fields(&mut rng);
        if n % 2000 == 7 {
            fields.insert("city".into(), RARE_CITY.into());
        }
        let f = CustomerFields::parse_create(&fields, today).unwrap();
        let at = start
            .checked_add(jiff::SignedDuration::from_secs(
                (n * 365 * 86_400 / size) as i64,
            ))
            .unwrap();
        let placement = Placement {
            isp: IspId(isp),
            reseller: ResellerId(reseller),
        };
        let item = CustomerItem::new(
            CustomerId(n),
            placement,
            f,
            isp_crm::domain::audit::rfc3339_seconds(at),
            Actor::Admin,
            &jiff::tz::TimeZone::UTC,
        );
        let sample = (item.mobile.clone(), item.email.clone(), n);
        if isp == 1 {
            samples.entry("isp").or_insert_with(|| sample.clone());
        }
        if reseller == BIG {
            samples.entry("big").or_insert(sample);
        } else if reseller == TINY {
            samples.entry("tiny").or_insert(sample);
        }
        counts.count(&item);
        let av: HashMap<String, AttributeValue> = isp_crm::store::records::to_item(&item).unwrap();
        batch.push(av);
        if batch.len() == 25 || n == total {
            data::write_items(&store, std::mem::take(&mut batch)).await;
        }
        // ISP 1's customers each have a service (its id theirs): `goa_<id>`, one in a
        // hundred `rare<id>`, for a broad and a narrow username pattern.
        if isp == 1 {
            let username = match n % 100 {
                0 => format!("rare{n}"),
                _ => format!("goa_{n}"),
            };
            let f = ServiceFields::parse_create(&HashMap::from([
                ("customerid".to_string(), n.to_string()),
                ("username".to_string(), username),
                ("plan".to_string(), "Fiber 100".to_string()),
            ]))
            .unwrap();
            let at = isp_crm::domain::audit::rfc3339_seconds(at);
            let service = ServiceItem::new(ServiceId(n), placement, f, at, Actor::Admin);
            services_batch.push(isp_crm::store::records::to_item(&service).unwrap());
        }
        if services_batch.len() == 25 || (n == total && !services_batch.is_empty()) {
            let batch = std::mem::take(&mut services_batch);
            data::write_items_to(&store, &store.tables.services, batch).await;
        }
    }
    // Written without transactions: the counts are summed from what was loaded and put as
    // a `counters rebuild` would (which would walk the ISP, a whole-table walk in moto).
    store.put_counts(counts).await.unwrap();
    admin::raise_customer_ids(&store, total).await.unwrap();
    store.raise_ids(Sequence::Service, total).await.unwrap();
    // One service for each sample customer (three transactions), for `serviceid`/`username`.
    let app = App::new(store.clone(), &settings).unwrap();
    let isp_user = Caller {
        userid: UserId(5),
        role: Role::Isp,
        scope: Scope::Isp(IspId(1)),
    };
    let mut services = HashMap::new();
    for (scope, (_, _, id)) in &samples {
        let username = format!("scale{id}");
        let f = HashMap::from([
            ("customerid".to_string(), id.to_string()),
            ("username".to_string(), username.clone()),
            ("plan".to_string(), "Fiber 100".to_string()),
        ]);
        let created = app.create_service(&isp_user, &f).await.unwrap();
        services.insert(*scope, (created.id.get().to_string(), username));
    }
    World {
        store,
        settings,
        samples,
        services,
        isp_key,
    }
}

/// What a request read, or that it was refused.
enum Measured {
    Read { rows: usize, usage: Usage },
    Refused(String),
}

async fn measure(app: &App, scope: Scope, params: &[(&str, &str)]) -> (Measured, Option<String>) {
    let caller = Caller {
        userid: UserId(5),
        role: match scope {
            Scope::Platform => Role::Admin,
            Scope::Isp(_) => Role::Isp,
            Scope::Reseller { .. } => Role::Reseller,
        },
        scope,
    };
    let f: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (out, usage) = capacity::measure(app.list_customers(&caller, &f)).await;
    match out {
        Ok(ListOutcome::Rows { rows, next }) => (
            Measured::Read {
                rows: rows.len(),
                usage,
            },
            next,
        ),
        Ok(ListOutcome::Deleted { rows, next }) => (
            Measured::Read {
                rows: rows.len(),
                usage,
            },
            next,
        ),
        Ok(ListOutcome::Count(n)) => (
            Measured::Read {
                rows: n as usize,
                usage,
            },
            None,
        ),
        Err(e) => (Measured::Refused(e.to_string()), None),
    }
}

fn cell(m: &Measured) -> String {
    match m {
        Measured::Read { rows, usage } => {
            let walked: u64 = usage.items_read + usage.counted.iter().map(|(_, n)| n).sum::<u64>();
            format!(
                "{} / {} / {:.1} ({rows} rows)",
                usage.calls, walked, usage.computed_read_units
            )
        }
        Measured::Refused(e) if e.contains("read units") => "400: over the read budget".into(),
        Measured::Refused(e) => format!("error: {e}"),
    }
}

const SCOPES: [(&str, &str); 4] = [
    ("admin, `ispid=1`", "isp"),
    ("ISP user", "isp"),
    ("~1 % reseller", "tiny"),
    ("~30 % reseller", "big"),
];

fn scope_of(label: &str) -> Scope {
    match label {
        "admin, `ispid=1`" => Scope::Platform,
        "ISP user" => Scope::Isp(IspId(1)),
        "~1 % reseller" => Scope::Reseller {
            isp: IspId(1),
            reseller: ResellerId(TINY),
        },
        _ => Scope::Reseller {
            isp: IspId(1),
            reseller: ResellerId(BIG),
        },
    }
}

/// The request shapes; `{mobile}`, `{email}` and `{id}` take a customer of the scope,
/// `{serviceid}` and `{username}` its service.
const SHAPES: [(&str, &[(&str, &str)]); 34] = [
    ("page by id", &[]),
    ("sorted by name", &[("sort_field", "name")]),
    ("sorted by mobile", &[("sort_field", "mobile")]),
    ("sorted by email", &[("sort_field", "email")]),
    ("mobile =", &[("mobile", "{mobile}")]),
    ("email =", &[("email", "{email}")]),
    ("exact name", &[("name", "Anita Rao")]),
    ("zipcode", &[("zipcode", "403007")]),
    ("customerid", &[("customerid", "{id}")]),
    ("serviceid", &[("serviceid", "{serviceid}")]),
    ("exact username", &[("username", "{username}")]),
    ("username `goa_%` (99 %), by id", &[("username", "goa_%")]),
    ("username `rare%` (1 %), by id", &[("username", "rare%")]),
    (
        "username `rare%`, `show_count=1`",
        &[("username", "rare%"), ("show_count", "1")],
    ),
    (
        "name prefix `Ana%`, by name",
        &[("name", "Ana%"), ("sort_field", "name")],
    ),
    (
        "cursor page 2, by name",
        &[("sort_field", "name"), ("cursor", "{next}")],
    ),
    ("`show_count=1`", &[("show_count", "1")]),
    (
        "`show_count=1`, `name=Ana%`",
        &[("show_count", "1"), ("name", "Ana%")],
    ),
    (
        "`rows_offset=90`, by name",
        &[("rows_offset", "90"), ("sort_field", "name")],
    ),
    (
        "created range (one week)",
        &[
            ("created_from", "2026-03-01"),
            ("created_upto", "2026-03-07"),
        ],
    ),
    (
        "`city=Vasco`, `show_count=1`",
        &[("city", "Vasco"), ("show_count", "1")],
    ),
    (
        "`state=Goa`, `show_count=1`",
        &[("state", "Goa"), ("show_count", "1")],
    ),
    (
        "`type=Organisation`, `show_count=1`",
        &[("type", "Organisation"), ("show_count", "1")],
    ),
    (
        "`zipcode=403007`, `show_count=1`",
        &[("zipcode", "403007"), ("show_count", "1")],
    ),
    (
        "created range (one month), `show_count=1`",
        &[
            ("created_from", "2026-03-01"),
            ("created_upto", "2026-03-31"),
            ("show_count", "1"),
        ],
    ),
    (
        "created range (the year), `show_count=1`",
        &[
            ("created_from", "2026-01-01"),
            ("created_upto", "2026-12-31"),
            ("show_count", "1"),
        ],
    ),
    (
        "`resellerid=1`, `city=Vasco`, `show_count=1`",
        &[("resellerid", "1"), ("city", "Vasco"), ("show_count", "1")],
    ),
    (
        "`name=%Rao%`, by mobile",
        &[("name", "%Rao%"), ("sort_field", "mobile")],
    ),
    (
        "`city=Vasco`, by name, `cursor=`",
        &[("city", "Vasco"), ("sort_field", "name"), ("cursor", "")],
    ),
    ("`city=Vasco`, by id", &[("city", "Vasco")]),
    (
        "`city=Canacona` (1 in 2,000), by id",
        &[("city", RARE_CITY)],
    ),
    ("`state=Goa`, by id", &[("state", "Goa")]),
    ("`type=Organisation`, by id", &[("type", "Organisation")]),
    (
        "`city=Vasco`, by name",
        &[("city", "Vasco"), ("sort_field", "name")],
    ),
];

/// A city one customer in 2,000 lives in: its pages in id order read its own index.
const RARE_CITY: &str = "Canacona";

/// An admin's list across every ISP: the shapes measured.
const ACROSS: [(&str, &[(&str, &str)]); 5] = [
    ("page by id", &[]),
    ("page by id, descending", &[("sort_order", "desc")]),
    ("sorted by name", &[("sort_field", "name")]),
    ("cursor page 2, by id", &[("cursor", "")]),
    ("`show_count=1`", &[("show_count", "1")]),
];

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .expect("DYNAMODB_ENDPOINT (make scale-report starts moto)");
    let mut results: HashMap<(usize, usize, usize), Measured> = HashMap::new();
    let mut across: HashMap<(usize, usize), Measured> = HashMap::new();
    let mut last = None;
    for (si, size) in SIZES.into_iter().enumerate() {
        let w = world(&endpoint, size).await;
        let app = App::new(w.store.clone(), &w.settings).unwrap();
        for (ci, (label, sample)) in SCOPES.iter().enumerate() {
            let scope = scope_of(label);
            let (mobile, email, id) = &w.samples[sample];
            let id = id.to_string();
            let (serviceid, username) = &w.services[sample];
            // The `next` of the first name-sorted page, for the cursor shape.
            let (_, next) = measure(&app, scope, &[("sort_field", "name"), ("ispid", "1")]).await;
            let next = next.unwrap_or_default();
            for (hi, (_, shape)) in SHAPES.iter().enumerate() {
                let mut params: Vec<(&str, &str)> = shape
                    .iter()
                    .map(|(k, v)| {
                        let v = match *v {
                            "{mobile}" => mobile.as_str(),
                            "{email}" => email.as_str(),
                            "{id}" => id.as_str(),
                            "{serviceid}" => serviceid.as_str(),
                            "{username}" => username.as_str(),
                            "{next}" => next.as_str(),
                            v => v,
                        };
                        (*k, v)
                    })
                    .collect();
                // Every scope names ispid=1: the admin needs it; for the others it is their own.
                params.push(("ispid", "1"));
                // A fresh instance: no page positions remembered.
                let cold = App::new(w.store.clone(), &w.settings).unwrap();
                let (m, _) = measure(&cold, scope, &params).await;
                eprintln!("{size} {label} {}: {}", SHAPES[hi].0, cell(&m));
                results.insert((si, ci, hi), m);
            }
        }
        // An admin's list across every ISP (1 + OTHER_ISPS), no `ispid`.
        for (ai, (_, shape)) in ACROSS.iter().enumerate() {
            let cold = App::new(w.store.clone(), &w.settings).unwrap();
            // The ISP list is cached per instance, as on a warm one: not counted.
            measure(&cold, Scope::Platform, &[("show_count", "1")]).await;
            let (first, next) = measure(&cold, Scope::Platform, shape).await;
            let m = match ACROSS[ai].0.contains("page 2") {
                true => {
                    let mut p = shape.to_vec();
                    let next = next.unwrap_or_default();
                    p.push(("cursor", next.as_str()));
                    measure(&cold, Scope::Platform, &p).await.0
                }
                false => first,
            };
            eprintln!("{size} admin across ISPs {}: {}", ACROSS[ai].0, cell(&m));
            across.insert((si, ai), m);
        }
        last = Some(w);
    }

    println!("Each cell: DynamoDB calls / items and entries read / read units (rows).");
    println!();
    for (ci, (label, _)) in SCOPES.iter().enumerate() {
        println!("**{label}**");
        println!();
        println!("| request | 2,000 customers | 20,000 customers |");
        println!("|---|---|---|");
        for (hi, (shape, _)) in SHAPES.iter().enumerate() {
            println!(
                "| {shape} | {} | {} |",
                cell(&results[&(0, ci, hi)]),
                cell(&results[&(1, ci, hi)])
            );
        }
        println!();
    }
    projection(&results);
    let isps = 1 + OTHER_ISPS;
    println!(
        "**admin, every ISP** (no `ispid`; {isps} ISPs: ISP 1 as above, {OTHER_ISPS} of \
         {OTHER_CUSTOMERS} customers; allowed: 4 + {isps} calls, 6 + {} units)",
        0.5 * isps as f64
    );
    println!();
    println!("| request | 2,000 customers in ISP 1 | 20,000 customers in ISP 1 |");
    println!("|---|---|---|");
    for (ai, (shape, _)) in ACROSS.iter().enumerate() {
        println!(
            "| {shape} | {} | {} |",
            cell(&across[&(0, ai)]),
            cell(&across[&(1, ai)])
        );
    }
    println!();
    if let Some(w) = last {
        peak_memory(&endpoint, &w).await;
    }
}

/// What each shape would read in an ISP of 1,000,000 customers, from the index layout and
/// the two measured sizes (the ISP user, and the ~30 % reseller whose share grows with the
/// ISP). Three kinds of shape:
/// - bounded by the page, by the months it names or by the distinct names it matches (kept
///   counts; the reports' data has 288 names at every size): what was measured at 20,000,
///   once the page is full there (a cell whose rows differ between the sizes is a page not
///   yet full at 2,000);
/// - a walk of every match (counts by `Select=COUNT`, a walk of the scope for a pattern):
///   linear, `a + b × customers` through the two points;
/// - a created range in id order: the cheaper of its index (M entries of `CREATED_ENTRY`
///   bytes) and the scope in id order (`want × N / M` items of `WHOLE_CUSTOMER` bytes) at M =
///   the range's share of 1,000,000 (`App::plan_range` picks by the same model, with the
///   budget's charges);
/// - a page in its index's order not yet full at 20,000 (a rare value): a full page.
///
/// A refusal at 20,000 is one at 1,000,000 too.
/// Mean sizes of a `by-created` entry (keys and the order keys it carries) and of a whole
/// customer in `make cost-report`'s data set (2026-12-07).
const CREATED_ENTRY: f64 = 186.0;
const WHOLE_CUSTOMER: f64 = 593.0;

fn projection(results: &HashMap<(usize, usize, usize), Measured>) {
    const TARGET: f64 = 1_000_000.0;
    let (lo, hi) = (SIZES[0] as f64, SIZES[1] as f64);
    let budget = 256.0;
    let units = |bytes: f64| (bytes / 4096.0).ceil() * 0.5;
    println!(
        "**Projected to 1,000,000 customers in ISP 1** (entries / read units; over {budget} \
         units the request is refused; see `projection` in examples/scale_report.rs)"
    );
    println!();
    println!("| request | ISP user | ~30 % reseller |");
    println!("|---|---|---|");
    for (si, (shape, params)) in SHAPES.iter().enumerate() {
        let mut cells = Vec::new();
        for ci in [1usize, 3] {
            let text = match (&results[&(0, ci, si)], &results[&(1, ci, si)]) {
                (
                    Measured::Read {
                        rows: rows_a,
                        usage: a,
                    },
                    Measured::Read {
                        rows: rows_b,
                        usage: b,
                    },
                ) => {
                    let walked = |u: &Usage| {
                        (u.items_read + u.counted.iter().map(|(_, n)| n).sum::<u64>()) as f64
                    };
                    let (ea, eb) = (walked(a), walked(b));
                    let (ua, ub) = (a.computed_read_units, b.computed_read_units);
                    let counts = params.iter().any(|(k, _)| *k == "show_count");
                    let kept = counts && (ub - ua).abs() < 0.01;
                    let range_by_id = !counts && params.iter().any(|(k, _)| *k == "created_from");
                    let username = params
                        .iter()
                        .any(|(k, v)| *k == "username" && v.contains('%'));
                    let full = !counts && *rows_b == 10;
                    let months = counts.then(|| months_named(params)).flatten();
                    if let Some(months) = months {
                        // One item a month (four for an ISP) with an attribute a day, once
                        // every day has signups: ≤ ~290 bytes.
                        let items = months * if ci == 1 { 4.0 } else { 1.0 };
                        format!("≤ {items:.0} / ≤ {:.1} (the months)", units(items * 290.0))
                    } else if username && counts {
                        // A count reads every matching service: in proportion to the part.
                        let (entries, u) = (eb * TARGET / hi, ub * TARGET / hi);
                        match u > budget {
                            false => format!("~{entries:.0} / ~{u:.1}"),
                            true => format!("~{entries:.0} / ~{u:.0}: refused (400)"),
                        }
                    } else if username && (ub - ua).abs() >= 0.01 {
                        // A page in id order collects the matching services while an eighth
                        // of the budget pays (~870 of 300 bytes); past that, that eighth and
                        // the walk in customer order, ~11 / share entries of ~80 bytes, and
                        // the page's records.
                        let scope = if ci == 1 { hi } else { hi * 0.3 };
                        let share = ((eb - 11.0).max(1.0) / scope).min(1.0);
                        let m = share * if ci == 1 { TARGET } else { TARGET * 0.3 };
                        let (entries, u) = match m <= 870.0 {
                            true => (m + 10.0, units(m * 300.0) + 5.0),
                            false => (
                                870.0 + 11.0 / share + 10.0,
                                32.0 + units(11.0 / share * 80.0) + 5.0,
                            ),
                        };
                        format!("~{entries:.0} / ~{u:.1}")
                    } else if kept || (full && (ub - ua).abs() < 0.01) || (full && rows_a != rows_b)
                    {
                        format!("{eb:.0} / {ub:.1} (as at 20,000)")
                    } else if rows_a != rows_b && *rows_b < 10 && eb <= 2.0 * (*rows_b as f64 + 1.0)
                    {
                        // A page in its index's order not yet full at 20,000 (a rare value):
                        // a full page at 1,000,000 reads what a full page reads.
                        "≤ 21 / ≤ 5.5 (a page)".to_string()
                    } else if range_by_id {
                        // The range's share of the part, as measured at 20,000.
                        let scope = if ci == 1 { hi } else { hi * 0.3 };
                        let m = (eb - 16.0).max(1.0) / scope;
                        let n = if ci == 1 { TARGET } else { TARGET * 0.3 };
                        let by_index = m * n * CREATED_ENTRY;
                        let by_scope = 11.0 / m * WHOLE_CUSTOMER;
                        let (entries, bytes) = match by_scope < by_index {
                            true => (11.0 / m, by_scope),
                            false => (m * n, by_index),
                        };
                        format!("~{entries:.0} / ~{:.1} + the page and counts", units(bytes))
                    } else {
                        let at = |a: f64, b: f64| a + (b - a) / (hi - lo) * (TARGET - lo);
                        let (entries, u) = (at(ea, eb).max(eb), at(ua, ub).max(ub));
                        match u > budget {
                            false => format!("~{entries:.0} / ~{u:.1}"),
                            true => format!("~{entries:.0} / ~{u:.0}: refused (400)"),
                        }
                    }
                }
                _ => "refused (400)".into(),
            };
            cells.push(text);
        }
        println!("| {shape} | {} | {} |", cells[0], cells[1]);
    }
    println!();
}

/// The number of months a shape's created range touches, if it has both ends.
fn months_named(params: &[(&str, &str)]) -> Option<f64> {
    let month = |name| {
        let (_, v) = params.iter().find(|(k, _)| *k == name)?;
        let d = v.parse::<jiff::civil::Date>().ok()?;
        Some(i32::from(d.year()) * 12 + i32::from(d.month()))
    };
    Some(f64::from(
        month("created_upto")? - month("created_from")? + 1,
    ))
}

/// Peak resident memory (VmHWM) of the real binary after serving the costliest shapes: the
/// local server `customer-api-dev` (the function's app and router, on a multi-threaded
/// runtime: if anything, more than the function holds).
async fn peak_memory(endpoint: &str, w: &World) {
    let bin = std::env::var("CUSTOMER_API_BIN")
        .unwrap_or_else(|_| "target/release/customer-api-dev".into());
    let prefix = w
        .store
        .tables
        .customers
        .trim_end_matches("customers")
        .to_owned();
    let Ok(mut child) = std::process::Command::new(&bin)
        .env("DYNAMODB_ENDPOINT", endpoint)
        .env("TABLE_PREFIX", &prefix)
        .env("BIND_ADDR", "127.0.0.1:3917")
        .env("RUST_LOG", "warn")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdout(std::process::Stdio::null())
        .spawn()
    else {
        println!("Peak memory: {bin} not found (`make scale-report` builds it).");
        return;
    };
    let http = reqwest::Client::new();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let worst: [&[(&str, &str)]; 5] = [
        &[("city", "Vasco"), ("sort_field", "name"), ("cursor", "")],
        &[("name", "%Rao%"), ("sort_field", "mobile")],
        &[("city", "Vasco"), ("show_count", "1")],
        &[("rows_limit", "100"), ("sort_field", "email")],
        &[("rows_limit", "100"), ("rows_offset", "9900")],
    ];
    let mut answers = Vec::new();
    for _ in 0..3 {
        for shape in worst {
            let mut form = vec![("userid", "5"), ("api_key", w.isp_key.as_str())];
            form.extend_from_slice(shape);
            let status = http
                .post("http://127.0.0.1:3917/api/customer/list")
                .form(&form)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            answers.push(status);
        }
    }
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: unknown");
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "Peak memory of `{bin}` after 15 of the costliest requests at 20,000 customers \
         (answers {answers:?}): {}",
        hwm.trim_start_matches("VmHWM:").trim()
    );
}
