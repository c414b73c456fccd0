//! In-process work of a request, DynamoDB excluded. `make bench`; results in docs/performance.md.
//!
//! | bench                     | what one iteration does                                             |
//! |---------------------------|---------------------------------------------------------------------|
//! | `parse create body/*`     | `Params::from_body` on the spec's create example (form, JSON or multipart, with its Content-Type), then `CustomerFields::parse_create` |
//! | `authenticate (warm)`     | `App::authenticate(Some("5"), Some(key))` answered from the warm cache (SHA-256 of the key, cache lookup, constant-time compare) |
//! | `validate/*`              | `CustomerFields::parse_create` on parsed `Params`; `ListRequest::parse` of a list with several filters |
//! | `plan list/*`             | `planner::plan(Part::Isp(IspId(1)), &filters, sort)` for a few request shapes |
//! | `create item/*`           | `CustomerItem::new` (fields cloned, as `create_customer` does), and `records::to_item` of it: the item a create puts |
//! | `profiled delivery/*`     | a profiled form key's delivery before today's create: the tool's body read (JSON, or Jotform's multipart), its signature checked (Typeform, Tally: HMAC-SHA256 of the body), the map applied, the submission id taken, `parse_mapped` (the fixtures of tests/signup) |
//! | `create, warm, in process`| everything a warm create does besides its two DynamoDB calls: body → `Params`, warm authentication, placement, fields, timestamps, `CustomerItem`, `to_item`, the JSON answer |
//! | `serialise a 100-customer page` | what the list route sends: the rows serialised once (`to_raw_value`), in `http::Envelope` with a `next` cursor, `serde_json::to_vec` |
//! | `…, through serde_json::Value (before)` | the same bytes via `json!(rows)`, as the route did before (checked equal) |
//!
//! The benches that need an `App` (warm authentication, whole create) read `DYNAMODB_ENDPOINT`
//! (`make bench` starts moto), create tables with a unique prefix and seed ISP 1, reseller 1
//! and user 5 with the spec's key, as tests/common does. The cache is primed with one real
//! read; then the users table is deleted, so a cache miss would fail loudly instead of
//! quietly measuring a DynamoDB round trip. Without `DYNAMODB_ENDPOINT` those benches are
//! skipped and the others run. `cargo bench` uses the release profile (opt-level "s", LTO),
//! the one the Lambda binary is built with.

use aws_sdk_dynamodb::types::AttributeValue;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue};
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use isp_crm::admin::{self, NewUser};
use isp_crm::app::App;
use isp_crm::app::cursor::{CursorSeal, fingerprint};
use isp_crm::app::planner::{self, Part};
use isp_crm::app::replay::fingerprint as request_fingerprint;
use isp_crm::app::signup::map_delivery;
use isp_crm::config::{self, Settings};
use isp_crm::domain::Fields;
use isp_crm::domain::audit::rfc3339_seconds;
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::customer::{Customer, CustomerFields};
use isp_crm::domain::ids::{CustomerId, IspId, ResellerId, UserId};
use isp_crm::domain::list::{Filters, ListRequest, SortField};
use isp_crm::domain::scope::{Actor, Placement, PlacementRequest, Role, Scope};
use isp_crm::domain::signup::{
    Delivery, FieldMap, FormSetup, Profile, SigningSecret, Submission, parse_mapped,
};
use isp_crm::http::Envelope;
use isp_crm::http::Params;
use isp_crm::store::records::{ClaimItem, CustomerItem};
use isp_crm::store::schema::TEMPLATE;
use isp_crm::store::{Store, Tables, keys};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::json;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::runtime::Runtime;

/// The spec's example key, user 5's.
const SPEC_KEY: &str = "0f9895fb407c83e5ea128082098b47681aa75d6944576423c4";

