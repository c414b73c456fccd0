//! `crm-admin user`: login users and their API keys, created and changed by the API's rules
//! as the platform admin.

use super::{CliError, id};
use clap::{Subcommand, ValueEnum};
use isp_crm::admin::{self, NewUser};
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::ids::{IspId, ResellerId, UserId};
use isp_crm::domain::scope::Role;
use isp_crm::store::Store;

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Isp,
    Reseller,
    /// A signup form's key: may only create customers, in its one reseller
    Form,
}

#[derive(Subcommand)]
pub enum UserCommand {
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

pub async fn run(store: &Store, command: UserCommand, target: &str) -> Result<(), CliError> {
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
        UserCommand::RaiseIds { .. } => {} // `raised`, in main.rs
    }
    Ok(())
}
