//! `crm-admin isp`: ISPs (tenants), created and changed by the API's rules as the platform
//! admin.

use super::{CliError, flag, id};
use clap::Subcommand;
use isp_crm::admin::{self, IspChange};
use isp_crm::domain::ids::IspId;
use isp_crm::domain::zone::IspTimeZone;
use isp_crm::store::Store;

#[derive(Subcommand)]
pub enum IspCommand {
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

/// A time zone argument, with the API's rule.
fn zone(value: &str) -> Result<IspTimeZone, String> {
    IspTimeZone::parse("time_zone", value).map_err(|e| e.rule)
}

/// `isp update --time-zone`: a zone, or empty for none of its own.
#[derive(Clone)]
pub struct ZoneChange(Option<IspTimeZone>);

fn zone_change(value: &str) -> Result<ZoneChange, String> {
    IspTimeZone::parse_change("time_zone", value)
        .map(ZoneChange)
        .map_err(|e| e.rule)
}

fn zone_text(zone: Option<&IspTimeZone>) -> String {
    zone.map_or_else(
        || "TIME_ZONE (the deployment's)".into(),
        |z| z.name().to_owned(),
    )
}

pub async fn run(store: &Store, command: IspCommand, target: &str) -> Result<(), CliError> {
    match command {
        IspCommand::Create {
            id,
            name,
            time_zone,
        } => {
            let zone = zone_text(time_zone.as_ref());
            admin::create_isp_in(store, id, &name, time_zone).await?;
            eprintln!("ISP {id} created, time zone {zone} ({target})");
        }
        IspCommand::Update {
            id,
            name,
            time_zone,
            enabled,
        } => {
            let time_zone = time_zone.map(|ZoneChange(z)| z);
            let zone = time_zone.as_ref().map(|z| zone_text(z.as_ref()));
            let change = IspChange {
                name,
                time_zone,
                enabled,
            };
            admin::update_isp(store, id, change).await?;
            match zone {
                Some(zone) => eprintln!("ISP {id} updated, time zone {zone} ({target})"),
                None => eprintln!("ISP {id} updated ({target})"),
            }
        }
        IspCommand::RaiseIds { .. } => {} // `raised`, in main.rs
    }
    Ok(())
}
