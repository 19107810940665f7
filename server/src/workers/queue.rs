//! The Postgres job queue over `scheduled_jobs` (one `worker_runs` row per try).
//!
//! Claiming uses `FOR UPDATE SKIP LOCKED`, so concurrent workers (threads or processes) never
//! take the same job; a claim holds a lease that the heartbeat extends, and a job whose lease
//! expired is requeued (or failed, if that was its last attempt) and taken by someone else.
//! Every write of a running job is fenced by `(locked_by, attempts)`, so a worker that lost its
//! lease cannot overwrite the new holder's outcome.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait, Value as DbValue,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub use crate::kernel::jobs::{Enqueued, NewJob, enqueue};

/// A job claimed by a worker.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// Job id.
    pub id: i64,
    /// The job's project.
    pub project_id: Uuid,
    /// Kind.
    pub kind: String,
    /// Arguments.
    pub payload: Value,
    /// This try's number (1-based).
    pub attempt: i32,
    /// Tries allowed.
    pub max_attempts: i32,
    /// The holder.
    pub worker_id: String,
    /// This try's `worker_runs` row.
    pub worker_run_id: i64,
}

fn seconds(d: Duration) -> DbValue {
    d.as_secs_f64().into()
}

/// Requeues jobs whose lease expired (their worker died or hung), failing those that used
/// their last attempt, and marks those tries `lost`.
pub async fn rescue_expired<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let result = db
        .execute_unprepared(
            "with expired as ( \
               select id from scheduled_jobs \
               where status = 'running' and lease_expires_at < now() \
               order by lease_expires_at limit 100 for update skip locked \
             ), moved as ( \
               update scheduled_jobs j set \
                 status = case when j.attempts >= j.max_attempts then 'failed' else 'queued' end, \
                 finished_at = case when j.attempts >= j.max_attempts then now() end, \
                 last_error = 'lease expired: worker ' || coalesce(j.locked_by, 'unknown') \
                              || ' stopped heartbeating', \
                 run_at = now(), locked_by = null, lease_expires_at = null \
               from expired where j.id = expired.id \
               returning j.id \
             ) \
             update worker_runs w set status = 'lost', finished_at = now(), \
               error = 'lease expired' \
             from moved where w.job_id = moved.id and w.status = 'running'",
        )
        .await?;
    Ok(result.rows_affected())
}

/// Claims the next due job of one of `kinds` for `worker_id` under a lease of `lease`,
/// after rescuing expired leases. `None` when nothing is due.
pub async fn claim(
    db: &DatabaseConnection,
    worker_id: &str,
    kinds: &[String],
    lease: Duration,
) -> Result<Option<ClaimedJob>, DbErr> {
    let txn = db.begin().await?;
    rescue_expired(&txn).await?;
    let backend = txn.get_database_backend();
    let claimed = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "with next as ( \
               select id from scheduled_jobs \
               where status = 'queued' and run_at <= now() \
                 and kind in (select jsonb_array_elements_text($2::jsonb)) \
               order by priority desc, run_at, id \
               limit 1 for update skip locked \
             ) \
             update scheduled_jobs j set status = 'running', attempts = j.attempts + 1, \
               locked_by = $1, lease_expires_at = now() + make_interval(secs => $3) \
             from next where j.id = next.id \
             returning j.id, j.project_id, j.account_scope_id, j.kind, j.payload, j.attempts, \
               j.max_attempts",
            [
                worker_id.into(),
                DbValue::Json(Some(Box::new(json!(kinds)))),
                seconds(lease),
            ],
        ))
        .await?;
    let Some(row) = claimed else {
        txn.commit().await?;
        return Ok(None);
    };
    let id: i64 = row.try_get("", "id")?;
    let project_id: Uuid = row.try_get("", "project_id")?;
    let account_scope_id: Uuid = row.try_get("", "account_scope_id")?;
    let attempt: i32 = row.try_get("", "attempts")?;
    let run = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "insert into worker_runs (project_id, account_scope_id, job_id, worker_id, attempt) \
             values ($1, $2, $3, $4, $5) returning id",
            [
                project_id.into(),
                account_scope_id.into(),
                id.into(),
                worker_id.into(),
                attempt.into(),
            ],
        ))
        .await?
        .ok_or(DbErr::RecordNotInserted)?;
    let job = ClaimedJob {
        id,
        project_id,
        kind: row.try_get("", "kind")?,
        payload: row.try_get("", "payload")?,
        attempt,
        max_attempts: row.try_get("", "max_attempts")?,
        worker_id: worker_id.to_owned(),
        worker_run_id: run.try_get("", "id")?,
    };
    txn.commit().await?;
    Ok(Some(job))
}

