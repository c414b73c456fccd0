//! Lists of ISPs, resellers and users. Pages for the tenant self-service lists, each
//! bounded by its page size: ISPs by a Scan of their small table, resellers and users by
//! Query of their indexes (`keys::UserIndex`, `keys::RESELLERS_BY_ISP`). Whole lists of ids
//! (every ISP, an ISP's resellers) by a Scan of their small tables.

use crate::domain::ids::{IspId, ResellerId};
use crate::domain::scope::Role;
use crate::store::capacity::{self, Kind};
use crate::store::keys::{RESELLERS_BY_ISP, UserIndex};
use crate::store::records::Stored;
use crate::store::records::{IspItem, ResellerItem, UserItem};
use crate::store::{Item, Store, StoreError, n, s};
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity, ReturnConsumedCapacity};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Where a page ends, as text the app can seal into a cursor without knowing its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey(pub String);

impl PageKey {
    fn of(item: &Item) -> Option<Self> {
        let mut parts = BTreeMap::new();
        for (k, v) in item {
            let v = match v {
                AttributeValue::N(x) => format!("N{x}"),
                AttributeValue::S(x) => format!("S{x}"),
                _ => return None,
            };
            parts.insert(k.clone(), v);
        }
        serde_json::to_string(&parts).ok().map(Self)
    }

    fn item(&self) -> Result<Item, StoreError> {
        let parts: BTreeMap<String, String> =
            serde_json::from_str(&self.0).map_err(|_| StoreError::Corrupt("page key".into()))?;
        parts
            .into_iter()
            .map(|(k, v)| match v.split_at_checked(1) {
                Some(("N", x)) => Ok((k, AttributeValue::N(x.to_owned()))),
                Some(("S", x)) => Ok((k, AttributeValue::S(x.to_owned()))),
                _ => Err(StoreError::Corrupt("page key".into())),
            })
            .collect()
    }
}

/// Which users a `user/list` page reads: one partition of one index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserPartition {
    Isp(IspId),
    Reseller(ResellerId),
    Role(Role),
}

impl UserPartition {
    fn key(self) -> (UserIndex, AttributeValue) {
        match self {
            Self::Isp(i) => (UserIndex::ByIsp, n(i.get())),
            Self::Reseller(r) => (UserIndex::ByReseller, n(r.get())),
            Self::Role(r) => (UserIndex::ByRole, s(r.as_str())),
        }
    }
}

/// A page of records and where the next one starts.
pub type Paged<T> = (Vec<T>, Option<PageKey>);

impl Store {
    /// Up to `limit` ISPs, from `start` (a Scan: the ISP table holds one small item each).
    pub async fn isp_page(
        &self,
        limit: i32,
        start: Option<&PageKey>,
    ) -> Result<Paged<IspItem>, StoreError> {
        let out = self
            .client
            .scan()
            .table_name(&self.tables.isps)
            .limit(limit)
            .set_exclusive_start_key(start.map(PageKey::item).transpose()?)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        paged(out.consumed_capacity, out.items, out.last_evaluated_key)
    }

    /// Up to `limit` resellers of `isp` in id order, from `start`.
    pub async fn reseller_page(
        &self,
        isp: IspId,
        limit: i32,
        start: Option<&PageKey>,
    ) -> Result<Paged<ResellerItem>, StoreError> {
        let (index, (pk, _)) = RESELLERS_BY_ISP;
        self.index_page(
            &self.tables.resellers,
            index,
            pk,
            n(isp.get()),
            limit,
            start,
        )
        .await
    }

    /// Up to `limit` users of a partition in userid order, from `start`.
    pub async fn user_page(
        &self,
        of: UserPartition,
        limit: i32,
        start: Option<&PageKey>,
    ) -> Result<Paged<UserItem>, StoreError> {
        let (index, value) = of.key();
        let (pk, _) = index.key_attrs();
        self.index_page(&self.tables.users, index.name(), pk, value, limit, start)
            .await
    }

    async fn index_page<T: DeserializeOwned + Stored>(
        &self,
        table: &str,
        index: &str,
        pk: &str,
        value: AttributeValue,
        limit: i32,
        start: Option<&PageKey>,
    ) -> Result<Paged<T>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(table)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk)
            .expression_attribute_values(":pk", value)
            .limit(limit)
            .set_exclusive_start_key(start.map(PageKey::item).transpose()?)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        paged(out.consumed_capacity, out.items, out.last_evaluated_key)
    }

    /// The enabled admins, at most `enough` of them (the last one may not be disabled).
    pub async fn enabled_admins(&self, enough: usize) -> Result<usize, StoreError> {
        let mut found = 0;
        let mut start = None;
        loop {
            let (users, next) = self
                .user_page(UserPartition::Role(Role::Admin), 100, start.as_ref())
                .await?;
            found += users.iter().filter(|u| u.enabled).count();
            if found >= enough || next.is_none() {
                return Ok(found);
            }
            start = next;
        }
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
        impl Stored for Zone {}
        let scan = self
            .client
            .scan()
            .table_name(&self.tables.isps)
            .projection_expression("ispid, time_zone");
        self.scan_sorted(scan, |z: Zone| (z.ispid, z.time_zone))
            .await
    }

    /// Every ISP id. The ISP table holds one small item per ISP, so this scan reads a few
    /// units; the customers table is never scanned.
    pub async fn isp_ids(&self) -> Result<Vec<IspId>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Id {
            ispid: IspId,
        }
        impl Stored for Id {}
        let scan = self
            .client
            .scan()
            .table_name(&self.tables.isps)
            .projection_expression("ispid");
        self.scan_sorted(scan, |i: Id| i.ispid).await
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
        self.scan_sorted(scan, |r: ResellerItem| r.resellerid).await
    }
}

/// A Scan's or a Query's page: its cost accounted, its records decoded.
fn paged<T: DeserializeOwned + Stored>(
    consumed: Option<ConsumedCapacity>,
    items: Option<Vec<Item>>,
    next: Option<Item>,
) -> Result<Paged<T>, StoreError> {
    capacity::record(Kind::Read, consumed.as_ref());
    let items = items.unwrap_or_default();
    capacity::computed_read(&items, false);
    let records = items
        .into_iter()
        .map(|i| super::super::records::from_item(i).map_err(StoreError::from))
        .collect::<Result<Vec<T>, _>>()?;
    Ok((records, next.as_ref().and_then(PageKey::of)))
}
