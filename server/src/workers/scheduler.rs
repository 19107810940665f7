//! The scheduler: every tick, enqueues a Chatwoot sync for each enabled source whose last sync
//! job is older than its `sync_interval_seconds`, and a CRM refresh (health, radar,
//! next-best-actions) for each live project whose last one is older than the refresh interval;
//! a campaign dispatch for each running (or due scheduled) campaign; and expires offers past
//! their validity. Safe to run in every process: the live-job
//! dedupe index and the recency check make concurrent ticks enqueue one job, not several.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use tokio::{sync::watch, task::JoinHandle};

use crate::domain::conversations::{status::SYNC_DEDUPE_PREFIX, sync::SYNC_JOB};

/// Enqueues the syncs that are due; returns how many were enqueued.
pub async fn enqueue_due_syncs<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "insert into scheduled_jobs \
               (project_id, account_scope_id, kind, payload, dedupe_key, max_attempts) \
             select s.project_id, s.account_scope_id, $1, \
                    jsonb_build_object('source_id', s.id, 'mode', 'auto'), \
                    $2 || s.id::text, 5 \
             from project_sources s \
             join projects p on p.id = s.project_id and p.archived_at is null \
             where s.enabled and s.source_kind = 'chatwoot_account' \
               and not exists ( \
                 select 1 from scheduled_jobs j \
                 where j.project_id = s.project_id and j.kind = $1 \
                   and j.dedupe_key = $2 || s.id::text \
                   and (j.status in ('queued', 'running') \
                        or j.created_at > now() - make_interval(secs => s.sync_interval_seconds))) \
             on conflict (project_id, kind, dedupe_key) \
               where status in ('queued', 'running') and dedupe_key is not null \
             do nothing",
            [SYNC_JOB.into(), SYNC_DEDUPE_PREFIX.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Dedupe key of the scheduled CRM refresh (one live per project).
pub const CRM_REFRESH_DEDUPE_KEY: &str = "scheduled";

/// Enqueues a full CRM refresh for every live project with CRM accounts whose last scheduled
/// refresh is older than `every`; returns how many were enqueued.
pub async fn enqueue_due_crm_refreshes<C: ConnectionTrait>(
    db: &C,
    every: Duration,
) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "insert into scheduled_jobs \
               (project_id, account_scope_id, kind, payload, dedupe_key, max_attempts) \
             select p.id, p.account_scope_id, $1, '{}'::jsonb, $2, 3 \
             from projects p \
             where p.archived_at is null \
               and exists (select 1 from crm_accounts a \
                           where a.project_id = p.id and a.status = 'active') \
               and not exists ( \
                 select 1 from scheduled_jobs j \
                 where j.project_id = p.id and j.kind = $1 and j.dedupe_key = $2 \
                   and (j.status in ('queued', 'running') \
                        or j.created_at > now() - make_interval(secs => $3))) \
             on conflict (project_id, kind, dedupe_key) \
               where status in ('queued', 'running') and dedupe_key is not null \
             do nothing",
            [
                crate::domain::signals::REFRESH_JOB.into(),
                CRM_REFRESH_DEDUPE_KEY.into(),
                (every.as_secs_f64()).into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Runs [`enqueue_due_syncs`], [`enqueue_due_crm_refreshes`], the campaign dispatches and the
/// offer expiry every `tick` until `stop` turns true.
pub fn spawn(
    db: DatabaseConnection,
    tick: Duration,
    crm_refresh_every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match enqueue_due_syncs(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(enqueued = n, "scheduled Chatwoot syncs"),
                Err(e) => tracing::warn!(error = %e, "scheduler tick failed"),
            }
            match enqueue_due_crm_refreshes(&db, crm_refresh_every).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(enqueued = n, "scheduled CRM refreshes"),
                Err(e) => tracing::warn!(error = %e, "CRM refresh scheduling failed"),
            }
            match crate::domain::campaigns::dispatch::enqueue_due(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(enqueued = n, "scheduled campaign dispatches"),
                Err(e) => tracing::warn!(error = %e, "campaign dispatch scheduling failed"),
            }
            // Cheap when nothing is due; a direct call, as expiry needs no worker.
            match crate::domain::offers::expire_due(&db, chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "expired offers"),
                Err(e) => tracing::warn!(error = %e, "offer expiry failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(tick) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    })
}