/// The spec's create example, as curl `-d` sends it.
const CREATE_FORM: &str = "userid=5&api_key=0f9895fb407c83e5ea128082098b47681aa75d6944576423c4\
    &resellerid=1&type=Individual&name=Some+Name&mobile=12344444&email=abc%40email.com\
    &zipcode=12345&state=Goa&city=Panaji&street=3rd+street";

const CREATE_JSON: &str = r#"{"userid":5,"api_key":"0f9895fb407c83e5ea128082098b47681aa75d6944576423c4","resellerid":1,"type":"Individual","name":"Some Name","mobile":"12344444","email":"abc@email.com","zipcode":"12345","state":"Goa","city":"Panaji","street":"3rd street"}"#;

/// A list with several filters: a name prefix, type, state, city and a created range,
/// sorted by name, a full page.
const LIST_FORM: &str = "userid=5&api_key=0f9895fb407c83e5ea128082098b47681aa75d6944576423c4\
    &name=some%25&type=Individual&state=Goa&city=Panaji\
    &created_from=2026-01-01&created_upto=2026-11-27\
    &sort_field=name&sort_order=desc&rows_limit=100&show_count=0";

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

fn headers(content_type: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type).expect("content type"),
    );
    h
}

fn form_headers() -> HeaderMap {
    headers("application/x-www-form-urlencoded")
}

