//! What a browser needs of `customer/create` (issue 21): CORS for a form key's allowed
//! origins (this function answers CORS, not API Gateway: the HTTP API has no
//! CorsConfiguration, so nothing there can contradict it), `303 See Other` for a plain HTML
//! form's post, and the honeypot.
//!
//! A preflight carries no body, so it finds its form key in the query string
//! (`?userid=…&api_key=…`, where a form key may put them), the way the snippet's `fetch()`
//! sends them. Anything else that is not a POST stays 405.

use super::contract;
use super::credentials::credentials;
use super::error::ApiError;
use super::params::Params;
use crate::app::App;
use crate::app::signup::BotDefence;
use crate::domain::signup::WebSettings;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCEPT, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD,
    CACHE_CONTROL, LOCATION, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The request headers a browser may send to `customer/create` from an allowed origin.
const ALLOWED_HEADERS: &str = "content-type, idempotency-key, x-userid, x-api-key";
/// How long a browser may reuse a preflight's answer: 10 minutes (Chromium's cap is 2 h).
/// A removed origin stops working within this and `AUTH_CACHE_SECONDS`.
const MAX_AGE_SECONDS: &str = "600";

/// The request's `Origin`, if it is one a header can carry back.
pub(super) fn origin(headers: &HeaderMap) -> Option<String> {
    headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Whether a request asks for HTML first (a browser's form post), not JSON.
pub(super) fn wants_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // Browsers send `text/html,application/xhtml+xml,…;q=0.9,*/*;q=0.8`: HTML listed before
    // any JSON. An API client asking for JSON, or for anything (`*/*`), keeps its JSON.
    let mut kinds = accept.split(',').map(|k| {
        k.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    kinds
        .find(|k| k == "text/html" || k == "application/json")
        .is_some_and(|k| k == "text/html")
}

/// `OPTIONS /api/customer/create`: a CORS preflight from an allowed origin of the form key
/// named in the query string is 204 with what may be sent; anything else is today's 405,
/// without CORS headers (the browser then blocks the call).
pub(super) async fn preflight(State(app): State<Arc<App>>, req: Request) -> Response {
    let headers = req.headers();
    let (Some(origin), Some(method)) =
        (origin(headers), headers.get(ACCESS_CONTROL_REQUEST_METHOD))
    else {
        return ApiError::Method.into_response();
    };
    if method.as_bytes() != b"POST" {
        return ApiError::Method.into_response();
    }
    let Ok(creds) = credentials(headers, req.uri().query(), &Params::default()) else {
        return ApiError::Method.into_response();
    };
    let allowed = match app
        .authenticate_form(creds.userid.as_deref(), creds.api_key.as_deref())
        .await
    {
        Ok(who) => who.web.filter(|w| w.allows(&origin)).is_some(),
        Err(_) => false,
    };
    if !allowed {
        return ApiError::Method.into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    allow_origin(h, &origin);
    h.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    h.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    h.insert(
        ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE_SECONDS),
    );
    response
}

/// `Access-Control-Allow-Origin` for exactly this origin (never `*`, never credentials),
/// and `Vary: Origin` so a cache never serves it to another.
pub(super) fn allow_origin(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.append(VARY, HeaderValue::from_static("origin"));
    }
}

/// What a browser caller of a form key gets besides the JSON answer.
#[derive(Debug, Default)]
pub(super) struct Browser {
    pub origin: Option<String>,
    pub html: bool,
}

impl Browser {
    pub(super) fn of(headers: &HeaderMap) -> Self {
        Self {
            origin: origin(headers),
            html: wants_html(headers),
        }
    }

    /// The answer as this browser needs it: a 303 to the key's thank-you or error URL for a
    /// form post that asks for HTML (when the key has that URL), the JSON answer otherwise;
    /// CORS headers when the origin is allowed.
    pub(super) fn answer(
        &self,
        web: Option<&WebSettings>,
        json: Response,
        verdict: Result<Option<u64>, (&'static str, String)>,
    ) -> Response {
        let Some(web) = web else { return json };
        let redirect = self
            .html
            .then(|| match verdict {
                Ok(id) => web.thanks_url.as_deref().map(|url| {
                    let id = id.filter(|_| web.thanks_with_id).map(|id| id.to_string());
                    with_query(url, id.as_deref().map(|id| ("id", id)).as_slice())
                }),
                Err((field, reason)) => web
                    .error_url
                    .as_deref()
                    .map(|url| with_query(url, &[("field", field), ("reason", &reason)])),
            })
            .flatten();
        let mut response = match redirect.and_then(|u| HeaderValue::from_str(&u).ok()) {
            Some(location) => {
                let mut r = StatusCode::SEE_OTHER.into_response();
                r.headers_mut().insert(LOCATION, location);
                r.headers_mut()
                    .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                if let Some(id) = json.extensions().get::<crate::domain::ids::UserId>() {
                    r.extensions_mut().insert(*id);
                }
                r
            }
            None => json,
        };
        if let Some(origin) = self.origin.as_deref().filter(|o| web.allows(o)) {
            allow_origin(response.headers_mut(), origin);
        }
        response
    }
}

/// The refused field and the reason, as the error page's query parameters.
pub(super) fn field_and_reason(e: &ApiError) -> (&'static str, String) {
    use crate::app::AppError;
    use crate::domain::DomainError;
    match e {
        ApiError::App(AppError::Domain(DomainError::Invalid(i))) => (i.param, i.rule.clone()),
        other => ("", other.public_message()),
    }
}

/// `url` with `pairs` added to its query string (percent-encoded).
pub(super) fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return url.to_owned();
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let sep = match url.contains('?') {
        true if url.ends_with(['?', '&']) => "",
        true => "&",
        false => "?",
    };
    format!("{url}{sep}{}", query.finish())
}

/// Whether a flat form post fills the key's honeypot.
pub(super) fn honeypot_filled(web: Option<&WebSettings>, params: Option<&Params>) -> bool {
    use crate::domain::Fields;
    match (web.and_then(|w| w.honeypot.as_deref()), params) {
        (Some(name), Some(p)) => p.optional(name).is_some(),
        _ => false,
    }
}

/// The id a caught bot is answered with: shaped like a customer id, never stored.
pub(super) fn decoy_id() -> u64 {
    rand::random_range(100_000..10_000_000)
}

/// A bot defence's metric: one EMF line per refused post, when metrics are on. Posts of
/// the hosted page count under customer/create's route too: the same create.
pub(super) fn count_bot(app: &App, defence: BotDefence) {
    if let Some(namespace) = app.metrics_namespace() {
        super::metrics::emit(&super::metrics::bot_refused(
            namespace,
            defence,
            contract::CUSTOMER_CREATE.path,
            jiff::Timestamp::now().as_millisecond(),
        ));
    }
}

/// Counts `e` in its bot defence's metric if one refused the post.
pub(super) fn count_refusal(app: &App, e: &ApiError) {
    if let ApiError::App(e) = e
        && let Some(defence) = BotDefence::refused(e)
    {
        count_bot(app, defence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn browsers_ask_for_html_and_api_clients_for_json() {
        let chromium =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(wants_html(&accept(chromium)));
        assert!(!wants_html(&accept("application/json")));
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&accept("application/json, text/html")));
        assert!(!wants_html(&HeaderMap::new()));
    }

    #[test]
    fn query_parameters_are_added_encoded() {
        assert_eq!(
            with_query("https://a.example/t", &[]),
            "https://a.example/t"
        );
        assert_eq!(
            with_query("https://a.example/t?x=1", &[("id", "42")]),
            "https://a.example/t?x=1&id=42"
        );
        assert_eq!(
            with_query(
                "https://a.example/e",
                &[
                    ("field", "mobile"),
                    ("reason", "must be 6 to 15 digits & <b>")
                ]
            ),
            "https://a.example/e?field=mobile&reason=must+be+6+to+15+digits+%26+%3Cb%3E"
        );
    }
}
