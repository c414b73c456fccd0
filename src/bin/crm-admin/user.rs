//! `crm-admin user`: login users and their API keys, created and changed by the API's rules
//! as the platform admin.

use super::{CliError, id};
use clap::{Subcommand, ValueEnum};
use isp_crm::admin::{self, NewUser};
use isp_crm::app::signup::FormChange;
use isp_crm::domain::credentials::ApiKey;
use isp_crm::domain::ids::{IspId, ResellerId, UserId};
use isp_crm::domain::scope::Role;
use isp_crm::domain::signup::LocalOrigins;
use isp_crm::store::Store;
use std::collections::HashMap;

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
    /// Connect a form key to a signup form tool: its payload profile, field map and signing
    /// secret (the whole setup each time; a secret is kept unless changed). Prints a secret
    /// that was set, the only time it is shown. Needs FORM_SECRET_KEY to set a secret.
    Form {
        #[arg(long, value_parser = id::<UserId>)]
        userid: UserId,
        /// fields (the API's own names), typeform, tally, jotform, fillout or json
        #[arg(long)]
        profile: String,
        /// The field map, a JSON object: {"email": "work_email", "type": {"const":
        /// "Individual"}, "name": {"join": ["first_name", "last_name"]}, …}
        #[arg(long)]
        map: Option<String>,
        /// The tool's signing secret (Typeform, Tally, json), or `generate`
        #[arg(
            long,
            env = "CRM_SIGNING_SECRET",
            hide_env_values = true,
            conflicts_with = "clear_secret"
        )]
        signing_secret: Option<String>,
        /// Remove the signing secret: deliveries are no longer checked
        #[arg(long)]
        clear_secret: bool,
    },
    /// A form key's web settings (the API's `user/update` form_* parameters): an option
    /// left out keeps its setting, an empty value clears it. http://localhost-style origins
    /// and URLs need FORM_LOCAL_ORIGINS=true, as in the API.
    Web(Box<WebArgs>),
    /// Make userids that /api/user/create hands out follow an existing range: the next will
    /// be above N (the counter only ever goes up)
    RaiseIds {
        #[arg(long, value_name = "N")]
        above: u64,
    },
}

/// `crm-admin user web`'s options (boxed: the largest variant by far).
#[derive(Debug, clap::Args)]
pub struct WebArgs {
    #[arg(long, value_parser = id::<UserId>)]
    userid: UserId,
    /// Origins whose scripts may call the key, comma-separated: https://www.example.net
    #[arg(long)]
    origins: Option<String>,
    /// Where a browser's form post goes after a create (303)
    #[arg(long)]
    thanks_url: Option<String>,
    /// Where it goes after a refusal, with field= and reason= added
    #[arg(long)]
    error_url: Option<String>,
    /// Y: the thank-you redirect carries the new customer's id (id=)
    #[arg(long)]
    thanks_id: Option<String>,
    /// A hidden field a human never fills: filled, nothing is written
    #[arg(long)]
    honeypot: Option<String>,
    /// on (a hosted page at /signup/<id>), new (a new id) or off
    #[arg(long)]
    page: Option<String>,
    /// The hosted page's heading (the ISP's name as visitors know it)
    #[arg(long)]
    page_title: Option<String>,
    /// An https URL of the ISP's logo, shown on the page
    #[arg(long)]
    page_logo: Option<String>,
    /// The page's accent colour, #rrggbb
    #[arg(long)]
    page_colour: Option<String>,
    /// Optional fields the page asks for: surname, dob, uniqueid, notes
    #[arg(long)]
    page_fields: Option<String>,
    /// The hosted page's minimum fill time in seconds (0: none; needs FORM_SECRET_KEY)
    #[arg(long)]
    min_seconds: Option<String>,
    /// A customer/create post without shown_at (no JavaScript): refuse (default) or allow
    #[arg(long)]
    unstamped: Option<String>,
    /// A CAPTCHA on the form: turnstile, hcaptcha, or empty for none
    #[arg(long)]
    captcha: Option<String>,
    /// The CAPTCHA provider's public site key
    #[arg(long)]
    captcha_site_key: Option<String>,
    /// The CAPTCHA provider's secret (sealed; needs FORM_SECRET_KEY)
    #[arg(long, env = "CRM_CAPTCHA_SECRET", hide_env_values = true)]
    captcha_secret: Option<String>,
}

pub async fn run(
    store: &Store,
    deployment_key: Option<&str>,
    command: UserCommand,
    target: &str,
) -> Result<(), CliError> {
    match command {
        UserCommand::Form {
            userid,
            profile,
            map,
            signing_secret,
            clear_secret,
        } => {
            // The API's parameters, so the two cannot differ in a rule.
            let mut fields = HashMap::from([("form_profile".to_owned(), profile)]);
            if let Some(map) = map {
                fields.insert("form_map".into(), map);
            }
            match (signing_secret, clear_secret) {
                (Some(s), _) => drop(fields.insert("signing_secret".into(), s)),
                (None, true) => drop(fields.insert("signing_secret".into(), String::new())),
                (None, false) => {}
            }
            let change = FormChange::parse(&fields).map_err(|e| CliError::Usage(e.to_string()))?;
            let shown = admin::set_form(store, deployment_key, local()?, userid, change).await?;
            eprintln!("user {userid}: form setup written ({target})");
            if let Some(secret) = shown {
                eprintln!("its signing secret (paste it into the form tool's webhook settings):");
                println!("{}", secret.expose());
            }
        }
        UserCommand::Web(args) => {
            let WebArgs {
                userid,
                origins,
                thanks_url,
                error_url,
                thanks_id,
                honeypot,
                page,
                page_title,
                page_logo,
                page_colour,
                page_fields,
                min_seconds,
                unstamped,
                captcha,
                captcha_site_key,
                captcha_secret,
            } = *args;
            let fields: HashMap<String, String> = [
                ("form_origins", origins),
                ("form_thanks_url", thanks_url),
                ("form_error_url", error_url),
                ("form_thanks_id", thanks_id),
                ("form_honeypot", honeypot),
                ("form_page", page),
                ("form_page_title", page_title),
                ("form_page_logo", page_logo),
                ("form_page_colour", page_colour),
                ("form_page_fields", page_fields),
                ("form_min_seconds", min_seconds),
                ("form_unstamped", unstamped),
                ("form_captcha", captcha),
                ("form_captcha_site_key", captcha_site_key),
                ("form_captcha_secret", captcha_secret),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect();
            let change = FormChange::parse(&fields).map_err(|e| CliError::Usage(e.to_string()))?;
            admin::set_form(store, deployment_key, local()?, userid, change).await?;
            eprintln!(
                "user {userid}: web settings written ({target}); crm-admin user list shows them"
            );
        }
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

/// The deployment's `FORM_LOCAL_ORIGINS`, read as the API reads it.
fn local() -> Result<LocalOrigins, CliError> {
    isp_crm::config::local_origins(std::env::var("FORM_LOCAL_ORIGINS").ok())
        .map(LocalOrigins)
        .map_err(|e| CliError::Usage(e.to_string()))
}
