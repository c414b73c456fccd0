//! `make dev-lambda`'s path (examples/lambda_local): README's curl examples, with their bodies
//! exactly as `curl -d` sends them, through the local API Gateway + Runtime API stand-in into
//! the customer-api binary running as a Lambda function (lambda_http), and their documented
//! answers back over HTTP.

mod common;
#[path = "../examples/lambda_local/gateway.rs"]
mod gateway;

use common::*;
use isp_crm::admin;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const AUTH: &str = "userid=5&api_key=0f9895fb407c83e5ea128082098b47681aa75d6944576423c4";

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn post(base: &str, route: &str, body: String) -> (StatusCode, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{base}/api/{route}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("the gateway answers");
    let status = answer.status();
    (status, answer.json().await.expect("a JSON envelope"))
}

#[tokio::test]
async fn readme_curl_examples_answer_as_documented_through_the_lambda_path() {
    let app = spawn_app().await;
    // As in `make dev`: the next id is 1243, customer 1423 (the delete example) and 1001 (the
    // services example's Panaji Cafe) exist.
    admin::raise_customer_ids(&app.store, 1242).await.unwrap();
    let seed = r#"[{"id":1423,"ispid":1,"resellerid":1,"type":"Individual","name":"Demo","mobile":"12345678",
        "email":"demo@example.com","zipcode":"403001","state":"Goa","city":"Panaji","street":"1st street"},
        {"id":1001,"ispid":1,"resellerid":1,"type":"Organisation","name":"Panaji Cafe","mobile":"+918325550100",
        "email":"hello@panaji-cafe.example","zipcode":"403001","state":"Goa","city":"Panaji","street":"18th June Road"}]"#;
    admin::import_customers(&app.store, seed, true, &jiff::tz::TimeZone::UTC)
        .await
        .unwrap();

    let (public, runtime) = gateway::routers(Duration::from_secs(30));
    let runtime_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let runtime_api = runtime_listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(runtime_listener, runtime).await });
    let public_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", public_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(public_listener, public).await });

    let _function = Killed(
        app.lambda_function(&runtime_api, "customer-api-local")
            .spawn()
            .expect("start customer-api"),
    );

    // README "Try it", first block.
    let (status, listed) = post(&base, "customer/list", AUTH.to_owned()).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let ids: Vec<u64> = listed["result"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|c| c["id"].as_u64())
        .collect();
    assert_eq!(ids, vec![1001, 1423]);
    let created = post(&base, "customer/create", format!("{AUTH}&resellerid=1&type=Individual&name=Some Name&mobile=12344444&email=abc@email.com&zipcode=12345&state=Goa&city=Panaji&street=3rd street")).await;
    assert_eq!(
        created,
        (StatusCode::OK, json!({"result": 1243, "error": null}))
    );
    let updated = post(
        &base,
        "customer/update",
        format!("{AUTH}&customerid=1243&street=2nd street"),
    )
    .await;
    assert_eq!(
        updated,
        (StatusCode::OK, json!({"result": "done", "error": null}))
    );
    let deleted = post(&base, "customer/delete", format!("{AUTH}&customerid=1423")).await;
    assert_eq!(
        deleted,
        (StatusCode::OK, json!({"result": "done", "error": null}))
    );

    // README "Services of a customer".
    let service = post(
        &base,
        "service/create",
        format!("{AUTH}&customerid=1001&username=panaji.cafe&plan=100 Mbps&status=Active"),
    )
    .await;
    assert_eq!(
        service,
        (StatusCode::OK, json!({"result": 1, "error": null}))
    );
    let (_, services) = post(&base, "service/list", format!("{AUTH}&username=panaji%")).await;
    assert_eq!(
        services["result"][0]["username"], "panaji.cafe",
        "{services}"
    );
    let (_, through) = post(
        &base,
        "customer/list",
        format!("{AUTH}&username=Panaji.Cafe"),
    )
    .await;
    assert_eq!(through["result"][0]["id"], 1001, "{through}");
    let refused = post(&base, "customer/delete", format!("{AUTH}&customerid=1001")).await;
    assert_eq!(
        refused,
        (
            StatusCode::CONFLICT,
            json!({"result": null, "error": "customerid: the customer still has 1 service(s); delete them first"})
        )
    );
    let gone = post(&base, "service/delete", format!("{AUTH}&serviceid=1")).await;
    assert_eq!(
        gone,
        (StatusCode::OK, json!({"result": "done", "error": null}))
    );

    // The stored update, read back through the same path.
    let (_, row) = post(&base, "customer/list", format!("{AUTH}&customerid=1243")).await;
    assert_eq!(row["result"][0]["street"], "2nd street", "{row}");
}
