//! In-process work of a request, DynamoDB excluded. `make bench`; results in docs/performance.md.

use criterion::{Criterion, criterion_group, criterion_main};
use isp_crm::domain::customer::Customer;
use isp_crm::domain::ids::{CustomerId, IspId, ResellerId};
use std::hint::black_box;

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
            created_at: "2026-11-27T05:10:00Z".into(),
            updated_at: "2026-11-27T05:10:00Z".into(),
        })
        .collect()
}

fn serialise_page(c: &mut Criterion) {
    let rows = page(100);
    c.bench_function("serialise a 100-customer page", |b| {
        b.iter(|| serde_json::to_vec(&serde_json::json!({"result": black_box(&rows), "error": null})))
    });
}

criterion_group!(benches, serialise_page);
criterion_main!(benches);
