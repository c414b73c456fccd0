//! Update changes only what it is given, keeps index keys right, and resets portal passwords.

mod common;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use common::*;
use std::time::Duration;

#[tokio::test]
async fn only_the_given_fields_change() {
    let app = spawn_app().await;
    let id = app
        .create(
            ISP1_USER,
            &[("resellerid", "1"), ("surname", "Kept"), ("notes", "n1")],
        )
        .await
        .id();
    let before = app.stored_customer(id).await;
    tokio::time::sleep(Duration::from_millis(1100)).await; // updated_at has second precision
    let reply = app
        .call(
            ISP1_USER,
            "update",
            &[("customerid", &id.to_string()), ("street", "2nd street")],
        )
        .await;
    assert_eq!(reply.result(), "done");
    let after = app.stored_customer(id).await;
    for (attr, value) in &before {
        match attr.as_str() {
            "street" | "updated_at" => {
                assert_ne!(after.get(attr), Some(value), "{attr} should change")
            }
            _ => assert_eq!(after.get(attr), Some(value), "{attr} should not change"),
        }
    }
    assert_eq!(after.len(), before.len());
}

#[tokio::test]
async fn index_keys_follow_the_fields_they_derive_from() {
    let app = spawn_app().await;
    let id = app
        .create(ISP1_USER, &[("resellerid", "1"), ("surname", "Gone")])
        .await
        .id();
    let sid = id.to_string();
    // ISP user: the ISP comes from its scope.
    let reply = app
        .call(
            ISP1_USER,
            "update",
            &[
                ("customerid", &sid),
                ("mobile", "+91 98765 43210"),
                ("name", "New NAME"),
                ("surname", ""),
            ],
        )
        .await;
    assert_eq!(reply.result(), "done");
    assert_eq!(
        app.stored_attr(id, "mobile_key").await,
        Some(format!("+919876543210\u{1}{id:016}"))
    );
    assert_eq!(
        app.stored_attr(id, "name_key").await,
        Some(format!("new name\u{1}{id:016}"))
    );
    assert_eq!(
        app.stored_attr(id, "surname").await,
        None,
        "an empty optional field is cleared"
    );
    // Admin (no ISP in its scope): the keys need only the value and the id.
    let reply = app
        .call(
            ADMIN,
            "update",
            &[
                ("customerid", &sid),
                ("zipcode", "sw1a 1aa"),
                ("email", "New@Example.COM"),
            ],
        )
        .await;
    assert_eq!(reply.result(), "done");
    assert_eq!(
        app.stored_attr(id, "zipcode_key").await,
        Some(format!("SW1A 1AA\u{1}{id:016}"))
    );
    assert_eq!(
        app.stored_attr(id, "email").await.as_deref(),
        Some("New@Example.COM")
    );
    assert_eq!(
        app.stored_attr(id, "email_key").await,
        Some(format!("new@example.com\u{1}{id:016}"))
    );
    // The list finds it under the new values.
    let found = app
        .call(ISP1_USER, "list", &[("mobile", "+919876543210")])
        .await;
    assert_eq!(found.ids(), vec![id]);
    // Type, state and city have their indexes too: pages of one value come from them.
    let reply = app
        .call(
            ISP1_USER,
            "update",
            &[
                ("customerid", &sid),
                ("type", "Organisation"),
                ("state", "Karnataka"),
                ("city", "Mysuru"),
            ],
        )
        .await;
    assert_eq!(reply.result(), "done");
    for (attr, value) in [
        ("type_key", "Organisation"),
        ("state_key", "Karnataka"),
        ("city_key", "Mysuru"),
    ] {
        assert_eq!(
            app.stored_attr(id, attr).await,
            Some(format!("{value}\u{1}{id:016}")),
            "{attr}"
        );
    }
    for (filter, new, old) in [
        ("type", "Organisation", "Individual"),
        ("state", "Karnataka", "Goa"),
        ("city", "Mysuru", "Panaji"),
    ] {
        let found = app.call(ISP1_USER, "list", &[(filter, new)]).await;
        assert_eq!(found.ids(), vec![id], "{filter}={new}");
        let gone = app.call(ISP1_USER, "list", &[(filter, old)]).await;
        assert!(!gone.ids().contains(&id), "{filter}={old}");
    }
}

#[tokio::test]
async fn unknown_customer_is_404_and_nothing_is_created() {
    let app = spawn_app().await;
    for user in [ADMIN, ISP1_USER] {
        let reply = app
            .call(
                user,
                "update",
                &[("customerid", "777"), ("mobile", "12345678")],
            )
            .await;
        assert_eq!(reply.status, reqwest::StatusCode::NOT_FOUND, "{reply:?}");
        assert_eq!(reply.error(), "customerid: not found");
    }
    assert_eq!(
        app.customer_count().await,
        0,
        "an update never creates a record"
    );
}

#[tokio::test]
async fn reset_password_returns_a_new_password_once_and_stores_only_its_hash() {
    let app = spawn_app().await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let sid = id.to_string();

    let reply = app
        .call(
            ISP1_USER,
            "update",
            &[("customerid", &sid), ("reset_password", "Y")],
        )
        .await;
    assert_eq!(reply.result(), "done");
    let password = reply.body["portal_password"]
        .as_str()
        .expect("portal_password")
        .to_owned();
    assert!(password.len() >= 12);
    let hash = app
        .stored_attr(id, "portal_password_hash")
        .await
        .expect("hash stored");
    assert!(hash.starts_with("$argon2id$"));
    let parsed = PasswordHash::new(&hash).unwrap();
    assert!(
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    );
    let items = format!("{:?}", app.stored_customers().await);
    assert!(
        !items.contains(&password),
        "the clear password is never stored"
    );
    let listed = app.call(ISP1_USER, "list", &[("customerid", &sid)]).await;
    assert!(
        !listed.body.to_string().contains("argon2"),
        "the list never shows the hash"
    );

    // A second reset gives another password; N or absent changes nothing.
    let again = app
        .call(
            ISP1_USER,
            "update",
            &[("customerid", &sid), ("reset_password", "y")],
        )
        .await;
    assert_ne!(
        again.body["portal_password"].as_str(),
        Some(password.as_str())
    );
    let hash2 = app.stored_attr(id, "portal_password_hash").await;
    let no = app
        .call(
            ISP1_USER,
            "update",
            &[
                ("customerid", &sid),
                ("reset_password", "N"),
                ("notes", "x"),
            ],
        )
        .await;
    assert_eq!(no.result(), "done");
    assert!(no.body.get("portal_password").is_none());
    assert_eq!(app.stored_attr(id, "portal_password_hash").await, hash2);
}

#[tokio::test]
async fn delete_removes_the_customer_once() {
    let app = spawn_app().await;
    let id = app
        .create(ISP1_USER, &[("resellerid", "1")])
        .await
        .id()
        .to_string();
    assert_eq!(
        app.call(ISP1_USER, "delete", &[("customerid", &id)])
            .await
            .result(),
        "done"
    );
    assert!(
        app.call(ISP1_USER, "list", &[("customerid", &id)])
            .await
            .ids()
            .is_empty()
    );
    let again = app.call(ISP1_USER, "delete", &[("customerid", &id)]).await;
    assert_eq!(again.status, reqwest::StatusCode::NOT_FOUND);
    assert_eq!(app.customer_count().await, 0);
}
