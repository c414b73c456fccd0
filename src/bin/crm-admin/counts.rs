//! `crm-admin counters`: the customer counts of ISPs and resellers, checked against their
//! indexes and rebuilt.

use super::{CliError, id};
use clap::Subcommand;
use isp_crm::admin;
use isp_crm::domain::ids::IspId;
use isp_crm::store::Store;

#[derive(Subcommand)]
pub enum CountersCommand {
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

pub async fn run(store: &Store, command: CountersCommand, target: &str) -> Result<(), CliError> {
    match command {
        CountersCommand::Verify { isp } => {
            let checks = admin::check_counts(store, isp).await?;
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
        CountersCommand::Rebuild { isp } => {
            let fixed = admin::rebuild_counts(store, isp).await?;
            for c in &fixed {
                println!("{}: {} -> {}", c.scope, c.kept, c.actual);
            }
            eprintln!("{} counts rebuilt ({target})", fixed.len());
        }
    }
    Ok(())
}
