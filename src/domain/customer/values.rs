//! A customer's typed values: its type, mobile, email, postal code and dates, each parsed
//! (and normalised) from what a caller typed.

use crate::domain::Invalid;
use jiff::civil::Date;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CustomerType {
    Individual,
    Organisation,
}

impl CustomerType {
    /// Accepts the spec's spellings in any case (form tools lower-case select values).
    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        match value.trim().to_ascii_lowercase().as_str() {
            "individual" => Ok(Self::Individual),
            "organisation" | "organization" => Ok(Self::Organisation),
            _ => Err(Invalid::new(param, "must be Individual or Organisation")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "Individual",
            Self::Organisation => "Organisation",
        }
    }
}

/// A mobile number: 6 to 15 digits, optionally after a `+`. Spaces, dashes, dots and
/// parentheses that people type are dropped, so `+91 98765-43210` is stored as `+919876543210`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

impl Mobile {
    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        let (plus, rest) = match value.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", value),
        };
        let mut digits = String::with_capacity(rest.len() + 1);
        digits.push_str(plus);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(Invalid::new(param, "must be 6 to 15 digits")),
            }
        }
        let count = digits.len() - plus.len();
        if !(6..=15).contains(&count) {
            return Err(Invalid::new(param, "must be 6 to 15 digits"));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address (RFC 5321 syntax, at most 254 characters), kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        let invalid = || Invalid::new(param, "must be an email address like name@example.com");
        if value.len() > 254 || !email_address::EmailAddress::is_valid(value) {
            return Err(invalid());
        }
        // The crate accepts dotless domains ("a@localhost"); a subscriber's address needs a real one.
        let domain = value.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        if !domain.contains('.') || domain.starts_with('[') {
            return Err(invalid());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that comparisons use: email matches ignore case.
    pub fn folded(&self) -> String {
        crate::domain::text::fold(&self.0)
    }
}

/// A postal code: 2 to 10 letters, digits, spaces or dashes (covers the world's formats).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Zipcode(String);

impl Zipcode {
    pub fn parse(param: &'static str, value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        let ok = (2..=10).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
        if !ok {
            return Err(Invalid::new(
                param,
                "must be 2 to 10 letters, digits, spaces or dashes",
            ));
        }
        Ok(Self(value.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A calendar date written `yyyy-mm-dd`, checked to exist (no 2026-02-30).
pub fn parse_date(param: &'static str, value: &str) -> Result<Date, Invalid> {
    let value = value.trim();
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let invalid = || Invalid::new(param, "must be a real date in yyyy-mm-dd format");
    if !shaped {
        return Err(invalid());
    }
    value.parse::<Date>().map_err(|_| invalid())
}

/// Date of birth or registration: a real date, not in the future, not before 1850.
pub fn parse_dob(param: &'static str, value: &str, today: Date) -> Result<Date, Invalid> {
    let date = parse_date(param, value)?;
    if date > today {
        return Err(Invalid::new(param, "must not be in the future"));
    }
    if date.year() < 1850 {
        return Err(Invalid::new(param, "must not be before 1850-01-01"));
    }
    Ok(date)
}

impl fmt::Display for CustomerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::constant(2026, 11, 27)
    }

    #[test]
    fn mobile_drops_separators_and_counts_digits() {
        assert_eq!(
            Mobile::parse("mobile", "12344444").unwrap().as_str(),
            "12344444"
        );
        assert_eq!(
            Mobile::parse("mobile", "+91 98765-43210").unwrap().as_str(),
            "+919876543210"
        );
        for bad in ["12345", "1234567890123456", "12a4567", "++123456", "", "+"] {
            let err = Mobile::parse("mobile", bad).unwrap_err();
            assert_eq!(err.to_string(), "mobile: must be 6 to 15 digits", "{bad}");
        }
    }

    #[test]
    fn email_needs_a_real_domain() {
        assert!(Email::parse("email", "abc@email.com").is_ok());
        for bad in [
            "abc",
            "abc@",
            "@x.com",
            "a@localhost",
            "a b@x.com",
            "a@[127.0.0.1]",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
        assert_eq!(
            Email::parse("email", "A@X.com").unwrap().folded(),
            "a@x.com"
        );
    }

    #[test]
    fn dates_must_exist_and_be_shaped() {
        assert!(parse_date("dob", "2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "26-01-01",
            "2026/01/01",
            "20260101",
            "2026-1-01",
        ] {
            assert!(parse_date("dob", bad).is_err(), "{bad}");
        }
        assert!(parse_dob("dob", "2026-11-28", today()).is_err());
        assert!(parse_dob("dob", "1849-12-31", today()).is_err());
    }

    #[test]
    fn type_accepts_any_case() {
        assert_eq!(
            CustomerType::parse("type", "individual"),
            Ok(CustomerType::Individual)
        );
        assert_eq!(
            CustomerType::parse("type", "Organisation"),
            Ok(CustomerType::Organisation)
        );
        assert!(CustomerType::parse("type", "Company").is_err());
    }
}
