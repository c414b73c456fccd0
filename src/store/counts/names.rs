//! A part's count of a name or a name prefix: the sum of the name items it matches, read
//! from the `NAMES` index (one entry per distinct folded name in the part).

use super::{CountRead, number};
use crate::store::capacity::{self, Kind};
use crate::store::keys::count;
use crate::store::plan::Part;
use crate::store::query::SortCond;
use crate::store::{Store, StoreError, s};

/// The most entries asked for in one Query page.
const PAGE: f64 = 1000.0;

impl Store {
    /// The customers of `part` named `text` (folded), or whose name starts with it, from
    /// their name items: paged, stopping incomplete once `max_units` have been read.
    pub(super) async fn count_names(
        &self,
        part: Part,
        text: &str,
        prefix: bool,
        max_units: f64,
    ) -> Result<CountRead, StoreError> {
        let (index, keys) = count::NAMES;
        let sort = match prefix {
            true => SortCond::BeginsWith(text.to_owned()),
            // Both bounds the name: its one entry.
            false => SortCond::Between(text.to_owned(), text.to_owned()),
        };
        let scope = part.count_scope();
        let mut read = CountRead::NOTHING;
        let mut start = None;
        loop {
            // What the rest of the limit pays for (eventually consistent: 8 KB a unit).
            let left = (max_units - read.units).max(0.5) * 8192.0;
            let page = (left / count::NAME_ENTRY_MIN_BYTES as f64).clamp(1.0, PAGE) as i32;
            let out = self
                .index_query(&self.tables.counts, index, keys, s(scope.as_str()), &sort)
                .limit(page)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            capacity::record(Kind::Read, out.consumed_capacity());
            read.units += capacity::computed_read(out.items(), false);
            for item in out.items() {
                if let Some(v) = item.get(count::CUSTOMERS) {
                    read.customers += number(&scope, count::CUSTOMERS, v)?;
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(read);
            }
            if read.units >= max_units {
                read.complete = false;
                return Ok(read);
            }
        }
    }
}
