//! Free-text fields: trimmed, bounded in length, no control characters.

use super::Invalid;

/// Validated free text. `max` counts characters, not bytes.
#[derive(Debug, Clone, Copy)]
pub struct TextRule {
    pub max: usize,
    /// Street addresses and notes may span lines; names may not.
    pub multiline: bool,
}

pub const NAME: TextRule = TextRule {
    max: 100,
    multiline: false,
};
pub const PLACE: TextRule = TextRule {
    max: 100,
    multiline: false,
};
pub const UNIQUE_ID: TextRule = TextRule {
    max: 64,
    multiline: false,
};
pub const STREET: TextRule = TextRule {
    max: 255,
    multiline: true,
};
pub const NOTES: TextRule = TextRule {
    max: 4000,
    multiline: true,
};

impl TextRule {
    pub fn parse(self, param: &'static str, value: &str) -> Result<String, Invalid> {
        let value = value.trim();
        if value.is_empty() {
            return Err(Invalid::new(param, "must not be empty"));
        }
        if value.chars().count() > self.max {
            return Err(Invalid::new(
                param,
                format!("must be at most {} characters", self.max),
            ));
        }
        let allowed =
            |c: char| !c.is_control() || (self.multiline && matches!(c, '\n' | '\r' | '\t'));
        if !value.chars().all(allowed) {
            return Err(Invalid::new(param, "must not contain control characters"));
        }
        Ok(value.to_owned())
    }

    /// A parser for `Fields::parse_req` / `parse_opt`.
    pub fn parser(self) -> impl FnOnce(&'static str, &str) -> Result<String, Invalid> {
        move |param, value| self.parse(param, value)
    }
}

/// Case folding for matches that ignore case (name, username, email): each character
/// lower-cased on its own, so a prefix folds to a prefix of the folded whole.
pub fn fold(value: &str) -> String {
    value.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(
            NAME.parse("name", "  Some Name ").as_deref(),
            Ok("Some Name")
        );
        assert!(NAME.parse("name", &"x".repeat(101)).is_err());
        assert!(NAME.parse("name", &"é".repeat(100)).is_ok());
    }

    #[test]
    fn newlines_only_where_multiline() {
        assert!(NAME.parse("name", "a\nb").is_err());
        assert!(STREET.parse("street", "3rd street\nflat 2").is_ok());
        assert!(STREET.parse("street", "a\u{0}b").is_err());
    }
}
