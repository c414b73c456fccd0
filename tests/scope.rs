//! Scope: a user never sees or changes a customer outside its own scope. To such a user the
//! customer does not exist (404 on update/delete, absent from every list); naming an ISP or a
//! reseller the user does not own is 403 (create and list).

mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Request parameters of a table row.
type Params = &'static [(&'static str, &'static str)];

/// The three corners of the seeded platform: (ispid, resellerid).
const R1: (&str, &str) = ("1", "1");
const R2: (&str, &str) = ("1", "2");
const R3: (&str, &str) = ("2", "3");
const CORNERS: [(&str, &str); 3] = [R1, R2, R3];

/// Which corners each caller sees, in the order of `CORNERS`.
const MATRIX: [(u64, &str, [bool; 3]); 5] = [
    (ADMIN, "admin", [true, true, true]),
    (ISP1_USER, "ISP 1 user", [true, true, false]),
    (ISP2_USER, "ISP 2 user", [false, false, true]),
    (RESELLER1_USER, "reseller 1 user", [true, false, false]),
    (RESELLER3_USER, "reseller 3 user", [false, false, true]),
];

/// A customer created by the admin in a corner, with its notes set to `notes`.
async fn customer_in(app: &TestApp, (isp, reseller): (&str, &str), notes: &str) -> u64 {
    app.create(
        ADMIN,
        &[("ispid", isp), ("resellerid", reseller), ("notes", notes)],
    )
    .await
    .id()
}

fn assert_status(reply: &Reply, status: StatusCode, context: &str) {
    assert_eq!(reply.status, status, "{context}: {reply:?}");
}

fn assert_done(reply: &Reply, context: &str) {
    assert_status(reply, StatusCode::OK, context);
    assert_eq!(
        reply.body,
        json!({"result": "done", "error": null}),
        "{context}"
    );
}

/// 403 naming the parameter outside the caller's scope.
fn assert_forbidden(reply: &Reply, param: &str, context: &str) {
    assert_status(reply, StatusCode::FORBIDDEN, context);
    assert_eq!(reply.body["result"], Value::Null, "{context}");
    let error = reply.error();
    assert!(
        error.starts_with(&format!("{param}:")),
        "{context}: {error}"
    );
}

/// 400 naming the parameter.
fn assert_invalid(reply: &Reply, param: &str, context: &str) {
    assert_status(reply, StatusCode::BAD_REQUEST, context);
    assert_eq!(reply.body["result"], Value::Null, "{context}");
    let error = reply.error();
    assert!(
        error.starts_with(&format!("{param}:")),
        "{context}: {error}"
    );
}

/// 404, and the same answer as for a customer id that does not exist at all.
fn assert_as_missing(reply: &Reply, missing: &Reply, context: &str) {
    assert_status(reply, StatusCode::NOT_FOUND, context);
    assert!(
        reply.error().starts_with("customerid:"),
        "{context}: {reply:?}"
    );
    assert_eq!(
        reply.body, missing.body,
        "{context}: must be indistinguishable from a missing customer"
    );
}

async fn exists(app: &TestApp, id: u64) -> bool {
    app.stored_attr(id, "id").await.is_some()
}

