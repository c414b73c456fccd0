//! A customer's history (issue 23): `customer/history` pages through who changed what and
//! when (its create, updates with old and new values, delete, restore, and its services'
//! changes), newest first, kept for `HISTORY_DAYS`, never showing a key or a hash.

mod common;
use aws_sdk_dynamodb::types::AttributeValue;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every entry of a customer's history, page after page of `rows_limit`, and the pages' sizes.
async fn every_page(
    app: &TestApp,
    user: u64,
    id: u64,
    rows_limit: &str,
) -> (Vec<Value>, Vec<usize>) {
    let sid = id.to_string();
    let mut entries = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("customerid", sid.as_str()), ("rows_limit", rows_limit)];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let reply = app.call(user, "history", &params).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let rows = reply.result().as_array().expect("rows").clone();
        sizes.push(rows.len());
        entries.extend(rows);
        match reply.body["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (entries, sizes),
        }
        assert!(sizes.len() < 50, "paging does not end");
    }
}

/// The `expires_at` of each stored entry of a customer's history (epoch seconds).
async fn stored_expiries(app: &TestApp, id: u64) -> Vec<i64> {
    app.stored_history(id)
        .await
        .iter()
        .map(|i| match i.get("expires_at") {
            Some(AttributeValue::N(v)) => v.parse().unwrap(),
            other => panic!("no expires_at: {other:?}"),
        })
        .collect()
}

