//! The Chatwoot client against the fake: retries, Retry-After, and fatal errors recorded on the
//! job run.
use std::time::{Duration, Instant};

use server::{
    domain::conversations::{request_sync_now, run_sync, sync::SYNC_JOB},
    integrations::chatwoot::{
        ChatwootClient, ChatwootError, ClientOptions, MessagesCursor, RetryPolicy,
    },
    workers::{JobRegistry, WorkerSettings, execute_one, jobs, queue::Recorded},
};

use crate::helpers::{ACCOUNT_ID, TOKEN, TestDb, bind, fast_options, scalar, small_fake, strings};

fn options(max_retries: u32) -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        },
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_the_requested_delay() {
    let fake = small_fake().await;
    let client =
        ChatwootClient::new(&fake.base_url(), ACCOUNT_ID, TOKEN, &options(3)).expect("client");
    fake.inject_rate_limit(1, Some("1"));

    let started = Instant::now();
    let page = client
        .contacts(1, None)
        .await
        .expect("succeeds after the retry");

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(page.payload.len(), 15);
    assert_eq!(client.requests(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let fake = small_fake().await;
    let client =
        ChatwootClient::new(&fake.base_url(), ACCOUNT_ID, TOKEN, &options(3)).expect("client");
    fake.inject_server_errors(2, 502);

    let page = client
        .conversations(1)
        .await
        .expect("succeeds after retries");

    assert_eq!(page.payload.len(), 25);
    assert_eq!(client.requests(), 3);
}

#[tokio::test]
async fn retries_give_up_with_a_retryable_error() {
    let fake = small_fake().await;
    let client =
        ChatwootClient::new(&fake.base_url(), ACCOUNT_ID, TOKEN, &options(1)).expect("client");
    fake.inject_server_errors(5, 503);

    let error = client.conversations(1).await.expect_err("gives up");

    assert!(matches!(error, ChatwootError::Server { status: 503, .. }));
    assert!(error.is_retryable());
    assert_eq!(client.requests(), 2);
}

#[tokio::test]
async fn a_bad_token_and_an_unknown_account_are_fatal_and_not_retried() {
    let fake = small_fake().await;
    let bad_token =
        ChatwootClient::new(&fake.base_url(), ACCOUNT_ID, "wrong", &options(3)).expect("client");
    let unknown = ChatwootClient::new(&fake.base_url(), 999, TOKEN, &options(3)).expect("client");

    let unauthorized = bad_token.contacts(1, None).await.expect_err("401");
    let not_found = unknown.contacts(1, None).await.expect_err("404");

    assert!(matches!(
        unauthorized,
        ChatwootError::Unauthorized { status: 401 }
    ));
    assert!(!unauthorized.is_retryable());
    assert_eq!(bad_token.requests(), 1);
    assert!(matches!(not_found, ChatwootError::NotFound { .. }));
    assert_eq!(unknown.requests(), 1);
}

#[tokio::test]
async fn a_401_is_recorded_as_a_clear_fatal_error_on_the_job_run() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), "revoked-token", true).await;
    let mut registry = JobRegistry::new();
    jobs::register_chatwoot_sync(&mut registry, fast_options());
    let requested = request_sync_now(&test.db, &test.scope, source.id)
        .await
        .expect("queued");

    let executed = execute_one(&test.db, &registry, &WorkerSettings::named("test"))
        .await
        .expect("queue reachable")
        .expect("a job ran");

    assert_eq!(executed.job_id, requested.job_id);
    assert_eq!(executed.recorded, Recorded::Failed, "fatal: no retry");
    let run_error = strings(
        &test.db,
        "select error from job_runs where status = 'failed'",
    )
    .await;
    assert_eq!(run_error.len(), 1);
    assert!(
        run_error[0].contains("rejected the API access token (HTTP 401)"),
        "{run_error:?}"
    );
    let job = strings(
        &test.db,
        &format!(
            "select status || '|' || attempts || '|' || last_error from scheduled_jobs where id = {}",
            requested.job_id
        ),
    )
    .await;
    assert!(job[0].starts_with("failed|1|Chatwoot rejected"), "{job:?}");
    test.drop().await;
}