#[tokio::test]
async fn every_caller_sees_and_changes_only_the_customers_in_its_scope() {
    let app = spawn_app().await;
    let mut ids = [0u64; 3];
    for (i, corner) in CORNERS.into_iter().enumerate() {
        ids[i] = customer_in(&app, corner, &format!("original {i}")).await;
    }
    let missing = (ids.iter().max().unwrap() + 1000).to_string();

    // Each caller's checks hold whichever callers ran before it: an update is checked against
    // the notes stored just before it.
    for (user, who, sees) in MATRIX {
        let expected: Vec<u64> = ids
            .iter()
            .zip(sees)
            .filter(|(_, s)| *s)
            .map(|(id, _)| *id)
            .collect();
        let listed = app.call(user, "list", &[("rows_limit", "100")]).await;
        assert_eq!(
            listed.ids(),
            expected,
            "{who}: the unfiltered list is exactly the customers in scope"
        );
        let counted = app.call(user, "list", &[("show_count", "1")]).await;
        assert_eq!(
            counted.result(),
            &json!(expected.len()),
            "{who}: show_count"
        );

        let missing_update = app
            .call(user, "update", &[("customerid", &missing), ("notes", "x")])
            .await;
        assert_status(
            &missing_update,
            StatusCode::NOT_FOUND,
            &format!("{who}: update of a missing customer"),
        );
        let missing_delete = app.call(user, "delete", &[("customerid", &missing)]).await;
        assert_status(
            &missing_delete,
            StatusCode::NOT_FOUND,
            &format!("{who}: delete of a missing customer"),
        );

        for (i, (&id, in_scope)) in ids.iter().zip(sees).enumerate() {
            let ctx = format!("{who}, customer {id} in reseller {}", CORNERS[i].1);
            let id_s = id.to_string();

            let one = app.call(user, "list", &[("customerid", &id_s)]).await;
            let want: Vec<u64> = if in_scope { vec![id] } else { vec![] };
            assert_eq!(one.ids(), want, "{ctx}: list with customerid");
            let one_count = app
                .call(user, "list", &[("customerid", &id_s), ("show_count", "1")])
                .await;
            assert_eq!(
                one_count.result(),
                &json!(want.len()),
                "{ctx}: count with customerid"
            );

            let new_notes = format!("set by {who}");
            let mut notes = app.stored_attr(id, "notes").await;
            let updated = app
                .call(
                    user,
                    "update",
                    &[("customerid", &id_s), ("notes", &new_notes)],
                )
                .await;
            if in_scope {
                assert_done(&updated, &format!("{ctx}: update"));
                notes = Some(new_notes);
            } else {
                assert_as_missing(&updated, &missing_update, &format!("{ctx}: update"));
            }
            assert_eq!(
                app.stored_attr(id, "notes").await,
                notes,
                "{ctx}: stored notes"
            );

            if !in_scope {
                let deleted = app.call(user, "delete", &[("customerid", &id_s)]).await;
                assert_as_missing(&deleted, &missing_delete, &format!("{ctx}: delete"));
                assert!(
                    exists(&app, id).await,
                    "{ctx}: an out-of-scope delete removed the record"
                );
            }
        }
    }
    assert_eq!(
        app.customer_count().await,
        3,
        "no record was removed or added"
    );
    for (i, &id) in ids.iter().enumerate() {
        assert_eq!(
            app.stored_attr(id, "ispid").await.as_deref(),
            Some(CORNERS[i].0)
        );
        assert_eq!(
            app.stored_attr(id, "resellerid").await.as_deref(),
            Some(CORNERS[i].1)
        );
    }
}

#[tokio::test]
async fn in_scope_deletes_remove_exactly_the_one_record() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let mut bystanders = Vec::new();
    for corner in CORNERS {
        bystanders.push(customer_in(&app, corner, "bystander").await);
    }
    for (user, who, sees) in MATRIX {
        for (corner, in_scope) in CORNERS.into_iter().zip(sees) {
            if !in_scope {
                continue;
            }
            let id = customer_in(&app, corner, "doomed").await;
            let ctx = format!("{who} deleting customer {id} in reseller {}", corner.1);
            let id_s = id.to_string();
            let before = app.customer_count().await;
            // Every caller that does not see it tries first, and fails.
            for (other, other_who, other_sees) in MATRIX {
                let other_in_scope = other_sees[CORNERS.iter().position(|c| *c == corner).unwrap()];
                if !other_in_scope {
                    let refused = app.call(other, "delete", &[("customerid", &id_s)]).await;
                    assert_status(
                        &refused,
                        StatusCode::NOT_FOUND,
                        &format!("{ctx}: first {other_who}"),
                    );
                }
            }
            assert!(
                exists(&app, id).await,
                "{ctx}: removed by an out-of-scope caller"
            );

            let deleted = app.call(user, "delete", &[("customerid", &id_s)]).await;
            assert_done(&deleted, &ctx);
            assert!(!exists(&app, id).await, "{ctx}: still stored");
            assert_eq!(
                app.customer_count().await,
                before - 1,
                "{ctx}: exactly one record removed"
            );
            let listed = app.call(ADMIN, "list", &[("customerid", &id_s)]).await;
            assert_eq!(listed.ids(), Vec::<u64>::new(), "{ctx}: still listed");
            let again = app.call(user, "delete", &[("customerid", &id_s)]).await;
            assert_status(
                &again,
                StatusCode::NOT_FOUND,
                &format!("{ctx}: deleted twice"),
            );
        }
    }
    for id in &bystanders {
        assert!(exists(&app, *id).await, "bystander {id} was removed");
    }
    assert_eq!(app.customer_count().await, 3);
}

