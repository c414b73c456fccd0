//! The tenant webhook routes: `/api/webhook/*`. Same authentication, envelope and status
//! codes as every route; a form key may use none.

use super::contract::{self, Route};
use super::pipeline::{Reply, handle};
use crate::app::App;
use crate::domain::scope::{Caller, Operation};
use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(contract::WEBHOOK_CREATE.path, post(create))
        .route(contract::WEBHOOK_LIST.path, post(list))
        .route(contract::WEBHOOK_UPDATE.path, post(update))
        .route(contract::WEBHOOK_DELETE.path, post(delete))
        .route(contract::WEBHOOK_ROTATE_SECRET.path, post(rotate_secret))
        .route(contract::WEBHOOK_DELIVERIES.path, post(deliveries))
        .route(contract::WEBHOOK_TEST.path, post(test))
        .route(contract::WEBHOOK_REPLAY.path, post(replay))
}

async fn run<F, Fut>(app: Arc<App>, req: Request, route: &'static Route, op: F) -> Response
where
    F: FnOnce(Arc<App>, Caller, super::contract::Declared) -> Fut,
    Fut: Future<Output = Result<Reply, super::ApiError>>,
{
    handle(app, req, route, Operation::Other, op).await
}

async fn create(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::WEBHOOK_CREATE,
        |app, caller, f| async move { Reply::of(&app.webhook_create(&caller, &f).await?) },
    )
    .await
}

async fn list(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::WEBHOOK_LIST,
        |app, caller, f| async move {
            let page = app.webhook_list(&caller, &f).await?;
            let mut reply = Reply::of(&page.rows)?;
            reply.next = page.next;
            Ok(reply)
        },
    )
    .await
}

async fn update(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::WEBHOOK_UPDATE,
        |app, caller, f| async move {
            app.webhook_update(&caller, &f).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn delete(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::WEBHOOK_DELETE,
        |app, caller, f| async move {
            app.webhook_delete(&caller, &f).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn rotate_secret(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::WEBHOOK_ROTATE_SECRET,
        |app, caller, f| async move { Reply::of(&app.webhook_rotate_secret(&caller, &f).await?) },
    )
    .await
}

async fn deliveries(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::WEBHOOK_DELIVERIES,
        |app, caller, f| async move {
            let page = app.webhook_deliveries(&caller, &f).await?;
            let mut reply = Reply::of(&page.rows)?;
            reply.next = page.next;
            Ok(reply)
        },
    )
    .await
}

async fn test(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::WEBHOOK_TEST,
        |app, caller, f| async move { Reply::of(&app.webhook_test(&caller, &f).await?) },
    )
    .await
}

async fn replay(State(app): State<Arc<App>>, req: Request) -> Response {
    run(
        app,
        req,
        &contract::WEBHOOK_REPLAY,
        |app, caller, f| async move { Reply::of(&app.webhook_replay(&caller, &f).await?) },
    )
    .await
}
