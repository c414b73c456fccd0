//! Recovery steps of docs/operations.md, run as written: the `crm-admin` lines of each tested
//! block (marked `<!-- tests/docs_runbooks.rs … -->` just above it) against a fresh stack.

mod common;

/// The `crm-admin …` command lines of the fenced block right after the marker under `heading`,
/// without their trailing `# comments`.
fn tested_commands(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let section = doc
        .split_once(heading)
        .unwrap_or_else(|| panic!("{heading} is in docs/operations.md"))
        .1;
    let block = section
        .split_once("<!-- tests/docs_runbooks.rs")
        .and_then(|(_, rest)| rest.split_once("```sh\n"))
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .unwrap_or_else(|| panic!("{heading}: a marked sh block"));
    block
        .lines()
        .map(|line| line.split(" #").next().unwrap_or_default().trim())
        .filter(|line| line.starts_with("crm-admin "))
        .map(|line| line.split_whitespace().skip(1).map(str::to_owned).collect())
        .collect()
}

#[test]
fn every_admin_key_lost_makes_a_new_admin_as_written() {
    let doc = std::fs::read_to_string("docs/operations.md").expect("docs/operations.md");
    let commands = tested_commands(&doc, "### Every admin key lost");
    assert!(!commands.is_empty(), "the runbook has crm-admin steps");
    let prefix = format!("runbook{}-", std::process::id());
    let run = |args: &[&str]| common::crm_admin(&prefix, args);
    assert!(run(&["tables", "create"]).status.success());
    // The stack as it was: one admin, whose key is now lost.
    assert!(
        run(&["user", "create", "--userid", "1", "--role", "admin"])
            .status
            .success()
    );
    for args in &commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "crm-admin {}: {stderr}",
            args.join(" ")
        );
        if args.starts_with(&["user", "create"]) {
            let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert!(
                key.len() == 50 && key.bytes().all(|b| b.is_ascii_hexdigit()),
                "a new api_key on stdout, got {key:?}"
            );
            assert!(stderr.contains("(admin) created"), "{stderr}");
        }
    }
}
