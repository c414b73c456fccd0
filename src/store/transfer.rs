//! What crm-admin's import and export ask of the store besides their records: whole ISPs
//! or resellers in id order (an export's pages), and the usernames already claimed in
//! their ISPs (an import's check).

use super::customers::{IndexKey, Page};
use super::keys::{ServiceIndex, claim};
use super::services::{ServiceKey, ServicePage};
use super::{Item, Store, StoreError};
use crate::domain::ids::{IspId, ResellerId};
use std::collections::{HashMap, HashSet};

/// The records an export reads: an ISP's, or one reseller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    Isp(IspId),
    Reseller(ResellerId),
}

impl Store {
    /// One page of the scope's customers in id order, from `start`.
    pub async fn export_customers(
        &self,
        scope: ExportScope,
        limit: i32,
        start: Option<Item>,
    ) -> Result<Page, StoreError> {
        let key = match scope {
            ExportScope::Isp(isp) => IndexKey::isp(isp),
            ExportScope::Reseller(r) => IndexKey::reseller(r),
        };
        self.query_customers(&key, true, Some(limit), start).await
    }

    /// One page of the scope's services in id order, from `start`.
    pub async fn export_services(
        &self,
        scope: ExportScope,
        limit: i32,
        start: Option<Item>,
    ) -> Result<ServicePage, StoreError> {
        let (index, partition) = match scope {
            ExportScope::Isp(isp) => (ServiceIndex::ByIsp, isp.get()),
            ExportScope::Reseller(r) => (ServiceIndex::ByReseller, r.get()),
        };
        let key = ServiceKey {
            index,
            partition,
            prefix: None,
        };
        self.query_services(&key, None, true, Some(limit), start)
            .await
    }

    /// Which of `usernames` (ISP, folded username) a live claim holds at `now` (epoch
    /// seconds): one batch read.
    pub async fn usernames_in_use(
        &self,
        usernames: &[(IspId, String)],
        now: i64,
    ) -> Result<HashSet<(IspId, String)>, StoreError> {
        let by_key: HashMap<String, &(IspId, String)> = usernames
            .iter()
            .map(|u| (claim::username(u.0, &u.1), u))
            .collect();
        let keys: Vec<String> = by_key.keys().cloned().collect();
        Ok(self
            .get_claims(&keys)
            .await?
            .into_iter()
            .filter(|c| c.is_live(now))
            .filter_map(|c| by_key.get(&c.claim).map(|u| (*u).clone()))
            .collect())
    }
}
