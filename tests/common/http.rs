//! Calls to the app and their replies.

use super::app::TestApp;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The `error` text; panics with the whole reply when there is none.
    pub fn error(&self) -> &str {
        self.body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {self:?}"))
    }

    pub fn result(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{self:?}");
        assert_eq!(self.body["error"], Value::Null, "{self:?}");
        &self.body["result"]
    }

    pub fn id(&self) -> u64 {
        self.result()
            .as_u64()
            .unwrap_or_else(|| panic!("no id in {self:?}"))
    }

    /// The ids of a list result, in order.
    pub fn ids(&self) -> Vec<u64> {
        self.result()
            .as_array()
            .unwrap_or_else(|| panic!("no rows in {self:?}"))
            .iter()
            .map(|c| c["id"].as_u64().unwrap())
            .collect()
    }

    /// The text `field` of each row of a list result, in order.
    pub fn texts(&self, field: &str) -> Vec<String> {
        self.result()
            .as_array()
            .unwrap_or_else(|| panic!("no rows in {self:?}"))
            .iter()
            .map(|row| {
                row[field]
                    .as_str()
                    .unwrap_or_else(|| panic!("no {field} in {row}"))
                    .to_owned()
            })
            .collect()
    }
}

/// Parameters from name/value pairs, as a use case reads them (`Fields`).
pub fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A valid create, as the spec's example sends it (resellerid added by `create`).
pub fn customer_fields() -> Vec<(&'static str, String)> {
    [
        ("type", "Individual"),
        ("name", "Some Name"),
        ("mobile", "12344444"),
        ("email", "abc@email.com"),
        ("zipcode", "12345"),
        ("state", "Goa"),
        ("city", "Panaji"),
        ("street", "3rd street"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

/// `customer_fields()`, each of `overrides` replacing its field or added at the end.
pub fn customer_fields_with<'a>(overrides: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    let mut fields = customer_fields();
    for (k, v) in overrides {
        fields.retain(|(name, _)| name != k);
        fields.push((k, v.to_string()));
    }
    fields
}

/// Owned parameters (`customer_fields()` and the like) as `call` takes them.
pub fn as_pairs<'a>(fields: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A response's `content-type`, empty when it has none.
pub fn content_type_of(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A call's form: `user` and `api_key`, then `params` as they are.
pub fn form_as(user: u64, api_key: &str, params: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = vec![
        ("userid".into(), user.to_string()),
        ("api_key".into(), api_key.to_owned()),
    ];
    form.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    form
}

impl TestApp {
    /// `form_as` with `user`'s key.
    pub fn signed_form(&self, user: u64, params: &[(&str, &str)]) -> Vec<(String, String)> {
        form_as(user, self.key(user), params)
    }

    /// `/api/customer/<route>`, or `/api/<route>` for a route with a slash (`service/create`).
    pub fn route_url(&self, route: &str) -> String {
        match route.contains('/') {
            true => format!("{}/api/{route}", self.url),
            false => format!("{}/api/customer/{route}", self.url),
        }
    }

    /// POSTs a form to `/api/customer/<route>` (or `/api/<route>`, e.g. `service/list`)
    /// as `user`.
    pub async fn call(&self, user: u64, route: &str, params: &[(&str, &str)]) -> Reply {
        self.call_with_headers(user, route, params, &[]).await
    }

    /// Like `call`, with extra request headers (e.g. `Idempotency-Key`).
    pub async fn call_with_headers(
        &self,
        user: u64,
        route: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        self.call_as(user, self.key(user), route, params, headers)
            .await
    }

    /// Like `call_with_headers`, as `user` with `api_key` (a user this `TestApp` has no key of).
    pub async fn call_as(
        &self,
        user: u64,
        api_key: &str,
        route: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_as(user, api_key, params))
            .finish();
        self.send(
            route,
            Some("application/x-www-form-urlencoded"),
            body,
            headers,
        )
        .await
    }

    /// POSTs a raw body to `/api/customer/<route>`, or to `/api/<route>` for a route with a
    /// slash (`service/create`).
    pub async fn raw(
        &self,
        route: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        self.send(route, content_type, body, &[]).await
    }

    async fn send(
        &self,
        route: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.http.post(self.route_url(route)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let ct = content_type_of(&resp);
        assert_eq!(
            ct, "application/json",
            "every answer is JSON (status {status})"
        );
        let body = resp.json().await.expect("JSON body");
        Reply { status, body }
    }

    /// Creates a customer as `user` with the default fields, `overrides` replacing them.
    pub async fn create(&self, user: u64, overrides: &[(&str, &str)]) -> Reply {
        let fields = customer_fields_with(overrides);
        self.call(user, "create", &as_pairs(&fields)).await
    }

    /// Creates a service of `customer` as `user`; `extra` adds or replaces parameters.
    pub async fn create_service(
        &self,
        user: u64,
        customer: u64,
        username: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let customer = customer.to_string();
        let mut params = vec![
            ("customerid", customer.as_str()),
            ("username", username),
            ("plan", "Fiber 100M"),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            params.push((k, v));
        }
        self.call(user, "service/create", &params).await
    }
}
