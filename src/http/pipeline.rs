//! The request pipeline every route runs: read the parameters and credentials,
//! authenticate, admit, check the operation against the caller's role, run the use case,
//! and wrap its outcome in the envelope.

use super::contract::{self, Declared, Route};
use super::credentials::{Credentials, credentials};
use super::error::{ApiError, Envelope};
use super::params::{MAX_BODY_BYTES, Params, RequestError};
use crate::app::{App, AppError};
use crate::domain::scope::{Caller, Operation, Role};
use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde_json::value::RawValue;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

/// A successful answer. The result is serialised once, straight from its type: a page of
/// customers never goes through `serde_json::Value` (that conversion was 3/4 of its cost).
pub(super) struct Reply {
    pub(super) result: Box<RawValue>,
    pub(super) portal_password: Option<String>,
    pub(super) next: Option<String>,
    pub(super) api_key: Option<String>,
    /// `user/update`: a form key's new signing secret, shown this once.
    pub(super) signing_secret: Option<String>,
    /// Answered from an idempotency or duplicate claim: `Idempotent-Replayed: true`.
    pub(super) replayed: bool,
}

impl Reply {
    pub(super) fn of<T: Serialize + ?Sized>(result: &T) -> Result<Self, ApiError> {
        let result = serde_json::value::to_raw_value(result)
            .map_err(|e| ApiError::App(AppError::Internal(e.to_string())))?;
        Ok(Self {
            result,
            portal_password: None,
            next: None,
            api_key: None,
            signing_secret: None,
            replayed: false,
        })
    }
}

/// The request's head and its body's bytes, at most `MAX_BODY_BYTES` (else 413).
pub(super) async fn read_body(req: Request) -> Result<(Parts, Bytes), ApiError> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(RequestError::TooLarge.into());
    }
    let bytes = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| match e.downcast_ref::<LengthLimitError>() {
            Some(_) => RequestError::TooLarge,
            None => RequestError::Malformed("body: could not be read".into()),
        })?
        .to_bytes();
    Ok((parts, bytes))
}

/// The request's parameters and its credentials (body, headers or query string).
async fn read_params(req: Request) -> Result<(Params, Credentials), ApiError> {
    let (parts, bytes) = read_body(req).await?;
    let mut params = Params::from_body(&parts.headers, bytes).await?;
    let credentials = credentials(&parts.headers, parts.uri.query(), &params)?;
    if let Some(key) = &credentials.idempotency_key {
        params.set("idempotency_key", key.clone());
    }
    Ok((params, credentials))
}

/// The client's address, where the transport tells it.
pub(super) fn source_of(req: &Request) -> Option<IpAddr> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let from_gateway = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.as_deref(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.as_deref(),
        _ => None,
    };
    from_gateway.and_then(|ip| ip.parse().ok()).or_else(|| {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    })
}

/// An API route's work once its caller is known and admitted.
pub(super) type Work = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send>>;

/// A route of the API's one handler: its declaration and its work.
pub(super) struct Api {
    pub(super) route: &'static Route,
    pub(super) run: fn(Arc<App>, Caller, Declared) -> Work,
}

/// Adds `table`'s routes to `router`, every one served by the same handler, so the pipeline
/// is compiled once: a handler of its own per route cost the function ~6.5 KB each
/// (docs/performance.md, Size).
pub(super) fn mount(router: Router<Arc<App>>, table: &'static [Api]) -> Router<Arc<App>> {
    table.iter().fold(router, |router, api| {
        router.route(
            api.route.path,
            post(move |State(app): State<Arc<App>>, req: Request| handle(app, req, api)),
        )
    })
}

/// Parses and authenticates, runs the route's work, and wraps its outcome in the envelope.
/// The caller's id goes into the response extensions for the access log.
async fn handle(app: Arc<App>, req: Request, api: &'static Api) -> Response {
    let mut caller_id = None;
    let source = source_of(&req);
    let outcome = async {
        let (params, creds) = read_params(req).await?;
        let caller = app
            .authenticate(creds.userid.as_deref(), creds.api_key.as_deref())
            .await?;
        caller_id = Some(caller.userid);
        admit(&app, &caller, &creds, Operation::Other)?;
        (api.run)(app, caller, Declared::new(params, api.route, source)).await
    }
    .await;
    respond(outcome, api.route, caller_id)
}

/// What every route checks once the caller is known: its request bucket, a key in the
/// query string, and its role against the operation.
pub(super) fn admit(
    app: &App,
    caller: &Caller,
    creds: &Credentials,
    operation: Operation,
) -> Result<(), ApiError> {
    app.admit(caller)?;
    // URLs are logged by proxies, servers and form tools: a key in the query string is
    // for a form key only (public by nature). Refused only once the key is known good,
    // so the refusal tells its owner to rotate it.
    if creds.api_key_in_query && caller.role != Role::Form {
        return Err(RequestError::Malformed(
            "api_key: only a form key may be sent in the query string; send this key in \
             the body or the X-Userid/X-Api-Key headers, and rotate it (URLs are logged)"
                .into(),
        )
        .into());
    }
    if !caller.may(operation) {
        return Err(AppError::NotAllowed("userid: a form key may only create customers").into());
    }
    Ok(())
}

/// The envelope of an outcome; the caller's id goes into the response extensions for the
/// access log.
pub(super) fn respond(
    outcome: Result<Reply, ApiError>,
    route: &'static Route,
    caller_id: Option<crate::domain::ids::UserId>,
) -> Response {
    let mut response = match outcome {
        Ok(reply) => {
            let mut response = Json(Envelope {
                result: reply.result,
                error: None,
                portal_password: reply.portal_password,
                next: reply.next,
                api_key: reply.api_key,
                signing_secret: reply.signing_secret,
            })
            .into_response();
            if reply.replayed {
                debug_assert!(route.replays(), "{} answered a replay", route.path);
                response.headers_mut().insert(
                    contract::IDEMPOTENT_REPLAYED,
                    HeaderValue::from_static("true"),
                );
            }
            response
        }
        Err(e) => e.into_response(),
    };
    if let Some(id) = caller_id {
        response.extensions_mut().insert(id);
    }
    response
}
