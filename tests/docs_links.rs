//! Every relative link in README.md and docs/ names a file inside the repository, relative to
//! the file that links (a local Markdown viewer reads `/x` from the disk's root): a fresh clone
//! or a mirror has nothing beside it. Web links and in-page anchors are not checked here.

use std::path::{Path, PathBuf};

fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("readable docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// Targets of inline Markdown links, `[text](target)`, with any `"title"` dropped.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = rest[..end].split_whitespace().next().unwrap_or("");
        out.push(target.trim_matches(['<', '>']).to_owned());
        rest = &rest[end..];
    }
    out
}

fn is_external(target: &str) -> bool {
    target.is_empty()
        || target.starts_with('#')
        || target.contains("://")
        || target.starts_with("mailto:")
}

#[test]
fn relative_links_stay_inside_the_repository_and_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .expect("repository root");
    let mut bad = Vec::new();
    let mut checked = 0;
    for file in markdown_files(&root) {
        let text = std::fs::read_to_string(&file).expect("readable Markdown");
        let dir = file.parent().expect("a file has a folder");
        for target in link_targets(&text).into_iter().filter(|t| !is_external(t)) {
            checked += 1;
            let path = target.split('#').next().unwrap_or("");
            // `/x` means the repository's root on GitHub but the disk's root in a local Markdown
            // viewer: links are relative to their file.
            if path.starts_with('/') {
                bad.push(format!(
                    "{}: {target} is root-relative: write it relative to the file",
                    file.display()
                ));
                continue;
            }
            let resolved = dir.join(path).canonicalize();
            match resolved {
                Ok(p) if p.starts_with(&root) => {}
                Ok(p) => bad.push(format!(
                    "{}: {target} leaves the repository ({})",
                    file.display(),
                    p.display()
                )),
                Err(_) => bad.push(format!("{}: {target} does not exist", file.display())),
            }
        }
    }
    assert!(
        checked > 0,
        "no relative link found: is the link parser broken?"
    );
    assert!(
        bad.is_empty(),
        "links that a fresh clone cannot follow:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_link_parser_finds_a_link_out_of_the_repository() {
    let targets = link_targets(
        "see [spec](../shared/spec/a.txt) and [x](<docs/b.md> \"t\") [w](https://e.org)",
    );
    assert_eq!(
        targets,
        ["../shared/spec/a.txt", "docs/b.md", "https://e.org"]
    );
    assert!(!is_external("../shared/spec/a.txt"));
    assert!(is_external("https://e.org") && is_external("#anchor"));
}
