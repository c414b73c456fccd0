//! The tenant self-service routes: `/api/isp/*`, `/api/reseller/*`, `/api/user/*`. Same
//! authentication, envelope and status codes as the customer routes; a form key may use none.

use super::contract::{self, Declared};
use super::pipeline::{Api, Reply, Work, mount};
use crate::app::App;
use crate::app::tenancy::{DirectoryPage, IssuedKey};
use crate::domain::scope::Caller;
use axum::Router;
use serde::Serialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    mount(Router::new(), ROUTES)
}

/// The tenancy routes, served by the pipeline's one handler.
static ROUTES: &[Api] = &[
    Api {
        route: &contract::ISP_LIST,
        run: isp_list,
    },
    Api {
        route: &contract::ISP_CREATE,
        run: isp_create,
    },
    Api {
        route: &contract::ISP_UPDATE,
        run: isp_update,
    },
    Api {
        route: &contract::RESELLER_LIST,
        run: reseller_list,
    },
    Api {
        route: &contract::RESELLER_CREATE,
        run: reseller_create,
    },
    Api {
        route: &contract::RESELLER_UPDATE,
        run: reseller_update,
    },
    Api {
        route: &contract::USER_LIST,
        run: user_list,
    },
    Api {
        route: &contract::USER_CREATE,
        run: user_create,
    },
    Api {
        route: &contract::USER_ROTATE_KEY,
        run: user_rotate_key,
    },
    Api {
        route: &contract::USER_DISABLE,
        run: user_disable,
    },
    Api {
        route: &contract::USER_ENABLE,
        run: user_enable,
    },
    Api {
        route: &contract::USER_UPDATE,
        run: user_update,
    },
];

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

fn isp_list(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { page(app.isp_list(&caller, &f).await?) })
}

fn isp_create(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { Reply::of(&app.isp_create(&caller, &f).await?) })
}

fn isp_update(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        app.isp_update(&caller, &f).await?;
        Reply::of("done")
    })
}

fn reseller_list(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { page(app.reseller_list(&caller, &f).await?) })
}

fn reseller_create(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { Reply::of(&app.reseller_create(&caller, &f).await?) })
}

fn reseller_update(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        app.reseller_update(&caller, &f).await?;
        Reply::of("done")
    })
}

fn user_list(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { page(app.user_list(&caller, &f).await?) })
}

fn user_create(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { issued(app.user_create(&caller, &f).await?) })
}

fn user_rotate_key(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move { issued(app.user_rotate_key(&caller, &f).await?) })
}

fn user_disable(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        app.user_set_enabled(&caller, &f, false).await?;
        Reply::of("done")
    })
}

fn user_enable(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        app.user_set_enabled(&caller, &f, true).await?;
        Reply::of("done")
    })
}

fn user_update(app: Arc<App>, caller: Caller, f: Declared) -> Work {
    Box::pin(async move {
        let secret = app.user_update(&caller, &f).await?;
        let mut reply = Reply::of("done")?;
        reply.signing_secret = secret.map(|s| s.expose().to_owned());
        Ok(reply)
    })
}
