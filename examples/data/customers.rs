//! Generated customers for the reports (`cost_report`, `scale_report`): Goan names, mobiles,
//! emails, zipcodes and cities, and a loader that writes items straight into a table
//! (BatchWriteItem, no transaction: moto copies whole tables per transaction).
#![allow(dead_code)]

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use isp_crm::store::Store;
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

/// Writes up to 25 customer items (one BatchWriteItem, unprocessed items sent again).
pub async fn write_items(store: &Store, items: Vec<HashMap<String, AttributeValue>>) {
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
            .request_items(&store.tables.customers, pending)
            .send()
            .await
            .expect("batch write");
        pending = out
            .unprocessed_items
            .and_then(|mut u| u.remove(&store.tables.customers))
            .unwrap_or_default();
    }
}
