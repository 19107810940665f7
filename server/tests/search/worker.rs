//! The leased embed worker: crash recovery, exclusive claims, model switches (search answering
//! from old vectors meanwhile), status and retry.
use std::{collections::HashSet, sync::Arc, time::Duration};

use sea_orm::ConnectionTrait;

use server::{
    domain::search::{
        BatchOutcome, EmbedOptions, SearchFilter, embedding_status, failed_chunks,
        maintenance::{HnswChange, manage_hnsw_with},
        process_one_batch,
        query::{SearchMode, SearchOptions, search_across_models, search_with},
        retry_failed,
        worker::{claim, finish_batch, requeue_stale_model},
    },
    integrations::embeddings::{EmbeddingProvider, HashingProvider},
};

use crate::{
    fake_openai::FakeOpenAi,
    helpers::{TestDb, ingest, message, openai_provider, strings},
};

#[tokio::test]
async fn chunks_of_a_worker_killed_mid_batch_return_after_the_lease_and_are_embedded_once() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let fake = FakeOpenAi::start(16).await;
    let provider = openai_provider(&fake, 64);
    let messages: Vec<_> = (1..=5)
        .map(|i| message(&scope, i, &format!("Question {i} about the warranty")))
        .collect();
    ingest(&test.db, &scope, &messages).await;

    // Act: a worker claims everything and dies (never finishes).
    let dead = claim(&test.db, "dead-worker", 10, Duration::from_secs(300))
        .await
        .expect("claim");
    assert_eq!(dead.len(), 5);
    let during_lease = process_one_batch(&test.db, provider.as_ref(), "live", 10)
        .await
        .expect("batch");
    assert!(during_lease.is_idle(), "leased chunks are not taken");
    // The lease runs out (moved into the past instead of sleeping).
    test.db
        .execute_unprepared("update rag_chunks set lease_expires_at = now() - interval '1 second'")
        .await
        .expect("expire");
    let recovered = process_one_batch(&test.db, provider.as_ref(), "live", 10)
        .await
        .expect("batch");

    // Assert
    assert_eq!(recovered.claimed, 5);
    assert_eq!(recovered.embedded, 5);
    assert_eq!(
        test.scalar("select count(*) from rag_chunks where embedding_status = 'ready'")
            .await,
        5
    );
    for i in 1..=5 {
        assert_eq!(
            fake.times_embedded(&format!("Question {i} about the warranty")),
            1
        );
    }
    // The dead worker waking up late writes nothing over the live worker's result.
    let mut late = BatchOutcome::default();
    finish_batch(
        &test.db,
        provider.as_ref(),
        &EmbedOptions::new("dead-worker", 10),
        dead,
        &mut late,
    )
    .await
    .expect("late finish");
    assert_eq!(late.embedded + late.reused, 0, "{late:?}");
    assert_eq!(late.lost, 5);
    test.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_in_parallel_never_claim_the_same_chunk() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let messages: Vec<_> = (1..=300)
        .map(|i| {
            message(
                &scope,
                i,
                &format!("Message {i}: please call me back about plan {i}"),
            )
        })
        .collect();
    ingest(&test.db, &scope, &messages).await;

    // Act
    let worker = |name: &'static str| {
        let db = test.db.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = claim(&db, name, 7, Duration::from_secs(300))
                    .await
                    .expect("claim");
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|c| c.id));
                tokio::task::yield_now().await;
            }
        })
    };
    let (a, b) = tokio::join!(worker("a"), worker("b"));
    let (a, b) = (a.expect("worker a"), b.expect("worker b"));

    // Assert
    let set_a: HashSet<_> = a.iter().collect();
    let set_b: HashSet<_> = b.iter().collect();
    assert_eq!(set_a.len(), a.len());
    assert_eq!(set_b.len(), b.len());
    assert!(set_a.is_disjoint(&set_b), "a chunk was claimed twice");
    assert_eq!(a.len() + b.len(), 300);
    assert!(!a.is_empty() && !b.is_empty(), "both workers got work");
    test.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_workers_embed_every_text_exactly_once() {
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let fake = FakeOpenAi::start(16).await;
    let provider = openai_provider(&fake, 64);
    let messages: Vec<_> = (1..=200)
        .map(|i| message(&scope, i, &format!("Ticket {i}: the app crashes on start")))
        .collect();
    ingest(&test.db, &scope, &messages).await;

    let run = |name: &'static str| {
        let db = test.db.clone();
        let provider = provider.clone();
        tokio::spawn(async move {
            while !process_one_batch(&db, provider.as_ref(), name, 16)
                .await
                .expect("batch")
                .is_idle()
            {}
        })
    };
    let (a, b, c) = tokio::join!(run("a"), run("b"), run("c"));
    a.expect("a");
    b.expect("b");
    c.expect("c");

    assert_eq!(
        test.scalar("select count(*) from rag_chunks where embedding_status = 'ready'")
            .await,
        200
    );
    assert_eq!(fake.embedded_inputs(), 200);
    assert_eq!(fake.max_times_any_text_embedded(), 1);
    test.drop().await;
}

