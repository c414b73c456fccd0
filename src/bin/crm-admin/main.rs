//! crm-admin: operator commands for the customer API's tables, ISPs, resellers and users.
//!
//! With no settings it works on the `make dev` stack (moto on 127.0.0.1:8000, tables
//! `crm-dev-*`); `DYNAMODB_ENDPOINT`, `TABLE_PREFIX` and `CUSTOMERS_TABLE`... override that.
//! This file is the grammar's root and the dispatch; each noun has its file.

use clap::{Parser, Subcommand};
use isp_crm::admin::{AdminError, TenancyError};
use isp_crm::config::{self, Settings};
use isp_crm::domain::ids::{CustomerId, IspId, ResellerId, UserId};
use isp_crm::store::sequences::Sequence;
use isp_crm::store::{Store, StoreError, schema};
use isp_crm::transfer::TransferError;
use std::process::ExitCode;

mod counts;
mod customer;
mod isp;
mod reseller;
mod service;
mod tables;
mod transfer;
mod user;
mod webhook;

#[derive(Parser)]
#[command(
    name = "crm-admin",
    version,
    about = "Administer the customer API: tables, ISPs, resellers and login users"
)]
struct Cli {
    /// DynamoDB endpoint; empty for AWS (default: the dev stack, http://127.0.0.1:8000)
    #[arg(long, global = true, env = "DYNAMODB_ENDPOINT")]
    endpoint: Option<String>,
    /// Prefix of the table names when CUSTOMERS_TABLE etc. are not set (default: crm-dev-)
    #[arg(long, global = true, env = "TABLE_PREFIX")]
    table_prefix: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// DynamoDB tables
    Tables {
        #[command(subcommand)]
        command: tables::TablesCommand,
    },
    /// ISPs (tenants)
    Isp {
        #[command(subcommand)]
        command: isp::IspCommand,
    },
    /// Resellers of an ISP
    Reseller {
        #[command(subcommand)]
        command: reseller::ResellerCommand,
    },
    /// Customers: import from CSV or JSON, export
    Customer {
        #[command(subcommand)]
        command: customer::CustomerCommand,
    },
    /// Services (PPPoE accounts): import from CSV or JSON, export
    Service {
        #[command(subcommand)]
        command: service::ServiceCommand,
    },
    /// Login users and their API keys
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// The customer counts of ISPs and resellers (show_count without filters)
    Counters {
        #[command(subcommand)]
        command: counts::CountersCommand,
    },
    /// Tenant webhook endpoints (docs/events.md#webhooks)
    Webhook {
        #[command(subcommand)]
        command: webhook::WebhookCommand,
    },
}

/// Y/N, as the API takes it.
fn flag(value: &str) -> Result<bool, String> {
    isp_crm::domain::tenancy::parse_flag("enabled", value).map_err(|e| e.rule)
}

/// Parses an id argument with the same rules as the API.
fn id<T>(value: &str) -> Result<T, String>
where
    T: IdParse,
{
    T::parse_arg(value)
}

trait IdParse: Sized {
    fn parse_arg(value: &str) -> Result<Self, String>;
}

macro_rules! id_parse {
    ($($t:ty),*) => {$(
        impl IdParse for $t {
            fn parse_arg(value: &str) -> Result<Self, String> {
                <$t>::parse("id", value).map_err(|e| e.rule)
            }
        }
    )*};
}
id_parse!(IspId, ResellerId, UserId, CustomerId);

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Schema(#[from] schema::SchemaError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error("{0}")]
    Usage(String),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crm-admin: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    // Flags override the environment; the rest of the settings come from it as for the server.
    let settings = Settings::from_lookup(
        |k| match k {
            "DYNAMODB_ENDPOINT" => cli.endpoint.clone(),
            "TABLE_PREFIX" => cli.table_prefix.clone(),
            // Bulk work outside any request: more attempts and a longer operation timeout
            // than the API's (which answers under the function's timeout) unless set.
            "DYNAMODB_MAX_ATTEMPTS" => std::env::var(k).ok().or(Some("8".into())),
            "DYNAMODB_OPERATION_TIMEOUT_MS" => std::env::var(k).ok().or(Some("60000".into())),
            other => std::env::var(other).ok(),
        },
        false,
    )?;
    let client = isp_crm::store::client::dynamodb_client_tuned(
        settings.endpoint.as_deref(),
        settings.tls_roots,
        &settings.dynamodb,
    )
    .await;
    let store = Store::new(client, settings.tables.clone());
    let target = settings.endpoint.as_deref().unwrap_or("AWS");

    if let Some((seq, what, above)) = raised(&cli.command) {
        let now = store.raise_ids(seq, above).await?;
        eprintln!("{what} ids continue after {now} ({target})");
        return Ok(());
    }
    match cli.command {
        Command::Tables { command } => tables::run(&store, &settings, command, target).await,
        Command::Isp { command } => isp::run(&store, command, target).await,
        Command::Reseller { command } => reseller::run(&store, command, target).await,
        Command::Customer { command } => customer::run(&store, command, target).await,
        Command::Service { command } => service::run(&store, command, target).await,
        Command::User { command } => {
            let key = settings.form_secret_key.as_deref();
            user::run(&store, key, command, target).await
        }
        Command::Counters { command } => counts::run(&store, command, target).await,
        Command::Webhook { command } => webhook::run(&store, &settings, command, target).await,
    }
}

/// The id sequence a `raise-ids` moves (the one its records are allocated from: the API's
/// creates for ISPs, resellers and users, imports for customers and services), what it
/// numbers, and the id to go above.
fn raised(command: &Command) -> Option<(Sequence, &'static str, u64)> {
    use customer::CustomerCommand as C;
    use isp::IspCommand as I;
    use reseller::ResellerCommand as R;
    use service::ServiceCommand as S;
    use user::UserCommand as U;
    match command {
        Command::Isp {
            command: I::RaiseIds { above },
        } => Some((Sequence::Isp, "ISP", *above)),
        Command::Reseller {
            command: R::RaiseIds { above },
        } => Some((Sequence::Reseller, "reseller", *above)),
        Command::User {
            command: U::RaiseIds { above },
        } => Some((Sequence::User, "user", *above)),
        Command::Customer {
            command: C::RaiseIds { above },
        } => Some((Sequence::Customer, "customer", *above)),
        Command::Service {
            command: S::RaiseIds { above },
        } => Some((Sequence::Service, "service", *above)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raise_ids_moves_the_counter_its_records_are_allocated_from() {
        let raised = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            raised(&cli.command)
        };
        assert_eq!(
            raised(&["crm-admin", "isp", "raise-ids", "--above", "40"]),
            Some((Sequence::Isp, "ISP", 40))
        );
        assert_eq!(
            raised(&["crm-admin", "reseller", "raise-ids", "--above", "700"]),
            Some((Sequence::Reseller, "reseller", 700))
        );
        assert_eq!(
            raised(&["crm-admin", "user", "raise-ids", "--above", "9000"]),
            Some((Sequence::User, "user", 9000))
        );
        assert_eq!(
            raised(&["crm-admin", "user", "disable", "--userid", "5"]),
            None
        );
        assert!(Cli::try_parse_from(["crm-admin", "isp", "raise-ids"]).is_err());
    }
}
