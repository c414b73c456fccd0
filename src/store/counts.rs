//! Customer counts per ISP and per reseller, in total, per type, per value of `state`,
//! `city` and `zipcode`, per day of creation and per name, kept exact by the transactions
//! that create, move and delete customers (see `keys::count` for the layout).

use super::capacity::{self, Kind};
use super::keys::count;
use super::plan::Part;
use super::{Store, StoreError, n, s, send_conditional};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, TransactWriteItem, Update};

mod names;
mod recount;
mod tally;
pub use recount::Recount;
pub(crate) use tally::Tally;
pub use tally::{Deltas, Facet, ITEMS_PER_CUSTOMER};

/// What a kept count counts in a part: every customer, those of one type, one value of a
/// facet (as stored: those filters compare exactly), created in a range of days, or of one
/// name or name prefix (folded: the name filter ignores letter case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountOf {
    All,
    Type(String),
    Facet(Facet, String),
    /// Created between two days (`yyyymmdd`, both included; absent: open).
    Created {
        from: Option<u32>,
        upto: Option<u32>,
    },
    /// Named `text` (folded), or with a name that starts with it (`prefix`).
    Name {
        text: String,
        prefix: bool,
    },
}

/// What a count read found, and what reading it cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountRead {
    pub customers: i64,
    pub units: f64,
    /// False when a count that walks entries (a name prefix's) stopped at its limit.
    pub complete: bool,
}

impl CountRead {
    /// Nothing read yet: where a count that sums pages starts.
    const NOTHING: Self = Self {
        customers: 0,
        units: 0.0,
        complete: true,
    };
}

fn number(scope: &str, attr: &str, v: &AttributeValue) -> Result<i64, StoreError> {
    match v {
        AttributeValue::N(v) => v
            .parse::<i64>()
            .map_err(|_| StoreError::Corrupt(format!("count {scope} {attr} holds {v}"))),
        other => Err(StoreError::Corrupt(format!(
            "count {scope} {attr} holds {other:?}"
        ))),
    }
}

