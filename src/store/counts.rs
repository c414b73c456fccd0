//! Customer counts per ISP and per reseller, in total, per type and per value of `state`,
//! `city` and `zipcode`, kept exact by the transactions that create, move and delete
//! customers (see `keys::count` for the layout).

use super::capacity::{self, Kind};
use super::keys::count;
use super::patch::Patch;
use super::plan::Part;
use super::records::CustomerItem;
use super::{Item, Store, StoreError, n, s};
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, PutRequest, ReturnConsumedCapacity, TransactWriteItem, Update,
    WriteRequest,
};
use std::collections::BTreeMap;

/// A customer field whose values are counted one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facet {
    State,
    City,
    Zipcode,
}

impl Facet {
    pub const ALL: [Facet; 3] = [Self::State, Self::City, Self::Zipcode];

    /// The field's name, as the record and the count keys spell it.
    pub fn name(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::City => "city",
            Self::Zipcode => "zipcode",
        }
    }

    fn of(self, c: &CustomerItem) -> &str {
        match self {
            Self::State => &c.state,
            Self::City => &c.city,
            Self::Zipcode => &c.zipcode,
        }
    }
}

/// What a kept count counts in a part: every customer, those of one type, or those with one
/// value of a facet (as stored: the filters compare exactly).
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
}

/// Placeholder names, an expression and placeholder values.
pub(crate) type TallyCondition = (
    Vec<(String, String)>,
    String,
    Vec<(&'static str, AttributeValue)>,
);

/// The values a customer is counted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    id: CustomerId,
    isp: IspId,
    reseller: ResellerId,
    ctype: String,
    /// In the order of `Facet::ALL`.
    facets: [String; 3],
    /// The day of creation (`yyyymmdd`); a record without one is in no day's count.
    day: Option<u32>,
}

impl Tally {
    /// The record attributes a tally reads: an update that sets one may move counts.
    pub(crate) const ATTRS: [&'static str; 4] = ["type", "state", "city", "zipcode"];

    pub(crate) fn of(c: &CustomerItem) -> Self {
        Self {
            id: c.id,
            isp: c.ispid,
            reseller: c.resellerid,
            ctype: c.ctype.clone(),
            facets: Facet::ALL.map(|f| f.of(c).to_owned()),
            day: c.created_day_key,
        }
    }

    /// The tally after `patch` (which never moves a customer to another ISP or reseller).
    pub(crate) fn patched(&self, patch: &Patch) -> Self {
        let mut next = self.clone();
        for (attr, value) in &patch.set {
            let AttributeValue::S(v) = value else {
                continue;
            };
            match *attr {
                "type" => next.ctype = v.clone(),
                other => {
                    if let Some(i) = Facet::ALL.iter().position(|f| f.name() == other) {
                        next.facets[i] = v.clone();
                    }
                }
            }
        }
        next
    }

    /// The record's counted attributes as a condition: `(names, expression, values)`, the
    /// guard of a move computed from them.
    pub(crate) fn condition(&self) -> TallyCondition {
        const VALUES: [&str; 4] = [
            ":tally_type",
            ":tally_state",
            ":tally_city",
            ":tally_zipcode",
        ];
        let current = [
            &self.ctype,
            &self.facets[0],
            &self.facets[1],
            &self.facets[2],
        ];
        let mut names = Vec::new();
        let mut terms = Vec::new();
        let mut values = Vec::new();
        for ((attr, placeholder), value) in Self::ATTRS.iter().zip(VALUES).zip(current) {
            let name = format!("#tally_{attr}");
            terms.push(format!("{name} = {placeholder}"));
            names.push((name, (*attr).to_owned()));
            values.push((placeholder, s(value.as_str())));
        }
        (names, terms.join(" AND "), values)
    }
}

/// Count changes, summed per item (`(partition, shard)`) and attribute: a transaction may
/// touch an item once, and a batch of customers often shares items.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Deltas(BTreeMap<(String, u64), BTreeMap<String, i64>>);

impl Deltas {
    /// Counts a customer: what loaders that write around the API sum up for `put_counts`.
    pub fn count(&mut self, c: &CustomerItem) {
        self.add(&Tally::of(c), 1);
    }

