//! Read units of the list's request shapes over a standard data set: 20,000 customers,
//! 2 ISPs, 10 resellers. Run with `make cost-report` (a fresh moto); prints a Markdown table.
//!
//! moto reports flat capacity numbers, so units are computed by DynamoDB's rules from the
//! bytes each call returned (see `store::capacity`); `Select=COUNT` pages, which return no
//! items, are charged at the mean size of the entries of their index in this data set.

#[path = "data/customers.rs"]
mod data;
use data::fields;

use aws_sdk_dynamodb::types::AttributeValue;
use isp_crm::admin::{self, NewUser};
use isp_crm::app::App;
use isp_crm::config::Settings;
use isp_crm::domain::customer::CustomerFields;
use isp_crm::domain::ids::{CustomerId, IspId, ResellerId, UserId};
use isp_crm::domain::scope::{Caller, Placement, Role, Scope};
use isp_crm::store::Store;
use isp_crm::store::capacity::{self, Usage, item_size, read_units};
use isp_crm::store::keys::CustomerIndex;
use isp_crm::store::records::CustomerItem;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

const CUSTOMERS: u64 = 20_000;

/// A request's parameters.
type Params<'a> = Vec<(&'a str, &'a str)>;
async fn load(store: &Store) -> HashMap<&'static str, f64> {
    let mut rng = StdRng::seed_from_u64(20_000);
    let today = jiff::civil::date(2026, 11, 27);
    let start: jiff::Timestamp = "2025-11-27T00:00:00Z".parse().unwrap();
    let mut batch = Vec::new();
    // Mean index entry size (keys and projected values) of each index that does not hold
    // items, to price Select=COUNT pages.
    let mut entry_bytes: HashMap<&'static str, (usize, usize)> = HashMap::new();
    for n in 1..=CUSTOMERS {
        let reseller = rng.random_range(1..=10u64);
        let placement = Placement {
            isp: IspId(if reseller <= 5 { 1 } else { 2 }),
            reseller: ResellerId(reseller),
        };
        let f = CustomerFields::parse_create(&fields(&mut rng), today)
            .expect("valid generated customer");
        let at = start
            .checked_add(jiff::SignedDuration::from_secs(
                (n * 365 * 86_400 / CUSTOMERS) as i64,
            ))
            .unwrap();
        let item = CustomerItem::new(
            CustomerId(n),
            placement,
            f,
            isp_crm::domain::audit::rfc3339_seconds(at),
            isp_crm::domain::scope::Actor::Admin,
            &jiff::tz::TimeZone::UTC,
        );
        let av: HashMap<String, AttributeValue> = isp_crm::store::records::to_item(&item).unwrap();
        for index in CustomerIndex::ALL.into_iter().filter(|i| !i.holds_items()) {
            let (pk, sk) = index.key_attrs();
            let entry: HashMap<String, AttributeValue> = av
                .iter()
                .filter(|(k, _)| {
                    [pk, sk, "id"].contains(&k.as_str()) || index.projects().contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let e = entry_bytes.entry(index.name()).or_default();
            e.0 += item_size(&entry);
            e.1 += 1;
        }
        let full = entry_bytes.entry("by-reseller").or_default();
        full.0 += item_size(&av);
        full.1 += 1;
        batch.push(av);
        if batch.len() == 25 || n == CUSTOMERS {
            data::write_items(store, std::mem::take(&mut batch)).await;
        }
    }
    entry_bytes.insert("by-isp", entry_bytes["by-reseller"]);
    entry_bytes
        .into_iter()
        .map(|(k, (bytes, count))| (k, bytes as f64 / count as f64))
        .collect()
}

struct Shape {
    label: String,
    usage: Usage,
    rows: usize,
}

/// Read units of a request, with `Select=COUNT` pages priced at the mean entry size of their
/// index in this data set rather than at the product's conservative estimate.
fn units(usage: &Usage, mean_entry: &HashMap<&'static str, f64>) -> f64 {
    let (estimated, measured): (f64, f64) = usage
        .counted
        .iter()
        .map(|(index, scanned)| {
            let estimate = CustomerIndex::ALL
                .iter()
                .find(|i| i.name() == *index)
                .map_or(100, |i| i.entry_bytes());
            let mean = mean_entry.get(index).copied().unwrap_or(400.0);
            (
                read_units((scanned * estimate) as usize),
                read_units((*scanned as f64 * mean) as usize),
            )
        })
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    usage.computed_read_units - estimated + measured
}

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .expect("DYNAMODB_ENDPOINT (make cost-report starts moto)");
    let prefix = format!("cost{}-", std::process::id());
    let (settings, store) = data::fresh_tables(&endpoint, &prefix, &[]).await;
    platform(&store).await;
    eprintln!("loading {CUSTOMERS} customers…");
    let mean_entry = load(&store).await;
    // The data set was written directly: new ids continue after it, as an import does.
    admin::raise_customer_ids(&store, CUSTOMERS).await.unwrap();
    // Written without transactions: the counts are rebuilt as `crm-admin counters rebuild` does.
    admin::rebuild_counts(&store, None).await.unwrap();

    let new_app = || App::new(store.clone(), &settings).unwrap();
    let mut shapes = request_shapes(&store, new_app).await;
    shapes.extend(paged_shapes(new_app).await);
    print_shapes(&shapes, &mean_entry);
    operations(&store, &settings, &mean_entry).await;
}

