//! Tenant self-service through HTTP: onboarding an ISP end to end, and every route × every
//! role with cross-ISP and cross-reseller cases (OWASP API5: no path grants more than the
//! rules of domain::tenancy).

mod common;
use common::*;
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::BTreeSet;

const AUTH_OFF: (&str, &str) = ("AUTH_CACHE_SECONDS", "0");

fn ids(r: &Reply, field: &str) -> BTreeSet<u64> {
    r.result()
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {r:?}"))
        .iter()
        .map(|v| v[field].as_u64().unwrap())
        .collect()
}

fn new_key(r: &Reply) -> (u64, String) {
    let key = r.body["api_key"]
        .as_str()
        .unwrap_or_else(|| panic!("no api_key in {r:?}"));
    (r.id(), key.to_owned())
}

#[tokio::test]
async fn an_isp_is_onboarded_end_to_end_through_the_api() {
    let mut app = spawn_app_with(&[AUTH_OFF]).await;
    let isp = app
        .call(
            ADMIN,
            "isp/create",
            &[("name", "Fibre Co"), ("time_zone", "asia/kolkata")],
        )
        .await
        .id();
    let isp_s = isp.to_string();
    let r = app
        .call(ADMIN, "user/create", &[("role", "isp"), ("ispid", &isp_s)])
        .await;
    let (isp_user, key) = new_key(&r);
    app.add_key(isp_user, &key);

    let reseller = app
        .call(isp_user, "reseller/create", &[("name", "North")])
        .await
        .id();
    let reseller_s = reseller.to_string();
    let r = app
        .call(
            isp_user,
            "user/create",
            &[("role", "reseller"), ("resellerid", &reseller_s)],
        )
        .await;
    let (reseller_user, key) = new_key(&r);
    app.add_key(reseller_user, &key);
    let r = app
        .call(reseller_user, "user/create", &[("role", "form")])
        .await;
    let (form, key) = new_key(&r);
    app.add_key(form, &key);

    let customer = app.create(form, &[]).await.id();
    let seen = app.call(reseller_user, "list", &[]).await;
    assert_eq!(seen.ids(), vec![customer]);
    let r = app.call(isp_user, "isp/list", &[]).await;
    assert_eq!(r.result()[0]["time_zone"], "Asia/Kolkata", "{:?}", r.body);
    let r = app.call(isp_user, "reseller/list", &[]).await;
    assert_eq!(r.result()[0]["ispid"], isp);
    assert_eq!(r.result()[0]["created_by"], isp_user.to_string());
    let r = app.call(isp_user, "user/list", &[]).await;
    assert_eq!(
        ids(&r, "userid"),
        BTreeSet::from([isp_user, reseller_user, form])
    );
    assert!(!r.body.to_string().contains("key"), "{:?}", r.body);

    // A disabled reseller locks out its users and form keys.
    let r = app
        .call(
            isp_user,
            "reseller/update",
            &[("resellerid", &reseller_s), ("enabled", "N")],
        )
        .await;
    assert_eq!(r.result(), "done");
    assert_eq!(app.call(reseller_user, "list", &[]).await.status, 403);
    assert_eq!(app.create(form, &[]).await.status, 403);
    // So does a disabled ISP, for all of its users.
    app.call(
        isp_user,
        "reseller/update",
        &[("resellerid", &reseller_s), ("enabled", "Y")],
    )
    .await;
    assert_eq!(app.call(reseller_user, "list", &[]).await.status, 200);
    let r = app
        .call(ADMIN, "isp/update", &[("ispid", &isp_s), ("enabled", "N")])
        .await;
    assert_eq!(r.result(), "done");
    for user in [isp_user, reseller_user] {
        assert_eq!(app.call(user, "list", &[]).await.status, 403, "{user}");
    }
}

/// A caller, a route, its parameters and the status the rules give. Written against the
/// seeded world's ids (tests/common); each row runs in a copy of that world of its own.
type Case = (
    u64,
    &'static str,
    &'static [(&'static str, &'static str)],
    u16,
);

