//! Generated customers for the reports (`cost_report`, `scale_report`): Goan names, mobiles,
//! emails, zipcodes and cities, a fresh set of tables in moto, and a loader that writes items
//! straight into a table (BatchWriteItem, no transaction: moto copies whole tables per
//! transaction).
#![allow(dead_code)]

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use isp_crm::config::{self, Settings};
use isp_crm::store::{Store, Tables};
use rand::Rng;
use rand::rngs::StdRng;
use std::collections::HashMap;

pub const FIRST: [&str; 24] = [
    "Aarav", "Aditi", "Ananya", "Arjun", "Diya", "Ishaan", "Kabir", "Kavya", "Maya", "Neha",
    "Nikhil", "Priya", "Rahul", "Riya", "Rohan", "Saanvi", "Sara", "Tara", "Vihaan", "Zara",
    "Anil", "Anita", "Sunil", "Suresh",
];
pub const LAST: [&str; 12] = [
    "Sharma",
    "Naik",
    "Dsouza",
    "Fernandes",
    "Kamat",
    "Prabhu",
    "Rao",
    "Shetty",
    "Gomes",
    "Pai",
    "Desai",
    "Kulkarni",
];
pub const CITIES: [&str; 6] = ["Panaji", "Margao", "Vasco", "Mapusa", "Ponda", "Bicholim"];

pub fn fields(rng: &mut StdRng) -> HashMap<String, String> {
    let first = FIRST[rng.random_range(0..FIRST.len())];
    let last = LAST[rng.random_range(0..LAST.len())];
    HashMap::from([
        (
            "type".into(),
            if rng.random_bool(0.9) {
                "Individual"
            } else {
                "Organisation"
            }
            .into(),
        ),
        ("name".into(), format!("{first} {last}")),
        ("surname".into(), last.into()),
        (
            "mobile".into(),
            format!("9{:09}", rng.random_range(0..1_000_000_000u64)),
        ),
        (
            "email".into(),
            format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                rng.random_range(0..1000)
            ),
        ),
        (
            "zipcode".into(),
            format!("403{:03}", rng.random_range(0..200)),
        ),
        ("state".into(), "Goa".into()),
        (
            "city".into(),
            CITIES[rng.random_range(0..CITIES.len())].into(),
        ),
        (
            "street".into(),
            format!(
                "{} Main Road, Ward {}",
                rng.random_range(1..300),
                rng.random_range(1..40)
            ),
        ),
    ])
}

/// Settings and a store on fresh tables named `<prefix>*` in the moto at `endpoint`, with
/// `extra` settings.
pub async fn fresh_tables(
    endpoint: &str,
    prefix: &str,
    extra: &[(&str, &str)],
) -> (Settings, Store) {
    let mut env: HashMap<&str, String> = HashMap::from([
        ("DYNAMODB_ENDPOINT", endpoint.to_owned()),
        ("TABLE_PREFIX", prefix.to_owned()),
        // moto answers an index Query by walking the whole table (seconds at 20,000 items):
        // the timeouts chosen for DynamoDB would cut it short.
        ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "120000".to_owned()),
        ("DYNAMODB_OPERATION_TIMEOUT_MS", "300000".to_owned()),
    ]);
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let settings = Settings::from_lookup(|k| env.get(k).cloned(), false).unwrap();
    let client = isp_crm::store::client::dynamodb_client_tuned(
        Some(endpoint),
        config::TlsRoots::default(),
        &settings.dynamodb,
    )
    .await;
    let store = Store::new(client, Tables::with_prefix(prefix));
    store
        .create_tables(isp_crm::store::schema::TEMPLATE)
        .await
        .unwrap();
    (settings, store)
}

/// Writes up to 25 customer items (one BatchWriteItem, unprocessed items sent again).
pub async fn write_items(store: &Store, items: Vec<HashMap<String, AttributeValue>>) {
    write_items_to(store, &store.tables.customers, items).await;
}

/// As `write_items`, into `table`.
pub async fn write_items_to(
    store: &Store,
    table: &str,
    items: Vec<HashMap<String, AttributeValue>>,
) {
    let mut pending: Vec<WriteRequest> = items
        .into_iter()
        .map(|av| {
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(av)).build().unwrap())
                .build()
        })
        .collect();
    while !pending.is_empty() {
        let out = store
            .client
            .batch_write_item()
            .request_items(table, pending)
            .send()
            .await
            .expect("batch write");
        pending = out
            .unprocessed_items
            .and_then(|mut u| u.remove(table))
            .unwrap_or_default();
    }
}
