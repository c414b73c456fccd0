//! DynamoDB access: table names, key formats, records and queries. Knows nothing of HTTP.

pub mod capacity;
pub mod counters;
pub mod customers;
pub mod directory;
mod error;
pub mod keys;
pub mod records;
pub mod schema;

pub use error::StoreError;
pub use keys::Tables;

use aws_sdk_dynamodb::Client;

/// The DynamoDB client and the names of the tables it works on. Built once per process.
#[derive(Clone, Debug)]
pub struct Store {
    pub client: Client,
    pub tables: Tables,
}

impl Store {
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }
}
