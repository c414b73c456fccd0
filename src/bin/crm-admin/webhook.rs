//! `crm-admin webhook`: tenant webhook endpoints (docs/events.md#webhooks), managed by the
//! API's own use cases as the platform admin (recorded as `crm-admin`). Secrets are sealed
//! with FORM_SECRET_KEY, as the stack's: set it to the stack's value (output
//! FormSecretKeyArn) to create or rotate.

use super::{CliError, flag, id};
use clap::Subcommand;
use isp_crm::app::App;
use isp_crm::app::webhooks::operator;
use isp_crm::config::Settings;
use isp_crm::domain::ids::{IspId, ResellerId};
use isp_crm::store::Store;
use std::collections::HashMap;

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint to an ISP (or one of its resellers) and print its secret (shown once)
    Create {
        #[arg(long, value_parser = id::<IspId>)]
        isp: IspId,
        /// The endpoint receives this reseller's events only
        #[arg(long, value_parser = id::<ResellerId>)]
        reseller: Option<ResellerId>,
        /// https:// URL of a public host
        #[arg(long)]
        url: String,
        /// Comma-separated event types, or * (default)
        #[arg(long)]
        types: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// An ISP's endpoints, one JSON object a line (never a secret)
    List {
        #[arg(long, value_parser = id::<IspId>)]
        isp: IspId,
    },
    /// Change an endpoint; --enabled Y also resumes one disabled for failing
    Update {
        #[arg(long)]
        id: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        types: Option<String>,
        #[arg(long, value_parser = flag)]
        enabled: Option<bool>,
    },
    /// Delete an endpoint
    Delete {
        #[arg(long)]
        id: String,
    },
    /// Give an endpoint a new secret and print it (shown once; the old one stops at once)
    RotateSecret {
        #[arg(long)]
        id: String,
    },
    /// Send an endpoint a test event
    Test {
        #[arg(long)]
        id: String,
    },
}

fn fields(pairs: &[(&str, Option<String>)]) -> HashMap<String, String> {
    pairs
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
        .collect()
}

pub async fn run(
    store: &Store,
    settings: &Settings,
    command: WebhookCommand,
    target: &str,
) -> Result<(), CliError> {
    let app = App::new(store.clone(), settings).map_err(|e| CliError::Usage(e.to_string()))?;
    let op = operator();
    let failed = |e: isp_crm::app::AppError| CliError::Usage(e.to_string());
    match command {
        WebhookCommand::Create {
            isp,
            reseller,
            url,
            types,
            description,
        } => {
            let f = fields(&[
                ("ispid", Some(isp.to_string())),
                ("resellerid", reseller.map(|r| r.to_string())),
                ("url", Some(url)),
                ("types", types),
                ("description", description),
            ]);
            let made = app.webhook_create(&op, &f).await.map_err(failed)?;
            eprintln!(
                "webhook {} of ISP {isp} created ({target}); its secret, shown once:",
                made.id
            );
            println!("{}", made.secret);
        }
        WebhookCommand::List { isp } => {
            let mut cursor: Option<String> = None;
            loop {
                let f = fields(&[
                    ("ispid", Some(isp.to_string())),
                    ("rows_limit", Some("100".into())),
                    ("cursor", cursor.clone()),
                ]);
                let page = app.webhook_list(&op, &f).await.map_err(failed)?;
                for e in &page.rows {
                    println!("{}", serde_json::to_string(e).unwrap_or_default());
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        WebhookCommand::Update {
            id,
            url,
            types,
            enabled,
        } => {
            let f = fields(&[
                ("webhookid", Some(id.clone())),
                ("url", url),
                ("types", types),
                (
                    "enabled",
                    enabled.map(|e| if e { "Y" } else { "N" }.to_owned()),
                ),
            ]);
            app.webhook_update(&op, &f).await.map_err(failed)?;
            eprintln!("webhook {id} updated ({target})");
        }
        WebhookCommand::Delete { id } => {
            let f = fields(&[("webhookid", Some(id.clone()))]);
            app.webhook_delete(&op, &f).await.map_err(failed)?;
            eprintln!("webhook {id} deleted ({target})");
        }
        WebhookCommand::RotateSecret { id } => {
            let f = fields(&[("webhookid", Some(id.clone()))]);
            let issued = app.webhook_rotate_secret(&op, &f).await.map_err(failed)?;
            eprintln!("webhook {id}: a new secret, shown once ({target}):");
            println!("{}", issued.secret);
        }
        WebhookCommand::Test { id } => {
            let f = fields(&[("webhookid", Some(id.clone()))]);
            let msg = app.webhook_test(&op, &f).await.map_err(failed)?;
            eprintln!("webhook {id}: test event {msg} queued ({target})");
        }
    }
    Ok(())
}
