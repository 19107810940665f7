//! The job-queue port: how a capability asks for background work. `enqueue` takes any
//! connection, so a record and its job commit together; the workers claim and run the rows.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement, Value as DbValue};
use serde_json::Value;

use crate::kernel::Scope;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What to run (a registered kind).
    pub kind: String,
    /// Its arguments.
    pub payload: Value,
    /// Not before this time (now when `None`).
    pub run_at: Option<DateTime<Utc>>,
    /// Higher runs first.
    pub priority: i32,
    /// Tries before `failed`.
    pub max_attempts: i32,
    /// At most one queued or running job per (project, kind, dedupe key).
    pub dedupe_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` with `payload`, due now, 5 attempts.
    pub fn new(kind: impl Into<String>, payload: Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            run_at: None,
            priority: 0,
            max_attempts: 5,
            dedupe_key: None,
        }
    }
}

/// Result of [`enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job.
    New(i64),
    /// A live job with the same dedupe key already existed.
    Existing(i64),
}

impl Enqueued {
    /// The job's id.
    pub fn id(self) -> i64 {
        match self {
            Self::New(id) | Self::Existing(id) => id,
        }
    }
}

/// Enqueues `job` in the scope's project. Takes any connection, so it can join the caller's
/// transaction (the record and its job commit together).
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    job: NewJob,
) -> Result<Enqueued, DbErr> {
    let backend = db.get_database_backend();
    // A live duplicate may finish between the insert and the lookup; try again then.
    for _ in 0..3 {
        let inserted = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "insert into scheduled_jobs \
                   (project_id, account_scope_id, kind, payload, priority, run_at, max_attempts, \
                    dedupe_key) \
                 values ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8) \
                 on conflict (project_id, kind, dedupe_key) \
                   where status in ('queued', 'running') and dedupe_key is not null \
                 do nothing returning id",
                [
                    scope.project_id().into(),
                    scope.account_scope_id().into(),
                    job.kind.clone().into(),
                    DbValue::Json(Some(Box::new(job.payload.clone()))),
                    job.priority.into(),
                    job.run_at.into(),
                    job.max_attempts.into(),
                    job.dedupe_key.clone().into(),
                ],
            ))
            .await?;
        if let Some(row) = inserted {
            return Ok(Enqueued::New(row.try_get("", "id")?));
        }
        let existing = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "select id from scheduled_jobs where project_id = $1 and kind = $2 \
                 and dedupe_key = $3 and status in ('queued', 'running')",
                [
                    scope.project_id().into(),
                    job.kind.clone().into(),
                    job.dedupe_key.clone().into(),
                ],
            ))
            .await?;
        if let Some(row) = existing {
            return Ok(Enqueued::Existing(row.try_get("", "id")?));
        }
    }
    Err(DbErr::Custom(
        "could not enqueue: dedupe key kept racing".into(),
    ))
}