impl Store {
    /// The transaction items that apply `deltas`. Unconditional: they never refuse, so they
    /// never shift the positions of a transaction's conditional items, which come first.
    pub(crate) fn count_updates(
        &self,
        deltas: Deltas,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        deltas
            .settled_items()
            .map(|((scope, shard), attrs, label)| {
                let mut update = Update::builder()
                    .table_name(&self.tables.counts)
                    .key("scope", s(scope))
                    .key("shard", n(shard));
                let mut sets = Vec::new();
                for (i, (attr, value)) in label.into_iter().flatten().enumerate() {
                    sets.push(format!("#l{i} = :l{i}"));
                    update = update
                        .expression_attribute_names(format!("#l{i}"), attr)
                        .expression_attribute_values(format!(":l{i}"), s(value));
                }
                let mut adds = Vec::new();
                for (i, (attr, delta)) in attrs.into_iter().enumerate() {
                    adds.push(format!("#a{i} :d{i}"));
                    update = update
                        .expression_attribute_names(format!("#a{i}"), attr)
                        .expression_attribute_values(
                            format!(":d{i}"),
                            AttributeValue::N(delta.to_string()),
                        );
                }
                let set = match sets.is_empty() {
                    true => String::new(),
                    false => format!("SET {} ", sets.join(", ")),
                };
                let update = update
                    .update_expression(format!("{set}ADD {}", adds.join(", ")))
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }

    /// Deletes those of the count `items` that count nobody (conditional `customers = 0`):
    /// facet and name items keep a value in their key (`isp|1|city|<city>`,
    /// `reseller|7|name|<name>`) after their last customer is gone. A customer counted
    /// meanwhile keeps its item; one counted later puts it back (with its index keys).
    pub(crate) async fn drop_empty(&self, items: &[(String, u64)]) -> Result<(), StoreError> {
        for (scope, shard) in items {
            let req = self
                .client
                .delete_item()
                .table_name(&self.tables.counts)
                .key("scope", s(scope.as_str()))
                .key("shard", n(*shard))
                .condition_expression("#c = :zero")
                .expression_attribute_names("#c", count::CUSTOMERS)
                .expression_attribute_values(":zero", n(0))
                .return_consumed_capacity(ReturnConsumedCapacity::Total);
            send_conditional(|| req.clone().send()).await?;
        }
        Ok(())
    }

    /// `drop_empty` of the name items a rename or a delete left behind, after the write:
    /// a failure leaves an item counting 0 (read by name-prefix counts, dropped by the next
    /// erase of that name), not the write undone.
    pub(crate) async fn drop_empty_names(&self, old: &Tally) {
        if let Err(e) = self.drop_empty(&old.name_keys()).await {
            tracing::warn!(error = %e, "count items of a former name left at 0");
        }
    }

    /// A part's kept count of `of`: one Query of its partition (≤ 16 small items), or for a
    /// reseller's facet one item of the ISP's partition; a name's walks the `NAMES` entries
    /// it matches, stopping (incomplete) once it has read `max_units`.
    pub async fn count_of(
        &self,
        part: Part,
        of: &CountOf,
        max_units: f64,
    ) -> Result<CountRead, StoreError> {
        let (scope, shard, attr) = match (of, part) {
            (CountOf::Created { from, upto }, _) => {
                let days = from.unwrap_or(0)..=upto.unwrap_or(99_999_999);
                return self.sum_days(&count::days(&part.count_scope()), days).await;
            }
            (CountOf::All, _) => (part.count_scope(), None, count::CUSTOMERS.to_owned()),
            (CountOf::Type(t), _) => (part.count_scope(), None, count::type_attr(t)),
            (CountOf::Facet(f, v), Part::Isp(isp)) => (
                count::facet(isp, f.name(), v),
                None,
                count::CUSTOMERS.to_owned(),
            ),
            (CountOf::Facet(f, v), Part::Reseller { isp, reseller }) => (
                count::facet(isp, f.name(), v),
                Some(count::facet_shard(reseller)),
                count::reseller_attr(reseller),
            ),
            (CountOf::Name { text, prefix }, _) => {
                return self.count_names(part, text, *prefix, max_units).await;
            }
        };
        let mut q = self
            .client
            .query()
            .table_name(&self.tables.counts)
            .expression_attribute_names("#s", "scope")
            .expression_attribute_values(":s", s(scope.as_str()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        q = match shard {
            Some(shard) => q
                .key_condition_expression("#s = :s AND #k = :k")
                .expression_attribute_names("#k", "shard")
                .expression_attribute_values(":k", n(shard)),
            None => q.key_condition_expression("#s = :s"),
        };
        let out = q.send().await?;
        capacity::record(Kind::Read, out.consumed_capacity());
        let units = capacity::computed_read(out.items(), false);
        let mut customers = 0i64;
        for item in out.items() {
            if let Some(v) = item.get(&attr) {
                customers += number(&scope, &attr, v)?;
            }
        }
        Ok(CountRead {
            customers,
            units,
            complete: true,
        })
    }

    /// The customers of a days partition created on `days` (`yyyymmdd`): one Query of the
    /// months' items (four a month for an ISP), paged past 1 MB (over ~300 years).
    async fn sum_days(
        &self,
        scope: &str,
        days: std::ops::RangeInclusive<u32>,
    ) -> Result<CountRead, StoreError> {
        let lo = count::day_shard(*days.start(), 0);
        let hi = count::day_shard(*days.end(), 9);
        let mut read = CountRead::NOTHING;
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.tables.counts)
                .key_condition_expression("#s = :s AND #k BETWEEN :lo AND :hi")
                .expression_attribute_names("#s", "scope")
                .expression_attribute_names("#k", "shard")
                .expression_attribute_values(":s", s(scope))
                .expression_attribute_values(":lo", n(lo))
                .expression_attribute_values(":hi", n(hi))
                .set_exclusive_start_key(start)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await?;
            capacity::record(Kind::Read, out.consumed_capacity());
            read.units += capacity::computed_read(out.items(), false);
            for item in out.items() {
                let shard = match item.get("shard") {
                    Some(AttributeValue::N(k)) => k.parse::<u64>().ok(),
                    _ => None,
                }
                .ok_or_else(|| StoreError::Corrupt(format!("count {scope}: an item's shard")))?;
                for (attr, v) in item {
                    if count::day_of(shard, attr).is_some_and(|d| days.contains(&d)) {
                        read.customers += number(scope, attr, v)?;
                    }
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(read);
            }
        }
    }
}
