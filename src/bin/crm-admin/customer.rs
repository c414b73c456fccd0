//! `crm-admin customer`: customers imported from CSV or JSON, exported.

use super::transfer::{ExportArgs, ImportArgs, run_export, run_import};
use super::{CliError, id};
use clap::Subcommand;
use isp_crm::domain::ids::{IspId, ResellerId};
use isp_crm::store::Store;
use isp_crm::transfer::customers::CustomerImport;
use jiff::tz::TimeZone;

fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name.trim()).map_err(|e| format!("unknown time zone {name:?}: {e}"))
}

#[derive(Subcommand)]
pub enum CustomerCommand {
    /// Import customers from a CSV or JSON file: every row is checked, and every refused row
    /// reported with its line, before anything is written. Kept ids (an id column) stay;
    /// rows without one get ids from one block. Columns: id, ispid, resellerid, type, name,
    /// surname, dob, mobile, email, uniqueid, zipcode, state, city, street, notes,
    /// created_at, updated_at, and old_id (a previous system's id: the old → new ids are
    /// written to <file>.ids.csv for `service import --customer-ids`)
    Import {
        #[command(flatten)]
        args: ImportArgs,
        /// The ISP of rows without an ispid column
        #[arg(long, value_parser = id::<IspId>)]
        isp: Option<IspId>,
        /// The reseller of rows without a resellerid column
        #[arg(long, value_parser = id::<ResellerId>)]
        reseller: Option<ResellerId>,
        /// The deployment's TIME_ZONE (default UTC): the day on which rows of ISPs without
        /// a zone of their own are counted as created (as the API counts its creates)
        #[arg(long, env = "TIME_ZONE", value_parser = zone, default_value = "UTC")]
        time_zone: TimeZone,
    },
    /// Write an ISP's (or a reseller's) customers, in id order, as CSV or JSON
    Export(ExportArgs),
    /// Make new customer ids follow an existing range: the next id will be above N
    /// (the counter only ever goes up)
    RaiseIds {
        #[arg(long, value_name = "N")]
        above: u64,
    },
}

pub async fn run(store: &Store, command: CustomerCommand, target: &str) -> Result<(), CliError> {
    match command {
        CustomerCommand::Import {
            args,
            isp,
            reseller,
            time_zone,
        } => {
            let kind = CustomerImport::new(isp, reseller, time_zone);
            run_import(store, args, kind, target).await
        }
        CustomerCommand::Export(args) => run_export(store, args, true, target).await,
        CustomerCommand::RaiseIds { .. } => Ok(()), // `raised`, in main.rs
    }
}
