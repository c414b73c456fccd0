//! The hosted signup page (issue 21): `GET /signup/{form}` serves a form key's page,
//! `POST /signup/{form}` creates a customer as that form key (the page never carries the
//! key's api_key: its public id is `<userid>-<token>`, see `domain::signup::web`), and
//! `GET /signup/{form}/thanks` thanks the visitor. A view or a post reads nothing beyond
//! the form key the auth cache keeps. Answers are HTML (these are a browser's pages), or a
//! 303 after a post.

mod render;

use super::contract::{self, Declared};
use super::credentials::Credentials;
use super::error::ApiError;
use super::params::Params;
use super::pipeline::{admit, read_body, source_of};
use super::web::{count_bot, count_refusal, field_and_reason, honeypot_filled};
use crate::app::App;
use crate::app::Authenticated;
use crate::domain::Fields;
use crate::domain::ids::UserId;
use crate::domain::scope::Operation;
use crate::domain::signup::WebSettings;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
    REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use render::Filled;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How long a browser or CDN may keep a page: its form changes only when its manager
/// changes it, and then within this and `AUTH_CACHE_SECONDS`.
const PAGE_MAX_AGE: &str = "public, max-age=300";

/// The form key a public id names, if it has a page: `None` for a malformed id, an unknown
/// user, a wrong token or a key without a page (one answer for all).
async fn lookup(
    app: &App,
    form: &str,
) -> Result<Option<(Authenticated, Arc<WebSettings>)>, ApiError> {
    let Some((user, token)) = form.split_once('-') else {
        return Ok(None);
    };
    let (Ok(user), false) = (UserId::parse("form", user), token.is_empty()) else {
        return Ok(None);
    };
    let Some((who, web)) = app
        .form_page(user, token)
        .await?
        .and_then(|who| who.web.clone().map(|web| (who, web)))
    else {
        return Ok(None);
    };
    // Without a title of its own the page is headed by its ISP's name (cached with the
    // ISP's state by the key's authentication: no read of its own).
    if web.title.is_some() {
        return Ok(Some((who, web)));
    }
    let mut titled = (*web).clone();
    titled.title = app.isp_name(&who.caller.scope).await?;
    Ok(Some((who, Arc::new(titled))))
}

fn html(status: StatusCode, body: String, web: &WebSettings) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&render::csp(web)) {
        h.insert(CONTENT_SECURITY_POLICY, v);
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn missing() -> Response {
    html(
        StatusCode::NOT_FOUND,
        render::notice(
            "Signup page not found",
            "This signup page does not exist, or its link has changed. Please ask for a new link.",
        ),
        &WebSettings::default(),
    )
}

/// A failure that is not about the form: the same words the API would use.
fn failed(e: &ApiError) -> Response {
    let mut r = html(
        e.status(),
        render::notice("Signup unavailable", &e.public_message()),
        &WebSettings::default(),
    );
    if contract::RETRY_AFTER_STATUSES.contains(&e.status().as_u16()) {
        r.headers_mut().insert(
            contract::RETRY_AFTER,
            HeaderValue::from_static(super::error::RETRY_AFTER_SECONDS),
        );
    }
    r
}

/// A page that may be kept: its ETag, and 304 when the browser has it.
fn cacheable(headers: &HeaderMap, body: String, web: &WebSettings) -> Response {
    let tag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..12])
    );
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut r = match fresh {
        true => html(StatusCode::NOT_MODIFIED, String::new(), web),
        false => html(StatusCode::OK, body, web),
    };
    let h = r.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static(PAGE_MAX_AGE));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(ETAG, v);
    }
    r
}

pub(super) async fn show(
    State(app): State<Arc<App>>,
    Path(form): Path<String>,
    headers: HeaderMap,
) -> Response {
    match lookup(&app, &form).await {
        // A minimum fill time needs this view's own signed time: not a cached page.
        Ok(Some((who, web))) if web.min_seconds > 0 => {
            let mut filled = Filled::default();
            if let Some(stamp) = app.page_stamp(who.caller.userid) {
                filled.values.insert("shown_at".into(), stamp);
            }
            html(StatusCode::OK, render::page(&web, &filled), &web)
        }
        Ok(Some((_, web))) => cacheable(&headers, render::page(&web, &Filled::default()), &web),
        Ok(None) => missing(),
        Err(e) => failed(&e),
    }
}

pub(super) async fn thanks(
    State(app): State<Arc<App>>,
    Path(form): Path<String>,
    headers: HeaderMap,
) -> Response {
    match lookup(&app, &form).await {
        Ok(Some((_, web))) => cacheable(&headers, render::thanks(&web), &web),
        Ok(None) => missing(),
        Err(e) => failed(&e),
    }
}

