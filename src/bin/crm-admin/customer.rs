//! `crm-admin customer`: customers imported from CSV or JSON, exported.

use super::transfer::{ExportArgs, ImportArgs, run_export, run_import};
use super::{CliError, id};
use clap::Subcommand;
use isp_crm::app::privacy::{JournalMention, export_document};
use isp_crm::domain::ids::{CustomerId, IspId, ResellerId};
use isp_crm::domain::scope::Scope;
use isp_crm::store::Store;
use isp_crm::transfer::customers::CustomerImport;
use isp_crm::transfer::journal::Journal;
use jiff::tz::TimeZone;
use std::path::{Path, PathBuf};

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
    /// Write an ISP's (or a reseller's) customers, in id order, as CSV or JSON; with --id,
    /// everything held about one customer as one JSON document (a privacy request)
    Export {
        /// One customer: its record (or restorable copy), services, history and the claims
        /// and import journals that name it, as `customer/export` answers
        #[arg(long, value_parser = id::<CustomerId>, conflicts_with_all = ["isp", "reseller", "format", "bom"])]
        id: Option<CustomerId>,
        /// An import's journal (`<file>.journal`) to search for the customer, with --id;
        /// repeatable
        #[arg(long, requires = "id")]
        journal: Vec<PathBuf>,
        #[command(flatten)]
        args: ExportArgs,
    },
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
        CustomerCommand::Export {
            id: Some(id),
            journal,
            args,
        } => export_one(store, id, &journal, args.out.as_deref()).await,
        CustomerCommand::Export { args, .. } => run_export(store, args, true, target).await,
        CustomerCommand::RaiseIds { .. } => Ok(()), // `raised`, in main.rs
    }
}

/// `customer export --id N`: the customer's export as one JSON document, with the journals
/// given that name it.
async fn export_one(
    store: &Store,
    id: CustomerId,
    journals: &[PathBuf],
    out: Option<&Path>,
) -> Result<(), CliError> {
    let Some(mut doc) = export_document(store, id, &Scope::Platform).await? else {
        return Err(CliError::Usage(format!(
            "customer {id}: nothing held (never created, deleted past its restore window, \
             or erased)"
        )));
    };
    for path in journals {
        doc.journals.extend(journal_mentions(path, id)?);
    }
    let text = serde_json::to_string_pretty(&doc).map_err(|e| CliError::Usage(e.to_string()))?;
    match out {
        Some(p) => std::fs::write(p, text + "\n")
            .map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))?,
        None => println!("{text}"),
    }
    Ok(())
}

/// Where an import's files name customer `id`: the block of ids its journal gave to rows
/// without one, and the lines of its `<file>.ids.csv` (old id → ours).
fn journal_mentions(path: &Path, id: CustomerId) -> Result<Vec<JournalMention>, CliError> {
    let journal = Journal::load(path)?
        .ok_or_else(|| CliError::Usage(format!("{}: no such journal", path.display())))?;
    let mut found = Vec::new();
    let file = path.display().to_string();
    let import = file.strip_suffix(".journal").unwrap_or(&file).to_owned();
    let n = id.get();
    if journal.kind == "customers"
        && (journal.first_id..journal.first_id + journal.block).contains(&n)
    {
        found.push(JournalMention {
            file: file.clone(),
            names: format!(
                "its id was given by this import to a row without one ({import}, row {} of those)",
                n - journal.first_id + 1
            ),
        });
    }
    let ids = format!("{import}.ids.csv");
    if let Ok(text) = std::fs::read_to_string(&ids) {
        for (i, line) in text.lines().enumerate() {
            if line.rsplit(',').next().map(str::trim) == Some(n.to_string().as_str()) {
                found.push(JournalMention {
                    file: ids.clone(),
                    names: format!("line {}: {line}", i + 1),
                });
            }
        }
    }
    Ok(found)
}
