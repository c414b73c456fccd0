//! Table names, index names and key formats: the one place that knows how records are keyed.
//! `template.yaml` declares the same tables and indexes; `schema.rs` creates them from there.

use crate::domain::ids::{CustomerId, IspId, ResellerId, ServiceId, UserId};

/// The physical names of the tables. In AWS they come from the stack (`CUSTOMERS_TABLE`, ...);
/// locally they are `<prefix><short name>`, e.g. `crm-dev-customers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub customers: String,
    pub users: String,
    pub isps: String,
    pub resellers: String,
    pub counters: String,
    pub services: String,
    pub claims: String,
    pub counts: String,
}

/// Each table: its logical id in template.yaml, its short name, its environment variable.
pub const TABLES: [(&str, &str, &str); 8] = [
    ("CustomersTable", "customers", "CUSTOMERS_TABLE"),
    ("UsersTable", "users", "USERS_TABLE"),
    ("IspsTable", "isps", "ISPS_TABLE"),
    ("ResellersTable", "resellers", "RESELLERS_TABLE"),
    ("CountersTable", "counters", "COUNTERS_TABLE"),
    ("ServicesTable", "services", "SERVICES_TABLE"),
    ("ClaimsTable", "claims", "CLAIMS_TABLE"),
    ("CountsTable", "counts", "COUNTS_TABLE"),
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
            services: name(5),
            claims: name(6),
            counts: name(7),
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
            &self.services,
            &self.claims,
            &self.counts,
        ];
        TABLES
            .iter()
            .position(|(id, _, _)| *id == logical_id)
            .map(|i| names[i].as_str())
    }
}

/// The secondary indexes of the customers table. Which request each serves is decided by
/// the list planner (`app/planner.rs`); their keys are built here.
///
/// `by-isp` and `by-reseller` project every attribute: a page is one Query, no second read.
/// The others hold keys and a few short values (`projects`): updates that change neither
/// never write them, offsets walk ~100-200-byte entries, and only the rows of the page are
/// then read from the table. Each
/// keyed index of an ISP has a twin partitioned by reseller, so that a reseller's walk reads
/// its own entries only, whatever its share of the ISP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerIndex {
    /// `ispid` → `id`: an ISP's customers in id order.
    ByIsp,
    /// `resellerid` → `id`: a reseller's customers in id order.
    ByReseller,
    /// `ispid` → `name_key`: name order, name equality and prefixes.
    ByName,
    /// `ispid` → `mobile_key`: mobile order and equality.
    ByMobile,
    /// `ispid` → `email_key`: email order and equality.
    ByEmail,
    /// `ispid` → `zipcode_key`: zipcode equality (in id order).
    ByZipcode,
    /// `ispid` → `created_key`: creation-time ranges.
    ByCreated,
    /// `ispid` → `type_key`, `state_key`, `city_key`: one value's customers in id order.
    ByType,
    ByState,
    ByCity,
    /// `resellerid` → `name_key`, and so on: the reseller twins of the eight above.
    ByResellerName,
    ByResellerMobile,
    ByResellerEmail,
    ByResellerZipcode,
    ByResellerCreated,
    ByResellerType,
    ByResellerState,
    ByResellerCity,
}