#[tokio::test]
async fn a_model_switch_re_embeds_in_the_background_while_search_keeps_answering() {
    // Arrange: everything embedded by the old model.
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let old = HashingProvider::new(1024);
    let new = HashingProvider::new(512);
    let messages: Vec<_> = (1..=30)
        .map(|i| {
            message(
                &scope,
                i,
                &format!("Customer {i} asks about the refund policy"),
            )
        })
        .collect();
    ingest(&test.db, &scope, &messages).await;
    while !process_one_batch(&test.db, &old, "w", 50)
        .await
        .expect("batch")
        .is_idle()
    {}

    // Act: the configured model changes.
    let requeued = requeue_stale_model(&test.db, new.model_id(), 1_000)
        .await
        .expect("requeue");

    // Assert: old vectors are kept until replaced.
    assert_eq!(requeued, 30);
    assert_eq!(
        test.scalar(
            "select count(*) from rag_chunks where embedding is not null \
             and embedding_model = 'hashing-v1-1024' and embedding_status = 'pending'"
        )
        .await,
        30
    );
    let status = embedding_status(&test.db, &scope, new.model_id())
        .await
        .expect("status");
    assert_eq!((status.pending, status.current_model_vectors), (30, 0));

    // Act: half re-embedded, then search by meaning alone, with and without the old model.
    process_one_batch(&test.db, &new, "w", 15)
        .await
        .expect("batch");
    let vector_only = SearchOptions {
        mode: SearchMode::VectorOnly,
        ..SearchOptions::default()
    };
    let previous: Vec<Arc<dyn EmbeddingProvider>> = vec![Arc::new(HashingProvider::new(1024))];
    let during = search_across_models(
        &test.db,
        &scope,
        &new,
        &previous,
        "refund policy",
        30,
        &SearchFilter::default(),
        &vector_only,
    )
    .await
    .expect("search");
    let new_model_only = search_with(
        &test.db,
        &scope,
        &new,
        "refund policy",
        30,
        &SearchFilter::default(),
        &vector_only,
    )
    .await
    .expect("search");

    // Assert: every chunk is found by meaning mid-switch: 15 through new vectors, 15 through
    // old ones; without the old model only the re-embedded half is.
    assert_eq!(during.hits.len(), 30);
    assert!(during.hits.iter().all(|h| h.vector_rank.is_some()));
    assert_eq!(new_model_only.hits.len(), 15);

    // Act: the worker catches up.
    while !process_one_batch(&test.db, &new, "w", 50)
        .await
        .expect("batch")
        .is_idle()
    {}

    // Assert
    let after = search_with(
        &test.db,
        &scope,
        &new,
        "refund policy",
        5,
        &SearchFilter::default(),
        &SearchOptions::default(),
    )
    .await
    .expect("search");
    assert!(after.hits.iter().all(|h| h.vector_rank.is_some()));
    let status = embedding_status(&test.db, &scope, new.model_id())
        .await
        .expect("status");
    assert_eq!((status.ready, status.current_model_vectors), (30, 30));
    assert!((status.progress() - 1.0).abs() < f64::EPSILON);
    test.drop().await;
}

#[tokio::test]
async fn failed_chunks_are_listed_with_their_error_and_retry_failed_requeues_only_the_callers() {
    // Arrange
    let test = TestDb::new().await;
    let a = test.project("a").await;
    let b = test.project("b").await;
    ingest(&test.db, &a, &[message(&a, 1, "alpha text")]).await;
    ingest(&test.db, &b, &[message(&b, 1, "beta text")]).await;
    test.db
        .execute_unprepared(
            "update rag_chunks set embedding_status = 'failed', embedding_attempts = 8, \
             embedding_error = 'embedding provider refused the input (HTTP 400): too long'",
        )
        .await
        .expect("fail all");

    // Act
    let listed = failed_chunks(&test.db, &a, 10).await.expect("failed");
    let retried = retry_failed(&test.db, &a).await.expect("retry");

    // Assert
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("HTTP 400")
    );
    assert_eq!(retried, 1);
    let states = strings(
        &test.db,
        "select embedding_status || ':' || embedding_attempts from rag_chunks order by text",
    )
    .await;
    assert_eq!(states, vec!["pending:0", "failed:8"]);
    let status_b = embedding_status(&test.db, &b, "x").await.expect("status");
    assert_eq!(status_b.failed, 1);
    test.drop().await;
}