#[tokio::test]
async fn create_outside_the_callers_scope_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    // (caller, who, ids given, status, parameter named in the error)
    let cases: &[(u64, &str, Params, StatusCode, &str)] = &[
        (
            ISP1_USER,
            "ISP 1 user, ISP 2's reseller",
            &[("resellerid", "3")],
            StatusCode::FORBIDDEN,
            "resellerid",
        ),
        (
            ISP1_USER,
            "ISP 1 user, ispid=2",
            &[("ispid", "2"), ("resellerid", "1")],
            StatusCode::FORBIDDEN,
            "ispid",
        ),
        (
            ISP1_USER,
            "ISP 1 user, ISP 2 and its reseller",
            &[("ispid", "2"), ("resellerid", "3")],
            StatusCode::FORBIDDEN,
            "ispid",
        ),
        (
            ISP1_USER,
            "ISP 1 user, no such reseller",
            &[("resellerid", "99")],
            StatusCode::FORBIDDEN,
            "resellerid",
        ),
        (
            ISP2_USER,
            "ISP 2 user, ISP 1's reseller",
            &[("resellerid", "1")],
            StatusCode::FORBIDDEN,
            "resellerid",
        ),
        (
            RESELLER1_USER,
            "reseller 1 user, resellerid=2",
            &[("resellerid", "2")],
            StatusCode::FORBIDDEN,
            "resellerid",
        ),
        (
            RESELLER1_USER,
            "reseller 1 user, resellerid=3",
            &[("resellerid", "3")],
            StatusCode::FORBIDDEN,
            "resellerid",
        ),
        (
            RESELLER1_USER,
            "reseller 1 user, ispid=2",
            &[("ispid", "2")],
            StatusCode::FORBIDDEN,
            "ispid",
        ),
        (
            RESELLER3_USER,
            "reseller 3 user, resellerid=1",
            &[("resellerid", "1")],
            StatusCode::FORBIDDEN,
            "resellerid",
        ),
        (
            RESELLER3_USER,
            "reseller 3 user, ispid=1",
            &[("ispid", "1")],
            StatusCode::FORBIDDEN,
            "ispid",
        ),
        (
            ADMIN,
            "admin, reseller 3 in ISP 1",
            &[("ispid", "1"), ("resellerid", "3")],
            StatusCode::BAD_REQUEST,
            "resellerid",
        ),
        (
            ADMIN,
            "admin, reseller 1 in ISP 2",
            &[("ispid", "2"), ("resellerid", "1")],
            StatusCode::BAD_REQUEST,
            "resellerid",
        ),
        (
            ADMIN,
            "admin, no such reseller",
            &[("ispid", "1"), ("resellerid", "99")],
            StatusCode::BAD_REQUEST,
            "resellerid",
        ),
        (
            ADMIN,
            "admin without ispid",
            &[("resellerid", "1")],
            StatusCode::BAD_REQUEST,
            "ispid",
        ),
        (
            ADMIN,
            "admin without resellerid",
            &[("ispid", "1")],
            StatusCode::BAD_REQUEST,
            "resellerid",
        ),
        (
            ISP1_USER,
            "ISP 1 user without resellerid",
            &[],
            StatusCode::BAD_REQUEST,
            "resellerid",
        ),
    ];
    for &(user, who, given, status, param) in cases {
        let reply = app.create(user, given).await;
        if status == StatusCode::FORBIDDEN {
            assert_forbidden(&reply, param, who);
        } else {
            assert_invalid(&reply, param, who);
        }
        assert_eq!(
            app.customer_count().await,
            0,
            "{who}: a refused create wrote a record"
        );
    }
    // Nothing is visible to anyone either.
    for (user, who, _) in MATRIX {
        let counted = app.call(user, "list", &[("show_count", "1")]).await;
        assert_eq!(counted.result(), &json!(0), "{who}");
    }
    // The same app does create when the ids are right (the refusals above were about scope).
    app.create(ISP1_USER, &[("resellerid", "1")]).await.id();
    assert_eq!(app.customer_count().await, 1);
}