impl CustomerIndex {
    pub fn name(self) -> &'static str {
        match self {
            Self::ByIsp => "by-isp",
            Self::ByReseller => "by-reseller",
            Self::ByName => "by-name",
            Self::ByMobile => "by-mobile",
            Self::ByEmail => "by-email",
            Self::ByZipcode => "by-zipcode",
            Self::ByCreated => "by-created",
            Self::ByType => "by-type",
            Self::ByState => "by-state",
            Self::ByCity => "by-city",
            Self::ByResellerName => "by-reseller-name",
            Self::ByResellerMobile => "by-reseller-mobile",
            Self::ByResellerEmail => "by-reseller-email",
            Self::ByResellerZipcode => "by-reseller-zipcode",
            Self::ByResellerCreated => "by-reseller-created",
            Self::ByResellerType => "by-reseller-type",
            Self::ByResellerState => "by-reseller-state",
            Self::ByResellerCity => "by-reseller-city",
        }
    }

    /// The (partition, sort) key attributes of the index.
    pub fn key_attrs(self) -> (&'static str, &'static str) {
        let partition = match self.is_reseller() {
            true => "resellerid",
            false => "ispid",
        };
        let sort = match self {
            Self::ByIsp | Self::ByReseller => "id",
            Self::ByName | Self::ByResellerName => "name_key",
            Self::ByMobile | Self::ByResellerMobile => "mobile_key",
            Self::ByEmail | Self::ByResellerEmail => "email_key",
            Self::ByZipcode | Self::ByResellerZipcode => "zipcode_key",
            Self::ByCreated | Self::ByResellerCreated => "created_key",
            Self::ByType | Self::ByResellerType => "type_key",
            Self::ByState | Self::ByResellerState => "state_key",
            Self::ByCity | Self::ByResellerCity => "city_key",
        };
        (partition, sort)
    }

    /// Whether the index is partitioned by reseller (else by ISP).
    pub fn is_reseller(self) -> bool {
        matches!(
            self,
            Self::ByReseller
                | Self::ByResellerName
                | Self::ByResellerMobile
                | Self::ByResellerEmail
                | Self::ByResellerZipcode
                | Self::ByResellerCreated
                | Self::ByResellerType
                | Self::ByResellerState
                | Self::ByResellerCity
        )
    }

    /// The index with the same sort key, partitioned by reseller.
    pub fn for_reseller(self) -> Self {
        match self {
            Self::ByIsp => Self::ByReseller,
            Self::ByName => Self::ByResellerName,
            Self::ByMobile => Self::ByResellerMobile,
            Self::ByEmail => Self::ByResellerEmail,
            Self::ByZipcode => Self::ByResellerZipcode,
            Self::ByCreated => Self::ByResellerCreated,
            Self::ByType => Self::ByResellerType,
            Self::ByState => Self::ByResellerState,
            Self::ByCity => Self::ByResellerCity,
            twin => twin,
        }
    }

    /// Whether the index holds whole items (else keys and `projects`).
    pub fn holds_items(self) -> bool {
        matches!(self, Self::ByIsp | Self::ByReseller)
    }

    /// The attributes an index projects beside its keys (`holds_items`: every one). The
    /// order indexes carry what the single filters compare, the filter indexes the order keys,
    /// so a filter under another sort is decided and ordered on the entries, whichever of the
    /// two is walked, and only the page's records are read.
    pub fn projects(self) -> &'static [&'static str] {
        match self {
            Self::ByIsp | Self::ByReseller => &[],
            Self::ByName
            | Self::ByMobile
            | Self::ByEmail
            | Self::ByResellerName
            | Self::ByResellerMobile
            | Self::ByResellerEmail => &ORDER_INDEX_PROJECTS,
            Self::ByZipcode
            | Self::ByCreated
            | Self::ByType
            | Self::ByState
            | Self::ByCity
            | Self::ByResellerZipcode
            | Self::ByResellerCreated
            | Self::ByResellerType
            | Self::ByResellerState
            | Self::ByResellerCity => &FILTER_INDEX_PROJECTS,
        }
    }

    /// What one entry weighs, as DynamoDB charges a read: a whole item (~440 bytes in the
    /// standard data set, up to ~5 KB with long notes) or keys and a few short values
    /// (~100-200 bytes). Used to bound `Select=COUNT` walks, whose answers carry no sizes:
    /// generous, so the read budget is reached early rather than late.
    pub fn entry_bytes(self) -> u64 {
        match self.holds_items() {
            true => 600,
            false => 200,
        }
    }

    pub const ALL: [CustomerIndex; 18] = [
        Self::ByIsp,
        Self::ByReseller,
        Self::ByName,
        Self::ByMobile,
        Self::ByEmail,
        Self::ByZipcode,
        Self::ByCreated,
        Self::ByType,
        Self::ByState,
        Self::ByCity,
        Self::ByResellerName,
        Self::ByResellerMobile,
        Self::ByResellerEmail,
        Self::ByResellerZipcode,
        Self::ByResellerCreated,
        Self::ByResellerType,
        Self::ByResellerState,
        Self::ByResellerCity,
    ];
}

