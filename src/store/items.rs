//! The reads every table shares: one item by its key, every item of a small table's Scan.

use super::capacity::{self, Kind};
use super::records::Stored;
use super::{Item, Store, StoreError, n};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use serde::de::DeserializeOwned;

impl Store {
    /// Reads one item by its numeric key (eventually consistent), with its cost accounted.
    pub(super) async fn get_by_key<T: DeserializeOwned + Stored>(
        &self,
        table: &str,
        key: &str,
        value: u64,
    ) -> Result<Option<T>, StoreError> {
        self.read_by_key(table, key, n(value), false).await
    }

    /// Reads one item by its key; `consistent` sees every write acknowledged before it
    /// (1 read unit instead of 0.5).
    pub(super) async fn read_by_key<T: DeserializeOwned + Stored>(
        &self,
        table: &str,
        key: &str,
        value: AttributeValue,
        consistent: bool,
    ) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .key(key, value)
            .consistent_read(consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        capacity::record(Kind::Read, out.consumed_capacity());
        capacity::computed_read(out.item.iter(), true);
        out.item
            .map(super::records::from_item)
            .transpose()
            .map_err(Into::into)
    }

    /// Every item a Scan of a small table yields, page after page, its cost accounted.
    async fn scan_all<T: DeserializeOwned + Stored>(
        &self,
        scan: aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder,
    ) -> Result<Vec<T>, StoreError> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = scan
                .clone()
                .set_exclusive_start_key(start)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await?;
            capacity::record(Kind::Read, out.consumed_capacity());
            capacity::computed_read(out.items(), false);
            for item in out.items() {
                found.push(super::records::from_item(item.clone())?);
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// As `scan_all`, each record mapped by `key`, sorted.
    pub(super) async fn scan_sorted<T: DeserializeOwned + Stored, K: Ord>(
        &self,
        scan: aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder,
        key: impl FnMut(T) -> K,
    ) -> Result<Vec<K>, StoreError> {
        let mut keys: Vec<K> = self.scan_all(scan).await?.into_iter().map(key).collect();
        keys.sort();
        Ok(keys)
    }
}