/// ISPs 1 and 2, resellers 1-5 of ISP 1 and 6-10 of ISP 2, and ISP 1's user 5.
async fn platform(store: &Store) {
    for isp in [1, 2] {
        admin::create_isp(store, IspId(isp), "ISP").await.unwrap();
    }
    for r in 1..=10 {
        admin::create_reseller(
            store,
            IspId(if r <= 5 { 1 } else { 2 }),
            ResellerId(r),
            "Reseller",
        )
        .await
        .unwrap();
    }
    admin::create_user(
        store,
        NewUser {
            userid: UserId(5),
            role: Role::Isp,
            isp: Some(IspId(1)),
            reseller: None,
            api_key: None,
        },
    )
    .await
    .unwrap();
}

/// ISP 1's user 5.
fn isp_user() -> Caller {
    Caller {
        userid: UserId(5),
        role: Role::Isp,
        scope: Scope::Isp(IspId(1)),
    }
}

/// A user of reseller 3 (ISP 1).
fn reseller_user() -> Caller {
    Caller {
        userid: UserId(7),
        role: Role::Reseller,
        scope: Scope::Reseller {
            isp: IspId(1),
            reseller: ResellerId(3),
        },
    }
}

/// A list as `caller`: its rows (or count) and what it read.
async fn measure(app: &App, caller: &Caller, params: &[(&str, &str)]) -> (usize, Usage) {
    let f: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (out, usage) = capacity::measure(app.list_customers(caller, &f)).await;
    let rows = match out.expect("list") {
        isp_crm::app::ListOutcome::Rows { rows, .. } => rows.len(),
        isp_crm::app::ListOutcome::Count(n) => n as usize,
        isp_crm::app::ListOutcome::Deleted { rows, .. } => rows.len(),
    };
    (rows, usage)
}

/// Each list shape once, on a fresh (cold) instance.
async fn request_shapes(store: &Store, new_app: impl Fn() -> App) -> Vec<Shape> {
    let (isp_user, reseller_user) = (isp_user(), reseller_user());
    let mut shapes = Vec::new();
    let shapes_spec: Vec<(&str, Caller, Params)> = vec![
        (
            "unfiltered page by id (10 rows), ISP scope",
            isp_user,
            vec![],
        ),
        (
            "unfiltered page by id (10 rows), reseller scope",
            reseller_user,
            vec![],
        ),
        (
            "name prefix `Ana%`, sorted by name",
            isp_user,
            vec![("name", "Ana%"), ("sort_field", "name")],
        ),
        (
            "name `%Rao` (no prefix), sorted by id",
            isp_user,
            vec![("name", "%Rao")],
        ),
        (
            "sorted by name, no filter",
            isp_user,
            vec![("sort_field", "name")],
        ),
        (
            "by mobile (one match)",
            isp_user,
            vec![("mobile", "PLACEHOLDER_MOBILE")],
        ),
        ("by zipcode `403007`", isp_user, vec![("zipcode", "403007")]),
        (
            "by created range (one week)",
            isp_user,
            vec![
                ("created_from", "2026-03-01"),
                ("created_upto", "2026-03-07"),
            ],
        ),
        ("city = Panaji, by id", isp_user, vec![("city", "Panaji")]),
        (
            "city = Panaji, sorted by name",
            isp_user,
            vec![("city", "Panaji"), ("sort_field", "name")],
        ),
        (
            "`type=Organisation`, sorted by email",
            isp_user,
            vec![("type", "Organisation"), ("sort_field", "email")],
        ),
        (
            "`rows_offset=100`, cold",
            isp_user,
            vec![("rows_offset", "100")],
        ),
        (
            "`rows_offset=1000`, cold",
            isp_user,
            vec![("rows_offset", "1000")],
        ),
        (
            "`rows_offset=1000` sorted by name, cold",
            isp_user,
            vec![("rows_offset", "1000"), ("sort_field", "name")],
        ),
        (
            "`show_count=1`, reseller",
            reseller_user,
            vec![("show_count", "1")],
        ),
        ("`show_count=1`, ISP", isp_user, vec![("show_count", "1")]),
        (
            "`show_count=1`, name prefix `Ana%`",
            isp_user,
            vec![("show_count", "1"), ("name", "Ana%")],
        ),
    ];
    // A mobile that exists: customer 4242's.
    let mobile = store
        .get_customer(CustomerId(4242))
        .await
        .unwrap()
        .unwrap()
        .mobile;
    for (label, caller, params) in shapes_spec {
        let params: Vec<(&str, &str)> = params
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    if v == "PLACEHOLDER_MOBILE" {
                        mobile.as_str()
                    } else {
                        v
                    },
                )
            })
            .collect();
        let (rows, usage) = measure(&new_app(), &caller, &params).await;
        shapes.push(Shape {
            label: label.to_owned(),
            usage,
            rows,
        });
    }
    shapes
}

