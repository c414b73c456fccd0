//! What a customer is counted by (its `Tally`) and the count changes of a write (`Deltas`):
//! a create (+1), a delete (-1), a move (old -1, new +1, nothing where they agree), an
//! import batch (summed per item: a transaction may touch an item once).

use super::super::conditions::Condition;
use super::super::keys::count;
use super::super::patch::Patch;
use super::super::records::CustomerItem;
use super::super::s;
use crate::domain::ids::{CustomerId, IspId, ResellerId};
use crate::domain::text::fold;
use aws_sdk_dynamodb::types::AttributeValue;
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

/// The count items one customer touches at most (two totals, three facets, two days, two
/// names): what a transaction of several customers leaves room for.
pub const ITEMS_PER_CUSTOMER: usize = 9;

/// The values a customer is counted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    id: CustomerId,
    isp: IspId,
    reseller: ResellerId,
    ctype: String,
    /// The name as stored (the guard compares it); counted folded.
    name: String,
    /// In the order of `Facet::ALL`.
    facets: [String; 3],
    /// The day of creation (`yyyymmdd`); a record without one is in no day's count.
    day: Option<u32>,
}

impl Tally {
    /// The record attributes a tally reads: an update that sets one may move counts.
    pub(crate) const ATTRS: [&'static str; 5] = ["type", "state", "city", "zipcode", "name"];

    pub(crate) fn of(c: &CustomerItem) -> Self {
        Self {
            id: c.id,
            isp: c.ispid,
            reseller: c.resellerid,
            ctype: c.ctype.clone(),
            name: c.name.clone(),
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
                "name" => next.name = v.clone(),
                other => {
                    if let Some(i) = Facet::ALL.iter().position(|f| f.name() == other) {
                        next.facets[i] = v.clone();
                    }
                }
            }
        }
        next
    }

    /// The count items (partition, shard) that count the record by a value of its own (its
    /// facets' and its name's): what an erase deletes once they count nobody.
    pub(crate) fn value_items(&self) -> Vec<(String, u64)> {
        let shard = count::facet_shard(self.reseller);
        let facets = Facet::ALL
            .iter()
            .zip(&self.facets)
            .map(|(facet, value)| (count::facet(self.isp, facet.name(), value), shard));
        facets.chain(self.name_keys()).collect()
    }

    /// The two name items that count the record: what a rename or a delete may leave
    /// counting nobody.
    pub(crate) fn name_keys(&self) -> Vec<(String, u64)> {
        self.name_items().map(|(key, _)| key).collect()
    }

    /// Whether `other` is counted under another name (letter case aside).
    pub(crate) fn renamed(&self, other: &Tally) -> bool {
        fold(&self.name) != fold(&other.name)
    }

    /// The name items that count the record, each with its `NAMES` index key (the part's
    /// count scope, the folded name).
    fn name_items(&self) -> impl Iterator<Item = ((String, u64), (String, String))> + use<> {
        let folded = fold(&self.name);
        [count::isp(self.isp), count::reseller(self.reseller)]
            .into_iter()
            .map(move |names_of| {
                let key = (count::name(&names_of, &folded), 0);
                (key, (names_of, folded.clone()))
            })
    }

    /// The record's counted attributes as a condition: the guard of a move computed from
    /// them, and of a delete or an erase that uncounts them.
    pub(crate) fn condition(&self) -> Condition {
        const VALUES: [&str; 5] = [
            ":tally_type",
            ":tally_state",
            ":tally_city",
            ":tally_zipcode",
            ":tally_name",
        ];
        let current = [
            &self.ctype,
            &self.facets[0],
            &self.facets[1],
            &self.facets[2],
            &self.name,
        ];
        let mut c = Condition::default();
        let mut terms = Vec::new();
        for ((attr, placeholder), value) in Self::ATTRS.iter().zip(VALUES).zip(current) {
            let name = format!("#tally_{attr}");
            terms.push(format!("{name} = {placeholder}"));
            c.names.push((name, (*attr).to_owned()));
            c.values.push((placeholder, s(value.as_str())));
        }
        c.expr = terms.join(" AND ");
        c
    }
}

/// Count changes per item: (partition, shard) → attribute → change.
pub(super) type Changes = BTreeMap<(String, u64), BTreeMap<String, i64>>;

/// Count changes, summed per item (`(partition, shard)`) and attribute: a transaction may
/// touch an item once, and a batch of customers often shares items.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Deltas {
    changes: Changes,
    /// The `NAMES` index key of each name item: written with its count, so that a name item
    /// is in the index from its first customer on.
    labels: BTreeMap<(String, u64), (String, String)>,
}

impl Deltas {
    /// Counts a customer: what loaders that write around the API sum up for `put_counts`.
    pub fn count(&mut self, c: &CustomerItem) {
        self.add(&Tally::of(c), 1);
    }

