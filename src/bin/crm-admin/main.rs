//! crm-admin: operator commands for the customer API's tables, ISPs, resellers and users.
//!
//! With no settings it works on the `make dev` stack (moto on 127.0.0.1:8000, tables
//! `crm-dev-*`); `DYNAMODB_ENDPOINT`, `TABLE_PREFIX` and `CUSTOMERS_TABLE`... override that.

use clap::{Parser, Subcommand, ValueEnum};
use isp_crm::admin::{self, AdminError, NewUser};
use isp_crm::config::{self, Settings};
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::ids::{IspId, ResellerId, UserId};
use isp_crm::domain::scope::Role;
use isp_crm::domain::zone::IspTimeZone;
use isp_crm::store::Store;
use isp_crm::store::schema::{self, TEMPLATE};
use isp_crm::transfer::TransferError;
use std::path::PathBuf;
use std::process::ExitCode;
use transfer::{CustomerCommand, ServiceCommand};

mod transfer;

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
        command: TablesCommand,
    },
    /// ISPs (tenants)
    Isp {
        #[command(subcommand)]
        command: IspCommand,
    },
    /// Resellers of an ISP
    Reseller {
        #[command(subcommand)]
        command: ResellerCommand,
    },
    /// Customers: import from CSV or JSON, export
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
    /// Services (PPPoE accounts): import from CSV or JSON, export
    Service {
        #[command(subcommand)]
        command: ServiceCommand,
    },
    /// Login users and their API keys
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The customer counts of ISPs and resellers (show_count without filters)
    Counters {
        #[command(subcommand)]
        command: CountersCommand,
    },
}

#[derive(Subcommand)]
enum CountersCommand {
    /// Compare each count with the customers its index holds; exit status 1 if any differs
    Verify {
        /// Only this ISP and its resellers (default: every ISP)
        #[arg(long, value_parser = id::<IspId>)]
        isp: Option<IspId>,
    },
    /// Set every count that differs to the number its index holds (run while the ISP is quiet)
    Rebuild {
        /// Only this ISP and its resellers (default: every ISP)
        #[arg(long, value_parser = id::<IspId>)]
        isp: Option<IspId>,
    },
}