/// Pages reached by paging forward on a warm instance, and a cursor page.
async fn paged_shapes(new_app: impl Fn() -> App) -> Vec<Shape> {
    let isp_user = isp_user();
    let mut shapes = Vec::new();
    // Paged forward on one warm instance: offsets 0, 10, …; the figure is the last page's.
    for (target, sort) in [(100u32, "id"), (1000, "id"), (1000, "name")] {
        let app = new_app();
        let mut last = None;
        for offset in (0..=target).step_by(10) {
            let o = offset.to_string();
            last = Some(
                measure(
                    &app,
                    &isp_user,
                    &[("rows_offset", &o), ("sort_field", sort)],
                )
                .await,
            );
        }
        let (rows, usage) = last.unwrap();
        shapes.push(Shape {
            label: format!("`rows_offset={target}` sorted by {sort}, paged forward (warm)"),
            usage,
            rows,
        });
    }
    // A cursor page: the page after the first, by its `next` cursor.
    let app = new_app();
    let f: HashMap<String, String> = HashMap::from([("sort_field".into(), "name".into())]);
    let next = match app.list_customers(&isp_user, &f).await.unwrap() {
        isp_crm::app::ListOutcome::Rows { next, .. } => next.unwrap(),
        _ => unreachable!(),
    };
    let (rows, usage) = measure(
        &app,
        &isp_user,
        &[("sort_field", "name"), ("cursor", &next)],
    )
    .await;
    shapes.push(Shape {
        label: "cursor page (sorted by name)".into(),
        usage,
        rows,
    });
    shapes
}