fn multipart_body() -> String {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(CREATE_FORM.as_bytes())
        .into_owned()
        .collect();
    let mut body = String::new();
    for (name, value) in pairs {
        body.push_str(&format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str("--XyZ--\r\n");
    body
}

fn params(form: &str) -> Params {
    Params::from_form(form.as_bytes()).expect("bench form")
}

fn today() -> Date {
    Date::constant(2026, 11, 27)
}

/// A warm instance: an `App` whose auth cache holds user 5.
struct Warm {
    app: App,
    time_zone: TimeZone,
}

/// The warm `App`, or `None` (with a message) when there is no DynamoDB API to seed it.
fn warm(bench: &str) -> Option<&'static Warm> {
    static WARM: OnceLock<Option<Warm>> = OnceLock::new();
    let warm = WARM
        .get_or_init(|| {
            let endpoint = std::env::var("DYNAMODB_ENDPOINT")
                .ok()
                .filter(|v| !v.trim().is_empty())?;
            Some(runtime().block_on(seed(endpoint)))
        })
        .as_ref();
    if warm.is_none() {
        eprintln!(
            "request_path: skipping \"{bench}\": DYNAMODB_ENDPOINT is not set, and this bench \
             needs a DynamoDB API once to seed and prime the auth cache; run `make bench`, \
             which starts moto"
        );
    }
    warm
}

async fn seed(endpoint: String) -> Warm {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let prefix = format!("bench{}-{nanos}-", std::process::id());
    let env: HashMap<&str, String> = [
        ("DYNAMODB_ENDPOINT", endpoint.clone()),
        ("TABLE_PREFIX", prefix.clone()),
        // Far longer than a run: every measured authentication is a cache hit.
        ("AUTH_CACHE_SECONDS", "86400".into()),
        ("CURSOR_SECRET", "bench-cursor-secret".into()),
    ]
    .into_iter()
    .collect();
    let settings = Settings::from_lookup(|k| env.get(k).cloned(), false).expect("bench settings");
    let client =
        isp_crm::store::client::dynamodb_client(Some(&endpoint), config::TlsRoots::default()).await;
    let store = Store::new(client, Tables::with_prefix(&prefix));
    store
        .create_tables(TEMPLATE)
        .await
        .unwrap_or_else(|e| panic!("create tables at {endpoint}: {e}"));
    admin::create_isp(&store, IspId(1), "ISP One")
        .await
        .expect("seed ISP 1");
    admin::create_reseller(&store, IspId(1), ResellerId(1), "Reseller One")
        .await
        .expect("seed reseller 1");
    admin::create_user(
        &store,
        NewUser {
            userid: UserId(5),
            role: Role::Isp,
            isp: Some(IspId(1)),
            reseller: None,
            api_key: Some(ApiKey::chosen(SPEC_KEY).expect("spec key")),
        },
    )
    .await
    .expect("seed user 5");

    let app = App::new(store.clone(), &settings).expect("app");
    let caller = app
        .authenticate(Some("5"), Some(SPEC_KEY))
        .await
        .expect("priming authentication");
    assert_eq!(caller.scope, Scope::Isp(IspId(1)));
    // From here on a cache miss cannot succeed: the measured path is provably DynamoDB-free.
    store
        .client
        .delete_table()
        .table_name(&store.tables.users)
        .send()
        .await
        .expect("delete the users table after priming");
    Warm {
        app,
        time_zone: settings.time_zone,
    }
}

fn parse_create_body(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("parse create body");
    let multipart = multipart_body();
    let cases = [
        (
            "form",
            form_headers(),
            Bytes::from_static(CREATE_FORM.as_bytes()),
        ),
        (
            "json",
            headers("application/json"),
            Bytes::from_static(CREATE_JSON.as_bytes()),
        ),
        (
            "multipart",
            headers("multipart/form-data; boundary=XyZ"),
            Bytes::from(multipart),
        ),
    ];
    for (name, headers, body) in &cases {
        group.bench_function(*name, |b| {
            b.to_async(rt).iter(|| async {
                let params = Params::from_body(headers, body.clone())
                    .await
                    .expect("body");
                CustomerFields::parse_create(&params, today()).expect("valid create")
            })
        });
    }
    group.finish();
}

#[path = "../tests/signup/fixtures.rs"]
mod fixtures;

/// A profiled delivery's in-process work before today's create (which `create, warm, in
/// process` measures): the body, the signature, the map, the fields.
fn profiled_delivery(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("profiled delivery");
    let secret = SigningSecret::parse("s", "bench-signing-secret-0123456789").expect("secret");
    let (jot_type, jot_body) = fixtures::jotform_body(&fixtures::jotform_raw_request(), "608");
    let cases = [
        (
            "typeform",
            Profile::Typeform,
            fixtures::TYPEFORM_MAP,
            "application/json".to_owned(),
            fixtures::typeform().to_string(),
        ),
        (
            "tally",
            Profile::Tally,
            fixtures::TALLY_MAP,
            "application/json".to_owned(),
            fixtures::tally().to_string(),
        ),
        (
            "jotform",
            Profile::Jotform,
            fixtures::JOTFORM_MAP,
            jot_type,
            jot_body,
        ),
        (
            "fillout",
            Profile::Fillout,
            fixtures::FILLOUT_MAP,
            "application/json".to_owned(),
            fixtures::fillout().to_string(),
        ),
        (
            "json",
            Profile::Json,
            fixtures::JSON_MAP,
            "application/json".to_owned(),
            fixtures::json_payload().to_string(),
        ),
    ];
    for (name, profile, map, content_type, body) in cases {
        let setup = FormSetup {
            profile,
            map: FieldMap::parse(profile, map).expect("map"),
        };
        let headers = headers(&content_type);
        let body = Bytes::from(body);
        let signature = secret.sign(profile, &body);
        let signs = profile.signature_header().is_some();
        group.bench_function(name, |b| {
            b.to_async(rt).iter(|| async {
                if signs {
                    assert!(secret.verifies(profile, Some(&signature), &body));
                }
                let delivery = match Params::is_json(&headers) {
                    true => Delivery::Json(serde_json::from_slice(&body).expect("JSON")),
                    false => Delivery::Form(
                        Params::from_body(&headers, body.clone())
                            .await
                            .expect("body")
                            .into_map(),
                    ),
                };
                let submission = Submission::read(profile, &delivery).expect("shaped");
                let fields = map_delivery(&setup, &submission, None).expect("mapped");
                parse_mapped(&setup.map, profile, &fields, today()).expect("valid");
                fields
            })
        });
    }
    group.finish();
}

fn authenticate_warm(c: &mut Criterion) {
    let Some(warm) = warm("authenticate (warm)") else {
        return;
    };
    let app = &warm.app;
    c.bench_function("authenticate (warm)", |b| {
        b.to_async(runtime()).iter(|| async {
            app.authenticate(black_box(Some("5")), black_box(Some(SPEC_KEY)))
                .await
                .expect("warm authentication")
        })
    });
}

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    let create = params(CREATE_FORM);
    group.bench_function("create fields", |b| {
        b.iter(|| CustomerFields::parse_create(black_box(&create), today()).expect("valid"))
    });
    let list = params(LIST_FORM);
    group.bench_function("list request, 6 filters", |b| {
        b.iter(|| ListRequest::parse(black_box(&list)).expect("valid"))
    });
    group.finish();
}

