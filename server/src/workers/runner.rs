//! Running jobs: the handler registry, [`execute_one`] (claim, run under a heartbeat, record)
//! and the [`WorkerPool`] that loops over it, woken by `NOTIFY scheduled_jobs` and polling.
use std::{collections::HashMap, future::Future, sync::Arc, time::Duration};

use chrono::Utc;
use futures::future::BoxFuture;
use rand::Rng;
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use serde_json::Value;
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
};
use uuid::Uuid;

use crate::kernel::Scope;
use crate::workers::queue::{self, ClaimedJob, Finish, Recorded};

/// Why a job's try failed, classified once: retryable (with an optional minimum delay, e.g.
/// `Retry-After`) or fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    /// Recorded on the job and its run.
    pub message: String,
    /// Whether another try may succeed.
    pub retryable: bool,
    /// Do not retry sooner than this.
    pub retry_after: Option<Duration>,
}

impl JobError {
    /// A failure worth retrying.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
            retry_after: None,
        }
    }

    /// A failure that will not go away by retrying.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
            retry_after: None,
        }
    }

    /// Sets the minimum delay before the next try.
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }
}

/// What a handler gets.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The pool.
    pub db: DatabaseConnection,
    /// The job's project scope.
    pub scope: Scope,
    /// Job id.
    pub job_id: i64,
    /// Job kind.
    pub kind: String,
    /// Arguments.
    pub payload: Value,
    /// This try (1-based).
    pub attempt: i32,
    /// Tries allowed.
    pub max_attempts: i32,
}

/// A job handler.
pub type JobHandler =
    Arc<dyn Fn(JobContext) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

/// Handlers by job kind.
#[derive(Clone, Default)]
pub struct JobRegistry {
    handlers: HashMap<String, JobHandler>,
}

impl JobRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `kind`.
    pub fn register<F, Fut>(&mut self, kind: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.handlers.insert(
            kind.into(),
            Arc::new(move |ctx| -> BoxFuture<'static, Result<(), JobError>> {
                let handler = handler.clone();
                Box::pin(async move { handler(ctx).await })
            }),
        );
        self
    }

    /// The registered kinds.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().cloned().collect();
        kinds.sort();
        kinds
    }
}

/// Lease and retry settings of a worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Written to `locked_by` / `worker_runs.worker_id`.
    pub worker_id: String,
    /// Lease per claim; the heartbeat renews it every third of it.
    pub lease: Duration,
    /// Delay before the first retry; doubles per attempt.
    pub retry_base: Duration,
    /// Longest exponential delay (a `Retry-After` may ask for more).
    pub retry_max: Duration,
}

impl WorkerSettings {
    /// Settings with a unique worker id derived from `name`.
    pub fn named(name: &str) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned());
        let suffix = Uuid::new_v4().simple().to_string();
        Self {
            worker_id: format!("{host}:{}:{name}:{}", std::process::id(), &suffix[..8]),
            lease: Duration::from_secs(120),
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(3_600),
        }
    }
}

/// Exponential backoff with +-20% jitter for try number `attempt` (1-based), never shorter than
/// `retry_after`.
pub fn retry_delay(
    attempt: i32,
    retry_after: Option<Duration>,
    base: Duration,
    max: Duration,
) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let nominal = base.saturating_mul(2u32.saturating_pow(exponent)).min(max);
    let jittered = nominal.mul_f64(rand::rng().random_range(0.8..=1.2));
    retry_after.map_or(jittered, |after| jittered.max(after))
}

/// How one executed job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// Job id.
    pub job_id: i64,
    /// Kind.
    pub kind: String,
    /// The try that ran.
    pub attempt: i32,
    /// The job's state afterwards.
    pub recorded: Recorded,
    /// The try's error, if it failed.
    pub error: Option<String>,
}

enum TryEnd {
    Done(Result<(), JobError>),
    LeaseLost,
    Shutdown,
}

