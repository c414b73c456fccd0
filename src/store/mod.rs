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
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity};
use std::collections::HashMap;

/// A DynamoDB item or key.
pub type Item = HashMap<String, AttributeValue>;

pub(crate) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// Outputs of writes that report consumed capacity.
pub(crate) trait WriteOutput {
    fn consumed(&self) -> Option<&ConsumedCapacity>;
}

macro_rules! write_output {
    ($($t:ty),*) => {$(
        impl WriteOutput for $t {
            fn consumed(&self) -> Option<&ConsumedCapacity> {
                self.consumed_capacity()
            }
        }
    )*};
}
write_output!(
    aws_sdk_dynamodb::operation::put_item::PutItemOutput,
    aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
    aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput
);

/// The outcome of a conditional write: `true` if written, `false` if its condition failed.
/// A failed condition (a missing or out-of-scope record, a taken key) is a domain result,
/// never an error.
pub(crate) fn conditional_write<O, E, R>(res: Result<O, SdkError<E, R>>) -> Result<bool, StoreError>
where
    O: WriteOutput,
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata
        + std::fmt::Debug
        + std::error::Error
        + 'static,
    R: std::fmt::Debug,
{
    match res {
        Ok(out) => {
            capacity::record(capacity::Kind::Write, out.consumed());
            Ok(true)
        }
        Err(e) if error::code_of(&e) == Some("ConditionalCheckFailedException") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

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
