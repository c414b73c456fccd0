//! The tenant webhook routes: `/api/webhook/*`. Same authentication, envelope and status
//! codes as every route; a form key may use none.

use super::contract::{self, Declared};
use super::pipeline::{Api, Reply, Work, mount};
use crate::app::App;
use crate::domain::scope::Caller;
use axum::Router;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    mount(Router::new(), ROUTES)
}

/// The webhook routes, served by the pipeline's one handler.
static ROUTES: &[Api] = &[
    Api {
        route: &contract::WEBHOOK_CREATE,
        run: create,
    },
    Api {
        route: &contract::WEBHOOK_LIST,
        run: list,
    },
    Api {
        route: &contract::WEBHOOK_UPDATE,
        run: update,
    },
    Api {
        route: &contract::WEBHOOK_DELETE,
        run: delete,
    },
    Api {
        route: &contract::WEBHOOK_ROTATE_SECRET,
        run: rotate_secret,
    },
    Api {
        route: &contract::WEBHOOK_DELIVERIES,
        run: deliveries,
    },
    Api {
        route: &contract::WEBHOOK_TEST,
        run: test,
    },
    Api {
        route: &contract::WEBHOOK_REPLAY,
        run: replay,
    },
];

fn create(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { Reply::of(&app.webhook_create(&caller, &f).await?) })
}

fn list(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        let page = app.webhook_list(&caller, &f).await?;
        let mut reply = Reply::of(&page.rows)?;
        reply.next = page.next;
        Ok(reply)
    })
}

fn update(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        app.webhook_update(&caller, &f).await?;
        Reply::of("done")
    })
}

fn delete(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        app.webhook_delete(&caller, &f).await?;
        Reply::of("done")
    })
}

fn rotate_secret(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { Reply::of(&app.webhook_rotate_secret(&caller, &f).await?) })
}

fn deliveries(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        let page = app.webhook_deliveries(&caller, &f).await?;
        let mut reply = Reply::of(&page.rows)?;
        reply.next = page.next;
        Ok(reply)
    })
}

fn test(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { Reply::of(&app.webhook_test(&caller, &f).await?) })
}

fn replay(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { Reply::of(&app.webhook_replay(&caller, &f).await?) })
}
