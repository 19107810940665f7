//! The job chain and the refresh queue: detection -> signal -> refresh -> score and action, coalescing.
use super::*;

/// Runs every due job with the server's own job registry; returns the kinds that ran.
pub(super) async fn drain_jobs(test: &TestDb) -> Vec<String> {
    let registry = server::workers::registry(&server::config::Config::default());
    let worker = server::workers::WorkerSettings::named("test");
    let mut ran = Vec::new();
    while let Some(done) = server::workers::execute_one(&test.db, &registry, &worker)
        .await
        .expect("queue reachable")
    {
        ran.push(done.kind);
    }
    ran
}

#[tokio::test]
pub(super) async fn the_jobs_turn_a_new_message_into_a_signal_a_score_and_an_action_and_the_scheduler_refreshes_once()
 {
    // Arrange: a linked customer (the link queues a refresh) and a churn message four days
    // old, handed to detection the way the indexing job does.
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let quiet = test.project("no-accounts").await;
    let (account, contact, conversation) = customer(&test, &scope, 1).await;
    let churn = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        "We will not renew our contract.",
        Utc::now() - Duration::days(4),
    )
    .await;
    detection::enqueue_detection(&test.db, &scope, &[churn], 0, 0)
        .await
        .expect("queued");

    // Act
    let ran = drain_jobs(&test).await;
    let first_tick = server::workers::scheduler::enqueue_due_crm_refreshes(
        &test.db,
        std::time::Duration::from_secs(3_600),
    )
    .await
    .expect("tick");
    let second_tick = server::workers::scheduler::enqueue_due_crm_refreshes(
        &test.db,
        std::time::Duration::from_secs(3_600),
    )
    .await
    .expect("tick");
    let scheduled = drain_jobs(&test).await;

    // Assert
    assert!(ran.contains(&"crm_detect_signals".to_owned()), "{ran:?}");
    assert!(ran.contains(&"crm_refresh".to_owned()), "{ran:?}");
    let found = all_signals(&test, &scope).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].account_id, Some(account));
    let inbox = actions::list_actions(&test.db, &scope, &NbaFilter::default(), 10, None)
        .await
        .expect("inbox")
        .items;
    assert!(
        inbox.iter().any(|a| a.rule_key == "churn_risk_unanswered"),
        "{inbox:?}"
    );
    assert!(
        test.scalar(&format!(
            "select count(*) from health_scores where account_id = '{account}'"
        ))
        .await
            >= 1
    );
    assert_eq!(
        first_tick, 1,
        "one refresh for the project with accounts, none for {quiet:?}"
    );
    assert_eq!(
        second_tick, 0,
        "a refresh already queued or recent is not queued again"
    );
    assert_eq!(scheduled, vec!["crm_refresh".to_owned()]);
    test.drop().await;
}

/// The account ids of each queued or running `crm_refresh` job, by job id (`None` = all).
pub(super) async fn refresh_jobs(test: &TestDb) -> Vec<(String, Option<BTreeSet<String>>)> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = test
        .db
        .query_all_raw(Statement::from_string(
            test.db.get_database_backend(),
            "select status::text as status, payload from scheduled_jobs \
             where kind = 'crm_refresh' order by id"
                .to_owned(),
        ))
        .await
        .expect("jobs");
    rows.into_iter()
        .map(|row| {
            let status: String = row.try_get("", "status").expect("status");
            let payload: serde_json::Value = row.try_get("", "payload").expect("payload");
            let ids = payload["account_ids"].as_array().map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().map(str::to_owned))
                    .collect()
            });
            (status, ids)
        })
        .collect()
}

#[tokio::test]
pub(super) async fn refreshes_queued_in_a_burst_coalesce_into_one_job_that_names_every_account() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());

    // Act: three changes in a row, one of them to an account already waiting.
    for accounts in [vec![a], vec![b], vec![a]] {
        server::domain::signals::enqueue_refresh(&test.db, &scope, &accounts)
            .await
            .expect("queued");
    }

    // Assert
    let expected: BTreeSet<String> = [a.to_string(), b.to_string()].into();
    assert_eq!(
        refresh_jobs(&test).await,
        vec![("queued".to_owned(), Some(expected))]
    );
    test.drop().await;
}

#[tokio::test]
pub(super) async fn a_running_refresh_is_never_joined_and_a_queued_full_refresh_covers_new_accounts()
 {
    // Arrange: a worker has claimed the refresh of `a`.
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (a, b, c) = (
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
    );
    server::domain::signals::enqueue_refresh(&test.db, &scope, &[a])
        .await
        .expect("queued");
    server::workers::queue::claim(
        &test.db,
        "test-worker",
        &["crm_refresh".to_owned()],
        std::time::Duration::from_secs(60),
    )
    .await
    .expect("queue reachable")
    .expect("claimed");

    // Act: `b` changes while `a`'s refresh runs; then a full refresh is queued and `c` changes.
    server::domain::signals::enqueue_refresh(&test.db, &scope, &[b])
        .await
        .expect("queued");
    server::workers::queue::enqueue(
        &test.db,
        &scope,
        server::workers::queue::NewJob::new("crm_refresh", serde_json::json!({})),
    )
    .await
    .expect("queued");
    server::domain::signals::enqueue_refresh(&test.db, &scope, &[c])
        .await
        .expect("queued");

    // Assert: `b` got its own job (the running one may have read its list already); `c` is
    // left to the full refresh.
    assert_eq!(
        refresh_jobs(&test).await,
        vec![
            ("running".to_owned(), Some([a.to_string()].into())),
            ("queued".to_owned(), Some([b.to_string()].into())),
            ("queued".to_owned(), None),
        ]
    );
    test.drop().await;
}