async fn hnsw_state(test: &TestDb) -> Vec<String> {
    strings(
        &test.db,
        "select coalesce((select i.indisvalid::text from pg_class c \
           join pg_index i on i.indexrelid = c.oid \
           where c.relname = 'rag_chunks_embedding_hnsw_idx'), 'absent') \
         || '|' || exists (select 1 from rag_index_builds \
           where index_name = 'rag_chunks_embedding_hnsw_idx')::text",
    )
    .await
}

#[tokio::test]
async fn a_large_backlog_drops_the_hnsw_index_until_it_drains_then_builds_it_again() {
    // Arrange: a backlog above the (test-sized) threshold.
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let messages: Vec<_> = (1..=30)
        .map(|i| message(&scope, i, &format!("Backlog message {i} about shipping")))
        .collect();
    ingest(&test.db, &scope, &messages).await;
    assert_eq!(hnsw_state(&test).await, vec!["true|false"]);

    // Act / Assert: enter bulk mode; a second check changes nothing while the backlog stays.
    let entered = manage_hnsw_with(&test.db, 20, 10).await.expect("check");
    assert_eq!(entered, HnswChange::Deferred { pending: 30 });
    assert_eq!(hnsw_state(&test).await, vec!["absent|true"]);
    assert_eq!(
        manage_hnsw_with(&test.db, 20, 10).await.expect("check"),
        HnswChange::Unchanged
    );

    // Act: the worker drains the backlog (inserting no HNSW entries), then the check rebuilds.
    let provider = HashingProvider::default();
    while !process_one_batch(&test.db, &provider, "w", 50)
        .await
        .expect("batch")
        .is_idle()
    {}
    let rebuilt = manage_hnsw_with(&test.db, 20, 10).await.expect("check");

    // Assert
    assert!(matches!(rebuilt, HnswChange::Rebuilt { .. }), "{rebuilt:?}");
    assert_eq!(hnsw_state(&test).await, vec!["true|false"]);
    assert_eq!(
        manage_hnsw_with(&test.db, 20, 10).await.expect("check"),
        HnswChange::Unchanged
    );
    test.drop().await;
}

#[tokio::test]
async fn a_backlog_smaller_than_the_indexed_table_keeps_the_hnsw_index() {
    // Arrange: 30 vectors indexed, then a 25-chunk backlog (above the entry threshold).
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let provider = HashingProvider::default();
    let first: Vec<_> = (1..=30)
        .map(|i| message(&scope, i, &format!("Indexed message {i} about invoices")))
        .collect();
    ingest(&test.db, &scope, &first).await;
    while !process_one_batch(&test.db, &provider, "w", 50)
        .await
        .expect("batch")
        .is_idle()
    {}
    let backlog: Vec<_> = (31..=55)
        .map(|i| message(&scope, i, &format!("New message {i} about refunds")))
        .collect();
    ingest(&test.db, &scope, &backlog).await;

    // Act
    let change = manage_hnsw_with(&test.db, 20, 10).await.expect("check");

    // Assert: a rebuild would cost more than the inserts it saves.
    assert_eq!(change, HnswChange::Unchanged);
    assert_eq!(hnsw_state(&test).await, vec!["true|false"]);
    test.drop().await;
}

#[tokio::test]
async fn an_hnsw_index_bulk_mode_did_not_drop_is_never_created() {
    // Arrange: no HNSW index and no bulk-mode marker (as where the migration could not make one).
    let test = TestDb::new().await;
    test.db
        .execute_unprepared("drop index rag_chunks_embedding_hnsw_idx")
        .await
        .expect("drop");

    // Act
    let change = manage_hnsw_with(&test.db, 20, 10).await.expect("check");

    // Assert
    assert_eq!(change, HnswChange::Unchanged);
    assert_eq!(hnsw_state(&test).await, vec!["absent|false"]);
    test.drop().await;
}