#[tokio::test]
async fn create_in_scope_places_the_customer_in_the_callers_isp_and_reseller() {
    let app = spawn_app().await;
    // (caller, who, ids given, expected (ispid, resellerid))
    let cases: &[(u64, &str, Params, (u64, u64))] = &[
        (RESELLER1_USER, "reseller 1 user, no ids", &[], (1, 1)),
        (RESELLER3_USER, "reseller 3 user, no ids", &[], (2, 3)),
        (
            RESELLER1_USER,
            "reseller 1 user, its own ids",
            &[("ispid", "1"), ("resellerid", "1")],
            (1, 1),
        ),
        (
            ISP1_USER,
            "ISP 1 user, resellerid=2",
            &[("resellerid", "2")],
            (1, 2),
        ),
        (
            ISP1_USER,
            "ISP 1 user, ispid=1&resellerid=1",
            &[("ispid", "1"), ("resellerid", "1")],
            (1, 1),
        ),
        (
            ISP2_USER,
            "ISP 2 user, resellerid=3",
            &[("resellerid", "3")],
            (2, 3),
        ),
        (
            ADMIN,
            "admin, ISP 2 reseller 3",
            &[("ispid", "2"), ("resellerid", "3")],
            (2, 3),
        ),
        (
            ADMIN,
            "admin, ISP 1 reseller 2",
            &[("ispid", "1"), ("resellerid", "2")],
            (1, 2),
        ),
    ];
    // Each row adds one customer to those before it, whichever rows ran.
    for &(user, who, given, (isp, reseller)) in cases {
        let before = app.customer_count().await;
        let id = app.create(user, given).await.id();
        assert_eq!(app.customer_count().await, before + 1, "{who}");
        assert_eq!(
            app.stored_attr(id, "ispid").await,
            Some(isp.to_string()),
            "{who}: stored ispid"
        );
        assert_eq!(
            app.stored_attr(id, "resellerid").await,
            Some(reseller.to_string()),
            "{who}: stored resellerid"
        );
        let listed = app
            .call(user, "list", &[("customerid", &id.to_string())])
            .await;
        assert_eq!(
            listed.ids(),
            vec![id],
            "{who}: the creator sees its customer"
        );
        let row = &listed.result()[0];
        assert_eq!(
            (&row["ispid"], &row["resellerid"]),
            (&json!(isp), &json!(reseller)),
            "{who}: listed ids"
        );
    }
}