fn plan_list(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan list");
    let request = |form: &str| {
        let r = ListRequest::parse(&params(form)).expect("valid list");
        let filters = r.filters.in_zone(&TimeZone::UTC).expect("in range");
        (filters, r.sort)
    };
    let shapes: [(&str, (Filters, SortField)); 5] = [
        ("no filter, by id", (Filters::default(), SortField::Id)),
        ("mobile", request("mobile=%2B91+98765-43210")),
        (
            "name prefix, by name",
            request("name=some%25&sort_field=name"),
        ),
        (
            "created range",
            request("created_from=2026-01-01&created_upto=2026-11-27"),
        ),
        ("6 filters, by name", request(LIST_FORM)),
    ];
    for (name, (filters, sort)) in &shapes {
        group.bench_function(*name, |b| {
            b.iter(|| planner::plan(Part::Isp(IspId(1)), black_box(filters), *sort))
        });
    }
    group.finish();
}

fn create_item(c: &mut Criterion) {
    let fields = CustomerFields::parse_create(&params(CREATE_FORM), today()).expect("valid");
    let placement = Placement {
        isp: IspId(1),
        reseller: ResellerId(1),
    };
    let mut group = c.benchmark_group("create item");
    group.bench_function("CustomerItem::new", |b| {
        b.iter(|| {
            CustomerItem::new(
                CustomerId(1243),
                placement,
                black_box(&fields).clone(),
                "2026-11-27T05:10:00Z".to_owned(),
                Actor::User(UserId(5)),
                &jiff::tz::TimeZone::UTC,
            )
        })
    });
    let item = CustomerItem::new(
        CustomerId(1243),
        placement,
        fields,
        "2026-11-27T05:10:00Z".to_owned(),
        Actor::User(UserId(5)),
        &jiff::tz::TimeZone::UTC,
    );
    group.bench_function("records::to_item", |b| {
        b.iter(|| isp_crm::store::records::to_item(black_box(&item)).expect("item"))
    });
    group.finish();
}

/// What `routes::create` and `App::create_customer` do in process for one warm create with
/// the duplicate guard on (the default): everything but the DynamoDB calls (the claim read,
/// `next_customer_id`, the transaction) and the reseller → ISP lookup, which a warm instance
/// answers from its cache (here: ISP 1).
async fn create_in_process(warm: &Warm, headers: &HeaderMap, body: Bytes) -> Vec<u8> {
    let params = Params::from_body(headers, body).await.expect("body");
    let caller = warm
        .app
        .authenticate(params.get("userid"), params.get("api_key"))
        .await
        .expect("warm authentication");
    let request = PlacementRequest::new(
        caller.scope,
        params.parse_opt("ispid", IspId::parse).expect("ispid"),
        params
            .parse_opt("resellerid", ResellerId::parse)
            .expect("resellerid"),
    )
    .expect("placement");
    let today = Timestamp::now()
        .to_zoned_datetime(warm.time_zone.clone())
        .date();
    let fields = CustomerFields::parse_create(&params, today).expect("valid create");
    let placement = request.confirm(Some(IspId(1))).expect("in scope");
    let now = rfc3339_seconds(Timestamp::now());
    let id = CustomerId(1243);
    let item = CustomerItem::new(
        id,
        placement,
        fields.clone(),
        now.clone(),
        Actor::User(UserId(5)),
        &jiff::tz::TimeZone::UTC,
    );
    let put: HashMap<String, AttributeValue> =
        isp_crm::store::records::to_item(&item).expect("item");
    black_box(put);
    // The guard's fingerprint and claim item, written in the same transaction.
    let claim = ClaimItem {
        claim: keys::claim::recent(
            caller.userid,
            &request_fingerprint("customer/create", &params),
        ),
        result: id.get(),
        fingerprint: None,
        expires_at: Some(Timestamp::now().as_second() + 120),
    };
    let claim: HashMap<String, AttributeValue> =
        isp_crm::store::records::to_item(&claim).expect("claim");
    black_box(claim);
    serde_json::to_vec(&Envelope {
        result: serde_json::value::to_raw_value(&id).expect("id"),
        error: None,
        portal_password: None,
        next: None,
        api_key: None,
        signing_secret: None,
    })
    .expect("answer")
}

