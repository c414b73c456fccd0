//! README's "Stack parameters" table lists every parameter of template.yaml, with the
//! template's default, and nothing else.

use std::collections::BTreeMap;

/// The template's parameters and their defaults (as README writes them: empty as `empty`).
fn template_parameters() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string("template.yaml").expect("template.yaml");
    // Only the Parameters section: the rest holds CloudFormation tags (!Ref, !Sub, …).
    let section = text
        .split_once("\nParameters:\n")
        .map(|(_, rest)| rest)
        .expect("a Parameters section");
    let end = section
        .lines()
        .position(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with('#'))
        .unwrap_or(usize::MAX);
    let body: String = section
        .lines()
        .take(end)
        .map(|l| format!("{l}\n"))
        .collect();
    let params: BTreeMap<String, serde_yaml_ng::Value> =
        serde_yaml_ng::from_str(&body).expect("the Parameters section parses");
    params
        .into_iter()
        .map(|(name, p)| {
            let default = match &p["Default"] {
                serde_yaml_ng::Value::String(s) if s.is_empty() => "empty".to_owned(),
                serde_yaml_ng::Value::String(s) => format!("`{s}`"),
                serde_yaml_ng::Value::Number(n) => format!("`{n}`"),
                other => panic!("{name}: a default of {other:?}"),
            };
            (name, default)
        })
        .collect()
}

/// README's table: parameter name → default cell.
fn readme_table() -> BTreeMap<String, String> {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let section = readme
        .split_once("### Stack parameters")
        .map(|(_, rest)| rest)
        .expect("README has a Stack parameters section");
    section
        .lines()
        .skip_while(|l| !l.starts_with("| parameter"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let name = cells.get(1).copied().unwrap_or_default().trim_matches('`');
            let default = cells.get(2).copied().unwrap_or_default();
            (name.to_owned(), default.to_owned())
        })
        .collect()
}

#[test]
fn readme_lists_every_stack_parameter_with_its_default() {
    assert_eq!(readme_table(), template_parameters());
}