/// Expected answer of a list.
enum Expect {
    Ids(Vec<u64>),
    Forbidden(&'static str),
}

/// Six customers, created interleaved so that ids of the two ISPs alternate, and the ids
/// each corner and ISP holds.
struct Six {
    all: Vec<u64>,
    r1: Vec<u64>,
    r2: Vec<u64>,
    r3: Vec<u64>,
    isp1: Vec<u64>,
    isp2: Vec<u64>,
}

async fn six_customers(app: &TestApp) -> Six {
    let a = customer_in(app, R1, "a").await;
    let b = customer_in(app, R3, "b").await;
    let c = customer_in(app, R2, "c").await;
    let d = customer_in(app, R3, "d").await;
    let e = customer_in(app, R1, "e").await;
    let f = customer_in(app, R2, "f").await;
    let all = vec![a, b, c, d, e, f];
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ids increase: {all:?}");
    Six {
        all,
        r1: vec![a, e],
        r2: vec![c, f],
        r3: vec![b, d],
        isp1: vec![a, c, e, f],
        isp2: vec![b, d],
    }
}

fn rev(v: &[u64]) -> Vec<u64> {
    v.iter().rev().copied().collect()
}

/// Lists as each case's caller, with and without `show_count`, and checks both answers.
async fn check_lists(app: &TestApp, cases: &[(u64, &str, Params, Expect)]) {
    use Expect::{Forbidden, Ids};
    for (user, who, params, expect) in cases {
        let listed = app.call(*user, "list", params).await;
        let mut counting = params.to_vec();
        counting.push(("show_count", "1"));
        let counted = app.call(*user, "list", &counting).await;
        match expect {
            Ids(ids) => {
                assert_eq!(&listed.ids(), ids, "{who}");
                assert_eq!(counted.result(), &json!(ids.len()), "{who}: show_count");
            }
            Forbidden(param) => {
                assert_forbidden(&listed, param, who);
                assert_forbidden(&counted, param, &format!("{who}: show_count"));
            }
        }
    }
}

#[tokio::test]
async fn list_ispid_and_resellerid_narrow_within_an_isp_users_scope_only() {
    let app = spawn_app().await;
    let six = six_customers(&app).await;
    use Expect::{Forbidden, Ids};
    let cases: Vec<(u64, &str, Params, Expect)> = vec![
        (ISP1_USER, "ISP 1 user", &[], Ids(six.isp1.clone())),
        (
            ISP1_USER,
            "ISP 1 user, ispid=1",
            &[("ispid", "1")],
            Ids(six.isp1.clone()),
        ),
        (
            ISP1_USER,
            "ISP 1 user, ispid=2",
            &[("ispid", "2")],
            Forbidden("ispid"),
        ),
        (
            ISP1_USER,
            "ISP 1 user, resellerid=3",
            &[("resellerid", "3")],
            Forbidden("resellerid"),
        ),
        (
            ISP1_USER,
            "ISP 1 user, no such reseller",
            &[("resellerid", "99")],
            Forbidden("resellerid"),
        ),
        (
            ISP1_USER,
            "ISP 1 user, resellerid=2",
            &[("resellerid", "2")],
            Ids(six.r2.clone()),
        ),
        (
            ISP1_USER,
            "ISP 1 user, ispid=1&resellerid=2",
            &[("ispid", "1"), ("resellerid", "2")],
            Ids(six.r2.clone()),
        ),
        (
            ISP1_USER,
            "ISP 1 user, desc",
            &[("sort_order", "desc")],
            Ids(rev(&six.isp1)),
        ),
        (ISP2_USER, "ISP 2 user", &[], Ids(six.isp2.clone())),
        (
            ISP2_USER,
            "ISP 2 user, resellerid=1",
            &[("resellerid", "1")],
            Forbidden("resellerid"),
        ),
        (
            ISP2_USER,
            "ISP 2 user, ispid=1",
            &[("ispid", "1")],
            Forbidden("ispid"),
        ),
    ];
    check_lists(&app, &cases).await;
}

#[tokio::test]
async fn list_ispid_and_resellerid_narrow_within_a_reseller_users_scope_only() {
    let app = spawn_app().await;
    let six = six_customers(&app).await;
    use Expect::{Forbidden, Ids};
    let cases: Vec<(u64, &str, Params, Expect)> = vec![
        (RESELLER1_USER, "reseller 1 user", &[], Ids(six.r1.clone())),
        (
            RESELLER1_USER,
            "reseller 1 user, resellerid=1",
            &[("resellerid", "1")],
            Ids(six.r1.clone()),
        ),
        (
            RESELLER1_USER,
            "reseller 1 user, ispid=1",
            &[("ispid", "1")],
            Ids(six.r1.clone()),
        ),
        (
            RESELLER1_USER,
            "reseller 1 user, resellerid=2",
            &[("resellerid", "2")],
            Forbidden("resellerid"),
        ),
        (
            RESELLER1_USER,
            "reseller 1 user, resellerid=3",
            &[("resellerid", "3")],
            Forbidden("resellerid"),
        ),
        (
            RESELLER1_USER,
            "reseller 1 user, ispid=2",
            &[("ispid", "2")],
            Forbidden("ispid"),
        ),
        (RESELLER3_USER, "reseller 3 user", &[], Ids(six.r3.clone())),
        (
            RESELLER3_USER,
            "reseller 3 user, resellerid=1",
            &[("resellerid", "1")],
            Forbidden("resellerid"),
        ),
    ];
    check_lists(&app, &cases).await;
}

#[tokio::test]
async fn list_ispid_and_resellerid_narrow_an_admins_list_to_any_isp_or_reseller() {
    let app = spawn_app().await;
    let six = six_customers(&app).await;
    use Expect::Ids;
    let cases: Vec<(u64, &str, Params, Expect)> = vec![
        (ADMIN, "admin", &[], Ids(six.all.clone())),
        (
            ADMIN,
            "admin, desc",
            &[("sort_order", "desc")],
            Ids(rev(&six.all)),
        ),
        (
            ADMIN,
            "admin, ispid=1",
            &[("ispid", "1")],
            Ids(six.isp1.clone()),
        ),
        (
            ADMIN,
            "admin, ispid=2",
            &[("ispid", "2")],
            Ids(six.isp2.clone()),
        ),
        (
            ADMIN,
            "admin, resellerid=2",
            &[("resellerid", "2")],
            Ids(six.r2.clone()),
        ),
        (
            ADMIN,
            "admin, ispid=1&resellerid=2",
            &[("ispid", "1"), ("resellerid", "2")],
            Ids(six.r2.clone()),
        ),
        (
            ADMIN,
            "admin, ispid=1&resellerid=3",
            &[("ispid", "1"), ("resellerid", "3")],
            Ids(vec![]),
        ),
        (
            ADMIN,
            "admin, ispid=2&resellerid=1",
            &[("ispid", "2"), ("resellerid", "1")],
            Ids(vec![]),
        ),
    ];
    check_lists(&app, &cases).await;
}

#[tokio::test]
async fn an_admins_pages_across_isps_are_cut_from_the_merged_id_order() {
    let app = spawn_app().await;
    let six = six_customers(&app).await;
    let pages: &[(Params, Vec<u64>)] = &[
        (&[("rows_limit", "3")], six.all[..3].to_vec()),
        (
            &[("rows_limit", "3"), ("sort_order", "desc")],
            rev(&six.all)[..3].to_vec(),
        ),
        (
            &[("rows_limit", "3"), ("rows_offset", "2")],
            six.all[2..5].to_vec(),
        ),
        (
            &[
                ("rows_limit", "2"),
                ("rows_offset", "3"),
                ("sort_order", "desc"),
            ],
            rev(&six.all)[3..5].to_vec(),
        ),
        (
            &[("rows_limit", "2"), ("rows_offset", "1"), ("ispid", "1")],
            six.isp1[1..3].to_vec(),
        ),
    ];
    for (params, want) in pages {
        assert_eq!(
            &app.call(ADMIN, "list", params).await.ids(),
            want,
            "admin, {params:?}"
        );
    }
    let counted = app
        .call(ADMIN, "list", &[("rows_limit", "3"), ("show_count", "1")])
        .await;
    assert_eq!(
        counted.result(),
        &json!(six.all.len()),
        "show_count ignores rows_limit"
    );
}

#[tokio::test]
async fn an_update_across_scope_neither_changes_nor_moves_the_record() {
    let app = spawn_app().await;
    let theirs = customer_in(&app, R3, "ISP 2's").await;
    let sibling = customer_in(&app, R2, "reseller 2's").await;
    let attrs = [
        "ispid",
        "resellerid",
        "mobile",
        "zipcode",
        "mobile_key",
        "zipcode_key",
        "notes",
        "updated_at",
    ];
    let snapshot = async |id: u64| {
        let mut values = Vec::new();
        for attr in attrs {
            values.push(app.stored_attr(id, attr).await);
        }
        values
    };
    let theirs_before = snapshot(theirs).await;
    let sibling_before = snapshot(sibling).await;
    assert!(
        theirs_before.iter().all(Option::is_some),
        "{theirs_before:?}"
    );

    let change = |id: u64| {
        vec![
            ("customerid", id.to_string()),
            ("mobile", "98765432".to_owned()),
            ("zipcode", "54321".to_owned()),
            ("notes", "moved".to_owned()),
        ]
    };
    let attempts = [
        (ISP1_USER, "ISP 1 user", theirs),
        (RESELLER1_USER, "reseller 1 user", theirs),
        (RESELLER1_USER, "reseller 1 user", sibling),
        (RESELLER3_USER, "reseller 3 user", sibling),
        (ISP2_USER, "ISP 2 user", sibling),
    ];
    for (user, who, id) in attempts {
        let params = change(id);
        let params = as_pairs(&params);
        let reply = app.call(user, "update", &params).await;
        assert_status(
            &reply,
            StatusCode::NOT_FOUND,
            &format!("{who} updating customer {id}"),
        );
        assert!(reply.error().starts_with("customerid:"), "{reply:?}");
    }
    assert_eq!(
        snapshot(theirs).await,
        theirs_before,
        "ISP 2's customer changed"
    );
    assert_eq!(
        snapshot(sibling).await,
        sibling_before,
        "reseller 2's customer changed"
    );

    // Still found where it was, by its old mobile, and nowhere by the new one.
    let by_mobile = |m: &'static str| [("mobile", m)];
    assert_eq!(
        app.call(ISP2_USER, "list", &by_mobile("12344444"))
            .await
            .ids(),
        vec![theirs]
    );
    assert_eq!(
        app.call(ISP1_USER, "list", &by_mobile("98765432"))
            .await
            .ids(),
        Vec::<u64>::new()
    );
    assert_eq!(
        app.call(ISP1_USER, "list", &by_mobile("12344444"))
            .await
            .ids(),
        vec![sibling]
    );

    // The admin's in-scope change keeps the record in ISP 2 (its ISP-keyed index values too).
    let id_s = theirs.to_string();
    let reply = app
        .call(
            ADMIN,
            "update",
            &[
                ("customerid", &id_s),
                ("mobile", "98765432"),
                ("zipcode", "54321"),
            ],
        )
        .await;
    assert_done(&reply, "admin update of mobile and zipcode");
    assert_eq!(app.stored_attr(theirs, "ispid").await.as_deref(), Some("2"));
    assert_eq!(
        app.stored_attr(theirs, "resellerid").await.as_deref(),
        Some("3")
    );
    let old_mobile_key = theirs_before[4].clone().unwrap();
    let old_zipcode_key = theirs_before[5].clone().unwrap();
    assert_eq!(
        app.stored_attr(theirs, "mobile_key").await,
        Some(old_mobile_key.replace("12344444", "98765432")),
        "the mobile index key keeps ISP 2"
    );
    assert_eq!(
        app.stored_attr(theirs, "zipcode_key").await,
        Some(old_zipcode_key.replace("12345", "54321")),
        "the zipcode index key keeps ISP 2"
    );
    assert_eq!(
        app.call(ISP2_USER, "list", &by_mobile("98765432"))
            .await
            .ids(),
        vec![theirs]
    );
    assert_eq!(
        app.call(ISP1_USER, "list", &by_mobile("98765432"))
            .await
            .ids(),
        Vec::<u64>::new()
    );
    let zip = app.call(ISP2_USER, "list", &[("zipcode", "54321")]).await;
    assert_eq!(zip.ids(), vec![theirs]);
    let zip = app.call(ISP1_USER, "list", &[("zipcode", "54321")]).await;
    assert_eq!(zip.ids(), Vec::<u64>::new());
}

#[tokio::test]
async fn restores_exports_and_deleted_lists_keep_to_the_callers_scope() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    for (user, who, sees) in MATRIX {
        for (i, (corner, in_scope)) in CORNERS.into_iter().zip(sees).enumerate() {
            if !in_scope {
                continue;
            }
            let id = customer_in(&app, corner, "restorable").await;
            let id_s = id.to_string();
            let ctx = format!("{who} restoring customer {id} in reseller {}", corner.1);
            assert_done(
                &app.call(ADMIN, "delete", &[("customerid", &id_s)]).await,
                &ctx,
            );
            for (other, other_who, other_sees) in MATRIX {
                let listed = app.call(other, "list", &[("deleted", "1")]).await.ids();
                assert_eq!(
                    listed.contains(&id),
                    other_sees[i],
                    "{ctx}: deleted=1 of {other_who}"
                );
                let export = app.call(other, "export", &[("customerid", &id_s)]).await;
                match other_sees[i] {
                    true => assert_status(&export, StatusCode::OK, &format!("{ctx}: export")),
                    false => {
                        assert_status(&export, StatusCode::NOT_FOUND, &format!("{ctx}: export"));
                        assert_eq!(export.error(), "customerid: not found", "{ctx}");
                        let refused = app.call(other, "restore", &[("customerid", &id_s)]).await;
                        assert_status(
                            &refused,
                            StatusCode::NOT_FOUND,
                            &format!("{ctx}: {other_who}"),
                        );
                    }
                }
            }
            // A form key reaches none of them.
            let form = app
                .call(FORM_USER, "export", &[("customerid", &id_s)])
                .await;
            assert_status(
                &form,
                StatusCode::FORBIDDEN,
                &format!("{ctx}: form key export"),
            );
            let form = app
                .call(FORM_USER, "restore", &[("customerid", &id_s)])
                .await;
            assert_status(&form, StatusCode::FORBIDDEN, &format!("{ctx}: form key"));
            let form = app.call(FORM_USER, "list", &[("deleted", "1")]).await;
            assert_status(
                &form,
                StatusCode::FORBIDDEN,
                &format!("{ctx}: form key list"),
            );
            assert!(!exists(&app, id).await, "{ctx}: restored out of scope");
            assert_done(
                &app.call(user, "restore", &[("customerid", &id_s)]).await,
                &ctx,
            );
            assert!(exists(&app, id).await, "{ctx}: not restored");
        }
    }
}

