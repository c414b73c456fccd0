//! What an import is of (customers or services): the trait the two passes drive.

use super::Problem;
use super::source::Row;
use crate::store::sequences::Sequence;
use crate::store::{Store, StoreError};

/// What is imported: customers or services.
pub trait Kind {
    type Item;
    /// `customers` or `services` (the journal's kind, and messages).
    const NAME: &'static str;
    /// The id sequence a block is taken from.
    const SEQUENCE: Sequence;
    /// The columns read; any other is ignored with a warning.
    const FIELDS: &'static [&'static str];

    /// The fields a file must have a column for (given no default for them).
    fn required(&self) -> Vec<&'static str>;

    /// Checks a chunk of rows: for each, its kept id (if it has one) or why it is refused.
    /// May remember what pass 2 needs (the resellers or customers it read).
    fn check(
        &mut self,
        store: &Store,
        rows: &[Row],
    ) -> impl Future<Output = Result<Vec<Result<Option<u64>, Problem>>, StoreError>>;

    /// The record of a row that passed `check`, with id `id`.
    fn item(&self, row: &Row, id: u64) -> Result<Self::Item, Problem>;

    /// The id of a record.
    fn id_of(item: &Self::Item) -> u64;

    /// Writes a batch in one transaction; the records refused (and nothing written then)
    /// as (index in `items`, reason).
    fn write(
        &self,
        store: &Store,
        items: &[Self::Item],
    ) -> impl Future<Output = Result<Vec<(usize, String)>, StoreError>>;

    /// Whether the stored record under `item`'s id is `item` (written by the run a
    /// `--resume` continues), rather than another record.
    fn stored(
        &self,
        store: &Store,
        item: &Self::Item,
    ) -> impl Future<Output = Result<bool, StoreError>>;

    /// The id the row had in the previous system (`old_id`), for the id map.
    fn old_id(_row: &Row) -> Option<String> {
        None
    }
}
