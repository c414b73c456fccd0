//! Privacy requests about one customer (issue 23): `customer/export` and `crm-admin customer
//! export --id` hand over everything held about it.

mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// A customer of ISP 1 / reseller 1 with two services and a portal password.
async fn customer_with_services(app: &TestApp) -> (u64, Vec<u64>) {
    let id = app
        .create(
            ISP1_USER,
            &[
                ("resellerid", "1"),
                ("surname", "Rao"),
                ("dob", "1990-01-31"),
                ("uniqueid", "ID-77"),
                ("notes", "line one\nline two"),
            ],
        )
        .await
        .id();
    let sid = id.to_string();
    let reset = app
        .call(
            ISP1_USER,
            "update",
            &[("customerid", &sid), ("reset_password", "Y")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{reset:?}");
    let mut services = Vec::new();
    for name in ["anita@pppoe", "anita.office@pppoe"] {
        services.push(
            app.create_service(ISP1_USER, id, name, &[("notes", "rack 4")])
                .await
                .id(),
        );
    }
    (id, services)
}

#[tokio::test]
async fn an_export_holds_every_field_service_and_claim() {
    let app = spawn_app().await;
    let (id, services) = customer_with_services(&app).await;
    let sid = id.to_string();
    let doc = app
        .call(RESELLER1_USER, "export", &[("customerid", &sid)])
        .await;
    let doc = doc.result().clone();
    assert_eq!(doc["customerid"], id);
    assert_eq!(doc["status"], "live");
    assert_eq!(doc["portal_password"], true);
    assert!(doc["deletion"].is_null(), "{doc:#}");
    // Its history as customer/history shows it, newest first.
    let history = app
        .call(
            RESELLER1_USER,
            "history",
            &[("customerid", &sid), ("rows_limit", "100")],
        )
        .await;
    assert_eq!(&doc["history"], history.result(), "{doc:#}");
    assert_eq!(
        doc["history"]
            .as_array()
            .map(|h| h.last().map(|e| e["kind"].clone())),
        Some(Some(serde_json::json!("created"))),
        "{doc:#}"
    );
    // The record as the list shows it, every field.
    let listed = app.call(ISP1_USER, "list", &[("customerid", &sid)]).await;
    assert_eq!(doc["customer"], listed.result()[0], "{doc:#}");
    // Its services as service/list shows them.
    let listed = app
        .call(ISP1_USER, "service/list", &[("customerid", &sid)])
        .await;
    assert_eq!(&doc["services"], listed.result(), "{doc:#}");
    assert_eq!(
        doc["services"].as_array().map(|s| s
            .iter()
            .filter_map(|s| s["id"].as_u64())
            .collect::<Vec<_>>()),
        Some(services.clone())
    );
    // The claims that name it: its create's duplicate guard, its services' usernames.
    let kinds: Vec<(String, Value, Value)> = doc["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or("").to_owned(),
                c["userid"].clone(),
                c["serviceid"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                "duplicate_guard".into(),
                Value::from(ISP1_USER),
                Value::Null
            ),
            // Each service's: its create's guard, its username.
            (
                "duplicate_guard".into(),
                Value::from(ISP1_USER),
                Value::from(services[0])
            ),
            ("username".into(), Value::Null, Value::from(services[0])),
            (
                "duplicate_guard".into(),
                Value::from(ISP1_USER),
                Value::from(services[1])
            ),
            ("username".into(), Value::Null, Value::from(services[1])),
        ],
        "{doc:#}"
    );
    // Never a key, a hash or a fingerprint.
    let text = doc.to_string();
    for secret in [
        "argon2",
        "recent|",
        "username|",
        "_key",
        "guard_claim",
        "fingerprint",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // crm-admin writes the same document.
    let out = crm_admin(&app.prefix(), &["customer", "export", "--id", &sid]);
    assert!(out.status.success(), "{out:?}");
    let mut cli: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut api = doc.clone();
    for d in [&mut cli, &mut api] {
        d.as_object_mut().unwrap().remove("exported_at");
    }
    assert_eq!(cli, api);
}

#[tokio::test]
async fn a_deleted_customer_is_exported_from_its_copy_and_scope_holds() {
    let app = spawn_app().await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let sid = id.to_string();
    app.call(ISP1_USER, "delete", &[("customerid", &sid)])
        .await
        .result();
    let doc = app.call(ADMIN, "export", &[("customerid", &sid)]).await;
    let doc = doc.result();
    assert_eq!(doc["status"], "deleted");
    assert_eq!(doc["customer"]["id"], id);
    assert_eq!(doc["deletion"]["deleted_by"], ISP1_USER.to_string());
    assert!(doc["deletion"]["restorable_until"].is_string());
    for user in [ISP2_USER, RESELLER3_USER] {
        let refused = app.call(user, "export", &[("customerid", &sid)]).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{user}: {refused:?}");
    }
    let form = app.call(FORM_USER, "export", &[("customerid", &sid)]).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "{form:?}");
    let missing = app.call(ADMIN, "export", &[("customerid", "999999")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
    let out = crm_admin(&app.prefix(), &["customer", "export", "--id", "999999"]);
    assert!(!out.status.success(), "{out:?}");
}

#[tokio::test]
async fn crm_admin_names_the_import_files_that_mention_the_customer() {
    let app = spawn_app().await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let dir = std::env::temp_dir().join(format!("{}export", app.prefix()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("clients.csv");
    let journal = dir.join("clients.csv.journal");
    std::fs::write(
        &journal,
        format!(
            r#"{{"kind":"customers","file_sha256":"x","first_id":{},"block":5,"rows_done":5,"done":true}}"#,
            id
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("clients.csv.ids.csv"),
        format!("old_id,id\nC-1,{}\nC-2,{id}\n", id + 1),
    )
    .unwrap();
    let out = crm_admin(
        &app.prefix(),
        &[
            "customer",
            "export",
            "--id",
            &id.to_string(),
            "--journal",
            journal.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let journals = doc["journals"].as_array().unwrap();
    assert_eq!(journals.len(), 2, "{doc:#}");
    assert!(
        journals[0]["names"].as_str().unwrap().contains("row 1 of"),
        "{doc:#}"
    );
    assert_eq!(journals[1]["names"], format!("line 3: C-2,{id}"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = file;
}