/// What the name, mobile and email indexes project: the fields of the single filters.
pub const ORDER_INDEX_PROJECTS: [&str; 5] = ["type", "state", "city", "zipcode", "created_key"];
/// What the filter indexes project: the order keys of the sorts.
pub const FILTER_INDEX_PROJECTS: [&str; 3] = ["name_key", "mobile_key", "email_key"];

/// Ends the value part of a composite sort key. It sorts below every character a value can
/// hold (text fields refuse control characters), so `abc` orders before `abc d` and `abcd`.
pub const SEP: char = '\u{1}';

/// A customer id as the tail of a sort key: zero-padded so that string order is id order.
pub fn id_part(id: CustomerId) -> String {
    format!("{:016}", id.get())
}

/// A composite sort key `<value>\x01<id:016>`: ordered by value, then by id.
pub fn sort_key(value: &str, id: CustomerId) -> String {
    format!("{value}{SEP}{}", id_part(id))
}

/// The prefix that every sort key of one exact value starts with.
pub fn exact_prefix(value: &str) -> String {
    format!("{value}{SEP}")
}

/// The value part of a composite sort key (`<value>\x01<id>`).
pub fn value_of_key(key: &str) -> Option<&str> {
    key.rsplit_once(SEP).map(|(value, _)| value)
}

/// The id at the tail of a composite sort key (or of a bare `id_part`).
pub fn id_of_key(key: &str) -> Option<CustomerId> {
    let tail = key.get(key.len().checked_sub(16)?..)?;
    tail.parse().ok().map(CustomerId)
}

/// Counter names in the counters table.
pub const CUSTOMER_ID_COUNTER: &str = "customer_id";
pub const SERVICE_ID_COUNTER: &str = "service_id";
/// Ids of ISPs, resellers and users created through the API (crm-admin names its own; an
/// allocated id that is taken is skipped).
pub const ISP_ID_COUNTER: &str = "isp_id";
pub const RESELLER_ID_COUNTER: &str = "reseller_id";
pub const USER_ID_COUNTER: &str = "user_id";

/// The secondary indexes of the users table (all project every attribute: a user is small).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserIndex {
    /// `ispid` → `userid`: an ISP's users (ISP, reseller and form users).
    ByIsp,
    /// `resellerid` → `userid`: a reseller's users.
    ByReseller,
    /// `role` → `userid`: the users of a role across ISPs (admins have no ISP).
    ByRole,
}

impl UserIndex {
    pub fn name(self) -> &'static str {
        match self {
            Self::ByIsp => "by-isp",
            Self::ByReseller => "by-reseller",
            Self::ByRole => "by-role",
        }
    }

    pub fn key_attrs(self) -> (&'static str, &'static str) {
        match self {
            Self::ByIsp => ("ispid", "userid"),
            Self::ByReseller => ("resellerid", "userid"),
            Self::ByRole => ("role", "userid"),
        }
    }

    pub const ALL: [UserIndex; 3] = [Self::ByIsp, Self::ByReseller, Self::ByRole];
}

/// Keys-only twins of `by-isp` and `by-reseller`: a part's ids in id order, ~15 bytes an
/// entry (the id and the partition), where a cold `rows_offset` in id order counts its way to
/// the offset (`Store::id_at`) ~40 times cheaper than over whole customers.
pub const IDS_BY_ISP: (&str, (&str, &str)) = ("ids-by-isp", ("ispid", "id"));
pub const IDS_BY_RESELLER: (&str, (&str, &str)) = ("ids-by-reseller", ("resellerid", "id"));

/// The largest entry of `IDS_BY_ISP` or `IDS_BY_RESELLER` (two numbers of up to 20 digits
/// and their names): what a walk of them is budgeted at per entry.
pub const ID_ENTRY_BYTES: u64 = 40;

