//! `crm-admin isp create --time-zone` and `isp update` (issue #13): the binary against the
//! test DynamoDB API, with what it stored read back. Its effect on lists: tests/time_zones.rs.

mod common;
use common::*;
use isp_crm::domain::ids::IspId;

#[tokio::test]
async fn crm_admin_takes_iana_zones_only_and_an_empty_one_clears_it() {
    let app = spawn_app().await;
    let prefix = app.prefix();
    let stored = |isp: u64| {
        let store = app.store.clone();
        async move { store.get_isp(IspId(isp)).await.unwrap() }
    };
    let fails = |out: &std::process::Output, text: &str| {
        assert!(!out.status.success(), "expected a failure");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(text), "stderr {err:?} should mention {text:?}");
    };
    let create = |zone: &'static str| {
        crm_admin(
            &prefix,
            &[
                "isp",
                "create",
                "--id",
                "9",
                "--name",
                "Nine",
                "--time-zone",
                zone,
            ],
        )
    };
    fails(&create("Mars/Olympus_Mons"), "IANA time zone");
    fails(&create("UTC+05:30"), "IANA time zone");
    assert_eq!(stored(9).await, None, "nothing written");
    let out = create("asia/kolkata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stored(9).await.and_then(|i| i.time_zone).as_deref(),
        Some("Asia/Kolkata")
    );

    let update = |args: &[&str]| {
        let mut all = vec!["isp", "update"];
        all.extend_from_slice(args);
        crm_admin(&prefix, &all)
    };
    fails(
        &update(&["--id", "9", "--time-zone", "Nowhere"]),
        "IANA time zone",
    );
    fails(&update(&["--id", "9"]), "nothing to update");
    fails(
        &update(&["--id", "99", "--time-zone", "UTC"]),
        "ISP 99 does not exist",
    );
    let isp = stored(9).await.unwrap();
    assert_eq!(isp.time_zone.as_deref(), Some("Asia/Kolkata"), "unchanged");
    let out = update(&["--id", "9", "--name", "Nine Networks"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let renamed = stored(9).await.unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.time_zone.as_deref()),
        ("Nine Networks", Some("Asia/Kolkata"))
    );
    let out = update(&["--id", "9", "--time-zone", ""]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stored(9).await.unwrap().time_zone, None);
    assert!(
        stored(1).await.unwrap().time_zone.is_none(),
        "others untouched"
    );
}

#[tokio::test]
async fn crm_admin_locks_out_an_isp_or_reseller_and_lets_it_in_again() {
    let app = spawn_app_with(&[("AUTH_CACHE_SECONDS", "0")]).await;
    let prefix = app.prefix();
    let run = |args: &[&str]| {
        let out = crm_admin(&prefix, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["reseller", "update", "--id", "1", "--enabled", "N"]);
    assert_eq!(app.call(RESELLER1_USER, "list", &[]).await.status, 403);
    assert_eq!(app.call(ISP1_USER, "list", &[]).await.status, 200);
    run(&[
        "reseller",
        "update",
        "--id",
        "1",
        "--enabled",
        "Y",
        "--name",
        "One again",
    ]);
    assert_eq!(app.call(RESELLER1_USER, "list", &[]).await.status, 200);
    run(&["isp", "update", "--id", "1", "--enabled", "N"]);
    for user in [ISP1_USER, RESELLER1_USER, FORM_USER] {
        let status = match user {
            FORM_USER => app.create(user, &[]).await.status,
            _ => app.call(user, "list", &[]).await.status,
        };
        assert_eq!(status, 403, "user {user}");
    }
    assert_eq!(app.call(ISP2_USER, "list", &[]).await.status, 200);
    let isp = app.store.get_isp(IspId(1)).await.unwrap().unwrap();
    assert!(!isp.enabled);
    assert_eq!(isp.audit.updated_by.as_deref(), Some("crm-admin"));
}
