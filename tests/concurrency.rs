mod common;
use common::*;
use std::collections::HashSet;

#[tokio::test]
async fn fifty_concurrent_creates_get_fifty_distinct_ids() {
    let app = std::sync::Arc::new(spawn_app().await);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let app = app.clone();
        tasks.spawn(async move {
            let name = format!("Concurrent {n}");
            app.create(ISP1_USER, &[("resellerid", "1"), ("name", &name)])
                .await
                .id()
        });
    }
    let mut ids = HashSet::new();
    while let Some(id) = tasks.join_next().await {
        assert!(ids.insert(id.unwrap()), "an id was handed out twice");
    }
    assert_eq!(ids.len(), 50);
    assert_eq!(app.customer_count().await, 50);
    // Ids come from one counter: 1..=50 with none skipped when nothing failed.
    assert_eq!(ids, (1..=50).collect::<HashSet<u64>>());
}
