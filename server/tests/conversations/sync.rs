//! The REST sync against the fake Chatwoot.
use std::{collections::BTreeSet, time::Duration};

use serde_json::Value;
use server::domain::conversations::{
    SyncMode, SyncOptions, run_sync,
    sync::{PassMode, SyncCounts},
};
use testkit::fake_chatwoot::{NewMessage, Sender};

use crate::helpers::{
    ACCOUNT_ID, TOKEN, TestDb, assert_same_rows, bind, dump, fast_options, project_id, scalar,
    small_fake, strings,
};

fn nothing_written(counts: &SyncCounts) -> bool {
    counts.written() == 0
}

#[tokio::test]
async fn a_full_sync_reproduces_every_contact_conversation_and_message_exactly_once() {
    // Arrange
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    let totals = fake.with_world(|w| w.totals(ACCOUNT_ID)).expect("account");

    // Act
    let report = run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("sync succeeds");

    // Assert: counts
    assert_eq!(report.mode, PassMode::Full);
    assert_eq!(test.count("cw_contacts").await, totals.contacts as i64);
    assert_eq!(
        test.count("cw_conversations").await,
        totals.conversations as i64
    );
    assert_eq!(test.count("cw_messages").await, totals.messages as i64);
    assert_eq!(report.counts.messages.inserted, totals.messages as u64);
    assert_eq!(
        report.counts.conversations.inserted,
        totals.conversations as u64
    );
    assert_eq!(report.counts.contacts.inserted, totals.contacts as u64);
    // ...and ids: every Chatwoot message id, in the spec's format, once.
    let expected: BTreeSet<String> = fake
        .with_world(|w| w.message_ids(ACCOUNT_ID))
        .into_iter()
        .map(|id| format!("cwmsg:{}:{ACCOUNT_ID}:{id}", project_id()))
        .collect();
    let stored: BTreeSet<String> = strings(&test.db, "select id from cw_messages")
        .await
        .into_iter()
        .collect();
    assert_eq!(stored, expected);

    // The run is audited with per-kind counts, and the watermark is set.
    let run_status = strings(
        &test.db,
        &format!(
            "select status from job_runs where id = {}",
            report.job_run_id
        ),
    )
    .await;
    assert_eq!(run_status, vec!["ok".to_owned()]);
    let meta_messages = scalar(
        &test.db,
        &format!(
            "select (meta->'messages'->>'inserted')::bigint from job_runs where id = {}",
            report.job_run_id
        ),
    )
    .await;
    assert_eq!(meta_messages, totals.messages as i64);
    let processed = scalar(
        &test.db,
        &format!(
            "select processed_count::bigint from job_runs where id = {}",
            report.job_run_id
        ),
    )
    .await;
    assert_eq!(processed as u64, report.counts.processed());
    let watermarks = strings(
        &test.db,
        "select source from sync_watermarks where cursor_ts is not null and meta->'pass' is null",
    )
    .await;
    assert_eq!(watermarks, vec![format!("chatwoot:{ACCOUNT_ID}")]);
    test.drop().await;
}

#[tokio::test]
async fn anonymous_contacts_attachments_and_private_notes_are_kept_and_linked() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("sync succeeds");

    let anonymous = scalar(
        &test.db,
        "select count(*) from cw_contacts where email is null and phone_number is null \
         and identifier is null",
    )
    .await;
    let expected_anonymous = fake.with_world(|w| {
        let totals = w.totals(ACCOUNT_ID).expect("account");
        (totals.contacts - totals.listed_contacts) as i64
    });
    assert!(expected_anonymous > 0);
    assert_eq!(anonymous, expected_anonymous);
    assert!(
        scalar(
            &test.db,
            "select count(*) from cw_messages where content is null \
             and jsonb_array_length(data->'attachments') > 0"
        )
        .await
            > 0
    );
    assert!(scalar(&test.db, "select count(*) from cw_messages where private").await > 0);
    // Every message links to a stored conversation and to that conversation's contact.
    assert_eq!(
        scalar(
            &test.db,
            "select count(*) from cw_messages m left join cw_conversations c \
               on c.id = m.conversation_global_id \
             where c.id is null or m.contact_global_id is distinct from c.contact_global_id"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &test.db,
            "select count(*) from cw_conversations c left join cw_contacts ct \
               on ct.id = c.contact_global_id where ct.id is null"
        )
        .await,
        0
    );
    // Unix seconds became timestamptz.
    let first = strings(
        &test.db,
        "select to_char(min(created_at) at time zone 'UTC', 'YYYY-MM-DD') from cw_messages",
    )
    .await;
    assert!(first[0].starts_with("2025-"), "{first:?}");
    test.drop().await;
}

