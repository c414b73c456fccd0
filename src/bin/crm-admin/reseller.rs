//! `crm-admin reseller`: resellers of an ISP, created and changed by the API's rules as the
//! platform admin.

use super::{CliError, flag, id};
use clap::Subcommand;
use isp_crm::admin;
use isp_crm::domain::ids::{IspId, ResellerId};
use isp_crm::domain::scope::Actor;
use isp_crm::domain::tenancy::DirectoryUpdate;
use isp_crm::store::Store;

#[derive(Subcommand)]
pub enum ResellerCommand {
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

pub async fn run(store: &Store, command: ResellerCommand, target: &str) -> Result<(), CliError> {
    match command {
        ResellerCommand::Create { isp, id, name } => {
            admin::create_reseller(store, isp, id, &name).await?;
            eprintln!("reseller {id} of ISP {isp} created ({target})");
        }
        ResellerCommand::Update { id, name, enabled } => {
            let update = DirectoryUpdate { name, enabled };
            admin::update_reseller(store, id, &update, Actor::Admin).await?;
            eprintln!("reseller {id} updated ({target})");
        }
        ResellerCommand::RaiseIds { .. } => {} // `raised`, in main.rs
    }
    Ok(())
}
