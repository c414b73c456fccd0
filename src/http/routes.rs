//! The router, and the customer and service routes (`/api/customer/*`, `/api/service/*`).

use super::contract;
use super::error::ApiError;
use super::pipeline::{Reply, handle};
use super::{access_log, guard};
use crate::app::{App, ListOutcome, ServiceListOutcome};
use crate::domain::scope::Operation;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Router, middleware};
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    let sink = access_log::MetricsSink(app.metrics_namespace().map(Arc::from));
    Router::new()
        .route(contract::CUSTOMER_LIST.path, post(list))
        .route(
            contract::CUSTOMER_CREATE.path,
            post(super::delivery::create).options(super::web::preflight),
        )
        .route(contract::CUSTOMER_UPDATE.path, post(update))
        .route(contract::CUSTOMER_DELETE.path, post(delete))
        .route(contract::CUSTOMER_RESTORE.path, post(restore))
        .route(contract::CUSTOMER_EXPORT.path, post(export))
        .route(contract::CUSTOMER_ERASE.path, post(erase))
        .route(contract::CUSTOMER_HISTORY.path, post(history))
        .route(contract::SERVICE_LIST.path, post(service_list))
        .route(contract::SERVICE_CREATE.path, post(service_create))
        .route(contract::SERVICE_UPDATE.path, post(service_update))
        .route(contract::SERVICE_DELETE.path, post(service_delete))
        .merge(super::tenancy::routes())
        .merge(super::webhooks::routes())
        // The hosted signup page (issue 21): HTML for browsers, by a form key's public id.
        .route(
            contract::SIGNUP_PAGE,
            get(super::page::show).post(super::page::submit),
        )
        .route(contract::SIGNUP_THANKS, get(super::page::thanks))
        .route(contract::SIGNUP_STAMP, get(super::page::stamp))
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::Method })
        .layer(middleware::from_fn_with_state(app.clone(), guard::guard))
        .layer(middleware::from_fn_with_state(sink, access_log::log))
        .with_state(app)
}

async fn update(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::CUSTOMER_UPDATE,
        Operation::Other,
        |app, caller, params| async move {
            let password = app.update_customer(&caller, &params).await?;
            Ok(Reply {
                portal_password: password,
                ..Reply::of("done")?
            })
        },
    )
    .await
}

async fn delete(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::CUSTOMER_DELETE,
        Operation::Other,
        |app, caller, params| async move {
            app.delete_customer(&caller, &params).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn restore(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::CUSTOMER_RESTORE,
        Operation::Other,
        |app, caller, params| async move {
            app.restore_customer(&caller, &params).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn export(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::CUSTOMER_EXPORT,
        Operation::Other,
        |app, caller, params| async move { Reply::of(&app.export_customer(&caller, &params).await?) },
    )
    .await
}

async fn erase(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::CUSTOMER_ERASE,
        Operation::Other,
        |app, caller, params| async move { Reply::of(&app.erase_customer(&caller, &params).await?) },
    )
    .await
}

async fn history(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::CUSTOMER_HISTORY,
        Operation::Other,
        |app, caller, params| async move {
            let page = app.customer_history(&caller, &params).await?;
            Ok(Reply {
                next: page.next,
                ..Reply::of(&page.rows)?
            })
        },
    )
    .await
}

async fn list(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::CUSTOMER_LIST,
        Operation::Other,
        |app, caller, params| async move {
            match app.list_customers(&caller, &params).await? {
                ListOutcome::Rows { rows, next } => Ok(Reply {
                    next,
                    ..Reply::of(&rows)?
                }),
                ListOutcome::Count(n) => Reply::of(&n),
                ListOutcome::Deleted { rows, next } => Ok(Reply {
                    next,
                    ..Reply::of(&rows)?
                }),
            }
        },
    )
    .await
}

async fn service_create(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::SERVICE_CREATE,
        Operation::Other,
        |app, caller, params| async move {
            let created = app.create_service(&caller, &params).await?;
            Ok(Reply {
                replayed: created.replayed,
                ..Reply::of(&created.id)?
            })
        },
    )
    .await
}

async fn service_update(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::SERVICE_UPDATE,
        Operation::Other,
        |app, caller, params| async move {
            app.update_service(&caller, &params).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn service_delete(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::SERVICE_DELETE,
        Operation::Other,
        |app, caller, params| async move {
            app.delete_service(&caller, &params).await?;
            Reply::of("done")
        },
    )
    .await
}

async fn service_list(State(app): State<Arc<App>>, req: Request) -> Response {
    handle(
        app,
        req,
        &contract::SERVICE_LIST,
        Operation::Other,
        |app, caller, params| async move {
            match app.list_services(&caller, &params).await? {
                ServiceListOutcome::Rows(rows) => Reply::of(&rows),
                ServiceListOutcome::Count(n) => Reply::of(&n),
            }
        },
    )
    .await
}