/// Extends the lease; `false` when the job is no longer ours (the lease expired and was taken).
pub async fn heartbeat<C: ConnectionTrait>(
    db: &C,
    job: &ClaimedJob,
    lease: Duration,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let held = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "update scheduled_jobs set lease_expires_at = now() + make_interval(secs => $4) \
             where id = $1 and locked_by = $2 and attempts = $3 and status = 'running'",
            [
                job.id.into(),
                job.worker_id.clone().into(),
                job.attempt.into(),
                seconds(lease),
            ],
        ))
        .await?
        .rows_affected()
        == 1;
    if held {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "update worker_runs set updated_at = now() where id = $1",
            [job.worker_run_id.into()],
        ))
        .await?;
    }
    Ok(held)
}

/// How a try ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The job is done.
    Succeeded,
    /// Try again at `run_at` (or fail for good if the attempts are used up).
    Retry {
        /// When to try again.
        run_at: DateTime<Utc>,
        /// The error to keep.
        error: String,
    },
    /// Fail for good.
    Fail {
        /// The error to keep.
        error: String,
    },
    /// Give the job back untried (worker shutting down): the attempt is not counted.
    Release,
}

/// What a fenced update found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The job is `succeeded`.
    Succeeded,
    /// The job is queued again.
    Requeued,
    /// The job is `failed`.
    Failed,
    /// The lease had been lost: nothing recorded on the job.
    Lost,
}

/// Records the end of a try on the job and its `worker_runs` row.
pub async fn finish(
    db: &DatabaseConnection,
    job: &ClaimedJob,
    how: Finish,
) -> Result<Recorded, DbErr> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let fence = [
        DbValue::from(job.id),
        job.worker_id.clone().into(),
        job.attempt.into(),
    ];
    let (sql, extra): (&str, Vec<DbValue>) = match &how {
        Finish::Succeeded => (
            "update scheduled_jobs set status = 'succeeded', finished_at = now(), \
               last_error = null, locked_by = null, lease_expires_at = null \
             where id = $1 and locked_by = $2 and attempts = $3 and status = 'running' \
             returning status",
            vec![],
        ),
        Finish::Retry { run_at, error } => (
            "update scheduled_jobs set \
               status = case when attempts >= max_attempts then 'failed' else 'queued' end, \
               finished_at = case when attempts >= max_attempts then now() end, \
               run_at = $4, last_error = $5, locked_by = null, lease_expires_at = null \
             where id = $1 and locked_by = $2 and attempts = $3 and status = 'running' \
             returning status",
            vec![(*run_at).into(), error.clone().into()],
        ),
        Finish::Fail { error } => (
            "update scheduled_jobs set status = 'failed', finished_at = now(), \
               last_error = $4, locked_by = null, lease_expires_at = null \
             where id = $1 and locked_by = $2 and attempts = $3 and status = 'running' \
             returning status",
            vec![error.clone().into()],
        ),
        Finish::Release => (
            "update scheduled_jobs set status = 'queued', run_at = now(), \
               attempts = attempts - 1, locked_by = null, lease_expires_at = null \
             where id = $1 and locked_by = $2 and attempts = $3 and status = 'running' \
             returning status",
            vec![],
        ),
    };
    let values: Vec<DbValue> = fence.into_iter().chain(extra).collect();
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let recorded = match row {
        None => Recorded::Lost,
        Some(row) => match row.try_get::<String>("", "status")?.as_str() {
            "succeeded" => Recorded::Succeeded,
            "failed" => Recorded::Failed,
            _ => Recorded::Requeued,
        },
    };
    let (run_status, run_error) = match (&how, recorded) {
        (_, Recorded::Lost) => ("lost", Some("lease lost before the try ended".to_owned())),
        (Finish::Succeeded, _) => ("ok", None),
        (Finish::Retry { error, .. } | Finish::Fail { error }, _) => {
            ("failed", Some(error.clone()))
        }
        (Finish::Release, _) => ("lost", Some("worker shut down".to_owned())),
    };
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "update worker_runs set status = $2, error = $3, finished_at = now() \
         where id = $1 and status = 'running'",
        [
            job.worker_run_id.into(),
            run_status.into(),
            run_error.into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok(recorded)
}
