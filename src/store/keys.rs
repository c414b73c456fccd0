//! Table names, index names and key formats: the one place that knows how records are keyed.
//! `template.yaml` declares the same tables and indexes; `schema.rs` creates them from there.

use crate::domain::customer::{Mobile, Zipcode};
use crate::domain::ids::IspId;

/// The physical names of the tables. In AWS they come from the stack (`CUSTOMERS_TABLE`, ...);
/// locally they are `<prefix><short name>`, e.g. `crm-dev-customers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub customers: String,
    pub users: String,
    pub isps: String,
    pub resellers: String,
    pub counters: String,
}

/// Each table: its logical id in template.yaml, its short name, its environment variable.
pub const TABLES: [(&str, &str, &str); 5] = [
    ("CustomersTable", "customers", "CUSTOMERS_TABLE"),
    ("UsersTable", "users", "USERS_TABLE"),
    ("IspsTable", "isps", "ISPS_TABLE"),
    ("ResellersTable", "resellers", "RESELLERS_TABLE"),
    ("CountersTable", "counters", "COUNTERS_TABLE"),
];

pub const DEV_PREFIX: &str = "crm-dev-";

impl Tables {
    /// Names for a local stack or a test: `<prefix><short name>` for every table.
    pub fn with_prefix(prefix: &str) -> Self {
        Self::from_lookup(|_| None, prefix)
    }

    /// Each name from its variable (`CUSTOMERS_TABLE`, ...) where `lookup` has it,
    /// otherwise `<prefix><short name>`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, prefix: &str) -> Self {
        let name = |i: usize| {
            let (_, short, var) = TABLES[i];
            lookup(var)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| format!("{prefix}{short}"))
        };
        Self {
            customers: name(0),
            users: name(1),
            isps: name(2),
            resellers: name(3),
            counters: name(4),
        }
    }

    /// The physical name of a table declared in template.yaml under `logical_id`.
    pub fn by_logical_id(&self, logical_id: &str) -> Option<&str> {
        let names = [
            &self.customers,
            &self.users,
            &self.isps,
            &self.resellers,
            &self.counters,
        ];
        TABLES
            .iter()
            .position(|(id, _, _)| *id == logical_id)
            .map(|i| names[i].as_str())
    }
}

/// The secondary indexes of the customers table. Which filter each serves is decided in
/// `app::list` (the planner); their keys are built here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerIndex {
    /// `ispid` → `id`: an ISP's customers in id order.
    ByIsp,
    /// `resellerid` → `id`: a reseller's customers in id order.
    ByReseller,
    /// `isp_mobile` (`<ispid>#<mobile>`) → `id`.
    ByMobile,
    /// `isp_zipcode` (`<ispid>#<zipcode>`) → `id`.
    ByZipcode,
    /// `ispid` → `created_at`: an ISP's customers by creation time.
    ByCreated,
}

impl CustomerIndex {
    pub fn name(self) -> &'static str {
        match self {
            Self::ByIsp => "by-isp",
            Self::ByReseller => "by-reseller",
            Self::ByMobile => "by-mobile",
            Self::ByZipcode => "by-zipcode",
            Self::ByCreated => "by-created",
        }
    }

    /// The (partition, sort) key attributes of the index.
    pub fn key_attrs(self) -> (&'static str, &'static str) {
        match self {
            Self::ByIsp => ("ispid", "id"),
            Self::ByReseller => ("resellerid", "id"),
            Self::ByMobile => ("isp_mobile", "id"),
            Self::ByZipcode => ("isp_zipcode", "id"),
            Self::ByCreated => ("ispid", "created_at"),
        }
    }

    pub const ALL: [CustomerIndex; 5] = [
        Self::ByIsp,
        Self::ByReseller,
        Self::ByMobile,
        Self::ByZipcode,
        Self::ByCreated,
    ];
}

/// Partition key of `by-mobile`: mobiles are looked up within an ISP.
pub fn isp_mobile(isp: IspId, mobile: &Mobile) -> String {
    format!("{isp}#{}", mobile.as_str())
}

/// Partition key of `by-zipcode`: a zipcode is shared by many ISPs' customers, so it is
/// qualified by the ISP to keep one ISP's query from reading another's items.
pub fn isp_zipcode(isp: IspId, zipcode: &Zipcode) -> String {
    format!("{isp}#{}", zipcode.as_str())
}

/// Counter names in the counters table.
pub const CUSTOMER_ID_COUNTER: &str = "customer_id";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_take_env_names_or_prefix() {
        let t = Tables::from_lookup(
            |var| (var == "USERS_TABLE").then(|| "stack-Users-1".to_string()),
            "x-",
        );
        assert_eq!(t.users, "stack-Users-1");
        assert_eq!(t.customers, "x-customers");
        assert_eq!(t.by_logical_id("CountersTable"), Some("x-counters"));
        assert_eq!(t.by_logical_id("Nope"), None);
    }

    #[test]
    fn composite_keys() {
        let m = Mobile::parse("mobile", "+91 98765 43210").unwrap();
        assert_eq!(isp_mobile(IspId(3), &m), "3#+919876543210");
        let z = Zipcode::parse("zipcode", "sw1a 1aa").unwrap();
        assert_eq!(isp_zipcode(IspId(3), &z), "3#SW1A 1AA");
    }
}