fn epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn changes(entry: &Value) -> Vec<(String, Value, Value)> {
    entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap().to_owned(),
                c["old"].clone(),
                c["new"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_history_pages_newest_first_with_exact_old_and_new_values() {
    let app = spawn_app().await;
    let other = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let id = app
        .create(
            ISP1_USER,
            &[
                ("resellerid", "1"),
                ("surname", "Rao"),
                ("mobile", "11112222"),
                ("notes", "first note"),
            ],
        )
        .await
        .id();
    let sid = id.to_string();
    let update = |user: u64, fields: Vec<(&'static str, &'static str)>| {
        let sid = sid.clone();
        let app = &app;
        async move {
            let mut params = vec![("customerid", sid.as_str())];
            params.extend(fields);
            let reply = app.call(user, "update", &params).await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        }
    };
    update(ISP1_USER, vec![("mobile", "33334444")]).await;
    update(
        RESELLER1_USER,
        vec![("surname", ""), ("notes", "second note")],
    )
    .await;
    // A counted field (city) and a password reset: the read-and-transaction path.
    update(ISP1_USER, vec![("city", "Margao"), ("reset_password", "Y")]).await;
    // The same value again: nothing changed, nothing listed.
    update(ISP1_USER, vec![("mobile", "33334444")]).await;
    let service = app
        .create_service(RESELLER1_USER, id, "hist.one@pppoe", &[("notes", "rack 1")])
        .await
        .id();
    let s_sid = service.to_string();
    let reply = app
        .call(
            ISP1_USER,
            "service/update",
            &[("serviceid", &s_sid), ("plan", "Fiber 300M"), ("notes", "")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let reply = app
        .call(ISP1_USER, "service/delete", &[("serviceid", &s_sid)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let reply = app.call(ADMIN, "delete", &[("customerid", &sid)]).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let reply = app
        .call(ISP1_USER, "restore", &[("customerid", &sid)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");

    // Pages of 3, then all at once: the same entries, newest first.
    let (entries, sizes) = every_page(&app, ISP1_USER, id, "3").await;
    assert_eq!(sizes, [3, 3, 3, 1], "pages of at most rows_limit");
    let (all, _) = every_page(&app, RESELLER1_USER, id, "100").await;
    assert_eq!(entries, all, "paging drops or repeats nothing");
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "restored",
            "deleted",
            "service_deleted",
            "service_updated",
            "service_created",
            "updated",
            "updated",
            "updated",
            "updated",
            "created",
        ]
    );
    let who: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["by"].as_str().unwrap(), e["role"].as_str().unwrap()))
        .collect();
    let (isp, reseller, admin) = (
        ISP1_USER.to_string(),
        RESELLER1_USER.to_string(),
        ADMIN.to_string(),
    );
    assert_eq!(
        who,
        [
            (isp.as_str(), "isp"),
            (admin.as_str(), "admin"),
            (isp.as_str(), "isp"),
            (isp.as_str(), "isp"),
            (reseller.as_str(), "reseller"),
            (isp.as_str(), "isp"),
            (isp.as_str(), "isp"),
            (reseller.as_str(), "reseller"),
            (isp.as_str(), "isp"),
            (isp.as_str(), "isp"),
        ]
    );
    let times: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    for e in &entries {
        assert_eq!(e["customerid"], id);
        assert_eq!(
            (e["ispid"].clone(), e["resellerid"].clone()),
            (json!(1), json!(1))
        );
    }

    // The old and new values, exactly.
    let n = Value::Null;
    let t = |v: &str| json!(v);
    assert_eq!(
        changes(&entries[6]),
        [
            ("city".into(), t("Panaji"), t("Margao")),
            ("portal_password".into(), n.clone(), n.clone())
        ]
    );
    assert!(changes(&entries[5]).is_empty(), "{}", entries[5]);
    assert_eq!(
        changes(&entries[7]),
        [
            ("surname".into(), t("Rao"), n.clone()),
            ("notes".into(), t("first note"), t("second note")),
        ]
    );
    assert_eq!(
        changes(&entries[8]),
        [("mobile".into(), t("11112222"), t("33334444"))]
    );
    let created = changes(&entries[9]);
    let fields = customer_fields_with(&[
        ("surname", "Rao"),
        ("mobile", "11112222"),
        ("notes", "first note"),
    ]);
    for (name, value) in &fields {
        assert!(
            created.contains(&(name.to_string(), n.clone(), t(value))),
            "{name} missing from {created:?}"
        );
    }
    assert!(created.iter().all(|(_, old, _)| old.is_null()));
    assert_eq!(entries[4]["serviceid"], service);
    assert_eq!(
        changes(&entries[4]),
        [
            ("username".into(), n.clone(), t("hist.one@pppoe")),
            ("plan".into(), n.clone(), t("Fiber 100M")),
            ("status".into(), n.clone(), t("NewRequest")),
            ("notes".into(), n.clone(), t("rack 1")),
        ]
    );
    assert_eq!(
        changes(&entries[3]),
        [
            ("plan".into(), t("Fiber 100M"), t("Fiber 300M")),
            ("notes".into(), t("rack 1"), n.clone()),
        ]
    );
    for i in [0, 1, 2] {
        assert!(changes(&entries[i]).is_empty());
        assert_eq!(
            entries[i]["serviceid"],
            if i == 2 { json!(service) } else { n.clone() }
        );
    }
    // Never a key, a derived key, a hash or a claim.
    let text = serde_json::to_string(&entries).unwrap();
    for never in [
        "argon2",
        "_key",
        "api_key",
        "guard",
        "\u{1}",
        app.key(ISP1_USER),
    ] {
        assert!(!text.contains(never), "{never:?} in {text}");
    }

    // Kept for HISTORY_DAYS (default 365), by TTL.
    let year = epoch() + 365 * 86_400;
    let expiries = stored_expiries(&app, id).await;
    assert_eq!(expiries.len(), 10);
    assert!(
        expiries.iter().all(|e| (year - 120..=year + 5).contains(e)),
        "{expiries:?}"
    );

    // Another customer's history is its own.
    let (others, _) = every_page(&app, ISP1_USER, other, "10").await;
    assert_eq!(others.len(), 1);

    // A cursor belongs to its customer and user; a forged one is refused.
    let first = app
        .call(
            ISP1_USER,
            "history",
            &[("customerid", &sid), ("rows_limit", "2")],
        )
        .await;
    let next = first.body["next"].as_str().unwrap().to_owned();
    for (user, customer) in [
        (RESELLER1_USER, sid.clone()),
        (ISP1_USER, other.to_string()),
    ] {
        let refused = app
            .call(
                user,
                "history",
                &[("customerid", &customer), ("cursor", &next)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
    }
    let forged = app
        .call(
            ISP1_USER,
            "history",
            &[("customerid", &sid), ("cursor", "AAAA")],
        )
        .await;
    assert_eq!(forged.error(), "cursor: is not a cursor this API issued");
    for (param, value) in [
        ("rows_limit", "101"),
        ("rows_limit", "0"),
        ("customerid", "x"),
    ] {
        let refused = app
            .call(
                ISP1_USER,
                "history",
                &[("customerid", &sid), (param, value)],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{param}={value}: {refused:?}"
        );
    }
    let missing = app
        .call(
            ISP1_USER,
            "history",
            &[("customerid", &(id + 1000).to_string())],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
}

#[tokio::test]
async fn the_export_holds_the_history() {
    let app = spawn_app().await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let sid = id.to_string();
    app.call(
        ISP1_USER,
        "update",
        &[("customerid", &sid), ("street", "2 New Road")],
    )
    .await;
    let export = app.call(ISP1_USER, "export", &[("customerid", &sid)]).await;
    let fields = customer_fields();
    let street = &fields.iter().find(|(n, _)| *n == "street").unwrap().1;
    let history = export.result()["history"]
        .as_array()
        .expect("history")
        .clone();
    let (listed, _) = every_page(&app, ISP1_USER, id, "100").await;
    assert_eq!(history, listed);
    assert_eq!(history[0]["kind"], "updated");
    assert_eq!(
        changes(&history[0]),
        [("street".into(), json!(street), json!("2 New Road"))]
    );
}

#[tokio::test]
async fn history_days_sets_how_long_entries_are_kept_and_zero_writes_none() {
    let app = spawn_app_with(&[("HISTORY_DAYS", "2")]).await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let two_days = epoch() + 2 * 86_400;
    let expiries = stored_expiries(&app, id).await;
    assert_eq!(expiries.len(), 1);
    assert!(
        (two_days - 120..=two_days + 5).contains(&expiries[0]),
        "{expiries:?}"
    );

    let off = spawn_app_with(&[("HISTORY_DAYS", "0")]).await;
    let id = off.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let sid = id.to_string();
    let reply = off
        .call(
            ISP1_USER,
            "update",
            &[("customerid", &sid), ("mobile", "55556666")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let s = off
        .create_service(ISP1_USER, id, "off.one@pppoe", &[])
        .await
        .id();
    off.call(
        ISP1_USER,
        "service/update",
        &[("serviceid", &s.to_string()), ("plan", "X")],
    )
    .await;
    assert!(
        stored_expiries(&off, id).await.is_empty(),
        "HISTORY_DAYS=0 writes no entry"
    );
    let (entries, _) = every_page(&off, ISP1_USER, id, "10").await;
    assert!(entries.is_empty());
    // In scope or not is still decided by the customer itself.
    let theirs = off
        .call(ISP2_USER, "history", &[("customerid", &sid)])
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{theirs:?}");
}
