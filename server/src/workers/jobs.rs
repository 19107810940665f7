//! The job kinds this server runs, and the one place a domain error becomes a job error.
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::{
    conversations::sync::{SYNC_JOB, SyncError, SyncMode, SyncOptions, run_sync},
    search::{
        Chunker,
        index::{INDEX_JOB, index_stored_messages},
    },
    signals::{
        actions,
        detection::{self, DETECT_JOB, DetectOptions, MAX_VECTOR_WAITS, VECTOR_WAIT_SECONDS},
        health, radar,
    },
};
use crate::workers::runner::{JobContext, JobError, JobRegistry};

impl From<&SyncError> for JobError {
    fn from(e: &SyncError) -> Self {
        let error = if e.is_retryable() {
            JobError::retryable(e.to_string())
        } else {
            JobError::fatal(e.to_string())
        };
        error.with_retry_after(e.retry_after())
    }
}

#[derive(Deserialize)]
struct SyncPayload {
    source_id: Uuid,
    #[serde(default)]
    mode: SyncMode,
}

/// Registers `chatwoot_sync` (payload `{ "source_id": uuid, "mode": "auto" | "full" }`).
pub fn register_chatwoot_sync(registry: &mut JobRegistry, options: SyncOptions) {
    registry.register(SYNC_JOB, move |ctx: JobContext| {
        let options = options.clone();
        async move {
            let payload: SyncPayload = serde_json::from_value(ctx.payload)
                .map_err(|e| JobError::fatal(format!("invalid chatwoot_sync payload: {e}")))?;
            let options = SyncOptions {
                mode: payload.mode,
                ..options
            };
            run_sync(&ctx.db, &ctx.scope, payload.source_id, &options)
                .await
                .map(|_| ())
                .map_err(|failure| JobError::from(&failure.error))
        }
    });
}

#[derive(Deserialize)]
struct IndexPayload {
    message_ids: Vec<String>,
}

/// Most message ids one `rag_index` job may carry (ingestion writes pages far smaller).
const MAX_INDEX_IDS: usize = 10_000;

/// Registers `rag_index` (payload `{ "message_ids": [text] }`): chunks and evidence for
/// messages ingestion wrote.
pub fn register_rag_index(registry: &mut JobRegistry) {
    registry.register(INDEX_JOB, |ctx: JobContext| async move {
        let payload: IndexPayload = serde_json::from_value(ctx.payload)
            .map_err(|e| JobError::fatal(format!("invalid rag_index payload: {e}")))?;
        if payload.message_ids.len() > MAX_INDEX_IDS {
            return Err(JobError::fatal(format!(
                "rag_index payload has {} ids; at most {MAX_INDEX_IDS}",
                payload.message_ids.len()
            )));
        }
        index_stored_messages(
            &ctx.db,
            &ctx.scope,
            &payload.message_ids,
            Chunker::current(),
        )
        .await
        .map_err(|e| JobError::retryable(format!("indexing failed: {e}")))?;
        // Signals next: a crash between the two re-runs this job, whose indexing is then a
        // no-op and whose enqueue happens then.
        for ids in payload.message_ids.chunks(detection::MAX_DETECT_MESSAGES) {
            detection::enqueue_detection(&ctx.db, &ctx.scope, ids, 0, 0)
                .await
                .map_err(|e| {
                    JobError::retryable(format!("queueing signal detection failed: {e}"))
                })?;
        }
        Ok(())
    });
}

#[derive(Deserialize)]
struct DetectPayload {
    message_ids: Vec<String>,
    #[serde(default)]
    waits: u32,
}

