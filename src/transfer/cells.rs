//! Spreadsheet formula neutralising (OWASP "CSV injection"): a CSV cell that starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by Excel and
//! LibreOffice. Export prefixes such a cell with `'`, which spreadsheets show as text and
//! which import takes off again, so export then import gives back the same value.

/// What makes a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `restore` would take a leading `'` off `rest` (the text after it).
fn escaped(rest: &str) -> bool {
    rest.starts_with(TRIGGERS) || rest.starts_with('\'')
}

/// The cell to write for `value`: prefixed with `'` if a spreadsheet would run it, or if it
/// already starts with a `'` that `restore` would take off.
pub fn neutralise(value: &str) -> std::borrow::Cow<'_, str> {
    let needs = value.starts_with(TRIGGERS) || value.strip_prefix('\'').is_some_and(escaped);
    match needs {
        true => format!("'{value}").into(),
        false => value.into(),
    }
}

/// The value of a cell that `neutralise` wrote; any other cell is its own value.
pub fn restore(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.strip_prefix('\'') {
        Some(rest) if escaped(rest) => rest.into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_neutralised_and_restored() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("-1+2"), "'-1+2");
        assert_eq!(neutralise("Ravi"), "Ravi");
        assert_eq!(neutralise("'Tis"), "'Tis");
        assert_eq!(neutralise("'=x"), "''=x");
        assert_eq!(restore("'=x"), "=x");
        assert_eq!(restore("'Tis"), "'Tis");
        assert_eq!(restore("''=x"), "'=x");
    }

    proptest! {
        #![proptest_config(ProptestConfig { rng_seed: proptest::test_runner::RngSeed::Fixed(15), ..ProptestConfig::default() })]
        #[test]
        fn restore_undoes_neutralise(v in "['=+@\\-\t\ra-z]{0,6}") {
            let cell = neutralise(&v);
            prop_assert_eq!(restore(&cell), v.as_str());
            prop_assert!(!cell.starts_with(TRIGGERS));
        }
    }
}
