//! `crm-admin service`: services (PPPoE accounts) imported from CSV or JSON, exported.

use super::CliError;
use super::transfer::{ExportArgs, ImportArgs, run_export, run_import};
use clap::Subcommand;
use isp_crm::store::Store;
use isp_crm::transfer::services::ServiceImport;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Import services from a CSV or JSON file, checked as customers are. Columns: id,
    /// customerid, username, plan, status, notes, created_at, updated_at (ispid and
    /// resellerid, if given, must be the customer's). Usernames are claimed as the API
    /// claims them: unique within an ISP
    Import {
        #[command(flatten)]
        args: ImportArgs,
        /// Read customerid as a previous system's id, through this map (old_id,id: the
        /// <file>.ids.csv a customer import wrote)
        #[arg(long)]
        customer_ids: Option<PathBuf>,
    },
    /// Write an ISP's (or a reseller's) services, in id order, as CSV or JSON
    Export(ExportArgs),
    /// Make new service ids follow an existing range: the next id will be above N
    RaiseIds {
        #[arg(long, value_name = "N")]
        above: u64,
    },
}

pub async fn run(store: &Store, command: ServiceCommand, target: &str) -> Result<(), CliError> {
    match command {
        ServiceCommand::Import { args, customer_ids } => {
            let kind = ServiceImport::new(customer_ids.as_deref())?;
            run_import(store, args, kind, target).await
        }
        ServiceCommand::Export(args) => run_export(store, args, false, target).await,
        ServiceCommand::RaiseIds { .. } => Ok(()), // `raised`, in main.rs
    }
}
