//! List paging, ordering, counting and filters inside a scope.

mod common;
use common::*;

async fn seed(app: &TestApp, n: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let name = format!("Name {:02}", (n - i) % 7); // names repeat and do not follow ids
        let mobile = format!("9000000{:03}", i % 5);
        let reseller = if i % 3 == 0 { "2" } else { "1" };
        ids.push(
            app.create(
                ISP1_USER,
                &[
                    ("resellerid", reseller),
                    ("name", &name),
                    ("mobile", &mobile),
                ],
            )
            .await
            .id(),
        );
    }
    ids
}

#[tokio::test]
async fn pages_by_id_in_both_orders_without_overlap() {
    let app = spawn_app().await;
    let ids = seed(&app, 23).await;
    let page = |limit: &str, offset: &str, order: &str| {
        let (limit, offset, order) = (limit.to_owned(), offset.to_owned(), order.to_owned());
        let app = &app;
        async move {
            app.call(
                ISP1_USER,
                "list",
                &[
                    ("rows_limit", &limit),
                    ("rows_offset", &offset),
                    ("sort_order", &order),
                ],
            )
            .await
            .ids()
        }
    };
    assert_eq!(
        app.call(ISP1_USER, "list", &[]).await.ids(),
        ids[..10].to_vec(),
        "default: 10 rows by id"
    );
    let mut walked = Vec::new();
    for offset in (0..30).step_by(7) {
        walked.extend(page("7", &offset.to_string(), "asc").await);
    }
    assert_eq!(walked, ids);
    let mut desc = ids.clone();
    desc.reverse();
    assert_eq!(page("5", "3", "desc").await, desc[3..8].to_vec());
    assert_eq!(page("100", "0", "desc").await, desc);
    assert!(page("10", "23", "asc").await.is_empty());
}

#[tokio::test]
async fn show_count_ignores_paging() {
    let app = spawn_app().await;
    let ids = seed(&app, 12).await;
    let count = app
        .call(
            ISP1_USER,
            "list",
            &[
                ("show_count", "1"),
                ("rows_limit", "1"),
                ("rows_offset", "5"),
            ],
        )
        .await;
    assert_eq!(count.result(), ids.len());
    let reseller2 = ids.iter().enumerate().filter(|(i, _)| i % 3 == 0).count();
    let count = app
        .call(
            ISP1_USER,
            "list",
            &[("show_count", "1"), ("resellerid", "2")],
        )
        .await;
    assert_eq!(count.result(), reseller2);
    let count = app
        .call(
            ISP1_USER,
            "list",
            &[("show_count", "1"), ("mobile", "9000000001")],
        )
        .await;
    let with_mobile = (0..ids.len()).filter(|i| i % 5 == 1).count();
    assert_eq!(count.result(), with_mobile);
}

#[tokio::test]
async fn sorts_by_name_mobile_and_email_with_ties_broken_by_id() {
    let app = spawn_app().await;
    seed(&app, 15).await;
    let rows = app
        .call(
            ISP1_USER,
            "list",
            &[("sort_field", "name"), ("rows_limit", "100")],
        )
        .await;
    let rows = rows.result().as_array().unwrap().clone();
    let keys: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_lowercase(),
                r["id"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let desc = app
        .call(
            ISP1_USER,
            "list",
            &[
                ("sort_field", "mobile"),
                ("sort_order", "desc"),
                ("rows_limit", "4"),
                ("rows_offset", "2"),
            ],
        )
        .await;
    let all = app
        .call(
            ISP1_USER,
            "list",
            &[
                ("sort_field", "mobile"),
                ("sort_order", "desc"),
                ("rows_limit", "100"),
            ],
        )
        .await;
    assert_eq!(desc.ids(), all.ids()[2..6].to_vec());
    let mobiles = all.texts("mobile");
    assert!(mobiles.windows(2).all(|w| w[0] >= w[1]));
}

#[tokio::test]
async fn filters_combine_with_and() {
    let app = spawn_app().await;
    let a = app
        .create(
            ISP1_USER,
            &[
                ("resellerid", "1"),
                ("name", "xyz_Alpha"),
                ("email", "Alpha@Example.com"),
                ("city", "Panaji"),
            ],
        )
        .await
        .id();
    let b = app
        .create(
            ISP1_USER,
            &[
                ("resellerid", "1"),
                ("name", "xyzAbeta"),
                ("city", "Margao"),
            ],
        )
        .await
        .id();
    let c = app
        .create(
            ISP1_USER,
            &[
                ("resellerid", "2"),
                ("name", "XYZ_gamma"),
                ("type", "Organisation"),
                ("city", "Panaji"),
            ],
        )
        .await
        .id();
    let ids = |params: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move { app.call(ISP1_USER, "list", params).await.ids() }
    };
    assert_eq!(
        ids(&[("name", "xyz_%")]).await,
        vec![a, c],
        "_ is literal, case ignored"
    );
    assert_eq!(ids(&[("name", "%ta")]).await, vec![b], "suffix pattern");
    assert_eq!(
        ids(&[("name", "%Z_%MM%")]).await,
        vec![c],
        "several wildcards"
    );
    assert_eq!(
        ids(&[
            ("name", "xyz_%"),
            ("city", "Panaji"),
            ("type", "Organisation")
        ])
        .await,
        vec![c]
    );
    assert_eq!(ids(&[("email", "alpha@example.COM")]).await, vec![a]);
    assert_eq!(
        ids(&[("city", "panaji")]).await,
        Vec::<u64>::new(),
        "city compares exactly"
    );
    assert_eq!(
        ids(&[("serviceid", "1")]).await,
        Vec::<u64>::new(),
        "no customer has services yet"
    );
    assert_eq!(
        ids(&[("customerid", "2"), ("name", "nomatch")]).await,
        Vec::<u64>::new()
    );
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    assert_eq!(
        app.call(
            ISP1_USER,
            "list",
            &[("created_from", &today), ("created_upto", &today)]
        )
        .await
        .ids(),
        vec![a, b, c]
    );
    assert!(
        app.call(ISP1_USER, "list", &[("created_upto", "2020-01-01")])
            .await
            .ids()
            .is_empty()
    );
}