/// A part's services in customer order, each entry the service's keys and `username`: where
/// the customer list walks a `username` pattern too broad to collect in username order
/// (`Store::usernames_in_customer_order`).
pub const SERVICES_BY_ISP_CUSTOMER: (&str, (&str, &str)) =
    ("by-isp-customer", ("ispid", "customerid"));
pub const SERVICES_BY_RESELLER_CUSTOMER: (&str, (&str, &str)) =
    ("by-reseller-customer", ("resellerid", "customerid"));

/// The largest entry of those (three numbers of up to 20 digits, a username of
/// `Username::MAX` bytes, and their names): what a walk of them is budgeted at per entry.
pub const USERNAME_ENTRY_BYTES: u64 = 160;

/// The resellers table's one index: `ispid` → `resellerid`, an ISP's resellers in id order.
pub const RESELLERS_BY_ISP: (&str, (&str, &str)) = ("by-isp", ("ispid", "resellerid"));

/// The customer counts of the counts table.
///
/// - **Totals:** one partition per ISP and per reseller, split into `SHARDS` items so that
///   concurrent creates in one ISP rarely touch the same item (two transactions on one item
///   conflict). A customer is counted in shard `id % SHARDS`, on create and on delete alike;
///   a count is one Query of the partition (~8 small items). The same items count each
///   `type` (`type|Individual`, `type|Organisation`): two values, so they ride along free.
/// - **Facets:** one partition per ISP and value of `state`, `city` and `zipcode`
///   (`isp|1|city|Panaji`), split by reseller (`reseller % FACET_SHARDS`). Each item holds
///   the ISP's number in its shard (`customers`) and each of its resellers' (`r<id>`), so a
///   facet's ISP count is one Query of ≤ 16 items and a reseller's one read of one item; a
///   create writes one item per facet for both scopes, not two.
/// - **Days:** per ISP and per reseller, the customers created on each day (`days`), one
///   item a month holding an attribute a day.
/// - **Names:** per ISP and per reseller, one item per folded name (`isp|1|name|ana rao`,
///   `reseller|7|name|ana rao`, shard 0), in the sparse index `NAMES` by its part and
///   name: a count of a name or a name prefix reads one entry per distinct name it matches,
///   not one per customer.
pub mod count {
    use super::*;

    /// The index of the name items: (partition, sort) = (the part's count scope, the folded
    /// name); it carries `CUSTOMERS`. Only name items have these attributes.
    pub const NAMES: (&str, (&str, &str)) = ("names-by-scope", ("names_of", "name_key"));

    /// At most the smallest entry of `NAMES` (a one-letter name of ISP 1 with its keys,
    /// scope and count is ~55 bytes): a walk asks for no more entries than the rest of its
    /// read limit would pay for at this size, so its last page may read past the limit by
    /// what larger entries weigh more (names of 100 characters: ~900 bytes an entry).
    pub const NAME_ENTRY_MIN_BYTES: u64 = 50;

    /// The item counting a part's customers of one folded name (`names_of` is the part's
    /// count scope, `isp|1` or `reseller|7`). The name comes last, as a facet's value does.
    pub fn name(names_of: &str, folded: &str) -> String {
        format!("{names_of}|name|{folded}")
    }

    pub const SHARDS: u64 = 8;
    pub const FACET_SHARDS: u64 = 16;
    /// The attribute that holds a shard's number of customers.
    pub const CUSTOMERS: &str = "customers";

    pub fn isp(isp: IspId) -> String {
        format!("isp|{isp}")
    }

    pub fn reseller(reseller: ResellerId) -> String {
        format!("reseller|{reseller}")
    }

    pub fn shard(id: CustomerId) -> u64 {
        id.get() % SHARDS
    }

    /// The totals' attribute counting one customer type.
    pub fn type_attr(ctype: &str) -> String {
        format!("type|{ctype}")
    }

    /// The partition counting an ISP's customers with one value of a facet (`city`, ...).
    /// The value comes last, so a `|` in it cannot be mistaken for a separator.
    pub fn facet(isp: IspId, facet: &str, value: &str) -> String {
        format!("isp|{isp}|{facet}|{value}")
    }

