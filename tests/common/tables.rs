//! What this test's tables hold, read directly (test-only Scans and Gets).

use super::app::TestApp;
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use std::collections::HashMap;

/// A stored item, as DynamoDB holds it.
pub type Item = HashMap<String, AttributeValue>;

impl TestApp {
    /// Every item of every table of this test's stack (a test-only Scan), as JSON text.
    pub async fn every_item(&self) -> Vec<(String, String)> {
        let mut all = Vec::new();
        for (logical, _, _) in isp_crm::store::keys::TABLES {
            let table = self.store.tables.by_logical_id(logical).unwrap().to_owned();
            let mut start = None;
            loop {
                let out = self
                    .store
                    .client
                    .scan()
                    .table_name(&table)
                    .consistent_read(true)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .expect("scan");
                for item in out.items() {
                    all.push((logical.to_owned(), format!("{item:?}")));
                }
                start = out.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        all
    }

    /// The stored entries of customer `id`'s history (a Query of its index, one page).
    pub async fn stored_history(&self, id: u64) -> Vec<Item> {
        let out = self
            .store
            .client
            .query()
            .table_name(&self.store.tables.claims)
            .index_name("history-by-customer")
            .key_condition_expression("history_of = :id")
            .expression_attribute_values(":id", AttributeValue::N(id.to_string()))
            .send()
            .await
            .expect("query");
        out.items.unwrap_or_default()
    }

    /// The stored item of customer `id`; panics when there is none.
    pub async fn stored_customer(&self, id: u64) -> Item {
        let out = self
            .store
            .client
            .get_item()
            .table_name(&self.store.tables.customers)
            .key("id", AttributeValue::N(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .expect("get");
        out.item
            .unwrap_or_else(|| panic!("customer {id} is not stored"))
    }

    /// How many items a table of this test holds (a test-only Scan).
    pub async fn count_items(&self, table: &str) -> i32 {
        self.store
            .client
            .scan()
            .table_name(table)
            .select(Select::Count)
            .consistent_read(true)
            .send()
            .await
            .expect("scan")
            .count
    }

    /// The current value of an id counter (`customer_id`, `service_id`).
    pub async fn counter(&self, name: &str) -> u64 {
        use aws_sdk_dynamodb::types::AttributeValue as AV;
        let out = self
            .store
            .client
            .get_item()
            .table_name(&self.store.tables.counters)
            .key("name", AV::S(name.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("get");
        match out.item.and_then(|mut i| i.remove("value")) {
            Some(AV::N(n)) => n.parse().expect("number"),
            _ => 0,
        }
    }

    /// Every customer item in this test's table (a test-only Scan, to prove what was written).
    pub async fn stored_customers(
        &self,
    ) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let out = self
            .store
            .client
            .scan()
            .table_name(&self.store.tables.customers)
            .send()
            .await
            .expect("scan");
        out.items.unwrap_or_default()
    }

    /// How many customers this test's table holds.
    pub async fn customer_count(&self) -> i32 {
        self.count_items(&self.store.tables.customers).await
    }

    /// One stored customer's attribute as text (`S` or `N`), if present.
    pub async fn stored_attr(&self, id: u64, attr: &str) -> Option<String> {
        use aws_sdk_dynamodb::types::AttributeValue as AV;
        let out = self
            .store
            .client
            .get_item()
            .table_name(&self.store.tables.customers)
            .key("id", AV::N(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .expect("get");
        match out.item?.remove(attr)? {
            AV::S(s) | AV::N(s) => Some(s),
            other => Some(format!("{other:?}")),
        }
    }
}
