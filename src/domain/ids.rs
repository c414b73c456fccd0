//! Typed numeric ids: a `CustomerId` cannot be passed where an `IspId` is expected.

use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// A positive whole number written in decimal digits (no sign, no spaces inside).
            pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
                parse_positive(param, value).map(Self)
            }

            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

numeric_id!(
    /// A CRM login user.
    UserId
);
numeric_id!(
    /// An ISP (a tenant of the platform).
    IspId
);
numeric_id!(
    /// A reseller; reseller ids are unique across the platform and each belongs to one ISP.
    ResellerId
);
numeric_id!(
    /// A customer (subscriber); allocated from an increasing counter and never reused.
    CustomerId
);

numeric_id!(
    /// A service of a customer (e.g. an internet subscription); from its own counter.
    ServiceId
);

fn parse_positive(param: &'static str, value: &str) -> Result<u64, Invalid> {
    let value = value.trim();
    let rule = || Invalid::new(param, "must be a positive whole number");
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(rule());
    }
    match value.parse::<u64>() {
        Ok(0) | Err(_) => Err(rule()),
        Ok(n) if n > MAX_ID => Err(rule()),
        Ok(n) => Ok(n),
    }
}

/// Ids stay within what a JavaScript client (and a JSON double) represents exactly.
pub const MAX_ID: u64 = (1 << 53) - 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positive_decimal_ids() {
        assert_eq!(
            CustomerId::parse("customerid", "1243"),
            Ok(CustomerId(1243))
        );
        assert_eq!(CustomerId::parse("customerid", " 7 "), Ok(CustomerId(7)));
    }

    #[test]
    fn rejects_zero_signs_fractions_and_words() {
        for bad in ["0", "-1", "+1", "1.5", "1e3", "abc", "", "9007199254740992"] {
            let err = IspId::parse("ispid", bad).unwrap_err();
            assert_eq!(err.param, "ispid", "{bad}");
        }
    }
}