/// Registers `crm_detect_signals` (payload `{ "message_ids": [text], "waits": n }`): applies
/// inbound stop phrases (opt-outs), detects signals, re-enqueues itself for messages whose chunks have no vector yet, then refreshes the
/// affected accounts' health, the radar and next-best-actions.
pub fn register_signal_detection(registry: &mut JobRegistry, options: DetectOptions) {
    registry.register(DETECT_JOB, move |ctx: JobContext| async move {
        let payload: DetectPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| JobError::fatal(format!("invalid {DETECT_JOB} payload: {e}")))?;
        if payload.message_ids.len() > detection::MAX_DETECT_MESSAGES {
            return Err(JobError::fatal(format!(
                "{DETECT_JOB} payload has {} ids; at most {}",
                payload.message_ids.len(),
                detection::MAX_DETECT_MESSAGES
            )));
        }
        // Stop phrases first: an opt-out must not wait for signals, and both read the same
        // freshly ingested messages. Idempotent, so a re-run of this job is harmless.
        crate::domain::outbound::policies::apply_inbound_opt_outs(
            &ctx.db,
            &ctx.scope,
            &payload.message_ids,
        )
        .await
        .map_err(|e| JobError::retryable(format!("applying inbound opt-outs failed: {e}")))?;
        let provider = crate::domain::search::provider();
        let report = detection::detect(
            &ctx.db,
            &ctx.scope,
            provider.as_ref(),
            &payload.message_ids,
            &options,
        )
        .await
        .map_err(|e| JobError::retryable(format!("signal detection failed: {e}")))?;
        if !report.waiting_for_vectors.is_empty() && payload.waits < MAX_VECTOR_WAITS {
            detection::enqueue_detection(
                &ctx.db,
                &ctx.scope,
                &report.waiting_for_vectors,
                payload.waits + 1,
                VECTOR_WAIT_SECONDS,
            )
            .await
            .map_err(|e| JobError::retryable(format!("re-queueing detection failed: {e}")))?;
        }
        if report.signals_created + report.signals_updated > 0 {
            refresh(&ctx, Some(report.accounts.into_iter().collect())).await?;
        }
        Ok(())
    });
}

pub use crate::domain::signals::REFRESH_JOB;

#[derive(Deserialize)]
struct RefreshPayload {
    #[serde(default)]
    account_ids: Option<Vec<uuid::Uuid>>,
}

async fn refresh(ctx: &JobContext, accounts: Option<Vec<uuid::Uuid>>) -> Result<(), JobError> {
    let now = chrono::Utc::now();
    let failed = |what: &str, e: crate::kernel::DomainError| {
        JobError::retryable(format!("{what} failed: {e}"))
    };
    match accounts {
        Some(accounts) => {
            for account in accounts {
                match health::compute_account(&ctx.db, &ctx.scope, account, now).await {
                    // Merged or deleted since the job was queued: nothing to score.
                    Ok(_)
                    | Err(
                        crate::kernel::DomainError::NotFound(_)
                        | crate::kernel::DomainError::Conflict(_),
                    ) => {}
                    Err(e) => return Err(failed("health scoring", e)),
                }
            }
        }
        None => {
            health::recompute_project(&ctx.db, &ctx.scope, now)
                .await
                .map_err(|e| failed("health scoring", e))?;
        }
    }
    radar::sync_signal_items(&ctx.db, &ctx.scope)
        .await
        .map_err(|e| failed("risk radar", e))?;
    actions::generate(&ctx.db, &ctx.scope, now)
        .await
        .map_err(|e| failed("next-best-action generation", e))?;
    Ok(())
}

/// Registers `crm_refresh` (payload `{ "account_ids": [uuid] | null }`): health scores (of the
/// given accounts, or every active one), the radar's signal items and next-best-actions.
pub fn register_crm_refresh(registry: &mut JobRegistry) {
    registry.register(REFRESH_JOB, |ctx: JobContext| async move {
        let payload: RefreshPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| JobError::fatal(format!("invalid {REFRESH_JOB} payload: {e}")))?;
        refresh(&ctx, payload.account_ids).await
    });
}

#[derive(Deserialize)]
struct DispatchPayload {
    campaign_id: Uuid,
}

/// Registers `campaign_dispatch` (payload `{ "campaign_id": uuid }`): starts the campaign when
/// its schedule is due, queues its next members and finishes it when nobody is left. A
/// campaign deleted since is nothing to do.
pub fn register_campaign_dispatch(registry: &mut JobRegistry) {
    use crate::domain::campaigns::dispatch::{DISPATCH_JOB, run};
    registry.register(DISPATCH_JOB, |ctx: JobContext| async move {
        let payload: DispatchPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| JobError::fatal(format!("invalid {DISPATCH_JOB} payload: {e}")))?;
        match run(&ctx.db, &ctx.scope, payload.campaign_id, chrono::Utc::now()).await {
            Ok(_) | Err(crate::kernel::DomainError::NotFound(_)) => Ok(()),
            Err(e) => Err(JobError::retryable(format!(
                "campaign dispatch failed: {e}"
            ))),
        }
    });
}
