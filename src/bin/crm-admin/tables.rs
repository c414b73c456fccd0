//! `crm-admin tables`: the DynamoDB tables, as template.yaml defines them.

use super::CliError;
use clap::Subcommand;
use isp_crm::config::Settings;
use isp_crm::store::Store;
use isp_crm::store::schema::{self, TEMPLATE};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum TablesCommand {
    /// Create every table (keys, indexes, TTL) as template.yaml defines it; existing tables are left alone
    Create {
        /// Read this template instead of the one built into crm-admin
        #[arg(long)]
        template: Option<PathBuf>,
    },
}

pub async fn run(
    store: &Store,
    settings: &Settings,
    command: TablesCommand,
    target: &str,
) -> Result<(), CliError> {
    let TablesCommand::Create { template } = command;
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
    Ok(())
}
