//! `store` is the only layer that speaks DynamoDB: above `src/store/` no code names the SDK,
//! an `AttributeValue`, a start key, a key format (`store::keys`), an index name or a
//! transaction's item positions. (`src/events/` reads stream images, which are
//! `serde_dynamo::AttributeValue`s: that one name is allowed there.) Reads the sources, so it
//! needs no DynamoDB.

use std::path::{Path, PathBuf};

/// What only `store` may say, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    ("aws_sdk_dynamodb", "the DynamoDB SDK"),
    ("AttributeValue", "a DynamoDB attribute value"),
    ("ExclusiveStartKey", "a start key"),
    ("exclusive_start_key", "a start key"),
    ("last_evaluated_key", "a start key"),
    ("store::keys", "a key format"),
    ("keys::", "a key format"),
    ("TxOutcome", "a transaction's item positions"),
    ("create_tx", "a transaction's item positions"),
    (".failed(", "a transaction's item positions"),
    ("TransactWriteItem", "a transaction's items"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The index names `template.yaml` declares (`IndexName: by-...`).
fn index_names() -> Vec<String> {
    let template = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    let mut names: Vec<String> = template
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("IndexName:"))
        .map(|n| n.trim().trim_matches(['"', '\'']).to_owned())
        .collect();
    names.sort();
    names.dedup();
    assert!(
        names.iter().any(|n| n == "by-isp") && names.iter().any(|n| n == "by-username"),
        "template.yaml's index names not found: {names:?}"
    );
    names
}

/// Whether `line` names `index` as a whole word (`by-reseller` is not in `by-reseller-name`).
fn names_index(line: &str, index: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    line.match_indices(index).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + index.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// Every `file:line: what` above the store that speaks DynamoDB.
fn offences(files: &[PathBuf], indexes: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(root())
            .expect("under the crate")
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("src/store/") {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("a readable source");
        let stream_images = rel.starts_with("src/events/");
        for (i, line) in text.lines().enumerate() {
            for (needle, what) in FORBIDDEN {
                if *needle == "AttributeValue" && stream_images {
                    continue;
                }
                if line.contains(needle) {
                    found.push(format!("{rel}:{}: {what} (`{needle}`)", i + 1));
                }
            }
            for index in indexes.iter().filter(|ix| names_index(line, ix)) {
                found.push(format!("{rel}:{}: an index name (`{index}`)", i + 1));
            }
        }
    }
    found
}

#[test]
fn only_the_store_speaks_dynamodb() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    let found = offences(&files, &index_names());
    assert!(
        found.is_empty(),
        "above src/store/ (see tests/layering.rs):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    assert!(names_index("reads `by-name` first", "by-name"));
    assert!(!names_index("reads by-reseller-name", "by-reseller"));
    assert!(!names_index("reads by-reseller-name", "by-name"));
}
