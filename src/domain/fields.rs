use super::Invalid;

/// Named request parameters, however they arrived (form, multipart, JSON).
/// The HTTP layer implements it; the domain only reads names and string values.
pub trait Fields {
    fn get(&self, name: &str) -> Option<&str>;

    /// Every parameter, in no particular order.
    fn pairs(&self) -> Vec<(&str, &str)>;

    /// The value, trimmed; an empty value counts as absent (forms post empty optional fields).
    fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &'static str) -> Result<&str, Invalid> {
        self.optional(name).ok_or(Invalid::required(name))
    }

    /// An update's field that may not be emptied: absent, or present and not empty (trimmed).
    fn unless_empty(&self, name: &'static str) -> Result<Option<&str>, Invalid> {
        match self.get(name).map(str::trim) {
            None => Ok(None),
            Some("") => Err(Invalid::new(name, "must not be empty")),
            Some(v) => Ok(Some(v)),
        }
    }

    /// An update's field that an empty value clears: `Some(None)` clears, `None` leaves it.
    fn clearable(&self, name: &str) -> Option<Option<&str>> {
        self.get(name)
            .map(|v| Some(v.trim()).filter(|v| !v.is_empty()))
    }

    /// Parses an optional parameter with `parse`.
    fn parse_opt<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&'static str, &str) -> Result<T, Invalid>,
    ) -> Result<Option<T>, Invalid> {
        self.optional(name).map(|v| parse(name, v)).transpose()
    }

    /// Parses a required parameter with `parse`.
    fn parse_req<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&'static str, &str) -> Result<T, Invalid>,
    ) -> Result<T, Invalid> {
        parse(name, self.required(name)?)
    }
}

impl Fields for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        std::collections::HashMap::get(self, name).map(String::as_str)
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

/// Parameters from name/value pairs, for unit tests of what reads `Fields`.
#[cfg(test)]
pub(crate) fn fields_of(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
