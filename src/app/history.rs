//! `customer/history`: who changed what and when, for one customer in the caller's scope
//! (the scope rules of `customer/list` for that customer), newest first, paged by
//! `rows_limit` and `cursor` (the sort key of a page's last entry, sealed as every list
//! cursor is). The entries are written by the changes themselves (`store::history`).

use super::cursor::fingerprint;
use super::replay::secs;
use super::{App, AppError};
use crate::domain::customer::HISTORY_PAGING;
use crate::domain::ids::CustomerId;
use crate::domain::scope::Caller;
use crate::domain::{DomainError, Fields};
use crate::store::history::{HistoryEntry, Stamp};

/// A page of a customer's history and the cursor of the next.
#[derive(Debug)]
pub struct HistoryPage {
    pub rows: Vec<HistoryEntry>,
    pub next: Option<String>,
}

impl App {
    /// Who writes a change and until when its entry is kept; `None` with `HISTORY_DAYS=0`.
    pub(super) fn stamp(&self, caller: &Caller, at: &str) -> Option<Stamp> {
        (!self.history_window.is_zero()).then(|| Stamp {
            at: at.to_owned(),
            by: caller.actor().label(),
            role: caller.role.as_str(),
            expires_at: self.epoch() + secs(self.history_window),
        })
    }

    /// `customer/history`: 404 for a customer that is neither in the caller's scope nor
    /// has history there (form keys never reach it: they may only create).
    pub async fn customer_history(
        &self,
        caller: &Caller,
        f: &impl Fields,
    ) -> Result<HistoryPage, AppError> {
        let id = f.parse_req("customerid", CustomerId::parse)?;
        let paging = HISTORY_PAGING.parse(f)?;
        let fp = fingerprint(&format!("history|{}|{id}", caller.userid));
        let before = match paging.cursor.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => Some(self.cursors.open(token, &fp)?),
            None => None,
        };
        let limit = usize::try_from(paging.limit).unwrap_or(10);
        let ask = i32::try_from(limit + 1).unwrap_or(i32::MAX);
        let mut page = self
            .store
            .history_page(id, before.as_deref(), ask, self.epoch())
            .await?;
        // Every entry carries its customer's placement (a record never moves): the first
        // decides. With none, the customer itself (live or restorable) does: an empty page
        // for one in scope whose changes predate the history or were made with it off.
        let in_scope = match page.entries.first() {
            Some((_, e, _)) => caller.scope.permits(e.ispid, e.resellerid),
            None => match self.store.get_customer_latest(id).await? {
                Some(c) => caller.scope.permits(c.ispid, c.resellerid),
                None => self
                    .store
                    .deleted_copy(id, &caller.scope, self.epoch())
                    .await?
                    .is_some(),
            },
        };
        if !in_scope {
            return Err(DomainError::NotFound("customerid").into());
        }
        let more = page.more || page.entries.len() > limit;
        page.entries.truncate(limit);
        if page.sealed() {
            let seal = self.store.history_seal_of(id, self.epoch()).await?;
            page.open(id, seal.as_ref())?;
        }
        let (rows, next) = self.cursors.kept_page(&fp, page.entries, more);
        Ok(HistoryPage { rows, next })
    }
}
