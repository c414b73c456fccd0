//! The tenant self-service routes: `/api/isp/*`, `/api/reseller/*`, `/api/user/*`. Same
//! authentication, envelope and status codes as the customer routes; a form key may use none.

use super::contract::{self, Route};
use super::pipeline::{Reply, handle};
use crate::app::App;
use crate::app::tenancy::{DirectoryPage, IssuedKey};
use crate::domain::scope::{Caller, Operation};
use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use serde::Serialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(contract::ISP_LIST.path, post(isp_list))
        .route(contract::ISP_CREATE.path, post(isp_create))
        .route(contract::ISP_UPDATE.path, post(isp_update))
        .route(contract::RESELLER_LIST.path, post(reseller_list))
        .route(contract::RESELLER_CREATE.path, post(reseller_create))
        .route(contract::RESELLER_UPDATE.path, post(reseller_update))
        .route(contract::USER_LIST.path, post(user_list))
        .route(contract::USER_CREATE.path, post(user_create))
        .route(contract::USER_ROTATE_KEY.path, post(user_rotate_key))
        .route(contract::USER_DISABLE.path, post(user_disable))
        .route(contract::USER_ENABLE.path, post(user_enable))
        .route(contract::USER_UPDATE.path, post(user_update))
}

fn page<T: Serialize>(p: DirectoryPage<T>) -> Result<Reply, super::ApiError> {
    let mut reply = Reply::of(&p.rows)?;
    reply.next = p.next;
    Ok(reply)
}

fn issued(k: IssuedKey) -> Result<Reply, super::ApiError> {
    let mut reply = Reply::of(&k.userid)?;
    reply.api_key = Some(k.api_key.expose().to_owned());
    Ok(reply)
}

/// Runs a tenancy use case behind the common authentication and envelope.
async fn run<F, Fut>(app: Arc<App>, req: Request, route: &'static Route, op: F) -> Response
where
    F: FnOnce(Arc<App>, Caller, super::contract::Declared) -> Fut,
    Fut: Future<Output = Result<Reply, super::ApiError>>,
{
    handle(app, req, route, Operation::Other, op).await
}

async fn isp_list(State(app): State<Arc<App>>, req: Request) -> Response {
    run(app, req, &contract::ISP_LIST, |app, caller, f| async move {
        page(app.isp_list(&caller, &f).await?)
    })
    .await
}

async fn isp_create(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::ISP_CREATE,
        |app, caller, f| async move { Reply::of(&app.isp_create(&caller, &f).await?) },
    )
    .await
}

async fn isp_update(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::ISP_UPDATE,
        |app, caller, f| async move {
            app.isp_update(&caller, &f).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn reseller_list(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::RESELLER_LIST,
        |app, caller, f| async move { page(app.reseller_list(&caller, &f).await?) },
    )
    .await
}

async fn reseller_create(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::RESELLER_CREATE,
        |app, caller, f| async move { Reply::of(&app.reseller_create(&caller, &f).await?) },
    )
    .await
}

async fn reseller_update(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::RESELLER_UPDATE,
        |app, caller, f| async move {
            app.reseller_update(&caller, &f).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn user_list(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::USER_LIST,
        |app, caller, f| async move { page(app.user_list(&caller, &f).await?) },
    )
    .await
}

async fn user_create(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::USER_CREATE,
        |app, caller, f| async move { issued(app.user_create(&caller, &f).await?) },
    )
    .await
}

async fn user_rotate_key(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::USER_ROTATE_KEY,
        |app, caller, f| async move { issued(app.user_rotate_key(&caller, &f).await?) },
    )
    .await
}

async fn user_disable(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::USER_DISABLE,
        |app, caller, f| async move {
            app.user_set_enabled(&caller, &f, false).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn user_enable(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::USER_ENABLE,
        |app, caller, f| async move {
            app.user_set_enabled(&caller, &f, true).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn user_update(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::USER_UPDATE,
        |app, caller, f| async move {
            let secret = app.user_update(&caller, &f).await?;
            let mut reply = Reply::of("done")?;
            reply.signing_secret = secret.map(|s| s.expose().to_owned());
            Ok(reply)
        },
    )
    .await
}
