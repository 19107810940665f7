//! Sync status of a project's sources (latest run, watermark, pending job) and "sync now".
use chrono::{DateTime, Utc};
use entity::{enums::JobRunStatus, job_runs};
use sea_orm::{
    ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::conversations::{
    ids::watermark_source,
    sources::{ChatwootSource, get_source, list_sources},
    sync::{Pass, SYNC_JOB, SyncMode, WatermarkMeta},
};
use crate::{
    kernel::{
        DomainError, Scope,
        error::{DomainResult, FieldError},
        jobs::{Enqueued, NewJob},
    },
    workers::queue,
};

/// Prefix of a sync job's dedupe key (`source:<source_id>`).
pub const SYNC_DEDUPE_PREFIX: &str = "source:";

/// The dedupe key of `source_id`'s sync jobs: at most one queued or running at a time.
pub fn sync_dedupe_key(source_id: Uuid) -> String {
    format!("{SYNC_DEDUPE_PREFIX}{source_id}")
}

/// Priority of on-demand syncs over scheduled ones.
const ON_DEMAND_PRIORITY: i32 = 10;

/// Answer to a sync request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncRequested {
    /// The job that will run the sync.
    pub job_id: i64,
    /// True when a sync was already queued or running (it was moved up, not duplicated).
    pub already_pending: bool,
}

/// Queues a sync of `source_id` to run now (the "sync now" mutation).
pub async fn request_sync_now<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source_id: Uuid,
) -> DomainResult<SyncRequested> {
    request_sync(db, scope, source_id, SyncMode::Auto).await
}

/// Queues a sync of `source_id` in `mode` to run now.
pub async fn request_sync<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source_id: Uuid,
    mode: SyncMode,
) -> DomainResult<SyncRequested> {
    let source = get_source(db, scope, source_id).await?;
    if !source.enabled {
        return Err(DomainError::Validation(vec![FieldError::new(
            "sourceId",
            "the source is disabled",
        )]));
    }
    let mut job = NewJob::new(SYNC_JOB, json!({ "source_id": source.id, "mode": mode }));
    job.priority = ON_DEMAND_PRIORITY;
    job.dedupe_key = Some(sync_dedupe_key(source.id));
    match queue::enqueue(db, scope, job).await? {
        Enqueued::New(job_id) => Ok(SyncRequested {
            job_id,
            already_pending: false,
        }),
        Enqueued::Existing(job_id) => {
            // A queued one may be waiting out a retry delay: asking now means now.
            db.execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "update scheduled_jobs set run_at = least(run_at, now()), \
                   priority = greatest(priority, $3) \
                 where id = $1 and project_id = $2 and status = 'queued'",
                [
                    job_id.into(),
                    scope.project_id().into(),
                    ON_DEMAND_PRIORITY.into(),
                ],
            ))
            .await?;
            Ok(SyncRequested {
                job_id,
                already_pending: true,
            })
        }
    }
}

/// A source as the status view shows it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSummary {
    /// Source id.
    pub id: Uuid,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot base URL.
    pub base_url: String,
    /// Key of the webhook URL `/webhooks/chatwoot/<source_key>`.
    pub source_key: String,
    /// Sync and webhooks active.
    pub enabled: bool,
    /// Webhook signatures required.
    pub verify_signatures: bool,
    /// A webhook secret is configured.
    pub has_webhook_secret: bool,
    /// Seconds between scheduled syncs.
    pub sync_interval_seconds: i32,
}

impl From<&ChatwootSource> for SourceSummary {
    fn from(s: &ChatwootSource) -> Self {
        Self {
            id: s.id,
            account_id: s.account_id,
            base_url: s.base_url.clone(),
            source_key: s.source_key.clone(),
            enabled: s.enabled,
            verify_signatures: s.verify_signatures,
            has_webhook_secret: s.webhook_secret.is_some(),
            sync_interval_seconds: s.sync_interval_seconds,
        }
    }
}

/// One `job_runs` row.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRun {
    /// Run id.
    pub id: i64,
    /// Job name (`chatwoot_sync`).
    pub job_name: String,
    /// running | ok | failed.
    pub status: JobRunStatus,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Items read so far.
    pub processed_count: i32,
    /// Error of a failed run.
    pub error: Option<String>,
    /// Per-kind counts (`contacts`/`conversations`/`messages`: seen, inserted, updated,
    /// skipped), `pages`, `requests`, and while running `mode`/`phase`/`page`.
    pub meta: Value,
    /// Source the run synced.
    pub source_id: Option<Uuid>,
    /// Last progress update (a running run whose updated_at stops moving is stuck).
    pub updated_at: DateTime<Utc>,
}