    /// The item of a facet partition that holds a reseller's count.
    pub fn facet_shard(reseller: ResellerId) -> u64 {
        reseller.get() % FACET_SHARDS
    }

    /// A facet item's attribute counting one reseller's customers.
    pub fn reseller_attr(reseller: ResellerId) -> String {
        format!("r{reseller}")
    }

    /// The partition counting a part's customers per day of creation (`isp|1|created`,
    /// `reseller|7|created`): one item per month (`DAY_SHARDS` for an ISP), whose `shard` is
    /// the month as `yyyymm` and the shard as a last digit, holding one attribute per day
    /// (`d07`): a range of days is one Query of its months, ~250 bytes an item at most, so a
    /// year of an ISP is ≤ 48 items (2.0 read units), of a reseller ≤ 12 (0.5).
    pub fn days(scope: &str) -> String {
        format!("{scope}|created")
    }

    /// An ISP's month is split in `DAY_SHARDS` items (by id) so that concurrent creates in
    /// one ISP rarely meet on one item; a reseller's is one item.
    pub const DAY_SHARDS: u64 = 4;

    /// The sort key of the item holding a day (`yyyymmdd`): its month `yyyymm` and the
    /// shard digit.
    pub fn day_shard(day: u32, shard: u64) -> u64 {
        u64::from(day / 100) * 10 + shard
    }

    /// The attribute of a month's item counting one of its days (`d01`..`d31`).
    pub fn day_attr(day: u32) -> String {
        format!("d{:02}", day % 100)
    }

    /// The day (`yyyymmdd`) an attribute of the item with sort key `shard` counts; `None`
    /// for an attribute that counts no day (the keys).
    pub fn day_of(shard: u64, attr: &str) -> Option<u32> {
        let dd: u32 = attr
            .strip_prefix('d')
            .filter(|d| d.len() == 2)?
            .parse()
            .ok()?;
        let month = u32::try_from(shard / 10).ok()?;
        (1..=31).contains(&dd).then_some(month * 100 + dd)
    }
}

/// Restorable copies of deleted customers, in the claims table (`claim::deleted`). Two
/// sparse indexes hold them, and nothing else (no other claim has `deleted_key`): a part's
/// copies by time of deletion, newest first, for `customer/list` with `deleted=1`. Both
/// project every attribute (a listed copy is read whole; copies are written once and read
/// rarely).
pub mod deleted {
    use super::*;

    /// The index of an ISP's copies, and its (partition, sort) attributes.
    pub const BY_ISP: (&str, (&str, &str)) = ("deleted-by-isp", ("ispid", "deleted_key"));
    /// The index of a reseller's copies.
    pub const BY_RESELLER: (&str, (&str, &str)) =
        ("deleted-by-reseller", ("resellerid", "deleted_key"));

    /// The attribute both indexes sort by.
    pub const SORT: &str = "deleted_key";

    /// `<deleted_at>\x01<id:016>`: time order (RFC 3339 UTC, seconds), ties by id.
    pub fn sort_key(deleted_at: &str, id: CustomerId) -> String {
        super::sort_key(deleted_at, id)
    }
}

/// A customer's history (`customer/history`), in the claims table (`claim::history`): one
/// item per change, kept for `HISTORY_DAYS` (TTL on `expires_at`). A sparse index holds them
/// and nothing else (no other claim has `history_of`), projecting every attribute: a page is
/// one Query, newest first.
pub mod history {
    use super::*;

    /// The index, and its (partition, sort) attributes.
    pub const BY_CUSTOMER: (&str, (&str, &str)) =
        ("history-by-customer", ("history_of", "history_key"));

    /// The attribute the index sorts by.
    pub const SORT: &str = "history_key";

    /// `<at, RFC 3339 UTC with microseconds>\x01<8 hex digits>`: time order; the random tail
    /// keeps two changes of one microsecond apart.
    pub fn sort_key(at_micros: &str, tail: u32) -> String {
        format!("{at_micros}{SEP}{tail:08x}")
    }
}

