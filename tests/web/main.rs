//! Signup from a web page (issue 21), through HTTP on moto: a form key's web settings
//! (set by `user/update` and crm-admin, listed, checked), CORS for its allowed origins, the
//! 303 redirects of a plain HTML form, the honeypot, and the hosted page. The same flows in
//! a real browser: tests/browser/ (Playwright and Debian's chromium), run by `make test`.

mod captcha;
#[path = "../common/mod.rs"]
mod common;
mod cors;
mod fill_time;
mod page;
mod redirects;
mod settings;

use common::*;
use reqwest::StatusCode;

/// Deployments that allow `http://localhost` origins and URLs (the tests' own pages).
pub const LOCAL: [(&str, &str); 1] = [("FORM_LOCAL_ORIGINS", "true")];

/// Settings take effect within `AUTH_CACHE_SECONDS`: tests that change them after a call
/// read them at once.
pub const NO_CACHE: [(&str, &str); 1] = [("AUTH_CACHE_SECONDS", "0")];

/// Sets form key 20's web settings as its ISP's user; returns the reply.
pub async fn set_web(app: &TestApp, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("target_userid", "20")];
    all.extend_from_slice(params);
    app.call(ISP1_USER, "user/update", &all).await
}

/// A client that shows redirects instead of following them, as a test must see them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The form key's `form_web` as `user/list` shows it.
pub async fn listed_web(app: &TestApp) -> serde_json::Value {
    let r = app.call(ISP1_USER, "user/list", &[("role", "form")]).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let users = r.body["result"].as_array().expect("rows").clone();
    users
        .into_iter()
        .find(|u| u["userid"] == FORM_USER)
        .expect("form key listed")["form_web"]
        .clone()
}
