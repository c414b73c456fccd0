use std::fmt;

/// A request parameter that failed to parse. Its text names the parameter and the rule,
/// e.g. `mobile: must be 6 to 15 digits`, and is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    pub param: &'static str,
    pub rule: String,
}

impl Invalid {
    pub fn new(param: &'static str, rule: impl Into<String>) -> Self {
        Self {
            param,
            rule: rule.into(),
        }
    }

    pub fn required(param: &'static str) -> Self {
        Self::new(param, "is required")
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.param, self.rule)
    }
}

/// Why the domain refuses a request, independent of transport.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A parameter names an ISP or reseller the caller does not own.
    #[error("{0}: not in your scope")]
    OutOfScope(&'static str),
    /// The record does not exist, or exists outside the caller's scope (indistinguishable).
    #[error("{0}: not found")]
    NotFound(&'static str),
    /// The request clashes with stored state (a taken username, a customer that still has
    /// services, an idempotency key used for another request). The text says which.
    #[error("{0}")]
    Conflict(String),
    /// A signup form tool's delivery that cannot make a customer (a mapped answer missing,
    /// invalid or of the wrong type; a body not in the tool's shape): 400. The text names
    /// our field and the tool's.
    #[error("{0}")]
    Payload(String),
}
