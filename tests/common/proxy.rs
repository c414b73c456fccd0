//! Proxies between the app and moto (tests/faults.rs, tests/iam.rs, tests/events).

/// The DynamoDB operation a request names: the last part of its `x-amz-target`
/// (`DynamoDB_20120810.PutItem` → `PutItem`), empty when it has none.
pub fn operation_of(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit('.').next())
        .unwrap_or_default()
        .to_owned()
}

/// Sends a DynamoDB API request on to moto as it came, and brings its answer back: the core
/// of the test proxies (tests/faults.rs injects faults around it, tests/iam.rs records).
pub async fn forward_to_moto(
    http: &reqwest::Client,
    moto: &str,
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut req = http.post(moto).body(body);
    for (name, value) in headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            let ct = resp.headers().get("content-type").cloned();
            let bytes = resp.bytes().await.unwrap_or_default();
            let mut out = (status, bytes).into_response();
            if let Some(ct) = ct {
                out.headers_mut().insert("content-type", ct);
            }
            out
        }
        Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Serves `router` on a free loopback port; its base URL.
pub async fn serve_on_loopback(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}