/// Tenant webhooks (docs/events.md#webhooks), in the claims table. Endpoints are
/// `webhook|<id>`, each delivery's message (`whmsg|...`, its body, for replays) and attempts
/// (`whlog|...`), the last two expiring with the log (TTL on `expires_at`). One sparse index
/// (only these have `hook_of`; one index, as a stack update may add only one) serves two
/// patterns by partition: `isp|<id>`, an ISP's endpoints (an event's fan-out is one Query of
/// ≤ `MAX_PER_ISP` items), and `log|<endpoint>`, an endpoint's attempts, newest first.
pub mod webhook {
    use super::IspId;

    /// The index, and its (partition, sort) attributes.
    pub const INDEX: (&str, (&str, &str)) = ("hooks-by-owner", ("hook_of", "hook_key"));

    /// The index partition of an ISP's endpoints.
    pub fn of_isp(isp: IspId) -> String {
        format!("isp|{isp}")
    }

    /// The index partition of an endpoint's attempts.
    pub fn log_of(endpoint: &str) -> String {
        format!("log|{endpoint}")
    }

    pub fn endpoint(id: &str) -> String {
        format!("webhook|{id}")
    }

    /// The item counting an ISP's endpoints (`endpoints`), changed in the same transaction
    /// as each create and delete, so the limit holds against concurrent creates.
    pub fn count_of(isp: IspId) -> String {
        format!("webhooks|{isp}")
    }

    /// An endpoint's sort key in its ISP: creation time (microseconds), then its id.
    pub fn sort_key(created_micros: &str, id: &str) -> String {
        format!("{created_micros}{}{id}", super::SEP)
    }

    /// The message of one event to one endpoint (its body), by its `webhook-id`.
    pub fn message(endpoint: &str, msg: &str) -> String {
        format!("whmsg|{endpoint}|{msg}")
    }

    /// One attempt of a delivery, by its sort key in the attempts index.
    pub fn attempt(endpoint: &str, key: &str) -> String {
        format!("whlog|{endpoint}|{key}")
    }

    /// A request of the API for the sender (a test event, a replay): the claims table's
    /// stream carries it to webhook-delivery (its mapping's filter keeps this prefix only).
    pub const REQUEST_PREFIX: &str = "whreq|";

    pub fn request(endpoint: &str, tail: u32) -> String {
        format!("{REQUEST_PREFIX}{endpoint}|{tail:08x}")
    }
}

/// The secondary indexes of the services table (all project every attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceIndex {
    /// `customerid` → `id`: a customer's services.
    ByCustomer,
    /// `ispid` → `id`: an ISP's services in id order.
    ByIsp,
    /// `resellerid` → `id`: a reseller's services in id order.
    ByReseller,
    /// `ispid` → `username_key`: username order, equality and prefixes (case folded).
    ByUsername,
}

impl ServiceIndex {
    pub fn name(self) -> &'static str {
        match self {
            Self::ByCustomer => "by-customer",
            Self::ByIsp => "by-isp",
            Self::ByReseller => "by-reseller",
            Self::ByUsername => "by-username",
        }
    }

    pub fn key_attrs(self) -> (&'static str, &'static str) {
        match self {
            Self::ByCustomer => ("customerid", "id"),
            Self::ByIsp => ("ispid", "id"),
            Self::ByReseller => ("resellerid", "id"),
            Self::ByUsername => ("ispid", "username_key"),
        }
    }

    pub const ALL: [ServiceIndex; 4] = [
        Self::ByCustomer,
        Self::ByIsp,
        Self::ByReseller,
        Self::ByUsername,
    ];
}

/// A service's username sort key: `<folded username>\x01<service id:016>`.
pub fn username_key(folded: &str, id: ServiceId) -> String {
    format!("{folded}{SEP}{:016}", id.get())
}

/// The keys of the claims table. Each kind has its own prefix, so kinds never collide.
pub mod claim {
    use super::*;