#[tokio::test]
async fn erases_are_for_isp_users_and_admins_and_only_in_their_scope() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    for (user, who, sees) in MATRIX {
        for (corner, in_scope) in CORNERS.into_iter().zip(sees) {
            let id = customer_in(&app, corner, "erasable").await;
            let id_s = id.to_string();
            let ctx = format!("{who} erasing customer {id} in reseller {}", corner.1);
            let form = app.call(FORM_USER, "erase", &[("customerid", &id_s)]).await;
            assert_status(&form, StatusCode::FORBIDDEN, &format!("{ctx}: form key"));
            let reply = app.call(user, "erase", &[("customerid", &id_s)]).await;
            let may_erase = matches!(user, ADMIN | ISP1_USER | ISP2_USER);
            match (may_erase, in_scope) {
                (false, _) => assert_status(&reply, StatusCode::FORBIDDEN, &ctx),
                (true, false) => assert_status(&reply, StatusCode::NOT_FOUND, &ctx),
                (true, true) => assert_status(&reply, StatusCode::OK, &ctx),
            }
            assert_eq!(
                exists(&app, id).await,
                !(may_erase && in_scope),
                "{ctx}: stored after the answer {reply:?}"
            );
        }
    }
}

#[tokio::test]
async fn histories_keep_to_the_callers_scope() {
    let app = spawn_app_with(&[NO_DUPLICATE_GUARD]).await;
    let mut ids = [0u64; 3];
    for (i, corner) in CORNERS.into_iter().enumerate() {
        ids[i] = customer_in(&app, corner, "with a history").await;
    }
    // One deleted: its history stays in the same scope.
    let deleted = ids[1].to_string();
    assert_done(
        &app.call(ADMIN, "delete", &[("customerid", &deleted)]).await,
        "delete",
    );
    for (user, who, sees) in MATRIX {
        for (id, in_scope) in ids.into_iter().zip(sees) {
            let id_s = id.to_string();
            let ctx = format!("{who}: history of customer {id}");
            let reply = app.call(user, "history", &[("customerid", &id_s)]).await;
            match in_scope {
                true => {
                    assert_status(&reply, StatusCode::OK, &ctx);
                    let kinds = reply.texts("kind");
                    assert!(kinds.ends_with(&["created".to_owned()]), "{ctx}: {kinds:?}");
                }
                false => {
                    assert_status(&reply, StatusCode::NOT_FOUND, &ctx);
                    assert_eq!(reply.error(), "customerid: not found", "{ctx}");
                }
            }
        }
    }
    // A form key reaches none, not even the customers of its own reseller.
    for id in ids {
        let form = app
            .call(FORM_USER, "history", &[("customerid", &id.to_string())])
            .await;
        assert_status(&form, StatusCode::FORBIDDEN, "form key history");
    }
}