fn print_shapes(shapes: &[Shape], mean_entry: &HashMap<&'static str, f64>) {
    println!(
        "| request (ISP 1 holds ~10,000 customers, a reseller ~2,000) | DynamoDB calls | items/entries read | rows | read units |"
    );
    println!("|---|---|---|---|---|");
    for s in shapes {
        let walked: u64 = s.usage.items_read + s.usage.counted.iter().map(|(_, n)| n).sum::<u64>();
        println!(
            "| {} | {} | {} | {} | {:.1} |",
            s.label,
            s.usage.calls,
            walked,
            s.rows,
            units(&s.usage, mean_entry)
        );
    }
    let mut sizes: Vec<_> = mean_entry.iter().collect();
    sizes.sort_by(|a, b| a.0.cmp(b.0));
    println!();
    println!(
        "Mean sizes in this data set: {}",
        sizes
            .iter()
            .map(|(k, v)| format!("{k} {v:.0} B"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Write units by DynamoDB's rules (1 per started KB, for the table and each index written):
/// the two ALL indexes hold the item; the ten keys-only ones (five of an ISP, their five
/// reseller twins) hold small entries (1 unit each).
fn kb(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

const ALL_INDEXES: f64 = 2.0;
/// The indexes that hold keys and a few values, and the two keys-only id twins
/// (`keys::IDS_BY_ISP`, `IDS_BY_RESELLER`): every create and delete writes an entry in each.
const KEY_INDEXES: f64 = (CustomerIndex::ALL.len() - 2 + 2) as f64;

/// How many of those carry `attr` beside their keys: an update of it rewrites their entries.
fn carrying(attr: &str) -> f64 {
    CustomerIndex::ALL
        .iter()
        .filter(|i| i.projects().contains(&attr))
        .count() as f64
}
/// The count items of every create and delete transaction, each written transactionally (2
/// units): the ISP's and the reseller's totals (types ride in them), one item per counted
/// facet (state, city, zipcode: both scopes in one), the ISP's and the reseller's day and
/// name; and the two name items' entries in `names-by-scope` (1 each).
const COUNT_ITEMS: f64 = 2.0 * 9.0 + NAME_ENTRIES;
const NAME_ENTRIES: f64 = 2.0;
/// A rename's or a delete's conditional deletes of the former name's two items (1 each)
/// and, when they count nobody, of their index entries (1 each).
const NAME_DROPS: f64 = 2.0 + NAME_ENTRIES;
/// The services table's indexes: the service list's four hold whole items, the two
/// customer-ordered ones its keys and username (`by-isp-customer`, `by-reseller-customer`).
const SERVICE_INDEXES: f64 = 6.0;
const SERVICE_WHOLE_INDEXES: f64 = 4.0;

/// What one history entry of `bytes` costs its write (HISTORY_DAYS, on by default): its put
/// in the write's transaction (2 a KB) and its entry in `history-by-customer` (ALL, 1 a KB).
fn history(bytes: usize) -> f64 {
    3.0 * kb(bytes)
}

/// The size of each stored history entry of customer `id`, newest first.
async fn history_bytes(store: &Store, id: u64) -> Vec<usize> {
    let (index, (pk, _)) = isp_crm::store::keys::history::BY_CUSTOMER;
    let out = store
        .client
        .query()
        .table_name(&store.tables.claims)
        .index_name(index)
        .key_condition_expression("#pk = :id")
        .expression_attribute_names("#pk", pk)
        .expression_attribute_values(":id", AttributeValue::N(id.to_string()))
        .scan_index_forward(false)
        .send()
        .await
        .unwrap();
    out.items().iter().map(item_size).collect()
}

/// The newest history entry's size of customer `id`.
async fn newest_entry(store: &Store, id: u64) -> usize {
    history_bytes(store, id).await.first().copied().unwrap_or(0)
}

/// On-demand prices of the issue: per million write and read request units, per million HTTP
/// API requests, Lambda arm64 per GB-second and per million requests.
const WRITE_PRICE: f64 = 0.625;
const READ_PRICE: f64 = 0.125;
const HTTP_API_PRICE: f64 = 1.00;
const LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
const LAMBDA_REQUEST_PRICE: f64 = 0.20;
const MEMORY_GB: f64 = 0.5;

struct Op {
    label: &'static str,
    calls: u32,
    read_units: f64,
    write_units: f64,
    ms: f64,
}

async fn timed<F, Fut, T>(runs: usize, mut f: F) -> (Usage, f64)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = T>,
{
    let mut times = Vec::new();
    let mut usage = Usage::default();
    for n in 0..runs {
        let started = std::time::Instant::now();
        let (_, u) = capacity::measure(f(n)).await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        usage = u;
    }
    times.sort_by(f64::total_cmp);
    (usage, times[times.len() / 2])
}

/// What each operation reads and writes, and how long it takes here: authentication, customer
/// and service writes, a few lists.
async fn operations(store: &Store, settings: &Settings, mean_entry: &HashMap<&'static str, f64>) {
    let app = App::new(store.clone(), settings).unwrap();
    let item_bytes = {
        let item = store.get_customer(CustomerId(4242)).await.unwrap().unwrap();
        let av: HashMap<String, AttributeValue> = isp_crm::store::records::to_item(&item).unwrap();
        item_size(&av)
    };
    let mut ops = authentication(store, settings, &app).await;
    ops.extend(customer_writes(store, settings, &app, item_bytes).await);
    ops.extend(service_writes(store, &app, item_bytes).await);
    ops.extend(history_reads_and_erase(store, &app, item_bytes).await);
    ops.extend(lists(store, &app, mean_entry).await);
    print_operations(ops, item_bytes);
}

/// The runs of each operation; its figure is their median.
const RUNS: usize = 21;

/// A use case's parameters.
/// Times `RUNS` updates of one field as ISP 1's user, run `n` setting customer `ids[n]`'s
/// `field` to `value(n)`.
async fn timed_updates(
    app: &App,
    ids: &[CustomerId],
    field: &str,
    value: impl Fn(usize) -> String,
) -> (Usage, f64) {
    let isp_user = isp_user();
    timed(RUNS, |n| {
        let f = form(&[("customerid", &ids[n].to_string()), (field, &value(n))]);
        let isp_user = &isp_user;
        async move { app.update_customer(isp_user, &f).await }
    })
    .await
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A customer create of ISP 1's reseller 1, named by `tag` and `n`: each run creates another
/// customer, as identical creates would be answered by the duplicate guard (its own row).
fn named(n: usize, tag: &str) -> HashMap<String, String> {
    let mut f = form(&[
        ("resellerid", "1"),
        ("type", "Individual"),
        ("name", "Some Name"),
        ("mobile", "12344444"),
        ("email", "abc@email.com"),
        ("zipcode", "12345"),
        ("state", "Goa"),
        ("city", "Panaji"),
        ("street", "3rd street"),
    ]);
    f.insert("name".into(), format!("Cost {tag} {n}"));
    f
}

/// Authentication: a fresh instance each run (cold), then one warm instance (cached).
async fn authentication(store: &Store, settings: &Settings, app: &App) -> Vec<Op> {
    let key = admin::rotate_key(store, UserId(5)).await.unwrap();
    let key = key.expose().to_owned();
    let mut ops = Vec::new();
    let (u, ms) = timed(RUNS, |_| {
        let app = App::new(store.clone(), settings).unwrap();
        let key = key.clone();
        async move { app.authenticate(Some("5"), Some(&key)).await.map(|_| ()) }
    })
    .await;
    ops.push(Op {
        label: "authentication, not cached",
        calls: u.calls,
        read_units: u.computed_read_units,
        write_units: 0.0,
        ms,
    });
    let (u, ms) = timed(RUNS, |_| app.authenticate(Some("5"), Some(&key))).await;
    ops.push(Op {
        label: "authentication, cached",
        calls: u.calls,
        read_units: u.computed_read_units,
        write_units: 0.0,
        ms,
    });
    ops
}

/// Customer creates (guarded, answered from a claim, unguarded), updates and deletes.
async fn customer_writes(
    store: &Store,
    settings: &Settings,
    app: &App,
    item_bytes: usize,
) -> Vec<Op> {
    let isp_user = isp_user();
    let mut ops = Vec::new();
    let mut created = Vec::new();
    let (u, ms) = timed(RUNS, |n| {
        let f = named(n, "guarded");
        async move { app.create_customer(&isp_user, &f).await }
    })
    .await;
    for n in 0..RUNS {
        let f = named(n, "kept");
        created.push(app.create_customer(&isp_user, &f).await.unwrap().id);
    }
    let created_entry = newest_entry(store, created[0].get()).await;
    eprintln!("history entries: a create's {created_entry} bytes");
    // A transaction writes each item twice; the claim item is well under 1 KB.
    ops.push(Op {
        label: "create (duplicate guard on: the default)",
        calls: u.calls,
        // The claim is read strongly consistent, and finds nothing: 1 unit all the same.
        read_units: 1.0,
        write_units: 1.0
            + 2.0 * kb(item_bytes)
            + 2.0
            + kb(item_bytes) * ALL_INDEXES
            + KEY_INDEXES
            + COUNT_ITEMS
            + history(created_entry),
        ms,
    });
    let (u, ms) = timed(RUNS, |_| {
        let f = named(0, "guarded");
        async move { app.create_customer(&isp_user, &f).await }
    })
    .await;
    ops.push(Op {
        label: "create answered from its claim (a re-sent webhook)",
        calls: u.calls,
        // The claim, then whether its customer still exists (both strongly consistent).
        read_units: 2.0,
        write_units: 0.0,
        ms,
    });
    let unguarded = {
        let mut s = settings.clone();
        s.duplicate_window = std::time::Duration::ZERO;
        App::new(store.clone(), &s).unwrap()
    };
    let (u, ms) = timed(RUNS, |n| {
        let f = named(n, "unguarded");
        let app = &unguarded;
        async move { app.create_customer(&isp_user, &f).await }
    })
    .await;
    ops.push(Op {
        label: "create, no key, guard off",
        calls: u.calls,
        read_units: u.computed_read_units,
        // Still a transaction: the counts change with the record.
        write_units: 1.0
            + kb(item_bytes) * (2.0 + ALL_INDEXES)
            + KEY_INDEXES
            + COUNT_ITEMS
            + history(created_entry),
        ms,
    });
    let (u, ms) = timed_updates(app, &created, "street", |_| "2nd street".into()).await;
    let updated_entry = newest_entry(store, created[0].get()).await;
    eprintln!("history entries: an update of one field {updated_entry} bytes");
    // With the history, an update reads the record (strongly consistent) and is one
    // transaction (the record 2 a KB) with its entry, on condition that its fields are as read.
    ops.push(Op {
        label: "update, no index key (street)",
        calls: u.calls,
        read_units: 1.0,
        write_units: kb(item_bytes) * (2.0 + ALL_INDEXES) + history(updated_entry),
        ms,
    });
    let (u, ms) = timed_updates(app, &created, "mobile", |n| format!("98{n:08}")).await;
    ops.push(Op {
        label: "update of an index key (mobile)",
        calls: u.calls,
        read_units: 1.0,
        // The entry moves (delete + put) in `by-mobile` and in `by-reseller-mobile`; the
        // filter indexes carry `mobile_key`: their entries are rewritten.
        write_units: kb(item_bytes) * (2.0 + ALL_INDEXES)
            + 4.0
            + carrying("mobile_key")
            + history(updated_entry),
        ms,
    });
    let (u, ms) = timed_updates(app, &created, "name", |n| format!("Renamed {n}")).await;
    let renamed_entry = newest_entry(store, created[0].get()).await;
    ops.push(Op {
        label: "update of the name",
        calls: u.calls,
        read_units: 1.0,
        // As a mobile's, and its counts move: the old and the new name's items in both parts
        // (2 each in the transaction) and their entries in `names-by-scope`; then the old
        // name's items, counting nobody, deleted.
        write_units: kb(item_bytes) * (2.0 + ALL_INDEXES)
            + 4.0
            + carrying("name_key")
            + 2.0 * (4.0 + NAME_ENTRIES)
            + NAME_DROPS
            + history(renamed_entry),
        ms,
    });
    let city = |n: usize| {
        if n.is_multiple_of(2) {
            "Vasco"
        } else {
            "Margao"
        }
        .to_owned()
    };
    let (u, ms) = timed_updates(app, &created, "city", city).await;
    ops.push(Op {
        label: "update of a counted field (city)",
        calls: u.calls,
        // The record is read first (strongly consistent): its counts move with it.
        read_units: 1.0,
        // A transaction: the record (2 a KB) and its two ALL indexes, the old and the new
        // city's count item (2 each); the entry moves in `by-city` and its twin, and the
        // order indexes, which carry the city, rewrite theirs.
        write_units: kb(item_bytes) * (2.0 + ALL_INDEXES)
            + 4.0
            + 4.0
            + carrying("city")
            + history(updated_entry),
        ms,
    });
    let (u, ms) = timed(RUNS, |n| {
        let f = form(&[("customerid", &created[n].to_string())]);
        async move { app.delete_customer(&isp_user, &f).await }
    })
    .await;
    // Its restorable copy (RESTORE_DAYS, the default 30): the item and ~60 bytes of its own,
    // put in the transaction (2 a KB) and in its two ALL indexes of the claims table.
    let copy = kb(item_bytes + 60) * (2.0 + 2.0);
    // A delete's, a restore's entry: who and when, no values.
    let bare_entry = newest_entry(store, created[0].get()).await;
    eprintln!("history entries: a delete's {bare_entry} bytes");
    ops.push(Op {
        label: "delete (restorable; within its create's duplicate window)",
        calls: u.calls,
        // The record is read first (strongly consistent) for the counts it is part of.
        read_units: 1.0,
        // The guard claim of its create, still live, is deleted in the transaction (2); then
        // its name's items, when they count nobody.
        write_units: kb(item_bytes) * (2.0 + ALL_INDEXES)
            + KEY_INDEXES
            + COUNT_ITEMS
            + copy
            + 2.0
            + NAME_DROPS
            + history(bare_entry),
        ms,
    });
    let (u, ms) = timed(RUNS, |_| {
        let f = form(&[("deleted", "1")]);
        async move { app.list_customers(&isp_user, &f).await }
    })
    .await;
    ops.push(Op {
        label: "list with deleted=1 (a page of 10 copies)",
        calls: u.calls,
        // 11 copies (a page and one), eventually consistent.
        read_units: ((11 * (item_bytes + 60)).div_ceil(4096) as f64) * 0.5,
        write_units: 0.0,
        ms,
    });
    let (u, ms) = timed(RUNS, |n| {
        let f = form(&[("customerid", &created[n].to_string())]);
        async move { app.restore_customer(&isp_user, &f).await }
    })
    .await;
    ops.push(Op {
        label: "restore (within its create's duplicate window)",
        calls: u.calls,
        // The copy is read first (strongly consistent).
        read_units: 1.0,
        // What the delete removed comes back, the copy goes, the guard claim is put again.
        write_units: kb(item_bytes) * (2.0 + ALL_INDEXES)
            + KEY_INDEXES
            + COUNT_ITEMS
            + copy
            + 2.0
            + history(bare_entry),
        ms,
    });
    ops
}

/// Services of new customers: the customer's service_count changes in the same transaction,
/// which rewrites its two ALL indexes. Service items are ~250 bytes (1 KB).
async fn service_writes(store: &Store, app: &App, item_bytes: usize) -> Vec<Op> {
    let isp_user = isp_user();
    let mut ops = Vec::new();
    let mut owners = Vec::new();
    for n in 0..RUNS {
        let f = named(n, "with services");
        owners.push(app.create_customer(&isp_user, &f).await.unwrap().id);
    }
    let service = |n: usize| {
        form(&[
            ("customerid", &owners[n].to_string()),
            ("username", &format!("cost.user{n}")),
            ("plan", "Fiber 100M"),
        ])
    };
    let mut services = Vec::new();
    let (u, ms) = timed(RUNS, |n| {
        let f = service(n);
        async move { app.create_service(&isp_user, &f).await }
    })
    .await;
    for n in 0..RUNS {
        // Answered by the guard with the id created above.
        services.push(app.create_service(&isp_user, &service(n)).await.unwrap().id);
    }
    let created_entry = newest_entry(store, owners[0].get()).await;
    eprintln!("history entries: a service create's {created_entry} bytes");
    ops.push(Op {
        label: "service create (guard on)",
        calls: u.calls,
        // The claim and the customer, both strongly consistent.
        read_units: 2.0,
        write_units: 1.0
            + 2.0 * kb(item_bytes)
            + 2.0
            + 2.0
            + 2.0
            + SERVICE_INDEXES
            + kb(item_bytes) * ALL_INDEXES
            + history(created_entry),
        ms,
    });
    let (u, ms) = timed(RUNS, |n| {
        let f = form(&[
            ("serviceid", &services[n].to_string()),
            ("status", "Active"),
        ]);
        async move { app.update_service(&isp_user, &f).await }
    })
    .await;
    let updated_entry = newest_entry(store, owners[0].get()).await;
    eprintln!("history entries: a service update's {updated_entry} bytes");
    ops.push(Op {
        label: "service update (status)",
        calls: u.calls,
        read_units: 1.0,
        // With its history entry, a transaction: the service 2; the customer-ordered
        // entries hold no status.
        write_units: 2.0 + SERVICE_WHOLE_INDEXES + history(updated_entry),
        ms,
    });
    let (u, ms) = timed(RUNS, |n| {
        let f = form(&[
            ("serviceid", &services[n].to_string()),
            ("username", &format!("renamed.user{n}")),
        ]);
        async move { app.update_service(&isp_user, &f).await }
    })
    .await;
    ops.push(Op {
        label: "service update (username)",
        calls: u.calls,
        read_units: 1.0,
        // The update (2), both claims (2 + 2); by-username's entry moves (delete + put), the
        // three id-ordered and the two customer-ordered entries are rewritten.
        write_units: 2.0 + 2.0 + 2.0 + 2.0 + (SERVICE_INDEXES - 1.0) + history(updated_entry),
        ms,
    });
    let (u, ms) = timed(RUNS, |n| {
        let f = form(&[("serviceid", &services[n].to_string())]);
        async move { app.delete_service(&isp_user, &f).await }
    })
    .await;
    ops.push(Op {
        label: "service delete",
        calls: u.calls,
        read_units: 1.0,
        write_units: 2.0
            + 2.0
            + 2.0 * kb(item_bytes)
            + SERVICE_INDEXES
            + kb(item_bytes) * ALL_INDEXES
            + history(newest_entry(store, owners[0].get()).await),
        ms,
    });
    ops
}

/// A page of a customer's history, and the erase of a customer with one: each run's customer
/// is created and updated three times first.
async fn history_reads_and_erase(store: &Store, app: &App, item_bytes: usize) -> Vec<Op> {
    let isp_user = isp_user();
    let mut ops = Vec::new();
    let mut ids = Vec::new();
    for n in 0..RUNS {
        let id = app
            .create_customer(&isp_user, &named(n, "history"))
            .await
            .unwrap()
            .id;
        for note in ["one", "two", "three"] {
            let f = form(&[("customerid", &id.to_string()), ("notes", note)]);
            app.update_customer(&isp_user, &f).await.unwrap();
        }
        ids.push(id);
    }
    let long = ids[0].to_string();
    for n in 0..8 {
        let f = form(&[("customerid", &long), ("street", &format!("{n} Long Road"))]);
        app.update_customer(&isp_user, &f).await.unwrap();
    }
    let entries = history_bytes(store, ids[0].get()).await;
    let (u, ms) = timed(RUNS, |_| {
        let f = form(&[("customerid", &long)]);
        async move { app.customer_history(&isp_user, &f).await }
    })
    .await;
    ops.push(Op {
        label: "customer/history, a page of 10 (of 12 entries)",
        calls: u.calls,
        // One Query, eventually consistent: a page and one; then the customer's history key
        // (a GetItem of its record, eventually consistent).
        read_units: (entries.iter().take(11).sum::<usize>().div_ceil(4096) as f64) * 0.5
            + (item_bytes.div_ceil(4096).max(1) as f64) * 0.5,
        write_units: 0.0,
        ms,
    });
    let (u, ms) = timed(RUNS, |n| {
        let f = form(&[("customerid", &ids[n].to_string())]);
        async move { app.erase_customer(&isp_user, &f).await }
    })
    .await;
    let held = history_bytes(store, ids[1].get()).await;
    ops.push(Op {
        label: "customer/erase, live, no services, 4 history entries",
        calls: u.calls,
        // The stub check, the customer, the copy (absent), its services (none), its guard
        // claim (strongly consistent: 1.0 each, 0.5 the Query), then the history's Query.
        read_units: 1.0 + 1.0 + 1.0 + 0.5 + 1.0 + 0.5,
        // The stub (2), its index entries removed, its counts, the guard claim (2), the stub's
        // delete (2), three facet and two name deletes (and the names' index entries, once
        // they count nobody); each entry rewritten without values and its index entry with it.
        write_units: 2.0
            + kb(item_bytes) * ALL_INDEXES
            + KEY_INDEXES
            + COUNT_ITEMS
            + 2.0
            + 2.0
            + 3.0
            + NAME_DROPS
            + held.iter().map(|b| 2.0 * kb(*b)).sum::<f64>(),
        ms,
    });
    ops
}

/// A few lists, on a warm instance.
async fn lists(store: &Store, app: &App, mean_entry: &HashMap<&'static str, f64>) -> Vec<Op> {
    let isp_user = isp_user();
    let mut ops = Vec::new();
    let mobile = store
        .get_customer(CustomerId(4242))
        .await
        .unwrap()
        .unwrap()
        .mobile;
    let lists: Vec<(&'static str, HashMap<String, String>)> = vec![
        ("list: page of 10 by id", form(&[])),
        ("list: by mobile", form(&[("mobile", &mobile)])),
        (
            "list: page of 10 sorted by name",
            form(&[("sort_field", "name")]),
        ),
        ("list: show_count of the ISP", form(&[("show_count", "1")])),
    ];
    for (label, f) in &lists {
        let (u, ms) = timed(RUNS, |_| app.list_customers(&isp_user, f)).await;
        ops.push(Op {
            label,
            calls: u.calls,
            read_units: units(&u, mean_entry),
            write_units: 0.0,
            ms,
        });
    }
    ops
}

fn print_operations(ops: Vec<Op>, item_bytes: usize) {
    println!();
    println!(
        "| operation | DynamoDB calls | read units | write units | ms here (vs moto) | ms modelled on AWS | DynamoDB $/M | HTTP API $/M | Lambda $/M | total $/M | total through a function URL $/M |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for op in ops {
        let dynamo = op.read_units * READ_PRICE + op.write_units * WRITE_PRICE;
        // moto answers a GSI query by scanning every item in Python, so its latency says
        // nothing about AWS: Lambda is priced at 1 ms of in-process work (see the benches)
        // plus 4 ms per DynamoDB round trip, a typical in-region figure.
        let modelled_ms = 1.0 + 4.0 * f64::from(op.calls);
        let billed_ms = modelled_ms.ceil();
        let lambda = LAMBDA_REQUEST_PRICE + billed_ms / 1000.0 * MEMORY_GB * LAMBDA_GB_SECOND * 1e6;
        println!(
            "| {} | {} | {:.1} | {:.0} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            op.label,
            op.calls,
            op.read_units,
            op.write_units,
            op.ms,
            modelled_ms,
            dynamo,
            HTTP_API_PRICE,
            lambda,
            dynamo + HTTP_API_PRICE + lambda,
            // A Lambda function URL has no per-request price of its own.
            dynamo + lambda
        );
    }
    println!();
    println!(
        "Item size in this data set: {item_bytes} B. Lambda: arm64, {} MB, billed per started ms of the modelled duration.",
        (MEMORY_GB * 1024.0) as u32
    );
}
