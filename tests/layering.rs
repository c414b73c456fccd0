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

/// A file's module path under `src/` (`store/plan.rs` → `store::plan`, `store/mod.rs` →
/// `store`), and the module its `super::` names.
fn module_of(rel: &Path) -> (String, String) {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let is_mod = parts.last().is_some_and(|p| p == "mod");
    if is_mod {
        parts.pop();
    }
    let parent = parts[..parts.len().saturating_sub(1)].join("::");
    (parts.join("::"), parent)
}

/// The modules a source names through `crate::` and `super::` paths (its unit tests left out).
fn named_paths(text: &str, parent: &str) -> Vec<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut paths = Vec::new();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent.to_owned())] {
        for (at, _) in code.match_indices(prefix) {
            let rest = &code[at + prefix.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let path = path.trim_end_matches(':');
            let full = |p: &str| match base.is_empty() {
                true => p.to_owned(),
                false => format!("{base}::{p}"),
            };
            paths.push(full(path));
            // `crate::a::{b, c::d}`: each member too.
            if let Some(group) = rest[path.len()..].strip_prefix("::{") {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for member in group.split(',').map(str::trim) {
                    let member: String = member
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    paths.push(full(&format!("{path}::{member}")));
                }
            }
        }
    }
    paths
}

#[test]
fn no_two_modules_import_each_other() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut texts = std::collections::BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).expect("under src").to_path_buf();
        if rel.starts_with("bin") || rel == Path::new("main.rs") || rel == Path::new("lib.rs") {
            continue;
        }
        let (module, parent) = module_of(&rel);
        let text = std::fs::read_to_string(&path).expect("a readable source");
        texts.insert(module, (parent, text));
    }
    let modules: Vec<&String> = texts.keys().collect();
    let resolve = |path: &str| {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|m| texts.contains_key(m))
    };
    let related = |a: &str, b: &str| {
        a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
    };
    let mut edges: std::collections::BTreeMap<&str, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    for (module, (parent, text)) in &texts {
        let to = edges.entry(module.as_str()).or_default();
        for path in named_paths(text, parent) {
            if let Some(target) = resolve(&path).filter(|t| !related(module, t)) {
                to.insert(target);
            }
        }
    }
    // A depth-first walk from each module: reaching it again is a circle.
    let mut circles = Vec::new();
    for start in &modules {
        let mut stack = vec![(start.to_string(), vec![start.to_string()])];
        let mut seen = std::collections::BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(at.as_str()).into_iter().flatten() {
                if next == *start {
                    circles.push(format!("{} -> {start}", trail.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = trail.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "modules that import one another:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_import_scan_reads_groups_and_super() {
    let paths = named_paths(
        "use crate::store::{plan::Part, Store};\nuse super::keys;",
        "store",
    );
    assert_eq!(
        paths,
        ["store", "store::plan::Part", "store::Store", "store::keys"]
    );
    assert_eq!(
        module_of(Path::new("store/tenancy/mod.rs")),
        ("store::tenancy".to_owned(), "store".to_owned())
    );
}
