//! `customer/create`, where a profiled form key's delivery arrives in its tool's own shape
//! (nested JSON, Jotform's multipart): the body is parsed as flat parameters as on every
//! route (a body error no profile accepts is 400 before authentication, as today), and only
//! once the caller is known to be a profiled form key, and the signature checked, is it read
//! as the tool's payload. Every other caller keeps today's flat rules and answers.

use super::contract::{self, Declared};
use super::credentials::credentials;
use super::document::document;
use super::params::{Params, RequestError};
use super::pipeline::{Reply, admit, read_body, respond, source_of};
use super::web::{Browser, count_bot, count_refusal, decoy_id, field_and_reason, honeypot_filled};
use crate::app::App;
use crate::app::signup::{BotDefence, Inbound, stamp};
use crate::domain::Fields;
use crate::domain::scope::Operation;
use crate::domain::signup::Delivery;
use axum::extract::{Request, State};
use axum::response::Response;
use std::sync::Arc;

pub(super) async fn create(State(app): State<Arc<App>>, req: Request) -> Response {
    let route = &contract::CUSTOMER_CREATE;
    let mut caller_id = None;
    let source = source_of(&req);
    let browser = Browser::of(req.headers());
    let mut web = None;
    let outcome = async {
        let (parts, bytes) = read_body(req).await?;
        let flat = Params::from_body(&parts.headers, bytes.clone()).await;
        // Every body error no profile accepts is 400 before anything else, as today: another
        // media type, malformed form or multipart, a name given twice, invalid JSON. Only a
        // JSON body that is not flat (nested values, not an object) waits for the caller: a
        // profiled form key's tool may send it. Read whole now, so its syntax errors and
        // duplicates anywhere are 400 too.
        let nested = match &flat {
            Err(RequestError::NotFlat(_)) => Some(document(&bytes)?),
            Err(e) => return Err(e.clone().into()),
            Ok(_) => None,
        };
        let empty = Params::default();
        let creds = credentials(
            &parts.headers,
            parts.uri.query(),
            flat.as_ref().unwrap_or(&empty),
        )?;
        // A body that is not flat, without credentials outside it: today's 400.
        if let (Err(e), None) = (&flat, &creds.userid) {
            return Err(e.clone().into());
        }
        let who = app
            .authenticate_form(creds.userid.as_deref(), creds.api_key.as_deref())
            .await?;
        let caller = who.caller;
        caller_id = Some(caller.userid);
        web.clone_from(&who.web);
        admit(&app, &caller, &creds, Operation::CreateCustomer)?;
        // A bot that filled the hidden field is answered as a success: told nothing, it
        // does not adapt. Nothing is written.
        if honeypot_filled(who.web.as_deref(), flat.as_ref().ok()) {
            count_bot(&app, BotDefence::Honeypot);
            return Reply::of(&decoy_id());
        }
        // A minimum fill time: the signed `shown_at` the key's own form fetched. Not for a
        // tool's delivery: its servers post it, whenever the visitor filled it in.
        if let Some(web) = who.web.as_deref().filter(|_| who.form.is_none()) {
            let shown_at = flat.as_ref().ok().and_then(|p| p.get(stamp::FIELD));
            app.check_fill_time(caller.userid, web, shown_at)?;
        }
        // A key with a CAPTCHA: its token checked with the provider before anything else.
        if let Some(web) = who.web.as_deref().filter(|w| w.captcha.is_some()) {
            let form = flat.as_ref().ok();
            app.check_captcha(
                caller.userid,
                web,
                |f| form.and_then(|p| p.get(f)).map(str::to_owned),
                source,
            )
            .await?;
        }
        let created = match who.form {
            Some(form) => {
                // The signature over the raw bytes before the body is read as the tool's
                // payload (it was parsed above only as flat fields or checked as JSON, which
                // reads nothing into a customer).
                let signature = form
                    .setup
                    .profile
                    .signature_header()
                    .and_then(|h| parts.headers.get(h))
                    .and_then(|v| v.to_str().ok());
                let verified = form.verify(signature, &bytes)?;
                let delivery = match (nested, Params::is_json(&parts.headers)) {
                    (Some(v), _) => Delivery::Json(v),
                    (None, true) => Delivery::Json(document(&bytes)?),
                    (None, false) => Delivery::Form(flat?.into_map()),
                };
                let inbound = Inbound {
                    delivery: &delivery,
                    idempotency_key: creds.idempotency_key.as_deref(),
                };
                app.create_customer_delivered(&caller, verified, inbound)
                    .await?
            }
            None => {
                let mut params = flat?;
                if let Some(key) = &creds.idempotency_key {
                    params.set("idempotency_key", key.clone());
                }
                let params = Declared::new(params, route, source);
                app.create_customer_from(&caller, &params, params.source())
                    .await?
            }
        };
        Ok(Reply {
            replayed: created.replayed,
            ..Reply::of(&created.id)?
        })
    }
    .await;
    let verdict = match &outcome {
        Ok(reply) => Ok(reply.result.get().parse::<u64>().ok()),
        Err(e) => {
            count_refusal(&app, e);
            Err(field_and_reason(e))
        }
    };
    browser.answer(web.as_deref(), respond(outcome, route, caller_id), verdict)
}