/// `GET /signup/{form}/stamp`: a fresh signed `shown_at` for the hidden field of the key's
/// own HTML form (a static page cannot sign a time), and the key's `min_seconds`. JSON in
/// the envelope, never cached (the time is this request's); a simple GET, so a listed origin
/// reads it with no preflight, and only a listed origin (CORS). Reads only the cached key.
pub(super) async fn stamp(
    State(app): State<Arc<App>>,
    Path(form): Path<String>,
    headers: HeaderMap,
) -> Response {
    let no_form = || {
        super::error::failure(
            StatusCode::NOT_FOUND,
            "form: no such signup form (an unknown, wrong or withdrawn id)".into(),
        )
    };
    let (mut r, web) = match lookup(&app, &form).await {
        Ok(Some((who, web))) => match app.page_stamp(who.caller.userid) {
            Some(shown_at) => {
                let result = StampReply {
                    shown_at,
                    min_seconds: web.min_seconds,
                };
                let body = super::error::Envelope {
                    result,
                    error: None,
                    portal_password: None,
                    next: None,
                    api_key: None,
                    signing_secret: None,
                };
                let r = with_caller(Json(body).into_response(), who.caller.userid);
                (r, Some(web))
            }
            // No FORM_SECRET_KEY: nothing to sign with (no key can have a minimum then).
            None => (no_form(), None),
        },
        Ok(None) => (no_form(), None),
        Err(e) => (e.into_response(), None),
    };
    let h = r.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(web) = web
        && let Some(origin) = super::web::origin(&headers)
        && web.allows(&origin)
    {
        super::web::allow_origin(h, &origin);
    }
    r
}

#[derive(serde::Serialize)]
struct StampReply {
    shown_at: String,
    min_seconds: u32,
}

/// A post of the page: created, 303 to the key's thank-you URL or the page's own; refused,
/// the page again (400) with the visitor's values and the error next to its field.
pub(super) async fn submit(
    State(app): State<Arc<App>>,
    Path(form): Path<String>,
    req: Request,
) -> Response {
    let source = source_of(&req);
    let (who, web) = match lookup(&app, &form).await {
        Ok(Some(found)) => found,
        Ok(None) => return missing(),
        Err(e) => return failed(&e),
    };
    let params = match read_body(req).await {
        Ok((parts, bytes)) => match Params::from_body(&parts.headers, bytes).await {
            Ok(p) => p,
            Err(e) => return failed(&e.into()),
        },
        Err(e) => return failed(&e),
    };
    let caller = who.caller;
    if let Err(e) = admit(
        &app,
        &caller,
        &Credentials::default(),
        Operation::CreateCustomer,
    ) {
        return with_caller(failed(&e), caller.userid);
    }
    let thanks = |id: Option<u64>| {
        let location = match (&web.thanks_url, id.filter(|_| web.thanks_with_id)) {
            (Some(url), Some(id)) => super::web::with_query(url, &[("id", &id.to_string())]),
            (Some(url), None) => url.clone(),
            (None, _) => format!("{form}/thanks"),
        };
        let mut r = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert(LOCATION, v);
        }
        r.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        with_caller(r, caller.userid)
    };
    if honeypot_filled(Some(&web), Some(&params)) {
        count_bot(&app, crate::app::signup::BotDefence::Honeypot);
        return thanks(None);
    }
    let shown: std::collections::HashMap<String, String> = params
        .pairs()
        .into_iter()
        .filter(|(k, _)| *k != web.honeypot.as_deref().unwrap_or_default())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let stamp = shown.get("shown_at").map(String::as_str);
    let checked = match web.min_seconds {
        0 => Ok(()),
        min => app.check_page_stamp(caller.userid, stamp, min),
    };
    let declared = Declared::new(params, &contract::CUSTOMER_CREATE, source);
    let checked = match checked {
        Ok(()) => {
            app.check_captcha(caller.userid, &web, |f| shown.get(f).cloned(), source)
                .await
        }
        Err(e) => Err(e),
    };
    let created = match checked {
        Ok(()) => app.create_customer_from(&caller, &declared, source).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(created) => thanks(Some(created.id.get())),
        Err(e) => {
            let e = ApiError::from(e);
            count_refusal(&app, &e);
            let status = e.status();
            // A refused CAPTCHA is the visitor's to retry on the page: shown on it, as a 403.
            let captcha = e.public_message().starts_with("captcha:");
            if !captcha && (status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS) {
                return with_caller(failed(&e), caller.userid);
            }
            let (field, reason) = field_and_reason(&e);
            let filled = Filled {
                values: shown,
                errors: vec![(field.to_owned(), reason)],
            };
            with_caller(
                html(status, render::page(&web, &filled), &web),
                caller.userid,
            )
        }
    }
}

/// The caller's id for the access log, as the API's routes record it.
fn with_caller(mut r: Response, id: UserId) -> Response {
    r.extensions_mut().insert(id);
    r
}