#[tokio::test]
async fn a_second_sync_writes_nothing_new() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("first sync");
    let before = dump(&test.db).await;

    let incremental = run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("second sync");
    let full = run_sync(
        &test.db,
        &test.scope,
        source.id,
        &SyncOptions {
            mode: SyncMode::Full,
            ..fast_options()
        },
    )
    .await
    .expect("full re-scan");

    assert_eq!(incremental.mode, PassMode::Incremental);
    assert!(
        nothing_written(&incremental.counts),
        "{:?}",
        incremental.counts
    );
    assert_eq!(full.mode, PassMode::Full);
    assert!(nothing_written(&full.counts), "{:?}", full.counts);
    assert_same_rows(&dump(&test.db).await, &before);
    test.drop().await;
}

#[tokio::test]
async fn an_incremental_sync_picks_up_new_messages_without_rereading_everything() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    let first = run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("first sync");
    let (display_id, contact_id, latest) = fake.with_world(|w| {
        let account = w.account(ACCOUNT_ID).expect("account");
        let c = account
            .conversations
            .values()
            .min_by_key(|c| c.last_activity_at)
            .expect("a conversation");
        let latest = account
            .conversations
            .values()
            .map(|c| c.last_activity_at)
            .max()
            .unwrap_or(0);
        (c.display_id, c.contact_id, latest)
    });
    let new_id = fake
        .with_world(|w| {
            w.add_message(
                ACCOUNT_ID,
                display_id,
                NewMessage {
                    content: Some("Any news on the quote?".to_owned()),
                    message_type: 0,
                    private: false,
                    sender: Some(Sender::Contact(contact_id)),
                    at: latest + 3_600,
                },
            )
        })
        .expect("message added");

    let second = run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("incremental sync");

    assert_eq!(second.mode, PassMode::Incremental);
    assert_eq!(second.counts.messages.inserted, 1);
    assert!(
        second.counts.requests < first.counts.requests / 4,
        "incremental: {} requests vs {} for the full sync",
        second.counts.requests,
        first.counts.requests
    );
    let content = strings(
        &test.db,
        &format!(
            "select content from cw_messages where id = 'cwmsg:{}:{ACCOUNT_ID}:{new_id}'",
            project_id()
        ),
    )
    .await;
    assert_eq!(content, vec!["Any news on the quote?".to_owned()]);
    test.drop().await;
}

#[tokio::test]
async fn edited_messages_update_in_place_on_a_full_rescan() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("first sync");
    let messages_before = test.count("cw_messages").await;
    let edited = fake.with_world(|w| w.apply_scripted_edits(ACCOUNT_ID, 3, 1_800_000_000));
    assert_eq!(edited.len(), 3);

    let report = run_sync(
        &test.db,
        &test.scope,
        source.id,
        &SyncOptions {
            mode: SyncMode::Full,
            ..fast_options()
        },
    )
    .await
    .expect("full re-scan");

    assert_eq!(report.counts.messages.inserted, 0);
    assert_eq!(report.counts.messages.updated, 3);
    assert_eq!(test.count("cw_messages").await, messages_before);
    for id in edited {
        let content = strings(
            &test.db,
            &format!(
                "select content from cw_messages where message_id = {id} and project_id = '{}'",
                project_id()
            ),
        )
        .await;
        assert!(content[0].ends_with("(edited: corrected the details above)"));
    }
    test.drop().await;
}

/// Runs every due job with the real registry until the queue is empty.
async fn drain_index_jobs(test: &TestDb) -> usize {
    let mut registry = server::workers::JobRegistry::new();
    server::workers::jobs::register_rag_index(&mut registry);
    let worker = server::workers::WorkerSettings::named("indexer");
    let mut ran = 0;
    while server::workers::execute_one(&test.db, &registry, &worker)
        .await
        .expect("queue reachable")
        .is_some()
    {
        ran += 1;
    }
    ran
}

#[tokio::test]
async fn synced_messages_are_indexed_by_the_jobs_their_pages_enqueue_and_edits_requeue_only_themselves()
 {
    // Arrange: a full sync commits messages and index jobs, not chunks.
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("first sync");
    assert_eq!(test.count("rag_chunks").await, 0, "indexing is not inline");
    let queued = scalar(
        &test.db,
        "select count(*) from scheduled_jobs where kind = 'rag_index' and status = 'queued'",
    )
    .await;
    assert!(queued > 0);

    // Act
    let ran = drain_index_jobs(&test).await;

    // Assert: every job succeeded and left nothing for a backfill to index.
    assert_eq!(ran as i64, queued);
    assert_eq!(
        scalar(
            &test.db,
            "select count(*) from scheduled_jobs where kind = 'rag_index' and status <> 'succeeded'"
        )
        .await,
        0
    );
    assert!(test.count("rag_chunks").await > 0);
    let backfill = server::domain::search::reindex_project(
        &test.db,
        &test.scope,
        server::domain::search::Chunker::current(),
        500,
    )
    .await
    .expect("backfill");
    assert_eq!(backfill.messages_changed, 0, "{backfill:?}");

    // Act: three edits and a full re-scan.
    let edited = fake.with_world(|w| w.apply_scripted_edits(ACCOUNT_ID, 3, 1_800_000_000));
    run_sync(
        &test.db,
        &test.scope,
        source.id,
        &SyncOptions {
            mode: SyncMode::Full,
            ..fast_options()
        },
    )
    .await
    .expect("full re-scan");

    // Assert: one job carries exactly the edited messages, and running it re-chunks them.
    let payload_ids: BTreeSet<String> = strings(
        &test.db,
        "select jsonb_array_elements_text(payload->'message_ids') from scheduled_jobs \
         where kind = 'rag_index' and status = 'queued'",
    )
    .await
    .into_iter()
    .collect();
    let expected: BTreeSet<String> = edited
        .iter()
        .map(|id| format!("cwmsg:{}:{ACCOUNT_ID}:{id}", project_id()))
        .collect();
    assert_eq!(payload_ids, expected);
    drain_index_jobs(&test).await;
    let edited_evidence = scalar(
        &test.db,
        "select count(*) from evidence_items where source_kind = 'message' \
         and search_text like '%(edited: corrected the details above)%'",
    )
    .await;
    assert_eq!(edited_evidence, 3);
    test.drop().await;
}

