//! Per-request accounting of DynamoDB calls and capacity units.
//!
//! The HTTP layer opens a scope around each request; every store call adds what DynamoDB
//! reports (`ReturnConsumedCapacity=TOTAL`), and also what the call costs by DynamoDB's
//! published rules, computed from the bytes it returned. The two agree on AWS; emulators
//! (moto) report flat numbers, so the computed figure is what local measurements use.
//! Outside a scope (the admin CLI) nothing is counted.

use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity};
use std::cell::RefCell;
use std::collections::HashMap;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Usage {
    pub calls: u32,
    /// As reported by the DynamoDB API.
    pub read_units: f64,
    pub write_units: f64,
    /// Read units by DynamoDB's rules (eventually consistent: 0.5 per 4 KB), for reads that
    /// return what they read.
    pub computed_read_units: f64,
    /// Items or index entries returned by reads.
    pub items_read: u64,
    /// `Select=COUNT` queries: the index and how many entries each walked. Their cost
    /// depends on entry sizes that the response does not carry: `computed_read_units`
    /// charges them at `CustomerIndex::entry_bytes` an entry.
    pub counted: Vec<(&'static str, u64)>,
}

tokio::task_local! {
    static USAGE: RefCell<Usage>;
}

/// Runs `fut` while counting the DynamoDB usage it causes, and returns both.
pub async fn measure<F: Future>(fut: F) -> (F::Output, Usage) {
    USAGE
        .scope(RefCell::new(Usage::default()), async move {
            let out = fut.await;
            (out, USAGE.with(|u| u.take()))
        })
        .await
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Read,
    Write,
}

fn with_usage(f: impl FnOnce(&mut Usage)) {
    let _ = USAGE.try_with(|cell| f(&mut cell.borrow_mut()));
}

/// Records one DynamoDB call and the capacity it reports.
pub fn record<'a>(kind: Kind, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>) {
    let units: f64 = consumed
        .into_iter()
        .filter_map(|c| c.capacity_units())
        .sum();
    with_usage(|u| {
        u.calls += 1;
        match kind {
            Kind::Read => u.read_units += units,
            Kind::Write => u.write_units += units,
        }
    });
}

/// Read units a Query cost beyond what it returned (items its filter read and discarded).
pub fn discarded(units: f64) {
    with_usage(|u| u.computed_read_units += units);
}

/// Adds the computed cost of a read that returned `items` (read as one unit of account,
/// like a Query page) or, with `per_item`, charged item by item (GetItem, BatchGetItem).
/// Returns that cost.
pub fn computed_read<'a>(
    items: impl IntoIterator<Item = &'a HashMap<String, AttributeValue>>,
    per_item: bool,
) -> f64 {
    let sizes: Vec<usize> = items.into_iter().map(item_size).collect();
    let units = if per_item {
        sizes.iter().map(|s| read_units(*s)).sum::<f64>().max(0.5)
    } else {
        read_units(sizes.iter().sum())
    };
    with_usage(|u| {
        u.computed_read_units += units;
        u.items_read += sizes.len() as u64;
    });
    units
}

/// Records a `Select=COUNT` query page on `index` that walked `scanned` entries of about
/// `entry_bytes` each: charged as a read of them, though it returns none. Returns that cost.
pub fn counted(index: &'static str, scanned: u64, entry_bytes: u64) -> f64 {
    let bytes = usize::try_from(scanned.saturating_mul(entry_bytes)).unwrap_or(usize::MAX);
    let units = read_units(bytes);
    with_usage(|u| {
        u.counted.push((index, scanned));
        u.computed_read_units += units;
    });
    units
}

/// Eventually consistent read units for `bytes` read: 0.5 per started 4 KB, at least 0.5.
pub fn read_units(bytes: usize) -> f64 {
    bytes.div_ceil(4096).max(1) as f64 * 0.5
}

/// An item's size by DynamoDB's rules: attribute names plus values (strings and binaries
/// by length, numbers about one byte per two significant digits plus one).
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => {
            let digits = n.trim_start_matches('-').replace('.', "");
            let significant = digits
                .trim_start_matches('0')
                .trim_end_matches('0')
                .len()
                .max(1);
            significant.div_ceil(2) + 1
        }
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v
            .iter()
            .map(|n| value_size(&AttributeValue::N(n.clone())))
            .sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|x| 1 + value_size(x)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, x)| 1 + k.len() + value_size(x))
                .sum::<usize>()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_dynamodb_rules() {
        let item = HashMap::from([
            ("id".to_string(), AttributeValue::N("1243".into())),
            ("name".to_string(), AttributeValue::S("Some Name".into())),
        ]);
        // "id" 2 + 4 digits → 3; "name" 4 + 9.
        assert_eq!(item_size(&item), 2 + 3 + 4 + 9);
        assert_eq!(read_units(0), 0.5);
        assert_eq!(read_units(4096), 0.5);
        assert_eq!(read_units(4097), 1.0);
    }
}