/// Claims one due job, runs it under a heartbeat and records the outcome; `None` when no job
/// is due. Tests call this until it returns `None` instead of sleeping.
pub async fn execute_one(
    db: &DatabaseConnection,
    registry: &JobRegistry,
    settings: &WorkerSettings,
) -> Result<Option<Executed>, DbErr> {
    execute_next(db, registry, settings, None).await
}

async fn execute_next(
    db: &DatabaseConnection,
    registry: &JobRegistry,
    settings: &WorkerSettings,
    shutdown: Option<watch::Receiver<bool>>,
) -> Result<Option<Executed>, DbErr> {
    let kinds = registry.kinds();
    if kinds.is_empty() {
        return Ok(None);
    }
    let Some(job) = queue::claim(db, &settings.worker_id, &kinds, settings.lease).await? else {
        return Ok(None);
    };
    tracing::debug!(job_id = job.id, kind = %job.kind, attempt = job.attempt, "job claimed");
    let end = run_try(db, registry, settings, &job, shutdown).await;
    let (how, error) = match end {
        TryEnd::Done(Ok(())) => (Finish::Succeeded, None),
        TryEnd::Done(Err(e)) if e.retryable && job.attempt < job.max_attempts => {
            let delay = retry_delay(
                job.attempt,
                e.retry_after,
                settings.retry_base,
                settings.retry_max,
            );
            let run_at = Utc::now()
                + chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::hours(1));
            (
                Finish::Retry {
                    run_at,
                    error: e.message.clone(),
                },
                Some(e.message),
            )
        }
        TryEnd::Done(Err(e)) => (
            Finish::Fail {
                error: e.message.clone(),
            },
            Some(e.message),
        ),
        TryEnd::LeaseLost => (
            Finish::Fail {
                error: "lease lost".to_owned(),
            },
            Some("lease lost".to_owned()),
        ),
        TryEnd::Shutdown => (Finish::Release, None),
    };
    let recorded = queue::finish(db, &job, how).await?;
    match (&recorded, &error) {
        (Recorded::Failed, Some(e)) => {
            tracing::warn!(job_id = job.id, kind = %job.kind, error = %e, "job failed")
        }
        (Recorded::Requeued, Some(e)) => {
            tracing::info!(job_id = job.id, kind = %job.kind, error = %e, "job will retry")
        }
        _ => {}
    }
    Ok(Some(Executed {
        job_id: job.id,
        kind: job.kind.clone(),
        attempt: job.attempt,
        recorded,
        error,
    }))
}

