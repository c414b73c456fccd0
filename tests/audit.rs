//! Who changed what: customers and services record `created_by` / `updated_by`, returned
//! in lists; users record who issued them and who last rotated or disabled them.

mod common;
use common::*;
use isp_crm::admin;
use isp_crm::domain::ids::UserId;
use isp_crm::domain::scope::Actor;

async fn customer(app: &TestApp, user: u64, id: u64) -> serde_json::Value {
    let r = app
        .call(user, "list", &[("customerid", &id.to_string())])
        .await;
    r.result()[0].clone()
}

async fn service(app: &TestApp, id: u64) -> serde_json::Value {
    let r = app
        .call(ISP1_USER, "service/list", &[("serviceid", &id.to_string())])
        .await;
    r.result()[0].clone()
}

#[tokio::test]
async fn records_say_who_created_and_who_last_changed_them() {
    let app = spawn_app().await;
    let id = app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    let c = customer(&app, RESELLER1_USER, id).await;
    assert_eq!(
        (&c["created_by"], &c["updated_by"]),
        (&"5".into(), &"5".into())
    );

    let cid = id.to_string();
    let r = app
        .call(
            RESELLER1_USER,
            "update",
            &[("customerid", &cid), ("city", "Margao")],
        )
        .await;
    assert_eq!(r.result(), "done");
    let c = customer(&app, ISP1_USER, id).await;
    assert_eq!(
        (&c["created_by"], &c["updated_by"]),
        (&"5".into(), &"7".into())
    );

    // A service's create and update change the service's fields, not the customer's.
    let sid = app
        .create_service(RESELLER1_USER, id, "who@pppoe", &[])
        .await
        .id();
    let s = service(&app, sid).await;
    assert_eq!(
        (&s["created_by"], &s["updated_by"]),
        (&"7".into(), &"7".into())
    );
    let r = app
        .call(
            ISP1_USER,
            "service/update",
            &[("serviceid", &sid.to_string()), ("status", "Suspend")],
        )
        .await;
    assert_eq!(r.result(), "done");
    let s = service(&app, sid).await;
    assert_eq!(
        (&s["created_by"], &s["updated_by"]),
        (&"7".into(), &"5".into())
    );
    let c = customer(&app, ISP1_USER, id).await;
    assert_eq!(c["updated_by"], "7");

    // A signup form's create names the form key.
    let form = app.create(FORM_USER, &[]).await.id();
    assert_eq!(customer(&app, ISP1_USER, form).await["created_by"], "20");
}

#[tokio::test]
async fn users_say_who_issued_them_and_who_last_rotated_or_disabled_them() {
    let app = spawn_app().await;
    let user = |id| {
        let store = app.store.clone();
        async move { store.get_user(UserId(id)).await.unwrap().unwrap() }
    };
    let u = user(RESELLER1_USER).await;
    assert_eq!(u.audit.created_by.as_deref(), Some("crm-admin"));
    admin::rotate_key_by(
        &app.store,
        UserId(RESELLER1_USER),
        Actor::User(UserId(ISP1_USER)),
    )
    .await
    .unwrap();
    let u = user(RESELLER1_USER).await;
    assert_eq!(
        (u.audit.created_by.as_deref(), u.audit.updated_by.as_deref()),
        (Some("crm-admin"), Some("5"))
    );
    admin::set_enabled_by(
        &app.store,
        UserId(RESELLER1_USER),
        false,
        Actor::User(UserId(ADMIN)),
    )
    .await
    .unwrap();
    let u = user(RESELLER1_USER).await;
    assert!(!u.enabled);
    assert_eq!(u.audit.updated_by.as_deref(), Some("1"));
}
