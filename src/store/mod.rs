//! DynamoDB access: table names, key formats, records and queries. Knows nothing of HTTP.

pub mod bulk;
pub mod capacity;
pub mod claims;
pub mod client;
mod conditions;
pub mod counts;
pub mod customers;
pub mod dossier;
pub mod erase;
mod error;
pub mod history;
mod items;
pub mod keys;
pub mod limits;
pub mod offsets;
pub mod patch;
pub mod plan;
mod query;
pub mod records;
pub mod restorable;
pub mod retries;
pub mod schema;
pub mod sequences;
pub mod services;
pub mod tenancy;
mod transact;
pub mod usernames;
pub mod webhook_log;
pub mod webhooks;

pub use error::StoreError;
pub use keys::{DEV_PREFIX, Tables};
pub(crate) use transact::TxOutcome;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
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
pub(crate) fn conditional_write<O, E>(
    res: Result<O, SdkError<E, HttpResponse>>,
) -> Result<bool, StoreError>
where
    O: WriteOutput,
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata
        + std::fmt::Debug
        + std::error::Error
        + 'static,
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

/// Sends a conditional write, again after a short pause while DynamoDB answers
/// `TransactionConflictException` (the item is part of a transaction in flight, e.g. a
/// customer whose service count a service create is changing). Then as `conditional_write`.
pub(crate) async fn send_conditional<O, E, Fut>(send: impl Fn() -> Fut) -> Result<bool, StoreError>
where
    Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    O: WriteOutput,
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata
        + std::fmt::Debug
        + std::error::Error
        + 'static,
{
    const ATTEMPTS: u32 = 5;
    for attempt in 1..ATTEMPTS {
        let res = send().await;
        // Each repeat takes a retry of the request's budget; spent, the conflict is 503.
        if matches!(&res, Err(e) if error::code_of(e) == Some("TransactionConflictException"))
            && retries::take()
        {
            capacity::record(capacity::Kind::Write, None);
            tokio::time::sleep(backoff(attempt)).await;
            continue;
        }
        return conditional_write(res);
    }
    conditional_write(send().await)
}

/// A pause before retry `attempt` (1, 2, ...): 10 ms doubling, with up to 10 ms of jitter so
/// that colliding writers do not collide again.
pub fn backoff(attempt: u32) -> std::time::Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() % 10_000_000);
    std::time::Duration::from_millis(10 << attempt.min(6))
        + std::time::Duration::from_nanos(u64::from(jitter))
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

    /// A store that never reaches DynamoDB (`client::offline_client`).
    pub fn offline(tables: Tables) -> Self {
        Self::new(client::offline_client(), tables)
    }
}