    /// Counts (`sign` 1) or uncounts (-1) a customer.
    pub(crate) fn add(&mut self, t: &Tally, sign: i64) {
        let mut bump = |scope: String, shard: u64, attr: String| {
            *self
                .changes
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
                count::day_attr(day),
            );
            let reseller_shard = count::day_shard(day, 0);
            let scope = count::days(&count::reseller(t.reseller));
            bump(scope, reseller_shard, count::day_attr(day));
        }
        for ((scope, shard), label) in t.name_items() {
            bump(scope.clone(), shard, count::CUSTOMERS.to_owned());
            self.labels.insert((scope, shard), label);
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
    pub(super) fn settled(self) -> Changes {
        self.settled_items()
            .map(|(key, attrs, _)| (key, attrs))
            .collect()
    }

    /// Each item with a change: its key, its attributes' changes and, for a name item, the
    /// attributes that put it in the `NAMES` index.
    pub(super) fn settled_items(self) -> impl Iterator<Item = SettledItem> {
        let mut labels = self.labels;
        self.changes.into_iter().filter_map(move |(key, attrs)| {
            let attrs: BTreeMap<String, i64> = attrs.into_iter().filter(|(_, d)| *d != 0).collect();
            let (names_of, name_key) = count::NAMES.1;
            let label = labels
                .remove(&key)
                .map(|(of, name)| [(names_of, of), (name_key, name)]);
            (!attrs.is_empty()).then_some((key, attrs, label))
        })
    }

    /// Only the items of the partitions `scopes`.
    pub(super) fn only(mut self, scopes: &[String]) -> Self {
        self.changes.retain(|(scope, _), _| scopes.contains(scope));
        self
    }
}

/// A settled item: its key, its attributes' changes, its `NAMES` index attributes if any.
pub(super) type SettledItem = (
    (String, u64),
    BTreeMap<String, i64>,
    Option<[(&'static str, String); 2]>,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(id: u64, reseller: u64, ctype: &str, city: &str) -> Tally {
        Tally {
            id: CustomerId(id),
            isp: IspId(1),
            reseller: ResellerId(reseller),
            ctype: ctype.into(),
            name: "Ana Rao".into(),
            facets: ["Goa".into(), city.into(), "403001".into()],
            day: None,
        }
    }

    #[test]
    fn a_customer_is_counted_in_its_totals_one_item_per_facet_and_its_names() {
        let mut d = Deltas::default();
        d.add(&tally(9, 7, "Individual", "Panaji"), 1);
        let items = d.clone().settled();
        assert_eq!(
            items.len(),
            7,
            "two totals, three facets, two names: {items:?}"
        );
        let isp = &items[&("isp|1".to_owned(), 1)];
        assert_eq!(isp["customers"], 1);
        assert_eq!(isp["type|Individual"], 1);
        let city = &items[&("isp|1|city|Panaji".to_owned(), 7)];
        assert_eq!((city["customers"], city["r7"]), (1, 1));
        // The names are folded, one item per part, each written with its index key.
        let names: Vec<_> = d
            .settled_items()
            .filter_map(|(key, attrs, label)| Some((key, attrs, label?)))
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        for (names_of, (key, attrs, label)) in ["isp|1", "reseller|7"].iter().zip(names) {
            assert_eq!(key, (format!("{names_of}|name|ana rao"), 0));
            assert_eq!(attrs["customers"], 1);
            let (of, name) = count::NAMES.1;
            assert_eq!(
                label,
                [(of, (*names_of).to_owned()), (name, "ana rao".to_owned())]
            );
        }
    }

    #[test]
    fn a_day_is_counted_in_its_month_in_one_of_the_isps_four_items_and_the_resellers_one() {
        let mut t = tally(9, 7, "Individual", "Panaji");
        t.day = Some(20261207);
        let mut d = Deltas::default();
        d.add(&t, 1);
        let items = d.settled();
        assert_eq!(items.len(), ITEMS_PER_CUSTOMER, "{items:?}");
        assert_eq!(items[&("isp|1|created".to_owned(), 2026121)]["d07"], 1);
        assert_eq!(items[&("reseller|7|created".to_owned(), 2026120)]["d07"], 1);
    }

    #[test]
    fn a_month_item_names_its_days() {
        let shard = count::day_shard(20260305, 3);
        assert_eq!(shard, 2026033);
        assert_eq!(count::day_attr(20260305), "d05");
        assert_eq!(count::day_of(shard, "d05"), Some(20260305));
        assert_eq!(count::day_of(shard, "d31"), Some(20260331));
        for not_a_day in ["scope", "shard", "d00", "d32", "d5", "dx1", "customers"] {
            assert_eq!(count::day_of(shard, not_a_day), None, "{not_a_day}");
        }
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
    fn a_rename_moves_both_name_items_and_a_change_of_case_none() {
        let old = tally(9, 7, "Individual", "Panaji");
        let mut new = old.clone();
        new.name = "Ana Roy".into();
        let items = Deltas::moved(&old, &new).settled();
        assert_eq!(items.len(), 4, "{items:?}");
        assert_eq!(
            items[&("reseller|7|name|ana rao".to_owned(), 0)]["customers"],
            -1
        );
        assert_eq!(items[&("isp|1|name|ana roy".to_owned(), 0)]["customers"], 1);
        new.name = "ANA RAO".into();
        assert!(Deltas::moved(&old, &new).settled().is_empty());
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