#[derive(Subcommand)]
enum TablesCommand {
    /// Create every table (keys, indexes, TTL) as template.yaml defines it; existing tables are left alone
    Create {
        /// Read this template instead of the one built into crm-admin
        #[arg(long)]
        template: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum IspCommand {
    /// Add an ISP
    Create {
        #[arg(long, value_parser = id::<IspId>)]
        id: IspId,
        #[arg(long)]
        name: String,
        /// IANA zone its lists' created_from/created_upto days are in (default: TIME_ZONE)
        #[arg(long, value_parser = zone)]
        time_zone: Option<IspTimeZone>,
    },
    /// Change an ISP's name, time zone or state (warm API instances: within AUTH_CACHE_SECONDS)
    Update {
        #[arg(long, value_parser = id::<IspId>)]
        id: IspId,
        #[arg(long)]
        name: Option<String>,
        /// IANA zone, e.g. Asia/Kolkata; "" for none of its own (TIME_ZONE applies)
        #[arg(long, value_parser = zone_change)]
        time_zone: Option<ZoneChange>,
        /// N locks out the ISP's users and form keys; Y lets them in again
        #[arg(long, value_parser = flag)]
        enabled: Option<bool>,
    },
    /// Make ISP ids that /api/isp/create hands out follow an existing range: the next will
    /// be above N (the counter only ever goes up; e.g. after a point-in-time restore)
    RaiseIds {
        #[arg(long, value_name = "N")]
        above: u64,
    },
}

/// Y/N, as the API takes it.
fn flag(value: &str) -> Result<bool, String> {
    isp_crm::domain::tenancy::parse_flag("enabled", value).map_err(|e| e.rule)
}

/// A time zone argument, with the API's rule.
fn zone(value: &str) -> Result<IspTimeZone, String> {
    IspTimeZone::parse("time_zone", value).map_err(|e| e.rule)
}

/// `isp update --time-zone`: a zone, or empty for none of its own.
#[derive(Clone)]
struct ZoneChange(Option<IspTimeZone>);

fn zone_change(value: &str) -> Result<ZoneChange, String> {
    IspTimeZone::parse_change("time_zone", value)
        .map(ZoneChange)
        .map_err(|e| e.rule)
}

#[derive(Subcommand)]
enum ResellerCommand {
    /// Add a reseller to an existing ISP (reseller ids are unique across ISPs)
    Create {
        #[arg(long, value_parser = id::<IspId>)]
        isp: IspId,
        #[arg(long, value_parser = id::<ResellerId>)]
        id: ResellerId,
        #[arg(long)]
        name: String,
    },
    /// Rename a reseller, or lock out (--enabled N) and let in again (Y) its users and form keys
    Update {
        #[arg(long, value_parser = id::<ResellerId>)]
        id: ResellerId,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = flag)]
        enabled: Option<bool>,
    },
    /// Make reseller ids that /api/reseller/create hands out follow an existing range: the
    /// next will be above N (the counter only ever goes up)
    RaiseIds {
        #[arg(long, value_name = "N")]
        above: u64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Isp,
    Reseller,
    /// A signup form's key: may only create customers, in its one reseller
    Form,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a login user and print its API key (the only time it is shown)
    Create {
        #[arg(long, value_parser = id::<UserId>)]
        userid: UserId,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The user's ISP (role isp; optional for reseller and form, where it must match)
        #[arg(long, value_parser = id::<IspId>)]
        isp: Option<IspId>,
        /// The user's reseller (roles reseller and form)
        #[arg(long, value_parser = id::<ResellerId>)]
        reseller: Option<ResellerId>,
        /// Keep this existing key (32-128 printable characters) instead of generating one
        #[arg(long, env = "CRM_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
    },
    /// Give a user a new API key and print it; the old one stops working
    RotateKey {
        #[arg(long, value_parser = id::<UserId>)]
        userid: UserId,
    },
    /// Stop a user from authenticating
    Disable {
        #[arg(long, value_parser = id::<UserId>)]
        userid: UserId,
    },
    /// Let a disabled user authenticate again
    Enable {
        #[arg(long, value_parser = id::<UserId>)]
        userid: UserId,
    },
    /// Make userids that /api/user/create hands out follow an existing range: the next will
    /// be above N (the counter only ever goes up)
    RaiseIds {
        #[arg(long, value_name = "N")]
        above: u64,
    },
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
id_parse!(IspId, ResellerId, UserId);

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Admin(#[from] AdminError),
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

    if let Some((counter, what, above)) = raised_counter(&cli.command) {
        let now = store
            .raise_counter(counter, above)
            .await
            .map_err(AdminError::from)?;
        eprintln!("{what} ids continue after {now} ({target})");
        return Ok(());
    }
    match cli.command {
        Command::Tables {
            command: TablesCommand::Create { template },
        } => {
            let text = match template {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?,
                None => TEMPLATE.to_owned(),
            };
            let created = store.create_tables(&text).await?;
            for def in schema::table_defs(&text)? {
                let name = settings
                    .tables
                    .by_logical_id(&def.logical_id)
                    .unwrap_or("?");
                let state = if created.iter().any(|c| c == name) {
                    "created"
                } else {
                    "exists"
                };
                eprintln!("{name}: {state} ({target})");
            }
        }
        Command::Isp {
            command:
                IspCommand::Create {
                    id,
                    name,
                    time_zone,
                },
        } => {
            let zone = zone_text(time_zone.as_ref());
            admin::create_isp_in(&store, id, &name, time_zone).await?;
            eprintln!("ISP {id} created, time zone {zone} ({target})");
        }
        Command::Isp {
            command:
                IspCommand::Update {
                    id,
                    name,
                    time_zone,
                    enabled,
                },
        } => {
            let time_zone = time_zone.map(|ZoneChange(z)| z);
            let zone = time_zone.as_ref().map(|z| zone_text(z.as_ref()));
            let change = admin::IspChange {
                name,
                time_zone,
                enabled,
            };
            admin::update_isp(&store, id, change).await?;
            match zone {
                Some(zone) => eprintln!("ISP {id} updated, time zone {zone} ({target})"),
                None => eprintln!("ISP {id} updated ({target})"),
            }
        }
        Command::Reseller {
            command: ResellerCommand::Create { isp, id, name },
        } => {
            admin::create_reseller(&store, isp, id, &name).await?;
            eprintln!("reseller {id} of ISP {isp} created ({target})");
        }
        Command::Isp {
            command: IspCommand::RaiseIds { .. },
        }
        | Command::Reseller {
            command: ResellerCommand::RaiseIds { .. },
        } => {} // raised_counter, above
        Command::Reseller {
            command: ResellerCommand::Update { id, name, enabled },
        } => {
            let update = isp_crm::domain::tenancy::DirectoryUpdate { name, enabled };
            admin::update_reseller(&store, id, &update, isp_crm::domain::scope::Actor::Admin)
                .await?;
            eprintln!("reseller {id} updated ({target})");
        }
        Command::Customer { command } => transfer::customer(&store, command, target).await?,
        Command::Service { command } => transfer::service(&store, command, target).await?,
        Command::User { command } => user(&store, command, target).await?,
        Command::Counters {
            command: CountersCommand::Verify { isp },
        } => {
            let checks = admin::check_counts(&store, isp).await?;
            let wrong: Vec<_> = checks.iter().filter(|c| !c.agrees()).collect();
            for c in &wrong {
                println!("{}: kept {}, index holds {}", c.scope, c.kept, c.actual);
            }
            eprintln!(
                "{} counts checked, {} differ ({target})",
                checks.len(),
                wrong.len()
            );
            if !wrong.is_empty() {
                return Err(CliError::Usage(
                    "counts differ: run `crm-admin counters rebuild` while the ISP is quiet".into(),
                ));
            }
        }
        Command::Counters {
            command: CountersCommand::Rebuild { isp },
        } => {
            let fixed = admin::rebuild_counts(&store, isp).await?;
            for c in &fixed {
                println!("{}: {} -> {}", c.scope, c.kept, c.actual);
            }
            eprintln!("{} counts rebuilt ({target})", fixed.len());
        }
    }
    Ok(())
}

fn zone_text(zone: Option<&IspTimeZone>) -> String {
    zone.map_or_else(
        || "TIME_ZONE (the deployment's)".into(),
        |z| z.name().to_owned(),
    )
}

async fn user(store: &Store, command: UserCommand, target: &str) -> Result<(), CliError> {
    match command {
        UserCommand::Create {
            userid,
            role,
            isp,
            reseller,
            api_key,
        } => {
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Isp => Role::Isp,
                RoleArg::Reseller => Role::Reseller,
                RoleArg::Form => Role::Form,
            };
            let api_key = api_key
                .map(|k| ApiKey::chosen(&k).map_err(|e| CliError::Usage(format!("--{e}"))))
                .transpose()?;
            let key = admin::create_user(
                store,
                NewUser {
                    userid,
                    role,
                    isp,
                    reseller,
                    api_key,
                },
            )
            .await?;
            eprintln!(
                "user {userid} ({}) created ({target}); its api_key:",
                role.as_str()
            );
            println!("{}", key.expose());
        }
        UserCommand::RotateKey { userid } => {
            let key = admin::rotate_key(store, userid).await?;
            eprintln!("user {userid}: new api_key ({target}):");
            println!("{}", key.expose());
        }
        UserCommand::Disable { userid } => {
            admin::set_enabled(store, userid, false).await?;
            eprintln!("user {userid} disabled ({target})");
        }
        UserCommand::Enable { userid } => {
            admin::set_enabled(store, userid, true).await?;
            eprintln!("user {userid} enabled ({target})");
        }
        UserCommand::RaiseIds { .. } => {} // raised_counter, in run
    }
    Ok(())
}

/// The id counter a `raise-ids` of ISPs, resellers or users moves (the one the tenancy
/// routes allocate from), what it numbers, and the id to go above. Customers' and
/// services' are in transfer.rs, beside their imports.
fn raised_counter(command: &Command) -> Option<(&'static str, &'static str, u64)> {
    use isp_crm::store::keys;
    match command {
        Command::Isp {
            command: IspCommand::RaiseIds { above },
        } => Some((keys::ISP_ID_COUNTER, "ISP", *above)),
        Command::Reseller {
            command: ResellerCommand::RaiseIds { above },
        } => Some((keys::RESELLER_ID_COUNTER, "reseller", *above)),
        Command::User {
            command: UserCommand::RaiseIds { above },
        } => Some((keys::USER_ID_COUNTER, "user", *above)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isp_crm::store::keys;

    #[test]
    fn raise_ids_moves_the_counter_its_records_are_allocated_from() {
        let raised = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            raised_counter(&cli.command)
        };
        assert_eq!(
            raised(&["crm-admin", "isp", "raise-ids", "--above", "40"]),
            Some((keys::ISP_ID_COUNTER, "ISP", 40))
        );
        assert_eq!(
            raised(&["crm-admin", "reseller", "raise-ids", "--above", "700"]),
            Some((keys::RESELLER_ID_COUNTER, "reseller", 700))
        );
        assert_eq!(
            raised(&["crm-admin", "user", "raise-ids", "--above", "9000"]),
            Some((keys::USER_ID_COUNTER, "user", 9000))
        );
        assert_eq!(
            raised(&["crm-admin", "user", "disable", "--userid", "5"]),
            None
        );
        assert!(Cli::try_parse_from(["crm-admin", "isp", "raise-ids"]).is_err());
    }
}