/// Tenant webhook endpoints keep to the same matrix: an endpoint of a reseller is seen and
/// managed by the admin, its ISP's users and that reseller's users only; to anyone else it
/// does not exist (404); a form key reaches none (403).
#[tokio::test]
async fn webhook_endpoints_keep_to_the_callers_scope() {
    let app = spawn_app().await;
    let mut ids: Vec<String> = Vec::new();
    for (isp, reseller) in CORNERS {
        let url = format!("https://r{reseller}.example.com/hook");
        let reply = app
            .call(
                ADMIN,
                "webhook/create",
                &[("ispid", isp), ("resellerid", reseller), ("url", &url)],
            )
            .await;
        assert_status(&reply, StatusCode::OK, "admin creates an endpoint");
        ids.push(reply.result()["id"].as_str().unwrap_or_default().to_owned());
    }
    for (user, who, sees) in MATRIX {
        // What its lists show: the endpoints of its corners (the admin names each ISP).
        let mut listed: Vec<String> = Vec::new();
        let isps: &[&str] = if user == ADMIN { &["1", "2"] } else { &[""] };
        for isp in isps {
            let params: Vec<(&str, &str)> = match *isp {
                "" => vec![],
                isp => vec![("ispid", isp)],
            };
            let reply = app.call(user, "webhook/list", &params).await;
            assert_status(&reply, StatusCode::OK, &format!("{who}: webhook/list"));
            listed.extend(reply.texts("id"));
        }
        listed.sort();
        let mut want: Vec<String> = ids
            .iter()
            .zip(sees)
            .filter(|(_, s)| *s)
            .map(|(id, _)| id.clone())
            .collect();
        want.sort();
        assert_eq!(listed, want, "{who}: webhook/list");
        for (id, in_scope) in ids.iter().zip(sees) {
            let ctx = format!("{who}: endpoint {id}");
            let update = app
                .call(
                    user,
                    "webhook/update",
                    &[("webhookid", id), ("description", who)],
                )
                .await;
            let log = app
                .call(user, "webhook/deliveries", &[("webhookid", id)])
                .await;
            for reply in [update, log] {
                match in_scope {
                    true => assert_status(&reply, StatusCode::OK, &ctx),
                    false => {
                        assert_status(&reply, StatusCode::NOT_FOUND, &ctx);
                        assert_eq!(reply.error(), "webhookid: not found", "{ctx}");
                    }
                }
            }
        }
    }
    for id in &ids {
        let form = app
            .call(FORM_USER, "webhook/deliveries", &[("webhookid", id)])
            .await;
        assert_status(&form, StatusCode::FORBIDDEN, "form key");
    }
    // Naming another tenant's ISP or reseller to create one is 403.
    let other = app
        .call(
            ISP1_USER,
            "webhook/create",
            &[("ispid", "2"), ("url", "https://x.example.com/")],
        )
        .await;
    assert_forbidden(&other, "ispid", "ISP 1 user, ISP 2's endpoint");
    let other = app
        .call(
            RESELLER1_USER,
            "webhook/create",
            &[("resellerid", "2"), ("url", "https://x.example.com/")],
        )
        .await;
    assert_forbidden(
        &other,
        "resellerid",
        "reseller 1 user, reseller 2's endpoint",
    );
}