    /// A username is unique within an ISP, ignoring case.
    pub fn username(isp: IspId, folded: &str) -> String {
        format!("username|{isp}|{folded}")
    }

    /// An idempotency key is the caller's own: two callers may use the same key.
    pub fn idempotency(user: UserId, key: &str) -> String {
        format!("idem|{user}|{key}")
    }

    /// A recent create of a caller, by the fingerprint of its input.
    pub fn recent(user: UserId, fingerprint: &str) -> String {
        format!("recent|{user}|{fingerprint}")
    }

    /// A deleted customer's restorable copy (`RESTORE_DAYS`): it holds the id for its
    /// restore, and expires with the window (TTL on `expires_at`). `deleted` below.
    pub fn deleted(id: CustomerId) -> String {
        format!("deleted|{id}")
    }

    /// One entry of a customer's history (`HISTORY_DAYS`): `history` above.
    pub fn history(id: CustomerId, sort_key: &str) -> String {
        format!("history|{id}|{sort_key}")
    }

    /// The kinds of claim a customer's create guard may hold (`CustomerItem::guard_claim`):
    /// the duplicate guard's is released by a delete and taken again by a restore; an
    /// idempotency key's stands, as its answer does.
    pub fn is_recent(key: &str) -> bool {
        key.starts_with("recent|")
    }

    /// A form key's creates in the window starting at `window` (epoch seconds).
    pub fn rate_key(user: UserId, window: i64) -> String {
        format!("rate|key|{user}|{window}")
    }

    /// A form key's creates from one source in the window starting at `window`. A source is
    /// an IPv4 address, or an IPv6 /64: one subscriber or host usually holds a whole /64, so
    /// counting its addresses one by one would let a spammer rotate past the limit.
    pub fn rate_source(user: UserId, source: std::net::IpAddr, window: i64) -> String {
        format!("rate|ip|{user}|{}|{window}", source_group(source))
    }

    /// The source a per-source limit counts: an IPv4 address as it is (also when it comes
    /// IPv4-mapped, `::ffff:a.b.c.d`, from a dual-stack socket), an IPv6 address as its /64.
    pub fn source_group(source: std::net::IpAddr) -> String {
        match source.to_canonical() {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !(u128::from(u64::MAX));
                format!("{}/64", std::net::Ipv6Addr::from(prefix))
            }
        }
    }
}

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
        assert_eq!(t.by_logical_id("ClaimsTable"), Some("x-claims"));
        assert_eq!(t.by_logical_id("Nope"), None);
    }

    #[test]
    fn sort_keys_order_by_value_then_id() {
        let a = sort_key("abc", CustomerId(10));
        let b = sort_key("abc d", CustomerId(2));
        let c = sort_key("abcd", CustomerId(1));
        assert!(a < b && b < c, "{a:?} {b:?} {c:?}");
        assert!(sort_key("abc", CustomerId(9)) < sort_key("abc", CustomerId(10)));
        assert!(a.starts_with(&exact_prefix("abc")) && !b.starts_with(&exact_prefix("abc")));
        assert_eq!(id_of_key(&b), Some(CustomerId(2)));
        assert_eq!(id_of_key(&id_part(CustomerId(77))), Some(CustomerId(77)));
    }

    #[test]
    fn per_source_limits_count_ipv4_addresses_and_ipv6_64s() {
        let group = |ip: &str| claim::source_group(ip.parse().unwrap());
        assert_eq!(group("203.0.113.7"), "203.0.113.7");
        assert_ne!(group("203.0.113.7"), group("203.0.113.8"));
        // IPv4-mapped (a dual-stack socket) is the IPv4 address itself.
        assert_eq!(group("::ffff:203.0.113.7"), "203.0.113.7");
        // Every address of one /64 is one source; the next /64 is another.
        assert_eq!(
            group("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(group("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(group("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(group("::1"), "::/64");
        assert_eq!(
            claim::rate_source(UserId(20), "2001:db8:1:2::9".parse().unwrap(), 7200),
            "rate|ip|20|2001:db8:1:2::/64|7200"
        );
    }
}