async fn run_try(
    db: &DatabaseConnection,
    registry: &JobRegistry,
    settings: &WorkerSettings,
    job: &ClaimedJob,
    mut shutdown: Option<watch::Receiver<bool>>,
) -> TryEnd {
    let Some(handler) = registry.handlers.get(&job.kind).cloned() else {
        return TryEnd::Done(Err(JobError::fatal(format!(
            "no handler for job kind {:?}",
            job.kind
        ))));
    };
    let scope = match Scope::for_project(db, job.project_id).await {
        Ok(scope) => scope,
        Err(e) => {
            return TryEnd::Done(Err(JobError::fatal(format!(
                "the job's project is not available: {e}"
            ))));
        }
    };
    let ctx = JobContext {
        db: db.clone(),
        scope,
        job_id: job.id,
        kind: job.kind.clone(),
        payload: job.payload.clone(),
        attempt: job.attempt,
        max_attempts: job.max_attempts,
    };
    let work = handler(ctx);
    tokio::pin!(work);
    let beat = (settings.lease / 3).max(Duration::from_millis(100));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
    loop {
        let stop = async {
            match shutdown.as_mut() {
                Some(rx) => {
                    let _ = rx.wait_for(|stop| *stop).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            result = &mut work => return TryEnd::Done(result),
            _ = ticker.tick() => match queue::heartbeat(db, job, settings.lease).await {
                Ok(true) => {}
                // Another worker holds the job now: stop working on it.
                Ok(false) => return TryEnd::LeaseLost,
                Err(e) => tracing::warn!(job_id = job.id, error = %e, "heartbeat failed"),
            },
            () = stop => return TryEnd::Shutdown,
        }
    }
}

/// Settings of a [`WorkerPool`].
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Concurrent worker loops.
    pub concurrency: usize,
    /// Lease and retry settings (each loop gets its own worker id).
    pub worker: WorkerSettings,
    /// Idle loops poll this often (NOTIFY wakes them sooner).
    pub poll_interval: Duration,
    /// How long shutdown waits for running jobs before giving them back.
    pub shutdown_grace: Duration,
}

/// Worker loops running in the background until [`WorkerPool::shutdown`].
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `settings.concurrency` loops over `registry` and a LISTEN task.
    pub fn start(db: DatabaseConnection, registry: JobRegistry, settings: PoolSettings) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let mut tasks = Vec::new();
        if db.get_database_backend() == DbBackend::Postgres {
            tasks.push(tokio::spawn(listen(
                db.clone(),
                wake.clone(),
                stop_rx.clone(),
            )));
        }
        for n in 0..settings.concurrency.max(1) {
            let mut worker = settings.worker.clone();
            worker.worker_id = format!("{}#{n}", worker.worker_id);
            tasks.push(tokio::spawn(work_loop(
                db.clone(),
                registry.clone(),
                worker,
                settings.poll_interval,
                settings.shutdown_grace,
                wake.clone(),
                stop_rx.clone(),
            )));
        }
        Self { stop, tasks }
    }

    /// Stops the loops: running jobs get the grace period, then are given back to the queue.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn work_loop(
    db: DatabaseConnection,
    registry: JobRegistry,
    settings: WorkerSettings,
    poll: Duration,
    grace: Duration,
    wake: Arc<Notify>,
    stop: watch::Receiver<bool>,
) {
    // Jobs get `grace` after the stop signal before they are released.
    let (grace_tx, grace_rx) = watch::channel(false);
    let mut stop_for_grace = stop.clone();
    let grace_task = tokio::spawn(async move {
        let _ = stop_for_grace.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
        let _ = grace_tx.send(true);
    });
    let mut failures = 0u32;
    loop {
        if *stop.borrow() {
            break;
        }
        match execute_next(&db, &registry, &settings, Some(grace_rx.clone())).await {
            Ok(Some(_)) => {
                failures = 0;
                continue;
            }
            Ok(None) => failures = 0,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, worker = %settings.worker_id, "worker could not reach the queue");
            }
        }
        let idle = if failures > 0 {
            (poll * failures.min(6)).min(Duration::from_secs(60))
        } else {
            poll
        };
        let mut stop = stop.clone();
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(idle) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    grace_task.abort();
}

/// Wakes idle loops when a job is enqueued (`NOTIFY scheduled_jobs` from the insert trigger).
/// Polling covers a lost connection, so failures here only cost latency.
async fn listen(db: DatabaseConnection, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let connect = async {
            let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
            listener.listen("scheduled_jobs").await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let connected = tokio::select! {
            result = connect => result,
            _ = stop.wait_for(|s| *s) => return,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(e) => {
                tracing::debug!(error = %e, "LISTEN scheduled_jobs unavailable; polling only");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(30)) => continue,
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        };
        loop {
            tokio::select! {
                received = listener.recv() => match received {
                    Ok(_) => wake.notify_waiters(),
                    Err(e) => {
                        tracing::debug!(error = %e, "LISTEN connection lost");
                        break;
                    }
                },
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_exponentially_with_jitter_and_honours_retry_after() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(3_600);
        for attempt in 1..=6 {
            let nominal = base * 2u32.pow(attempt as u32 - 1);
            let d = retry_delay(attempt, None, base, max);
            assert!(
                d >= nominal.mul_f64(0.79) && d <= nominal.mul_f64(1.21),
                "{attempt}: {d:?}"
            );
        }
        assert!(retry_delay(40, None, base, max) <= max.mul_f64(1.21));
        let after = Duration::from_secs(600);
        assert!(retry_delay(1, Some(after), base, max) >= after);
    }
}