    /// Counts (`sign` 1) or uncounts (-1) a customer.
    pub(crate) fn add(&mut self, t: &Tally, sign: i64) {
        let mut bump = |scope: String, shard: u64, attr: String| {
            *self
                .0
                .entry((scope, shard))
                .or_default()
                .entry(attr)
                .or_default() += sign;
        };
        let shard = count::shard(t.id);
        for scope in [count::isp(t.isp), count::reseller(t.reseller)] {
            bump(scope.clone(), shard, count::CUSTOMERS.to_owned());
            bump(scope, shard, count::type_attr(&t.ctype));
        }
        let shard = count::facet_shard(t.reseller);
        for (facet, value) in Facet::ALL.iter().zip(&t.facets) {
            let scope = count::facet(t.isp, facet.name(), value);
            bump(scope.clone(), shard, count::CUSTOMERS.to_owned());
            bump(scope, shard, count::reseller_attr(t.reseller));
        }
        if let Some(day) = t.day {
            let isp_shard = count::day_shard(day, t.id.get() % count::DAY_SHARDS);
            bump(
                count::days(&count::isp(t.isp)),
                isp_shard,
                count::CUSTOMERS.to_owned(),
            );
            let reseller_shard = count::day_shard(day, 0);
            let scope = count::days(&count::reseller(t.reseller));
            bump(scope, reseller_shard, count::CUSTOMERS.to_owned());
        }
    }

    /// The changes of moving a customer from `old` to `new`: nothing where they agree.
    pub(crate) fn moved(old: &Tally, new: &Tally) -> Self {
        let mut d = Self::default();
        d.add(old, -1);
        d.add(new, 1);
        d
    }

    /// Without the attributes whose changes cancel out, and the items left with none.
    fn settled(self) -> BTreeMap<(String, u64), BTreeMap<String, i64>> {
        self.0
            .into_iter()
            .map(|(key, attrs)| (key, attrs.into_iter().filter(|(_, d)| *d != 0).collect()))
            .filter(|(_, attrs): &(_, BTreeMap<String, i64>)| !attrs.is_empty())
            .collect()
    }
}

/// A kept count beside the customers counted one by one (what `crm-admin` checks): one
/// attribute of a count partition, summed over its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recount {
    /// The count partition and attribute (`isp|1 customers`, `isp|1|city|Panaji r7`).
    pub scope: String,
    pub kept: i64,
    pub actual: u64,
}

impl Recount {
    pub fn agrees(&self) -> bool {
        u64::try_from(self.kept).is_ok_and(|k| k == self.actual)
    }
}

/// What a count read found, and what reading it cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountRead {
    pub customers: i64,
    pub units: f64,
}

