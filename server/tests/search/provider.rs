//! The OpenAI-compatible provider against the fake: request limits, retries honouring
//! `retry-after(-ms)`, error classes, and what the worker makes of fatal and retryable errors.
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;

use server::{
    domain::search::{EmbedOptions, worker::process_batch},
    integrations::embeddings::{EmbeddingProvider, ErrorClass, OpenAiOptions, OpenAiProvider},
};

use crate::{
    fake_openai::{Answer, FakeOpenAi},
    helpers::{TestDb, ingest, message, openai_provider, strings},
};

fn texts(n: usize, words: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            (0..words)
                .map(|w| format!("word{}", (i * 31 + w) % 97))
                .collect::<Vec<_>>()
                .join(" ")
                + &format!(" #{i}")
        })
        .collect()
}

#[tokio::test]
async fn requests_never_exceed_the_input_limit() {
    let fake = FakeOpenAi::start(32).await;
    let provider = openai_provider(&fake, 8);

    let vectors = provider.embed(&texts(20, 3)).await.expect("embedded");

    assert_eq!(vectors.len(), 20);
    assert!(vectors.iter().all(|v| v.len() == 32));
    assert_eq!(fake.batch_sizes(), vec![8, 8, 4]);
}

#[tokio::test]
async fn requests_never_exceed_the_token_budget() {
    let fake = FakeOpenAi::start(32).await;
    let provider = OpenAiProvider::new(OpenAiOptions {
        base_url: format!("{}/v1", fake.base_url()),
        model: "fake-embedding".to_owned(),
        dimensions: Some(32),
        max_batch_inputs: 2048,
        max_request_tokens: 200,
        ..OpenAiOptions::default()
    })
    .expect("provider");
    let input = texts(30, 20);

    let vectors = provider.embed(&input).await.expect("embedded");

    assert_eq!(vectors.len(), 30);
    assert!(fake.calls() > 1, "split into several requests");
    assert!(
        fake.max_request_tokens() <= 200,
        "{} tokens in one request",
        fake.max_request_tokens()
    );
    assert_eq!(fake.batch_sizes().iter().sum::<usize>(), 30);
}