/// Syncs the fake's data into a fresh database without interruptions.
async fn reference_dump(base_url: &str) -> Vec<String> {
    let reference = TestDb::new().await;
    let source = bind(&reference, base_url, TOKEN, true).await;
    run_sync(&reference.db, &reference.scope, source.id, &fast_options())
        .await
        .expect("uninterrupted sync");
    let rows = dump(&reference.db).await;
    reference.drop().await;
    rows
}

#[tokio::test]
async fn a_sync_whose_chatwoot_dies_mid_way_resumes_and_ends_identical_to_an_uninterrupted_one() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let expected = reference_dump(&fake.base_url()).await;
    let full_requests = fake.served();
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;

    // Chatwoot starts failing hard about half way through (inside the conversations phase).
    fake.fail_after(fake.served() + full_requests / 2);
    let failure = run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect_err("the first run fails");
    assert!(failure.error.is_retryable());
    let partial = test.count("cw_messages").await;
    assert!(partial > 0, "some pages were committed before the failure");
    assert!((partial as usize) < expected.len());
    let failed_runs = scalar(
        &test.db,
        "select count(*) from job_runs where status = 'failed' and error like '%HTTP 500%'",
    )
    .await;
    assert_eq!(failed_runs, 1);

    fake.clear_faults();
    let resumed = run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("the resumed run succeeds");

    assert_eq!(
        resumed.mode,
        PassMode::Full,
        "the interrupted full pass resumed"
    );
    assert_eq!(
        resumed.counts.messages.updated, 0,
        "nothing was written twice"
    );
    assert_same_rows(&dump(&test.db).await, &expected);
    test.drop().await;
}

#[tokio::test]
async fn a_sync_killed_mid_way_resumes_and_ends_identical_to_an_uninterrupted_one() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let expected = reference_dump(&fake.base_url()).await;
    let full_requests = fake.served();
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    // Slow requests make the kill land in the middle of a page most of the time.
    fake.set_faults(testkit::Faults {
        latency: Duration::from_millis(3),
        ..testkit::Faults::default()
    });

    let start = fake.served();
    let db = test.db.clone();
    let scope = test.scope;
    let task = tokio::spawn(async move { run_sync(&db, &scope, source.id, &fast_options()).await });
    while fake.served() < start + full_requests / 2 {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    task.abort();
    let aborted = task.await;
    assert!(
        aborted.is_err_and(|e| e.is_cancelled()),
        "the run was killed"
    );
    let partial = test.count("cw_messages").await;
    assert!((partial as usize) < expected.len());
    assert_eq!(
        scalar(
            &test.db,
            "select count(*) from job_runs where status = 'running'"
        )
        .await,
        1,
        "the killed run is left running"
    );

    fake.clear_faults();
    let resumed = run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("the restarted run succeeds");

    assert_eq!(
        resumed.counts.messages.updated, 0,
        "nothing was written twice"
    );
    assert_same_rows(&dump(&test.db).await, &expected);
    let statuses = strings(
        &test.db,
        "select status || ':' || coalesce(error, '') from job_runs order by id",
    )
    .await;
    assert_eq!(statuses.len(), 2);
    assert!(
        statuses[0].starts_with("failed:interrupted"),
        "{statuses:?}"
    );
    assert_eq!(statuses[1], "ok:");
    test.drop().await;
}

#[tokio::test]
async fn the_raw_payload_is_kept_in_data() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("sync succeeds");
    let rows = strings(
        &test.db,
        "select data::text from cw_messages order by message_id limit 1",
    )
    .await;
    let data: Value = serde_json::from_str(&rows[0]).expect("json");
    assert!(data.get("message_type").is_some_and(Value::is_i64));
    assert!(data.get("created_at").is_some_and(Value::is_i64));
    let conversation = strings(
        &test.db,
        "select data::text from cw_conversations order by conversation_id limit 1",
    )
    .await;
    let data: Value = serde_json::from_str(&conversation[0]).expect("json");
    assert!(data.pointer("/meta/sender/id").is_some());
    test.drop().await;
}