fn create_warm(c: &mut Criterion) {
    let Some(warm) = warm("create, warm, in process") else {
        return;
    };
    let headers = form_headers();
    let body = Bytes::from_static(CREATE_FORM.as_bytes());
    c.bench_function("create, warm, in process", |b| {
        b.to_async(runtime())
            .iter(|| create_in_process(warm, &headers, body.clone()))
    });
}

fn page(n: u64) -> Vec<Customer> {
    (1..=n)
        .map(|id| Customer {
            id: CustomerId(id),
            ispid: IspId(1),
            resellerid: ResellerId(1),
            ctype: "Individual".into(),
            name: format!("Customer Name {id}"),
            surname: Some("Surname".into()),
            dob: None,
            mobile: format!("98765{id:05}"),
            email: format!("customer{id}@example.com"),
            uniqueid: None,
            zipcode: "403001".into(),
            state: "Goa".into(),
            city: "Panaji".into(),
            street: "3rd street, Altinho".into(),
            notes: None,
            audit: isp_crm::domain::audit::Audit::created(
                "2026-11-27T05:10:00Z".into(),
                isp_crm::domain::scope::Actor::User(isp_crm::domain::ids::UserId(5)),
            ),
        })
        .collect()
}

fn serialise_page(c: &mut Criterion) {
    let rows = page(100);
    // A page that is not the last carries the sealed cursor of the next one.
    let next = CursorSeal::new(b"bench-cursor-secret").seal(
        &fingerprint("user 5, isp 1, sort id asc"),
        &keys::id_part(CustomerId(100)),
    );
    // As routes::list answers (axum's `Json` uses `serde_json::to_writer`, the same work).
    let as_sent = |rows: &[Customer]| {
        serde_json::to_vec(&Envelope {
            result: serde_json::value::to_raw_value(rows).expect("rows"),
            error: None,
            portal_password: None,
            next: Some(next.clone()),
            api_key: None,
            signing_secret: None,
        })
        .expect("page")
    };
    c.bench_function("serialise a 100-customer page", |b| {
        b.iter(|| as_sent(black_box(&rows)))
    });
    // Before: the rows went through a `serde_json::Value` first.
    let through_value = |rows: &[Customer]| {
        serde_json::to_vec(&Envelope {
            result: json!(rows),
            error: None,
            portal_password: None,
            next: Some(next.clone()),
            api_key: None,
            signing_secret: None,
        })
        .expect("page")
    };
    assert_eq!(
        through_value(&rows),
        as_sent(&rows),
        "both write the same bytes"
    );
    c.bench_function(
        "serialise a 100-customer page, through serde_json::Value (before)",
        |b| b.iter(|| through_value(black_box(&rows))),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = parse_create_body, profiled_delivery, authenticate_warm, validate, plan_list, create_item,
        create_warm, serialise_page
}
criterion_main!(benches);
