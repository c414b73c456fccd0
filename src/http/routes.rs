//! The router, and the customer and service routes (`/api/customer/*`, `/api/service/*`).

use super::contract::{self, Declared};
use super::error::ApiError;
use super::pipeline::{Api, Reply, Work, mount};
use super::{access_log, guard};
use crate::app::{App, ListOutcome, ServiceListOutcome};
use crate::domain::scope::Caller;
use axum::routing::{get, post};
use axum::{Router, middleware};
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    let sink = access_log::MetricsSink(app.metrics_namespace().map(Arc::from));
    mount(Router::new(), ROUTES)
        .route(
            contract::CUSTOMER_CREATE.path,
            post(super::delivery::create).options(super::web::preflight),
        )
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

/// The customer and service routes but `customer/create` (its own handler: form keys'
/// deliveries, CORS), served by the pipeline's one handler.
static ROUTES: &[Api] = &[
    Api {
        route: &contract::CUSTOMER_LIST,
        run: list,
    },
    Api {
        route: &contract::CUSTOMER_UPDATE,
        run: update,
    },
    Api {
        route: &contract::CUSTOMER_DELETE,
        run: delete,
    },
    Api {
        route: &contract::CUSTOMER_RESTORE,
        run: restore,
    },
    Api {
        route: &contract::CUSTOMER_EXPORT,
        run: export,
    },
    Api {
        route: &contract::CUSTOMER_ERASE,
        run: erase,
    },
    Api {
        route: &contract::CUSTOMER_HISTORY,
        run: history,
    },
    Api {
        route: &contract::SERVICE_LIST,
        run: service_list,
    },
    Api {
        route: &contract::SERVICE_CREATE,
        run: service_create,
    },
    Api {
        route: &contract::SERVICE_UPDATE,
        run: service_update,
    },
    Api {
        route: &contract::SERVICE_DELETE,
        run: service_delete,
    },
];

fn update(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
        let password = app.update_customer(&caller, &params).await?;
        Ok(Reply {
            portal_password: password,
            ..Reply::of("done")?
        })
    })
}

fn delete(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
        app.delete_customer(&caller, &params).await?;
        Reply::of("done")
    })
}

fn restore(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
        app.restore_customer(&caller, &params).await?;
        Reply::of("done")
    })
}

fn export(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move { Reply::of(&app.export_customer(&caller, &params).await?) })
}

fn erase(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move { Reply::of(&app.erase_customer(&caller, &params).await?) })
}

fn history(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
        let page = app.customer_history(&caller, &params).await?;
        Ok(Reply {
            next: page.next,
            ..Reply::of(&page.rows)?
        })
    })
}

fn list(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
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
    })
}

fn service_create(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
        let created = app.create_service(&caller, &params).await?;
        Ok(Reply {
            replayed: created.replayed,
            ..Reply::of(&created.id)?
        })
    })
}

fn service_update(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
        app.update_service(&caller, &params).await?;
        Reply::of("done")
    })
}

fn service_delete(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
        app.delete_service(&caller, &params).await?;
        Reply::of("done")
    })
}

fn service_list(app: Arc<App>, caller: Caller, params: Declared) -> Work {
    Box::pin(async move {
        match app.list_services(&caller, &params).await? {
            ServiceListOutcome::Rows(rows) => Reply::of(&rows),
            ServiceListOutcome::Count(n) => Reply::of(&n),
        }
    })
}
