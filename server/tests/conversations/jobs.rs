//! The Postgres job queue: exclusive claims, lease takeover, retries and terminal failure, the
//! scheduler and "sync now".
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use sea_orm::ConnectionTrait;
use serde_json::json;
use server::{
    domain::conversations::request_sync_now,
    kernel::jobs::{Enqueued, NewJob},
    workers::{
        JobError, JobRegistry, PoolSettings, WorkerPool, WorkerSettings, execute_one,
        queue::{self, Finish, Recorded},
        scheduler::enqueue_due_syncs,
    },
};

use crate::helpers::{TOKEN, TestDb, bind, scalar, small_fake, strings};

fn settings(name: &str) -> WorkerSettings {
    WorkerSettings {
        lease: Duration::from_secs(60),
        retry_base: Duration::from_secs(10),
        retry_max: Duration::from_secs(600),
        ..WorkerSettings::named(name)
    }
}

#[tokio::test]
async fn two_runners_never_run_the_same_job_at_once() {
    let test = TestDb::new().await;
    for n in 0..12 {
        queue::enqueue(
            &test.db,
            &test.scope,
            NewJob::new("probe", json!({ "n": n })),
        )
        .await
        .expect("enqueued");
    }
    let runs: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
    let in_flight: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
    let overlaps = Arc::new(AtomicUsize::new(0));
    let mut registry = JobRegistry::new();
    {
        let (runs, in_flight, overlaps) = (runs.clone(), in_flight.clone(), overlaps.clone());
        registry.register("probe", move |ctx| {
            let (runs, in_flight, overlaps) = (runs.clone(), in_flight.clone(), overlaps.clone());
            async move {
                {
                    let mut running = in_flight.lock().expect("lock");
                    let n = running.entry(ctx.job_id).or_default();
                    *n += 1;
                    if *n > 1 {
                        overlaps.fetch_add(1, Ordering::SeqCst);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                *in_flight
                    .lock()
                    .expect("lock")
                    .entry(ctx.job_id)
                    .or_default() -= 1;
                *runs.lock().expect("lock").entry(ctx.job_id).or_default() += 1;
                Ok(())
            }
        });
    }

    let mut runners = Vec::new();
    for r in 0..3 {
        let (db, registry) = (test.db.clone(), registry.clone());
        runners.push(tokio::spawn(async move {
            let worker = settings(&format!("runner-{r}"));
            let mut done = 0;
            while execute_one(&db, &registry, &worker)
                .await
                .expect("queue reachable")
                .is_some()
            {
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for runner in runners {
        total += runner.await.expect("runner finished");
    }

    assert_eq!(total, 12);
    assert_eq!(overlaps.load(Ordering::SeqCst), 0);
    let runs = runs.lock().expect("lock").clone();
    assert_eq!(runs.len(), 12);
    assert!(runs.values().all(|n| *n == 1), "{runs:?}");
    assert_eq!(
        scalar(
            &test.db,
            "select count(*) from scheduled_jobs where status = 'succeeded'"
        )
        .await,
        12
    );
    assert_eq!(
        scalar(
            &test.db,
            "select count(*) from worker_runs where status = 'ok'"
        )
        .await,
        12
    );
    test.drop().await;
}

#[tokio::test]
async fn of_two_concurrent_claims_on_one_job_only_one_wins() {
    let test = TestDb::new().await;
    queue::enqueue(&test.db, &test.scope, NewJob::new("probe", json!({})))
        .await
        .expect("enqueued");
    let kinds = vec!["probe".to_owned()];
    let (a, b) = tokio::join!(
        queue::claim(&test.db, "a", &kinds, Duration::from_secs(60)),
        queue::claim(&test.db, "b", &kinds, Duration::from_secs(60)),
    );
    let claimed = [a.expect("claim a"), b.expect("claim b")];
    assert_eq!(claimed.iter().filter(|c| c.is_some()).count(), 1);
    test.drop().await;
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_the_lost_worker_is_fenced_off() {
    let test = TestDb::new().await;
    let job = queue::enqueue(&test.db, &test.scope, NewJob::new("probe", json!({})))
        .await
        .expect("enqueued");
    let kinds = vec!["probe".to_owned()];
    // A worker claims the job and then dies without finishing or heartbeating.
    let dead = queue::claim(&test.db, "dead-worker", &kinds, Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("the job");
    let mut registry = JobRegistry::new();
    registry.register("probe", |_| async { Ok(()) });
    assert!(
        execute_one(&test.db, &registry, &settings("live"))
            .await
            .expect("queue reachable")
            .is_none(),
        "a live lease is respected"
    );
    test.db
        .execute_unprepared(
            "update scheduled_jobs set lease_expires_at = now() - interval '1 second'",
        )
        .await
        .expect("lease expires");

    let executed = execute_one(&test.db, &registry, &settings("live"))
        .await
        .expect("queue reachable")
        .expect("the job is taken over");

    assert_eq!(executed.job_id, job.id());
    assert_eq!(executed.attempt, 2);
    assert_eq!(executed.recorded, Recorded::Succeeded);
    let runs = strings(
        &test.db,
        "select worker_id || ':' || status from worker_runs order by id",
    )
    .await;
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0], "dead-worker:lost");
    assert!(runs[1].ends_with(":ok"), "{runs:?}");
    // The dead worker coming back cannot overwrite the outcome.
    let late = queue::finish(
        &test.db,
        &dead,
        Finish::Fail {
            error: "late".to_owned(),
        },
    )
    .await
    .expect("finish runs");
    assert_eq!(late, Recorded::Lost);
    assert_eq!(
        strings(&test.db, "select status from scheduled_jobs").await,
        vec!["succeeded".to_owned()]
    );
    test.drop().await;
}

#[tokio::test]
async fn attempts_exhausted_end_failed_with_the_error_kept() {
    let test = TestDb::new().await;
    let mut job = NewJob::new("flaky", json!({}));
    job.max_attempts = 3;
    queue::enqueue(&test.db, &test.scope, job)
        .await
        .expect("enqueued");
    let mut registry = JobRegistry::new();
    registry.register("flaky", |ctx| async move {
        Err(JobError::retryable(format!(
            "upstream down (try {})",
            ctx.attempt
        )))
    });

    let mut outcomes = Vec::new();
    loop {
        let Some(executed) = execute_one(&test.db, &registry, &settings("w"))
            .await
            .expect("queue reachable")
        else {
            break;
        };
        outcomes.push(executed.recorded);
        // Skip the backoff instead of sleeping through it.
        test.db
            .execute_unprepared("update scheduled_jobs set run_at = now() where status = 'queued'")
            .await
            .expect("due now");
    }

    assert_eq!(
        outcomes,
        vec![Recorded::Requeued, Recorded::Requeued, Recorded::Failed]
    );
    let job = strings(
        &test.db,
        "select status || '|' || attempts || '|' || last_error || '|' || (finished_at is not null) \
         from scheduled_jobs",
    )
    .await;
    assert_eq!(job, vec!["failed|3|upstream down (try 3)|true".to_owned()]);
    assert_eq!(
        scalar(
            &test.db,
            "select count(*) from worker_runs where status = 'failed'"
        )
        .await,
        3
    );
    test.drop().await;
}

#[tokio::test]
async fn a_retry_waits_at_least_the_retry_after_and_backs_off_exponentially() {
    let test = TestDb::new().await;
    queue::enqueue(&test.db, &test.scope, NewJob::new("limited", json!({})))
        .await
        .expect("enqueued");
    queue::enqueue(&test.db, &test.scope, NewJob::new("plain", json!({})))
        .await
        .expect("enqueued");
    let mut registry = JobRegistry::new();
    registry.register("limited", |_| async {
        Err(JobError::retryable("429").with_retry_after(Some(Duration::from_secs(300))))
    });
    registry.register("plain", |_| async { Err(JobError::retryable("503")) });

    while execute_one(&test.db, &registry, &settings("w"))
        .await
        .expect("queue reachable")
        .is_some()
    {}

    let limited = scalar(
        &test.db,
        "select extract(epoch from run_at - now())::bigint from scheduled_jobs where kind = 'limited'",
    )
    .await;
    let plain = scalar(
        &test.db,
        "select extract(epoch from run_at - now())::bigint from scheduled_jobs where kind = 'plain'",
    )
    .await;
    assert!(limited >= 295, "honours Retry-After: {limited}s");
    // First retry: base 10 s +-20% jitter.
    assert!((6..=13).contains(&plain), "exponential base: {plain}s");
    test.drop().await;
}

#[tokio::test]
async fn a_fatal_error_fails_the_job_at_once() {
    let test = TestDb::new().await;
    queue::enqueue(&test.db, &test.scope, NewJob::new("broken", json!({})))
        .await
        .expect("enqueued");
    let mut registry = JobRegistry::new();
    registry.register("broken", |_| async { Err(JobError::fatal("bad token")) });

    let executed = execute_one(&test.db, &registry, &settings("w"))
        .await
        .expect("queue reachable")
        .expect("ran");

    assert_eq!(executed.recorded, Recorded::Failed);
    assert_eq!(
        strings(
            &test.db,
            "select status || '|' || attempts from scheduled_jobs"
        )
        .await,
        vec!["failed|1".to_owned()]
    );
    test.drop().await;
}

#[tokio::test]
async fn the_heartbeat_keeps_a_long_job_and_a_stolen_lease_stops_it() {
    let test = TestDb::new().await;
    queue::enqueue(&test.db, &test.scope, NewJob::new("slow", json!({})))
        .await
        .expect("enqueued");
    queue::enqueue(&test.db, &test.scope, NewJob::new("stolen", json!({})))
        .await
        .expect("enqueued");
    let mut registry = JobRegistry::new();
    registry.register("slow", |_| async {
        tokio::time::sleep(Duration::from_millis(900)).await;
        Ok(())
    });
    registry.register("stolen", |ctx| async move {
        // Someone else takes the job over while it runs.
        ctx.db
            .execute_unprepared(&format!(
                "update scheduled_jobs set locked_by = 'thief' where id = {}",
                ctx.job_id
            ))
            .await
            .map_err(|e| JobError::fatal(e.to_string()))?;
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(())
    });
    let short = WorkerSettings {
        lease: Duration::from_millis(300),
        ..settings("short")
    };

    // The slow job outlives its 300 ms lease three times over; a competing worker polling
    // meanwhile never gets it.
    let db = test.db.clone();
    let competitor_registry = registry.clone();
    let (first, competitor) = tokio::join!(execute_one(&test.db, &registry, &short), async move {
        let mut stolen = 0;
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let other = WorkerSettings {
                lease: Duration::from_millis(300),
                ..settings("competitor")
            };
            if let Ok(Some(executed)) = execute_one(&db, &competitor_registry, &other).await {
                if executed.kind == "slow" {
                    stolen += 1;
                }
                return (stolen, Some(executed));
            }
        }
        (stolen, None)
    });
    let first = first.expect("queue reachable").expect("a job ran");
    let (stolen, other) = competitor;
    assert_eq!(stolen, 0, "the heartbeat kept the slow job's lease");
    let mut by_kind: HashMap<String, Recorded> = HashMap::new();
    by_kind.insert(first.kind.clone(), first.recorded);
    if let Some(other) = other {
        by_kind.insert(other.kind.clone(), other.recorded);
    }
    if !by_kind.contains_key("stolen") {
        let executed = execute_one(&test.db, &registry, &short)
            .await
            .expect("queue reachable")
            .expect("the other job");
        by_kind.insert(executed.kind.clone(), executed.recorded);
    }
    assert_eq!(by_kind.get("slow"), Some(&Recorded::Succeeded));
    assert_eq!(
        by_kind.get("stolen"),
        Some(&Recorded::Lost),
        "stopped within a heartbeat"
    );
    test.drop().await;
}

#[tokio::test]
async fn the_scheduler_enqueues_one_sync_per_due_source_and_sync_now_dedupes() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;

    assert_eq!(enqueue_due_syncs(&test.db).await.expect("tick"), 1);
    assert_eq!(
        enqueue_due_syncs(&test.db).await.expect("tick"),
        0,
        "one live job"
    );
    let again = request_sync_now(&test.db, &test.scope, source.id)
        .await
        .expect("sync now");
    assert!(again.already_pending);
    // Finished a minute ago: not due again before its interval.
    test.db
        .execute_unprepared(
            "update scheduled_jobs set status = 'succeeded', created_at = now() - interval '1 minute'",
        )
        .await
        .expect("finish");
    assert_eq!(enqueue_due_syncs(&test.db).await.expect("tick"), 0);
    test.db
        .execute_unprepared("update scheduled_jobs set created_at = now() - interval '10 minutes'")
        .await
        .expect("age");
    assert_eq!(enqueue_due_syncs(&test.db).await.expect("tick"), 1);
    test.db
        .execute_unprepared("update project_sources set enabled = false")
        .await
        .expect("disable");
    test.db
        .execute_unprepared("update scheduled_jobs set status = 'cancelled', created_at = now() - interval '1 hour'")
        .await
        .expect("cancel");
    assert_eq!(
        enqueue_due_syncs(&test.db).await.expect("tick"),
        0,
        "disabled"
    );
    let dedupe = strings(&test.db, "select distinct dedupe_key from scheduled_jobs").await;
    assert_eq!(dedupe, vec![format!("source:{}", source.id)]);
    test.drop().await;
}

#[tokio::test]
async fn enqueue_with_a_dedupe_key_returns_the_live_job() {
    let test = TestDb::new().await;
    let mut job = NewJob::new("probe", json!({}));
    job.dedupe_key = Some("k".to_owned());
    let first = queue::enqueue(&test.db, &test.scope, job.clone())
        .await
        .expect("enqueued");
    let second = queue::enqueue(&test.db, &test.scope, job)
        .await
        .expect("enqueued");
    assert!(matches!(first, Enqueued::New(_)));
    assert_eq!(second, Enqueued::Existing(first.id()));
    test.drop().await;
}

#[tokio::test]
async fn a_sync_job_runs_end_to_end_through_the_queue() {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    let mut registry = JobRegistry::new();
    server::workers::jobs::register_chatwoot_sync(&mut registry, crate::helpers::fast_options());
    request_sync_now(&test.db, &test.scope, source.id)
        .await
        .expect("queued");

    let executed = execute_one(&test.db, &registry, &settings("w"))
        .await
        .expect("queue reachable")
        .expect("ran");

    assert_eq!(executed.recorded, Recorded::Succeeded);
    assert!(test.count("cw_messages").await > 0);
    assert_eq!(
        strings(&test.db, "select status from job_runs").await,
        vec!["ok".to_owned()]
    );
    test.drop().await;
}

#[tokio::test]
async fn an_idle_pool_is_woken_by_notify_and_drains_on_shutdown() {
    let test = TestDb::new().await;
    let (tx, rx) = tokio::sync::oneshot::channel::<i64>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let mut registry = JobRegistry::new();
    registry.register("ping", move |ctx| {
        let tx = tx.clone();
        async move {
            if let Some(tx) = tx.lock().expect("lock").take() {
                let _ = tx.send(ctx.job_id);
            }
            Ok(())
        }
    });
    // Polling once a minute: only the NOTIFY from the insert can make this fast.
    let pool = WorkerPool::start(
        test.db.clone(),
        registry,
        PoolSettings {
            concurrency: 2,
            worker: settings("pool"),
            poll_interval: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(1),
        },
    );
    // Let the idle loops reach their wait and the listener subscribe; the assertion below
    // does not depend on this timing, only the latency does.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let job = queue::enqueue(&test.db, &test.scope, NewJob::new("ping", json!({})))
        .await
        .expect("enqueued");

    let ran = tokio::time::timeout(Duration::from_secs(20), rx)
        .await
        .expect("woken well before the 60 s poll")
        .expect("handler ran");
    pool.shutdown().await;

    assert_eq!(ran, job.id());
    assert_eq!(
        strings(&test.db, "select status from scheduled_jobs").await,
        vec!["succeeded".to_owned()]
    );
    test.drop().await;
}