#[tokio::test]
async fn a_429_with_retry_after_ms_is_waited_out_then_the_request_succeeds() {
    let fake = FakeOpenAi::start(16).await;
    fake.script([Answer::Status(
        429,
        Some(("retry-after-ms", "400".to_owned())),
    )]);
    let provider = openai_provider(&fake, 8);
    let started = Instant::now();

    let vectors = provider.embed(&texts(3, 2)).await.expect("embedded");

    assert_eq!(vectors.len(), 3);
    assert_eq!(fake.calls(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_honoured() {
    let fake = FakeOpenAi::start(16).await;
    fake.script([Answer::Status(429, Some(("retry-after", "1".to_owned())))]);
    let provider = openai_provider(&fake, 8);
    let started = Instant::now();

    provider.embed(&texts(1, 2)).await.expect("embedded");

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let fake = FakeOpenAi::start(16).await;
    fake.script([Answer::Status(500, None), Answer::Status(503, None)]);
    let provider = openai_provider(&fake, 8);

    let vectors = provider.embed(&texts(2, 2)).await.expect("embedded");

    assert_eq!(vectors.len(), 2);
    assert_eq!(fake.calls(), 3);
}

#[tokio::test]
async fn a_400_is_fatal_for_the_input_and_a_401_for_the_configuration() {
    let fake = FakeOpenAi::start(16).await;
    let provider = openai_provider(&fake, 8);
    fake.always(Some(Answer::Status(400, None)));

    let e = provider.embed(&texts(2, 2)).await.expect_err("refused");
    assert_eq!(e.class(), ErrorClass::FatalInput);
    assert_eq!(fake.calls(), 1, "not retried");

    fake.always(Some(Answer::Status(401, None)));
    let e = provider.embed(&texts(2, 2)).await.expect_err("refused");
    assert_eq!(e.class(), ErrorClass::FatalConfig);
    assert!(!e.to_string().contains("sk-test-key"));
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn a_400_fails_only_the_bad_chunk_with_its_error() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let fake = FakeOpenAi::start(16).await;
    fake.poison("POISON");
    let provider = openai_provider(&fake, 64);
    let mut messages: Vec<_> = (1..=7)
        .map(|i| message(&scope, i, &format!("A perfectly fine message number {i}")))
        .collect();
    messages.push(message(
        &scope,
        8,
        "This one carries POISON for the provider",
    ));
    ingest(&test.db, &scope, &messages).await;

    // Act
    let outcome = process_batch(&test.db, provider.as_ref(), &EmbedOptions::new("w", 50))
        .await
        .expect("batch");

    // Assert
    assert_eq!(outcome.embedded, 7, "{outcome:?}");
    assert_eq!(outcome.failed, 1);
    let failed = strings(
        &test.db,
        "select embedding_attempts || '|' || embedding_error from rag_chunks \
         where embedding_status = 'failed'",
    )
    .await;
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].starts_with("1|") && failed[0].contains("HTTP 400"),
        "{failed:?}"
    );
    assert_eq!(
        test.scalar("select count(*) from rag_chunks where embedding_status = 'ready'")
            .await,
        7
    );
    test.drop().await;
}

#[tokio::test]
async fn retryable_errors_back_off_and_end_failed_after_max_attempts() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let fake = FakeOpenAi::start(16).await;
    fake.always(Some(Answer::Status(503, None)));
    let provider = OpenAiProvider::new(OpenAiOptions {
        base_url: fake.base_url(),
        model: "fake-embedding".to_owned(),
        dimensions: Some(16),
        max_retries: 0,
        ..OpenAiOptions::default()
    })
    .expect("provider");
    ingest(&test.db, &scope, &[message(&scope, 1, "Hello there")]).await;
    let options = EmbedOptions {
        max_attempts: 3,
        base_backoff: Duration::from_secs(60),
        ..EmbedOptions::new("w", 10)
    };

    // Act + Assert: each failure schedules the next attempt later (with jitter, >= 48 s).
    for attempt in 1..=3 {
        let outcome = process_batch(&test.db, &provider, &options)
            .await
            .expect("batch");
        assert_eq!(outcome.claimed, 1, "attempt {attempt}");
        let state = strings(
            &test.db,
            "select embedding_status || '|' || embedding_attempts || '|' || \
                    coalesce(extract(epoch from next_attempt_at - now())::int::text, '-') || '|' \
                    || embedding_error from rag_chunks",
        )
        .await;
        let parts: Vec<&str> = state[0].splitn(4, '|').collect();
        assert_eq!(parts[1], attempt.to_string());
        assert!(parts[3].contains("HTTP 503"), "{state:?}");
        if attempt < 3 {
            assert_eq!(parts[0], "pending");
            let wait: i64 = parts[2].parse().expect("seconds");
            let base = 60 * (1 << (attempt - 1));
            assert!(
                wait >= base * 8 / 10 - 1,
                "attempt {attempt}: next in {wait}s"
            );
            // Not due yet: nothing to claim.
            let idle = process_batch(&test.db, &provider, &options)
                .await
                .expect("batch");
            assert!(idle.is_idle());
            // Time travel instead of sleeping.
            test.db
                .execute_unprepared("update rag_chunks set next_attempt_at = now()")
                .await
                .expect("due now");
        } else {
            assert_eq!(parts[0], "failed");
        }
    }
    test.drop().await;
}

#[tokio::test]
async fn a_long_retry_after_is_left_to_the_worker_and_honoured_in_the_schedule() {
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let fake = FakeOpenAi::start(16).await;
    fake.always(Some(Answer::Status(
        429,
        Some(("retry-after", "600".to_owned())),
    )));
    let provider = openai_provider(&fake, 8);
    ingest(&test.db, &scope, &[message(&scope, 1, "Hello there")]).await;
    let options = EmbedOptions {
        base_backoff: Duration::from_secs(1),
        ..EmbedOptions::new("w", 10)
    };

    let started = Instant::now();
    let outcome = process_batch(&test.db, provider.as_ref(), &options)
        .await
        .expect("batch");

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not slept inline"
    );
    assert_eq!(outcome.retry_scheduled, 1);
    assert!(outcome.provider_error.is_some());
    let wait = test
        .scalar("select extract(epoch from next_attempt_at - now())::bigint from rag_chunks")
        .await;
    assert!(wait >= 590, "retry in {wait}s, asked for 600");
    test.drop().await;
}