#[tokio::test]
async fn a_long_retry_after_reschedules_the_job_no_sooner_than_asked() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    let mut registry = JobRegistry::new();
    jobs::register_chatwoot_sync(&mut registry, fast_options());
    request_sync_now(&test.db, &test.scope, source.id)
        .await
        .expect("queued");
    // Longer than the client waits inline (5 s in fast_options): goes back to the queue.
    fake.inject_rate_limit(10, Some("120"));

    let executed = execute_one(&test.db, &registry, &WorkerSettings::named("test"))
        .await
        .expect("queue reachable")
        .expect("a job ran");

    assert_eq!(executed.recorded, Recorded::Requeued);
    let wait = scalar(
        &test.db,
        "select extract(epoch from run_at - now())::bigint from scheduled_jobs",
    )
    .await;
    assert!(wait >= 115, "rescheduled in {wait}s");
    let error = strings(&test.db, "select last_error from scheduled_jobs").await;
    assert!(error[0].contains("HTTP 429"), "{error:?}");
    // Nothing due now: a second worker finds no work.
    assert!(
        execute_one(&test.db, &registry, &WorkerSettings::named("other"))
            .await
            .expect("queue reachable")
            .is_none()
    );
    test.drop().await;
}

#[tokio::test]
async fn a_direct_run_records_the_failure_on_its_run_row() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    fake.inject_server_errors(100, 500);

    let failure = run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect_err("fails");

    let run_id = failure.job_run_id.expect("a run row");
    let row = strings(
        &test.db,
        &format!(
            "select job_name || '|' || status || '|' || error from job_runs where id = {run_id}"
        ),
    )
    .await;
    assert_eq!(
        row,
        vec![format!(
            "{SYNC_JOB}|failed|Chatwoot server error (HTTP 500)"
        )]
    );
    test.drop().await;
}

#[tokio::test]
async fn messages_page_by_id_like_chatwoot() {
    let world =
        testkit::fake_chatwoot::generate(&testkit::Scenario::with_total_messages(ACCOUNT_ID, 600));
    let (display_id, ids) = {
        let account = world.account(ACCOUNT_ID).expect("account");
        let (display_id, messages) = account
            .messages
            .iter()
            .max_by_key(|(_, m)| m.len())
            .expect("a conversation");
        (
            *display_id,
            messages.iter().map(|m| m.id).collect::<Vec<i64>>(),
        )
    };
    assert!(ids.len() > 40);
    let fake = testkit::FakeChatwoot::start(world, TOKEN)
        .await
        .expect("fake");
    let client =
        ChatwootClient::new(&fake.base_url(), ACCOUNT_ID, TOKEN, &options(0)).expect("client");
    let page_ids = |page: &server::integrations::chatwoot::payload::MessagesPage| -> Vec<i64> {
        page.payload
            .iter()
            .filter_map(|m| m["id"].as_i64())
            .collect()
    };

    let latest = client
        .messages(display_id, MessagesCursor::Latest)
        .await
        .expect("latest");
    let before = client
        .messages(display_id, MessagesCursor::Before(ids[30]))
        .await
        .expect("before");
    let after = client
        .messages(display_id, MessagesCursor::After(ids[5]))
        .await
        .expect("after");

    assert_eq!(
        page_ids(&latest),
        ids[ids.len() - 20..].to_vec(),
        "latest 20, oldest first"
    );
    assert_eq!(
        page_ids(&before),
        ids[10..30].to_vec(),
        "20 before, oldest first"
    );
    assert_eq!(page_ids(&after), ids[6..].to_vec(), "all after, ascending");
    assert!(latest.payload.iter().all(|m| m["message_type"].is_i64()));
}
