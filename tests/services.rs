//! Services: the four routes, username uniqueness, scopes, and what services change for
//! customers (delete refused while they exist; the customer list's serviceid/username).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn new_customer(app: &TestApp, user: u64, reseller: &str, name: &str) -> u64 {
    let r = app
        .create(user, &[("resellerid", reseller), ("name", name)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    r.body["result"].as_u64().unwrap()
}

async fn rename(app: &TestApp, serviceid: &str, username: &str) -> Reply {
    app.call(
        ISP1_USER,
        "service/update",
        &[("serviceid", serviceid), ("username", username)],
    )
    .await
}

fn ok_id(r: &Reply) -> u64 {
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    r.body["result"]
        .as_u64()
        .unwrap_or_else(|| panic!("no id in {r:?}"))
}

fn rows(r: &Reply) -> &Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    r.body["result"].as_array().unwrap()
}

#[tokio::test]
async fn create_list_update_delete_round_trip() {
    let app = spawn_app().await;
    let customer = new_customer(&app, ISP1_USER, "1", "Asha").await;
    let id = ok_id(
        &app.create_service(
            ISP1_USER,
            customer,
            "Asha.Naik@isp1",
            &[("notes", "roof antenna")],
        )
        .await,
    );

    let cid = customer.to_string();
    let r = app
        .call(ISP1_USER, "service/list", &[("customerid", &cid)])
        .await;
    let list = rows(&r);
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(s["id"], id);
    assert_eq!(s["customerid"], customer);
    assert_eq!(
        (s["ispid"].as_u64(), s["resellerid"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["username"], "Asha.Naik@isp1");
    assert_eq!(s["plan"], "Fiber 100M");
    assert_eq!(s["status"], "NewRequest", "the default status");
    assert_eq!(s["notes"], "roof antenna");
    assert!(s["created_at"].as_str().unwrap().ends_with('Z'));

    let sid = id.to_string();
    let r = app
        .call(
            ISP1_USER,
            "service/update",
            &[
                ("serviceid", &sid),
                ("status", "active"),
                ("plan", "Fiber 300M"),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.body["result"].as_str()),
        (StatusCode::OK, Some("done")),
        "{r:?}"
    );
    let r = app
        .call(ISP1_USER, "service/list", &[("serviceid", &sid)])
        .await;
    let s = &rows(&r)[0];
    assert_eq!(
        (s["status"].as_str(), s["plan"].as_str()),
        (Some("Active"), Some("Fiber 300M"))
    );
    assert_eq!(s["notes"], Value::Null, "an empty notes clears it");

    let r = app
        .call(ISP1_USER, "service/delete", &[("serviceid", &sid)])
        .await;
    assert_eq!(r.body["result"], "done", "{r:?}");
    let r = app
        .call(ISP1_USER, "service/list", &[("customerid", &cid)])
        .await;
    assert!(rows(&r).is_empty());
    let r = app
        .call(ISP1_USER, "service/delete", &[("serviceid", &sid)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");
    assert_eq!(app.count_items(&app.store.tables.services).await, 0);
    let claim = app
        .store
        .get_claim("username|1|asha.naik@isp1", true)
        .await
        .unwrap();
    assert_eq!(claim, None, "the username's claim went with the service");
    // The freed username can be used again, by the very same request too: the duplicate
    // guard's claim points at a deleted service, so it is a new service.
    let again = ok_id(
        &app.create_service(
            ISP1_USER,
            customer,
            "Asha.Naik@isp1",
            &[("notes", "roof antenna")],
        )
        .await,
    );
    assert_ne!(again, id);
    assert_eq!(app.count_items(&app.store.tables.services).await, 1);
}

#[tokio::test]
async fn usernames_are_unique_within_an_isp_ignoring_case() {
    let app = spawn_app().await;
    let a = new_customer(&app, ISP1_USER, "1", "A").await;
    let b = new_customer(&app, ISP1_USER, "2", "B").await;
    let other_isp = new_customer(&app, ISP2_USER, "3", "C").await;
    let first = ok_id(&app.create_service(ISP1_USER, a, "John", &[]).await);

    let r = app.create_service(ISP1_USER, b, "JOHN", &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{r:?}");
    assert_eq!(r.error(), "username: already in use in this ISP");
    // Another ISP has its own usernames.
    ok_id(&app.create_service(ISP2_USER, other_isp, "john", &[]).await);

    // Renaming onto a taken name is refused; a change of case of its own name is not.
    let second = ok_id(&app.create_service(ISP1_USER, b, "mary", &[]).await);
    let sid = second.to_string();
    let r = rename(&app, &sid, "john").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{r:?}");
    let fid = first.to_string();
    let r = rename(&app, &fid, "JOHN").await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    // A rename frees the old name.
    let r = rename(&app, &sid, "mary.k").await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    ok_id(&app.create_service(ISP1_USER, a, "Mary", &[]).await);
    assert_eq!(app.count_items(&app.store.tables.services).await, 4);
}

#[tokio::test]
async fn concurrent_creates_of_one_username_make_one_service() {
    let app = spawn_app().await;
    let customer = new_customer(&app, ISP1_USER, "1", "Racer").await;
    let plans: Vec<String> = (0..10).map(|i| format!("Plan {i}")).collect();
    let replies = futures_util::future::join_all(plans.iter().map(|plan| {
        let app = &app;
        async move {
            app.create_service(ISP1_USER, customer, "same.name", &[("plan", plan.as_str())])
                .await
        }
    }))
    .await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, refused), (1, 9), "{replies:?}");
    assert_eq!(app.count_items(&app.store.tables.services).await, 1);
    assert_eq!(
        app.stored_attr(customer, "service_count").await.as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn a_customer_with_services_cannot_be_deleted() {
    let app = spawn_app().await;
    let customer = new_customer(&app, ISP1_USER, "1", "Kept").await;
    let sid = ok_id(&app.create_service(ISP1_USER, customer, "kept1", &[]).await).to_string();
    let cid = customer.to_string();

    let r = app.call(ISP1_USER, "delete", &[("customerid", &cid)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{r:?}");
    assert_eq!(
        r.error(),
        "customerid: the customer still has 1 service(s); delete them first"
    );
    assert_eq!(app.customer_count().await, 1, "nothing was deleted");
    // Out of scope stays 404, services or not.
    let r = app.call(ISP2_USER, "delete", &[("customerid", &cid)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");

    let r = app
        .call(ISP1_USER, "service/delete", &[("serviceid", &sid)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = app.call(ISP1_USER, "delete", &[("customerid", &cid)]).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(app.customer_count().await, 0);
    // A service for a deleted customer cannot be created.
    let r = app.create_service(ISP1_USER, customer, "late", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");
}

#[tokio::test]
async fn customer_list_finds_customers_through_their_services() {
    let app = spawn_app().await;
    let a = new_customer(&app, ISP1_USER, "1", "Alpha").await;
    let b = new_customer(&app, ISP1_USER, "2", "Bravo").await;
    let c = new_customer(&app, ISP1_USER, "1", "Charlie").await;
    let other = new_customer(&app, ISP2_USER, "3", "Delta").await;
    ok_id(&app.create_service(ISP1_USER, a, "fiber_a1", &[]).await);
    ok_id(&app.create_service(ISP1_USER, a, "fiber_a2", &[]).await);
    let sb = ok_id(&app.create_service(ISP1_USER, b, "FIBER_B", &[]).await);
    ok_id(&app.create_service(ISP1_USER, c, "dsl_c", &[]).await);
    let so = ok_id(&app.create_service(ISP2_USER, other, "fiber_x", &[]).await);

    let ids =
        |r: &Reply| -> Vec<u64> { rows(r).iter().map(|c| c["id"].as_u64().unwrap()).collect() };
    // `_` is literal, `%` the wildcard, case ignored; a customer with two matches once.
    let r = app
        .call(ISP1_USER, "list", &[("username", "fiber_%")])
        .await;
    assert_eq!(ids(&r), vec![a, b]);
    let r = app
        .call(
            ISP1_USER,
            "list",
            &[("username", "fiber_%"), ("show_count", "1")],
        )
        .await;
    assert_eq!(r.body["result"], 2);
    let r = app.call(ISP1_USER, "list", &[("username", "%c")]).await;
    assert_eq!(ids(&r), vec![c]);
    let r = app
        .call(
            ISP1_USER,
            "list",
            &[
                ("username", "fiber%"),
                ("sort_field", "name"),
                ("sort_order", "desc"),
            ],
        )
        .await;
    assert_eq!(ids(&r), vec![b, a]);
    // Other filters still apply; a reseller sees its own only; other ISPs' services never.
    let r = app
        .call(
            ISP1_USER,
            "list",
            &[("username", "fiber%"), ("name", "Bravo")],
        )
        .await;
    assert_eq!(ids(&r), vec![b]);
    let r = app
        .call(RESELLER1_USER, "list", &[("username", "fiber%")])
        .await;
    assert_eq!(ids(&r), vec![a]);
    let r = app.call(ADMIN, "list", &[("username", "fiber%")]).await;
    assert_eq!(ids(&r), vec![a, b, other]);

    let sb = sb.to_string();
    let r = app.call(ISP1_USER, "list", &[("serviceid", &sb)]).await;
    assert_eq!(ids(&r), vec![b]);
    let r = app
        .call(RESELLER1_USER, "list", &[("serviceid", &sb)])
        .await;
    assert!(
        ids(&r).is_empty(),
        "reseller 2's service is not reseller 1's"
    );
    let so = so.to_string();
    let r = app.call(ISP1_USER, "list", &[("serviceid", &so)]).await;
    assert!(ids(&r).is_empty(), "another ISP's service");
    let r = app
        .call(
            ISP1_USER,
            "list",
            &[("serviceid", &sb), ("username", "dsl%")],
        )
        .await;
    assert!(ids(&r).is_empty(), "both filters must hold");
}

#[tokio::test]
async fn service_list_sorts_filters_pages_and_counts() {
    let app = spawn_app().await;
    let a = new_customer(&app, ISP1_USER, "1", "A").await;
    let b = new_customer(&app, ISP1_USER, "2", "B").await;
    let mut made = Vec::new();
    for (customer, name, status) in [
        (a, "delta", "Active"),
        (b, "Alpha", "Suspend"),
        (a, "charlie", "Active"),
        (b, "bravo", "NP"),
    ] {
        made.push(ok_id(
            &app.create_service(ISP1_USER, customer, name, &[("status", status)])
                .await,
        ));
    }
    let names = |r: &Reply| r.texts("username");
    let r = app.call(ISP1_USER, "service/list", &[]).await;
    assert_eq!(
        names(&r),
        ["delta", "Alpha", "charlie", "bravo"],
        "id order"
    );
    let r = app
        .call(ISP1_USER, "service/list", &[("sort_field", "username")])
        .await;
    assert_eq!(names(&r), ["Alpha", "bravo", "charlie", "delta"]);
    let r = app
        .call(
            ISP1_USER,
            "service/list",
            &[
                ("sort_field", "username"),
                ("sort_order", "desc"),
                ("rows_limit", "2"),
                ("rows_offset", "1"),
            ],
        )
        .await;
    assert_eq!(names(&r), ["charlie", "bravo"]);
    let r = app
        .call(ISP1_USER, "service/list", &[("status", "active")])
        .await;
    assert_eq!(names(&r), ["delta", "charlie"]);
    let r = app
        .call(
            ISP1_USER,
            "service/list",
            &[("username", "%A%"), ("show_count", "1")],
        )
        .await;
    assert_eq!(r.body["result"], 4, "{r:?}");
    let r = app
        .call(ISP1_USER, "service/list", &[("username", "b%")])
        .await;
    assert_eq!(names(&r), ["bravo"]);
    let r = app
        .call(
            RESELLER1_USER,
            "service/list",
            &[("sort_field", "username")],
        )
        .await;
    assert_eq!(
        names(&r),
        ["charlie", "delta"],
        "reseller 1's services only"
    );
    let r = app.call(ISP2_USER, "service/list", &[]).await;
    assert!(names(&r).is_empty());
    let r = app
        .call(ADMIN, "service/list", &[("show_count", "1")])
        .await;
    assert_eq!(r.body["result"], 4);
    let r = app
        .call(ISP1_USER, "service/list", &[("resellerid", "2")])
        .await;
    assert_eq!(names(&r), ["Alpha", "bravo"]);
}

#[tokio::test]
async fn service_scope_matrix() {
    let app = spawn_app().await;
    // One customer with one service in each corner: reseller 1, reseller 2 (ISP 1), reseller 3 (ISP 2).
    let mut corners = Vec::new();
    for (user, reseller, name) in [
        (ISP1_USER, "1", "r1"),
        (ISP1_USER, "2", "r2"),
        (ISP2_USER, "3", "r3"),
    ] {
        let c = new_customer(&app, user, reseller, name).await;
        let s = ok_id(
            &app.create_service(user, c, &format!("svc-{name}"), &[])
                .await,
        );
        corners.push((reseller, c, s));
    }
    // Which corners each user may touch.
    let matrix = [
        (ADMIN, ["1", "2", "3"].as_slice()),
        (ISP1_USER, &["1", "2"]),
        (ISP2_USER, &["3"]),
        (RESELLER1_USER, &["1"]),
        (RESELLER3_USER, &["3"]),
    ];
    for (user, allowed) in matrix {
        for (n, (reseller, customer, service)) in corners.iter().enumerate() {
            let ok = allowed.contains(reseller);
            let (cid, sid) = (customer.to_string(), service.to_string());
            let r = app.call(user, "service/list", &[("serviceid", &sid)]).await;
            assert_eq!(
                rows(&r).len(),
                usize::from(ok),
                "user {user} list {reseller}"
            );
            let r = app
                .call(user, "service/list", &[("customerid", &cid)])
                .await;
            assert_eq!(
                !rows(&r).is_empty(),
                ok,
                "user {user} list by customer {reseller}"
            );
            let expected = if ok {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            let r = app
                .create_service(user, *customer, &format!("u{user}-{n}"), &[])
                .await;
            assert_eq!(
                r.status, expected,
                "user {user} create in {reseller}: {r:?}"
            );
            let r = app
                .call(
                    user,
                    "service/update",
                    &[("serviceid", &sid), ("plan", &format!("by {user}"))],
                )
                .await;
            assert_eq!(
                r.status, expected,
                "user {user} update in {reseller}: {r:?}"
            );
        }
    }
    // Nothing out of scope was written: each service's plan names an allowed user only.
    for (reseller, _, service) in &corners {
        let sid = service.to_string();
        let r = app
            .call(ADMIN, "service/list", &[("serviceid", &sid)])
            .await;
        let plan = rows(&r)[0]["plan"].as_str().unwrap().to_owned();
        let last_allowed = matrix
            .iter()
            .rev()
            .find(|(_, allowed)| allowed.contains(reseller))
            .map(|(u, _)| format!("by {u}"))
            .unwrap();
        assert_eq!(plan, last_allowed, "corner {reseller}");
    }
    // Deletes out of scope are 404 and delete nothing.
    let (_, _, s3) = corners[2];
    let r = app
        .call(
            ISP1_USER,
            "service/delete",
            &[("serviceid", &s3.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            RESELLER3_USER,
            "service/delete",
            &[("serviceid", &s3.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
}

#[tokio::test]
async fn bad_service_input_is_refused_and_nothing_written() {
    let app = spawn_app().await;
    let customer = new_customer(&app, ISP1_USER, "1", "V").await;
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("status", "Gone")],
            "status: must be one of Active, Suspend, NP, NPD, NewRequest",
        ),
        (
            &[("username", "has space")],
            "username: must be 1 to 64 letters, digits or . _ - @ +",
        ),
        (
            &[("username", "50%")],
            "username: must be 1 to 64 letters, digits or . _ - @ +",
        ),
        (&[("plan", "")], "plan: is required"),
        (
            &[("customerid", "x")],
            "customerid: must be a positive whole number",
        ),
        (
            &[("notes", "a\u{7}b")],
            "notes: must not contain control characters",
        ),
    ];
    for (extra, error) in cases {
        let r = app
            .create_service(ISP1_USER, customer, "valid.name", extra)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{extra:?}: {r:?}");
        assert_eq!(r.error(), error);
    }
    let r = app
        .create_service(ISP1_USER, 999_999, "valid.name", &[])
        .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::NOT_FOUND, "customerid: not found")
    );
    assert_eq!(app.count_items(&app.store.tables.services).await, 0);
    assert_eq!(app.stored_attr(customer, "service_count").await, None);

    let sid = ok_id(
        &app.create_service(ISP1_USER, customer, "valid.name", &[])
            .await,
    )
    .to_string();
    for (params, status) in [
        (vec![("serviceid", sid.as_str())], StatusCode::BAD_REQUEST),
        (
            vec![("serviceid", sid.as_str()), ("status", "")],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("serviceid", "424242"), ("plan", "x")],
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = app.call(ISP1_USER, "service/update", &params).await;
        assert_eq!(r.status, status, "{params:?}: {r:?}");
    }
    let r = app
        .call(ISP1_USER, "service/list", &[("sort_field", "plan")])
        .await;
    assert_eq!(r.error(), "sort_field: must be one of id, username");
}

#[tokio::test]
async fn the_create_transaction_itself_refuses_a_customer_that_is_gone() {
    use isp_crm::domain::ids::{CustomerId, IspId, ResellerId, ServiceId};
    use isp_crm::domain::scope::Placement;
    use isp_crm::domain::service::{ServiceFields, ServiceStatus, Username};
    use isp_crm::store::records::ServiceItem;
    use isp_crm::store::services::ServiceInsert;

    let app = spawn_app().await;
    let customer = new_customer(&app, ISP1_USER, "1", "Gone").await;
    let cid = customer.to_string();
    let r = app.call(ISP1_USER, "delete", &[("customerid", &cid)]).await;
    assert_eq!(r.status, StatusCode::OK);
    // As if the customer were deleted between the create's read and its transaction.
    let fields = ServiceFields {
        customerid: CustomerId(customer),
        username: Username::parse("username", "orphan").unwrap(),
        plan: "p".into(),
        status: ServiceStatus::Active,
        notes: None,
    };
    let at = Placement {
        isp: IspId(1),
        reseller: ResellerId(1),
    };
    let item = ServiceItem::new(
        ServiceId(77),
        at,
        fields,
        "2026-11-27T00:00:00Z".into(),
        isp_crm::domain::scope::Actor::Admin,
    );
    // The customer's restorable copy and its history's two entries (created, deleted).
    assert_eq!(app.count_items(&app.store.tables.claims).await, 3);
    let outcome = app.store.insert_service(&item, &[], 0, None).await.unwrap();
    assert_eq!(outcome, ServiceInsert::CustomerGone, "{outcome:?}");
    assert_eq!(app.count_items(&app.store.tables.services).await, 0);
    assert_eq!(
        app.count_items(&app.store.tables.claims).await,
        3,
        "no claim of the refused create"
    );
}
