//! Login users, ISPs and resellers: small tables read by key (plus a scan of the ISP list,
//! which holds one item per ISP).

use super::capacity::{self, Kind};
use super::records::{IspItem, ResellerItem, UserItem};
use super::{Item, Store, StoreError, conditional_write, n};
use crate::domain::ids::{IspId, ResellerId, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use serde::Serialize;
use serde::de::DeserializeOwned;

impl Store {
    /// Reads one item by its numeric key (eventually consistent), with its cost accounted.
    pub(super) async fn get_by_key<T: DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
        value: u64,
    ) -> Result<Option<T>, StoreError> {
        self.read_by_key(table, key, n(value), false).await
    }

    /// Reads one item by its key; `consistent` sees every write acknowledged before it
    /// (1 read unit instead of 0.5).
    pub(super) async fn read_by_key<T: DeserializeOwned>(
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
            .map(serde_dynamo::from_item)
            .transpose()
            .map_err(Into::into)
    }

    /// Writes a record unless one with the same key exists; `false` if it did.
    async fn put_new<T: Serialize>(
        &self,
        table: &str,
        key: &str,
        record: &T,
    ) -> Result<bool, StoreError> {
        let item: Item = serde_dynamo::to_item(record)?;
        let res = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", key)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        conditional_write(res)
    }

    pub async fn get_user(&self, id: UserId) -> Result<Option<UserItem>, StoreError> {
        self.get_by_key(&self.tables.users, "userid", id.get())
            .await
    }

    pub async fn get_isp(&self, id: IspId) -> Result<Option<IspItem>, StoreError> {
        self.get_by_key(&self.tables.isps, "ispid", id.get()).await
    }

    pub async fn get_reseller(&self, id: ResellerId) -> Result<Option<ResellerItem>, StoreError> {
        self.get_by_key(&self.tables.resellers, "resellerid", id.get())
            .await
    }

    pub async fn insert_user(&self, user: &UserItem) -> Result<bool, StoreError> {
        self.put_new(&self.tables.users, "userid", user).await
    }

    pub async fn insert_isp(&self, isp: &IspItem) -> Result<bool, StoreError> {
        self.put_new(&self.tables.isps, "ispid", isp).await
    }

    pub async fn insert_reseller(&self, reseller: &ResellerItem) -> Result<bool, StoreError> {
        self.put_new(&self.tables.resellers, "resellerid", reseller)
            .await
    }

    /// Sets attributes of an existing user; `false` if there is no such user.
    pub async fn update_user(
        &self,
        id: UserId,
        set: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        self.update_existing(&self.tables.users, "userid", id.get(), set, &[])
            .await
    }

    /// Sets and removes attributes of an existing ISP; `false` if there is no such ISP.
    pub async fn update_isp(
        &self,
        id: IspId,
        set: &[(&str, AttributeValue)],
        remove: &[&str],
    ) -> Result<bool, StoreError> {
        self.update_existing(&self.tables.isps, "ispid", id.get(), set, remove)
            .await
    }

    /// Sets attributes of an existing reseller; `false` if there is no such reseller.
    pub async fn update_reseller(
        &self,
        id: ResellerId,
        set: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        self.update_existing(&self.tables.resellers, "resellerid", id.get(), set, &[])
            .await
    }

    /// One UpdateItem of the item with numeric key `key` = `id`, only if it exists.
    async fn update_existing(
        &self,
        table: &str,
        key: &str,
        id: u64,
        set: &[(&str, AttributeValue)],
        remove: &[&str],
    ) -> Result<bool, StoreError> {
        let mut req = self
            .client
            .update_item()
            .table_name(table)
            .key(key, n(id))
            .condition_expression("attribute_exists(#key)")
            .expression_attribute_names("#key", key)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let mut sets = Vec::new();
        for (i, (attr, value)) in set.iter().enumerate() {
            sets.push(format!("#a{i} = :v{i}"));
            req = req
                .expression_attribute_names(format!("#a{i}"), *attr)
                .expression_attribute_values(format!(":v{i}"), value.clone());
        }
        let mut removes = Vec::new();
        for (i, attr) in remove.iter().enumerate() {
            removes.push(format!("#r{i}"));
            req = req.expression_attribute_names(format!("#r{i}"), *attr);
        }
        let mut expression = Vec::new();
        if !sets.is_empty() {
            expression.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            expression.push(format!("REMOVE {}", removes.join(", ")));
        }
        conditional_write(req.update_expression(expression.join(" ")).send().await)
    }

    /// Every ISP's id and time zone (`None`: the deployment's), in id order: the same small
    /// Scan as `isp_ids`, the zone attribute projected too.
    pub async fn isp_zones(&self) -> Result<Vec<(IspId, Option<String>)>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Zone {
            ispid: IspId,
            #[serde(default)]
            time_zone: Option<String>,
        }
        let scan = self
            .client
            .scan()
            .table_name(&self.tables.isps)
            .projection_expression("ispid, time_zone");
        let mut zones: Vec<(IspId, Option<String>)> = self
            .scan_all::<Zone>(scan)
            .await?
            .into_iter()
            .map(|z| (z.ispid, z.time_zone))
            .collect();
        zones.sort();
        Ok(zones)
    }

    /// Every ISP id. The ISP table holds one small item per ISP, so this scan reads a few
    /// units; the customers table is never scanned.
    pub async fn isp_ids(&self) -> Result<Vec<IspId>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Id {
            ispid: IspId,
        }
        let scan = self
            .client
            .scan()
            .table_name(&self.tables.isps)
            .projection_expression("ispid");
        let mut ids: Vec<IspId> = self
            .scan_all::<Id>(scan)
            .await?
            .into_iter()
            .map(|i| i.ispid)
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The resellers of an ISP: a Scan of the resellers table (one small item each), for
    /// `crm-admin` only; the API never scans it.
    pub async fn reseller_ids(&self, isp: IspId) -> Result<Vec<ResellerId>, StoreError> {
        let scan = self
            .client
            .scan()
            .table_name(&self.tables.resellers)
            .filter_expression("ispid = :isp")
            .expression_attribute_values(":isp", n(isp.get()));
        let mut ids: Vec<ResellerId> = self
            .scan_all::<ResellerItem>(scan)
            .await?
            .into_iter()
            .map(|r| r.resellerid)
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Every item a Scan of a small table yields, page after page, its cost accounted.
    async fn scan_all<T: DeserializeOwned>(
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
                found.push(serde_dynamo::from_item(item.clone())?);
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }
}