impl From<job_runs::Model> for JobRun {
    fn from(m: job_runs::Model) -> Self {
        Self {
            id: m.id,
            job_name: m.job_name,
            status: m.status,
            started_at: m.started_at.with_timezone(&Utc),
            finished_at: m.finished_at.map(|t| t.with_timezone(&Utc)),
            processed_count: m.processed_count,
            error: m.error,
            meta: m.meta,
            source_id: m.source_id,
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// The watermark of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Watermark {
    /// `chatwoot:<account_id>`.
    pub source: String,
    /// Conversations cursor: newest activity fully synced.
    pub cursor_ts: Option<DateTime<Utc>>,
    /// Highest Chatwoot message id synced.
    pub cursor_id: Option<String>,
    /// Contacts cursor: newest contact activity fully synced.
    pub contacts_cursor: Option<DateTime<Utc>>,
    /// Last completed full pass.
    pub last_full_at: Option<DateTime<Utc>>,
    /// Last completed pass.
    pub last_completed_at: Option<DateTime<Utc>>,
    /// The pass in progress (phase and next page), if any.
    pub pass: Option<Pass>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A sync job waiting or running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSync {
    /// Job id.
    pub job_id: i64,
    /// queued | running.
    pub status: String,
    /// Due time.
    pub run_at: DateTime<Utc>,
    /// Tries so far.
    pub attempts: i32,
    /// Error of the last failed try.
    pub last_error: Option<String>,
}

/// Everything the sync status view shows for one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSyncStatus {
    /// The source.
    pub source: SourceSummary,
    /// Its latest run.
    pub latest_run: Option<JobRun>,
    /// Its watermark.
    pub watermark: Option<Watermark>,
    /// Its queued or running job.
    pub pending: Option<PendingSync>,
}

/// Sync status of every Chatwoot source of the scope's project.
pub async fn sync_status<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
) -> DomainResult<Vec<SourceSyncStatus>> {
    let mut out = Vec::new();
    for source in list_sources(db, scope).await? {
        out.push(status_of(db, scope, &source).await?);
    }
    Ok(out)
}

/// Sync status of one source.
pub async fn source_sync_status<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source_id: Uuid,
) -> DomainResult<SourceSyncStatus> {
    let source = get_source(db, scope, source_id).await?;
    status_of(db, scope, &source).await
}

async fn status_of<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source: &ChatwootSource,
) -> DomainResult<SourceSyncStatus> {
    let latest_run = scope
        .rows::<job_runs::Entity>()
        .filter(job_runs::Column::SourceId.eq(source.id))
        .order_by_desc(job_runs::Column::StartedAt)
        .order_by_desc(job_runs::Column::Id)
        .one(db)
        .await?
        .map(JobRun::from);
    let backend = db.get_database_backend();
    let watermark = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "select source, cursor_ts, cursor_id, meta, updated_at from sync_watermarks \
             where project_id = $1 and source = $2",
            [
                scope.project_id().into(),
                watermark_source(source.account_id).into(),
            ],
        ))
        .await?
        .map(|row| -> Result<Watermark, sea_orm::DbErr> {
            let meta: WatermarkMeta =
                serde_json::from_value(row.try_get::<Value>("", "meta")?).unwrap_or_default();
            Ok(Watermark {
                source: row.try_get("", "source")?,
                cursor_ts: row
                    .try_get::<Option<DateTime<chrono::FixedOffset>>>("", "cursor_ts")?
                    .map(|t| t.with_timezone(&Utc)),
                cursor_id: row.try_get("", "cursor_id")?,
                contacts_cursor: meta
                    .contacts_cursor
                    .and_then(|s| DateTime::from_timestamp(s, 0)),
                last_full_at: meta.last_full_at,
                last_completed_at: meta.last_completed_at,
                pass: meta.pass,
                updated_at: row
                    .try_get::<DateTime<chrono::FixedOffset>>("", "updated_at")?
                    .with_timezone(&Utc),
            })
        })
        .transpose()?;
    let pending = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "select id, status, run_at, attempts, last_error from scheduled_jobs \
             where project_id = $1 and kind = $2 and dedupe_key = $3 \
               and status in ('queued', 'running') \
             order by id desc limit 1",
            [
                scope.project_id().into(),
                SYNC_JOB.into(),
                sync_dedupe_key(source.id).into(),
            ],
        ))
        .await?
        .map(|row| -> Result<PendingSync, sea_orm::DbErr> {
            Ok(PendingSync {
                job_id: row.try_get("", "id")?,
                status: row.try_get("", "status")?,
                run_at: row
                    .try_get::<DateTime<chrono::FixedOffset>>("", "run_at")?
                    .with_timezone(&Utc),
                attempts: row.try_get("", "attempts")?,
                last_error: row.try_get("", "last_error")?,
            })
        })
        .transpose()?;
    Ok(SourceSyncStatus {
        source: source.into(),
        latest_run,
        watermark,
        pending,
    })
}

/// A page of job runs, newest first.
#[derive(Debug, Clone)]
pub struct JobRunPage {
    /// The runs.
    pub items: Vec<JobRun>,
    /// More follow.
    pub has_next_page: bool,
    /// Runs in the whole listing.
    pub total_count: u64,
}

/// The scope's sync runs (of one source, or all), newest first, `first` after run id `after`.
pub async fn list_job_runs<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source_id: Option<Uuid>,
    first: u64,
    after: Option<i64>,
) -> DomainResult<JobRunPage> {
    let mut base = scope
        .rows::<job_runs::Entity>()
        .filter(job_runs::Column::JobName.eq(SYNC_JOB));
    if let Some(source_id) = source_id {
        base = base.filter(job_runs::Column::SourceId.eq(source_id));
    }
    let total_count = base.clone().count(db).await?;
    let mut query = base.order_by_desc(job_runs::Column::Id).limit(first + 1);
    if let Some(after) = after {
        query = query.filter(job_runs::Column::Id.lt(after));
    }
    let mut items: Vec<JobRun> = query.all(db).await?.into_iter().map(Into::into).collect();
    let has_next_page = items.len() as u64 > first;
    items.truncate(first as usize);
    Ok(JobRunPage {
        items,
        has_next_page,
        total_count,
    })
}