/// Runs every case in a `World` of its own, a few at a time, in no set order; fails naming
/// each case whose status differs.
async fn check(cases: &[Case]) {
    let app = spawn_app_with(&[AUTH_OFF]).await;
    let app = &app;
    let outcomes: Vec<Option<String>> = futures_util::stream::iter(cases)
        .map(|(user, route, params, want)| async move {
            let world = World::new(app).await;
            let got = world.call(app, *user, route, params).await.status.as_u16();
            (got != *want).then(|| format!("user {user} {route} {params:?}: {got}, want {want}"))
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let wrong: Vec<String> = outcomes.into_iter().flatten().collect();
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// ISPs: admins all; an ISP user its own (name and time zone only); nobody else.
const ISP_CASES: &[Case] = &[
    (ADMIN, "isp/list", &[], 200),
    (ISP1_USER, "isp/list", &[], 200),
    (RESELLER1_USER, "isp/list", &[], 403),
    (FORM_USER, "isp/list", &[], 403),
    (ADMIN, "isp/create", &[("name", "New")], 200),
    (ISP1_USER, "isp/create", &[("name", "Mine")], 403),
    (RESELLER1_USER, "isp/create", &[("name", "Mine")], 403),
    (FORM_USER, "isp/create", &[("name", "Mine")], 403),
    (ADMIN, "isp/update", &[("ispid", "2"), ("name", "Two")], 200),
    (ISP1_USER, "isp/update", &[("name", "One")], 200),
    (
        ISP1_USER,
        "isp/update",
        &[("time_zone", "Asia/Kolkata")],
        200,
    ),
    (ISP1_USER, "isp/update", &[("time_zone", "Mars/Base")], 400),
    (
        ADMIN,
        "isp/create",
        &[("name", "Z"), ("time_zone", "Mars/Base")],
        400,
    ),
    (
        ISP1_USER,
        "isp/update",
        &[("ispid", "2"), ("name", "X")],
        403,
    ),
    (ISP1_USER, "isp/update", &[("enabled", "N")], 403),
    (
        RESELLER1_USER,
        "isp/update",
        &[("ispid", "1"), ("name", "X")],
        403,
    ),
    (
        FORM_USER,
        "isp/update",
        &[("ispid", "1"), ("name", "X")],
        403,
    ),
];

/// Resellers: admins any ISP (named); an ISP user its own ISP's.
const RESELLER_CASES: &[Case] = &[
    (ADMIN, "reseller/list", &[], 400),
    (ADMIN, "reseller/list", &[("ispid", "2")], 200),
    (ISP1_USER, "reseller/list", &[], 200),
    (ISP1_USER, "reseller/list", &[("ispid", "2")], 403),
    (RESELLER1_USER, "reseller/list", &[], 403),
    (FORM_USER, "reseller/list", &[], 403),
    (
        ADMIN,
        "reseller/create",
        &[("ispid", "2"), ("name", "R")],
        200,
    ),
    (
        ADMIN,
        "reseller/create",
        &[("ispid", "99"), ("name", "R")],
        404,
    ),
    (ISP1_USER, "reseller/create", &[("name", "R")], 200),
    (
        ISP1_USER,
        "reseller/create",
        &[("ispid", "2"), ("name", "R")],
        403,
    ),
    (RESELLER1_USER, "reseller/create", &[("name", "R")], 403),
    (FORM_USER, "reseller/create", &[("name", "R")], 403),
    (
        ADMIN,
        "reseller/update",
        &[("resellerid", "3"), ("name", "R3")],
        200,
    ),
    (
        ISP1_USER,
        "reseller/update",
        &[("resellerid", "2"), ("name", "R2")],
        200,
    ),
    (
        ISP1_USER,
        "reseller/update",
        &[("resellerid", "3"), ("name", "X")],
        404,
    ),
    (
        ISP1_USER,
        "reseller/update",
        &[("resellerid", "2"), ("ispid", "2"), ("name", "X")],
        403,
    ),
    (
        ADMIN,
        "reseller/update",
        &[("resellerid", "2"), ("ispid", "2"), ("name", "X")],
        400,
    ),
    (
        RESELLER1_USER,
        "reseller/update",
        &[("resellerid", "1"), ("name", "X")],
        403,
    ),
    (
        FORM_USER,
        "reseller/update",
        &[("resellerid", "1"), ("name", "X")],
        403,
    ),
];

/// Users: never above the creator's rights, never a peer, never another ISP's.
const USER_CASES: &[Case] = &[
    (ADMIN, "user/create", &[("role", "admin")], 200),
    (
        ISP1_USER,
        "user/create",
        &[("role", "reseller"), ("resellerid", "1")],
        200,
    ),
    (
        ISP1_USER,
        "user/create",
        &[("role", "form"), ("resellerid", "2")],
        200,
    ),
    (ISP1_USER, "user/create", &[("role", "isp")], 403),
    (ISP1_USER, "user/create", &[("role", "admin")], 403),
    (
        ISP1_USER,
        "user/create",
        &[("role", "reseller"), ("resellerid", "3")],
        403,
    ),
    (
        ISP1_USER,
        "user/create",
        &[("role", "reseller"), ("ispid", "2"), ("resellerid", "3")],
        403,
    ),
    // Another ISP's reseller, or none at all: the same answer (existence not told).
    (
        ISP1_USER,
        "user/create",
        &[("role", "form"), ("resellerid", "99")],
        403,
    ),
    (
        ISP1_USER,
        "user/create",
        &[("role", "form"), ("ispid", "1"), ("resellerid", "3")],
        403,
    ),
    (RESELLER1_USER, "user/create", &[("role", "form")], 200),
    (
        RESELLER1_USER,
        "user/create",
        &[("role", "form"), ("resellerid", "2")],
        403,
    ),
    (RESELLER1_USER, "user/create", &[("role", "reseller")], 403),
    (
        RESELLER1_USER,
        "user/create",
        &[("role", "isp"), ("ispid", "1")],
        403,
    ),
    (RESELLER1_USER, "user/create", &[("role", "admin")], 403),
    (FORM_USER, "user/create", &[("role", "form")], 403),
    (ISP1_USER, "user/rotate_key", &[("target_userid", "6")], 404),
    (ISP1_USER, "user/rotate_key", &[("target_userid", "9")], 404),
    (ISP1_USER, "user/rotate_key", &[("target_userid", "1")], 404),
    (ISP1_USER, "user/rotate_key", &[("target_userid", "8")], 404),
    (
        RESELLER1_USER,
        "user/rotate_key",
        &[("target_userid", "8")],
        404,
    ),
    (
        RESELLER1_USER,
        "user/rotate_key",
        &[("target_userid", "5")],
        404,
    ),
    (FORM_USER, "user/rotate_key", &[], 403),
    (ISP1_USER, "user/disable", &[("target_userid", "5")], 403),
    (ISP1_USER, "user/disable", &[("target_userid", "9")], 404),
    (ISP1_USER, "user/enable", &[("target_userid", "9")], 404),
    (ISP2_USER, "user/disable", &[("target_userid", "7")], 404),
    (
        RESELLER1_USER,
        "user/disable",
        &[("target_userid", "7")],
        403,
    ),
    (
        RESELLER3_USER,
        "user/disable",
        &[("target_userid", "20")],
        404,
    ),
    (FORM_USER, "user/disable", &[("target_userid", "20")], 403),
    (ADMIN, "user/list", &[], 200),
    (ISP1_USER, "user/list", &[("ispid", "2")], 403),
    (ISP1_USER, "user/list", &[("resellerid", "3")], 403),
    (RESELLER1_USER, "user/list", &[("resellerid", "2")], 403),
    (FORM_USER, "user/list", &[], 403),
    (FORM_USER, "user/enable", &[("target_userid", "20")], 403),
];

/// Across ISPs and resellers.
const ACROSS_CASES: &[Case] = &[
    (
        ISP2_USER,
        "isp/update",
        &[("ispid", "1"), ("name", "X")],
        403,
    ),
    (ISP2_USER, "reseller/list", &[("ispid", "1")], 403),
    (
        ISP2_USER,
        "reseller/update",
        &[("resellerid", "1"), ("name", "X")],
        404,
    ),
    (
        ISP2_USER,
        "user/create",
        &[("role", "form"), ("resellerid", "1")],
        403,
    ),
    (ISP2_USER, "user/list", &[("resellerid", "1")], 403),
    (
        RESELLER3_USER,
        "user/create",
        &[("role", "form"), ("resellerid", "1")],
        403,
    ),
    (
        RESELLER3_USER,
        "user/rotate_key",
        &[("target_userid", "20")],
        404,
    ),
    (ISP1_USER, "user/enable", &[("target_userid", "8")], 404),
];

/// Keys and states that change: each row in a world of its own, so no row sees another's change.
const KEY_AND_STATE_CASES: &[Case] = &[
    (ADMIN, "user/enable", &[("target_userid", "9")], 200),
    (ADMIN, "user/disable", &[("target_userid", "6")], 200),
    (ADMIN, "user/rotate_key", &[("target_userid", "7")], 200),
    (ADMIN, "user/rotate_key", &[], 200),
    (
        ISP1_USER,
        "user/rotate_key",
        &[("target_userid", "20")],
        200,
    ),
];

#[tokio::test]
async fn isp_routes_grant_exactly_the_rules() {
    check(ISP_CASES).await;
}

#[tokio::test]
async fn reseller_routes_grant_exactly_the_rules() {
    check(RESELLER_CASES).await;
}

#[tokio::test]
async fn user_routes_grant_exactly_the_rules() {
    check(USER_CASES).await;
}

#[tokio::test]
async fn no_route_reaches_across_isps_or_resellers() {
    check(ACROSS_CASES).await;
}

#[tokio::test]
async fn keys_and_states_change_as_the_rules_allow() {
    check(KEY_AND_STATE_CASES).await;
}

#[tokio::test]
async fn a_user_an_admin_disabled_is_refused_at_once() {
    let app = spawn_app_with(&[AUTH_OFF]).await;
    let world = World::new(&app).await;
    let r = world
        .call(&app, ADMIN, "user/disable", &[("target_userid", "6")])
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = world.call(&app, ISP2_USER, "isp/list", &[]).await;
    assert_eq!(r.status, 403, "{r:?}");
}

#[tokio::test]
async fn lists_show_only_what_a_user_may_act_on_and_never_a_key() {
    let mut app = spawn_app_with(&[AUTH_OFF]).await;
    let r = app.call(ISP1_USER, "user/list", &[]).await;
    // Its own record, its ISP's reseller users and form keys; not its peer (9), not ISP 2's.
    assert_eq!(
        ids(&r, "userid"),
        BTreeSet::from([ISP1_USER, RESELLER1_USER, FORM_USER])
    );
    let r = app.call(RESELLER1_USER, "user/list", &[]).await;
    assert_eq!(
        ids(&r, "userid"),
        BTreeSet::from([RESELLER1_USER, FORM_USER])
    );
    let r = app.call(ISP1_USER, "user/list", &[("role", "form")]).await;
    assert_eq!(ids(&r, "userid"), BTreeSet::from([FORM_USER]));
    let r = app.call(ISP1_USER, "isp/list", &[]).await;
    assert_eq!(ids(&r, "ispid"), BTreeSet::from([1]));

    // An admin pages through every user, two at a time, each once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let mut params = vec![("rows_limit", "2")];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let r = app.call(ADMIN, "user/list", &params).await;
        assert!(!r.body.to_string().contains("key_sha256"));
        seen.extend(ids(&r, "userid"));
        cursor = r.body["next"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    assert_eq!(unique, vec![1, 5, 6, 7, 8, 9, 20]);

    // A rotated key works and the old one does not; the new key is shown once.
    let r = app.call(RESELLER1_USER, "user/rotate_key", &[]).await;
    let (id, key) = new_key(&r);
    assert_eq!(id, RESELLER1_USER);
    assert_eq!(app.call(RESELLER1_USER, "list", &[]).await.status, 401);
    app.add_key(RESELLER1_USER, &key);
    assert_eq!(app.call(RESELLER1_USER, "list", &[]).await.status, 200);
    let r = app.call(ADMIN, "user/list", &[("role", "reseller")]).await;
    assert!(!r.body.to_string().contains(&key));
    assert_eq!(
        r.result()[0]["updated_by"],
        Value::from(RESELLER1_USER.to_string())
    );
}

#[tokio::test]
async fn the_last_enabled_admin_cannot_be_disabled() {
    let mut app = spawn_app_with(&[AUTH_OFF]).await;
    let r = app
        .call(ADMIN, "user/disable", &[("target_userid", "1")])
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    let (second, key) = new_key(&app.call(ADMIN, "user/create", &[("role", "admin")]).await);
    app.add_key(second, &key);
    let r = app
        .call(second, "user/disable", &[("target_userid", "1")])
        .await;
    assert_eq!(r.result(), "done");
    let s = second.to_string();
    let r = app
        .call(second, "user/disable", &[("target_userid", &s)])
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(app.call(ADMIN, "list", &[]).await.status, 403);
}

/// A refusal names the right the caller lacks: the role's rights are checked before the role's
/// parameters, so a reseller user asking for an ISP user of its own ISP gets the 403 of the
/// rights matrix, not advice about a reseller it never sent.
#[tokio::test]
async fn user_create_above_the_callers_rights_is_refused_for_the_role() {
    let app = spawn_app_with(&[AUTH_OFF]).await;
    let world = World::new(&app).await;
    for (user, params) in [
        (RESELLER1_USER, &[("role", "isp"), ("ispid", "1")][..]),
        (RESELLER1_USER, &[("role", "isp")][..]),
        (ISP1_USER, &[("role", "isp"), ("resellerid", "1")][..]),
        (ISP1_USER, &[("role", "admin"), ("ispid", "1")][..]),
    ] {
        let r = world.call(&app, user, "user/create", params).await;
        assert_eq!(r.status, 403, "user {user} {params:?}: {:?}", r.body);
        assert_eq!(
            r.body["error"], "role: you may not create a user of this role",
            "user {user} {params:?}"
        );
    }
}