/// Each count partition's attributes summed over its items.
type Sums = BTreeMap<String, BTreeMap<String, i64>>;

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
            .settled()
            .into_iter()
            .map(|((scope, shard), attrs)| {
                let mut update = Update::builder()
                    .table_name(&self.tables.counts)
                    .key("scope", s(scope))
                    .key("shard", n(shard));
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
                let update = update
                    .update_expression(format!("ADD {}", adds.join(", ")))
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }

    /// A part's kept count of `of`: one Query of its partition (≤ 16 small items), or for a
    /// reseller's facet one item of the ISP's partition.
    pub async fn count_of(&self, part: Part, of: &CountOf) -> Result<CountRead, StoreError> {
        let (scope, shard, attr) = match (of, part) {
            (CountOf::Created { from, upto }, _) => {
                let lo = count::day_shard(from.unwrap_or(0), 0);
                let hi = count::day_shard(upto.unwrap_or(99_999_999), 9);
                return self
                    .sum_days(&count::days(&part.count_scope()), lo, hi)
                    .await;
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
        Ok(CountRead { customers, units })
    }

    /// The customers of a days partition between two sort keys: one Query (of one item a
    /// day, four for an ISP), paged past 1 MB (over ~50 years of days).
    async fn sum_days(&self, scope: &str, lo: u64, hi: u64) -> Result<CountRead, StoreError> {
        let mut read = CountRead {
            customers: 0,
            units: 0.0,
        };
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
                if let Some(v) = item.get(count::CUSTOMERS) {
                    read.customers += number(scope, count::CUSTOMERS, v)?;
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(read);
            }
        }
    }

    /// Every kept count of an ISP and its resellers, summed per partition and attribute:
    /// the totals' partitions by Query, the facets' by a Scan of the counts table (small:
    /// a few items per ISP and value; `crm-admin` only).
    async fn kept_counts(&self, isp: IspId, resellers: &[ResellerId]) -> Result<Sums, StoreError> {
        let mut sums = Sums::new();
        let mut add = |item: &Item| -> Result<(), StoreError> {
            let Some(AttributeValue::S(scope)) = item.get("scope") else {
                return Err(StoreError::Corrupt(format!("count item {item:?}")));
            };
            for (attr, v) in item {
                if attr != "scope" && attr != "shard" {
                    *sums
                        .entry(scope.clone())
                        .or_default()
                        .entry(attr.clone())
                        .or_default() += number(scope, attr, v)?;
                }
            }
            Ok(())
        };
        let totals = std::iter::once(count::isp(isp))
            .chain(resellers.iter().map(|r| count::reseller(*r)))
            .chain(resellers.iter().map(|r| count::days(&count::reseller(*r))));
        for scope in totals {
            let mut start = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.tables.counts)
                    .key_condition_expression("#s = :s")
                    .expression_attribute_names("#s", "scope")
                    .expression_attribute_values(":s", s(scope.as_str()))
                    .set_exclusive_start_key(start)
                    .send()
                    .await?;
                for item in out.items() {
                    add(item)?;
                }
                start = out.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        let prefix = format!("{}|", count::isp(isp));
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.tables.counts)
                .filter_expression("begins_with(#s, :p)")
                .expression_attribute_names("#s", "scope")
                .expression_attribute_values(":p", s(prefix.as_str()))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in out.items() {
                add(item)?;
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(sums)
    }

    /// The counts an ISP's customers call for, item by item, from a walk of every customer
    /// (`by-isp` holds them whole: ~0.06 read units a customer).
    async fn due_counts(&self, isp: IspId) -> Result<Deltas, StoreError> {
        let mut due = Deltas::default();
        let query = super::plan::CustomerQuery::new(Part::Isp(isp), super::plan::Access::Scope);
        let mut start = None;
        loop {
            let page = self.query_customers(&query, true, None, start).await?;
            for c in &page.items {
                due.add(&Tally::of(c), 1);
            }
            start = page.next;
            if start.is_none() {
                return Ok(due);
            }
        }
    }

    /// Compares every kept count of an ISP and its resellers with its customers counted one
    /// by one. Read-only; what it returns is what `rebuild_counts` would fix.
    pub async fn recount_isp(
        &self,
        isp: IspId,
        resellers: &[ResellerId],
    ) -> Result<(Vec<Recount>, Vec<String>), StoreError> {
        let due = self.due_counts(isp).await?;
        let kept = self.kept_counts(isp, resellers).await?;
        let mut actual = Sums::new();
        for ((scope, _), attrs) in due.clone().settled() {
            for (attr, d) in attrs {
                *actual
                    .entry(scope.clone())
                    .or_default()
                    .entry(attr)
                    .or_default() += d;
            }
        }
        // Every total is checked, even where nothing is due (an empty ISP or reseller).
        for scope in
            std::iter::once(count::isp(isp)).chain(resellers.iter().map(|r| count::reseller(*r)))
        {
            actual
                .entry(scope)
                .or_default()
                .entry(count::CUSTOMERS.to_owned())
                .or_default();
        }
        let mut checks = Vec::new();
        let mut wrong = std::collections::BTreeSet::new();
        let scopes: std::collections::BTreeSet<&String> =
            actual.keys().chain(kept.keys()).collect();
        for scope in scopes {
            let none = BTreeMap::new();
            let due = actual.get(scope).unwrap_or(&none);
            let held = kept.get(scope).unwrap_or(&none);
            let attrs: std::collections::BTreeSet<&String> =
                due.keys().chain(held.keys()).collect();
            for attr in attrs {
                let want = due.get(attr).copied().unwrap_or(0);
                let check = Recount {
                    scope: format!("{scope} {attr}"),
                    kept: held.get(attr).copied().unwrap_or(0),
                    actual: u64::try_from(want).unwrap_or(0),
                };
                // Facet items with nothing due are checked only when they hold something.
                if !check.agrees() {
                    wrong.insert(scope.clone());
                }
                if attr == count::CUSTOMERS || check.kept != 0 || want != 0 {
                    checks.push(check);
                }
            }
        }
        Ok((checks, wrong.into_iter().collect()))
    }

    /// Rewrites the count partitions `scopes` of an ISP with what its customers call for:
    /// every item of each is deleted, then the due items are put. Not atomic with creates
    /// and deletes running meanwhile (`crm-admin counters rebuild`: run it while the ISP is
    /// quiet).
    pub async fn rebuild_counts(&self, isp: IspId, scopes: &[String]) -> Result<(), StoreError> {
        let due = self.due_counts(isp).await?.settled();
        let mut requests = Vec::new();
        for scope in scopes {
            let out = self
                .client
                .query()
                .table_name(&self.tables.counts)
                .key_condition_expression("#s = :s")
                .expression_attribute_names("#s", "scope")
                .expression_attribute_values(":s", s(scope.as_str()))
                .send()
                .await?;
            for item in out.items() {
                let key = Item::from([
                    ("scope".to_owned(), s(scope.as_str())),
                    (
                        "shard".to_owned(),
                        item.get("shard").cloned().unwrap_or(n(0)),
                    ),
                ]);
                let delete = DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                requests.push(WriteRequest::builder().delete_request(delete).build());
            }
        }
        self.batch_write(requests).await?;
        let mut due = due;
        due.retain(|(scope, _), _| scopes.contains(scope));
        self.put_counts(Deltas(due)).await
    }

    /// Puts the items of `counts` as they are (each replacing any item of its key): for
    /// loaders that write customers around the API, and for `rebuild_counts`.
    pub async fn put_counts(&self, counts: Deltas) -> Result<(), StoreError> {
        let mut puts = Vec::new();
        for ((scope, shard), attrs) in counts.settled() {
            let mut item = Item::from([
                ("scope".to_owned(), s(scope.as_str())),
                ("shard".to_owned(), n(shard)),
            ]);
            for (attr, v) in attrs {
                item.insert(attr, AttributeValue::N(v.to_string()));
            }
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            puts.push(WriteRequest::builder().put_request(put).build());
        }
        self.batch_write(puts).await
    }

    /// BatchWriteItem of the counts table, 25 at a time, unprocessed items retried.
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0u32;
            while !pending.is_empty() {
                attempt += 1;
                if attempt > 8 {
                    return Err(StoreError::Throttled(
                        "counts: BatchWriteItem kept returning unprocessed items".into(),
                    ));
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.tables.counts, pending)
                    .send()
                    .await?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.tables.counts))
                    .unwrap_or_default();
                if !pending.is_empty() {
                    tokio::time::sleep(super::backoff(attempt)).await;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(id: u64, reseller: u64, ctype: &str, city: &str) -> Tally {
        Tally {
            id: CustomerId(id),
            isp: IspId(1),
            reseller: ResellerId(reseller),
            ctype: ctype.into(),
            facets: ["Goa".into(), city.into(), "403001".into()],
            day: None,
        }
    }

    #[test]
    fn a_customer_is_counted_in_its_totals_and_one_item_per_facet() {
        let mut d = Deltas::default();
        d.add(&tally(9, 7, "Individual", "Panaji"), 1);
        let items = d.settled();
        assert_eq!(items.len(), 5, "two totals, three facets: {items:?}");
        let isp = &items[&("isp|1".to_owned(), 1)];
        assert_eq!(isp["customers"], 1);
        assert_eq!(isp["type|Individual"], 1);
        let city = &items[&("isp|1|city|Panaji".to_owned(), 7)];
        assert_eq!((city["customers"], city["r7"]), (1, 1));
    }

    #[test]
    fn a_day_is_counted_in_one_of_the_isps_four_items_and_the_resellers_one() {
        let mut t = tally(9, 7, "Individual", "Panaji");
        t.day = Some(20261207);
        let mut d = Deltas::default();
        d.add(&t, 1);
        let items = d.settled();
        assert_eq!(items.len(), 7, "{items:?}");
        assert_eq!(
            items[&("isp|1|created".to_owned(), 202612071)]["customers"],
            1
        );
        assert_eq!(
            items[&("reseller|7|created".to_owned(), 202612070)]["customers"],
            1
        );
    }

    #[test]
    fn a_move_touches_only_what_changed() {
        let old = tally(9, 7, "Individual", "Panaji");
        let new = tally(9, 7, "Organisation", "Vasco");
        let items = Deltas::moved(&old, &new).settled();
        // The two totals (type only), the old and the new city.
        assert_eq!(items.len(), 4, "{items:?}");
        let isp = &items[&("isp|1".to_owned(), 1)];
        assert!(!isp.contains_key("customers"));
        assert_eq!((isp["type|Individual"], isp["type|Organisation"]), (-1, 1));
        assert_eq!(items[&("isp|1|city|Panaji".to_owned(), 7)]["r7"], -1);
        assert_eq!(items[&("isp|1|city|Vasco".to_owned(), 7)]["r7"], 1);
        assert!(Deltas::moved(&old, &old).settled().is_empty());
    }

    #[test]
    fn a_patch_moves_the_tally_by_the_attributes_it_sets() {
        let old = tally(9, 7, "Individual", "Panaji");
        let patch = Patch {
            set: vec![("city", s("Vasco")), ("street", s("x"))],
            remove: vec![],
        };
        assert_eq!(old.patched(&patch), tally(9, 7, "Individual", "Vasco"));
    }
}
