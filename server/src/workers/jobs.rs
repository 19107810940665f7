//! The job kinds this server runs, and the one place a domain error becomes a job error.
use serde::Deserialize;
use uuid::Uuid;

use super::runner::{JobContext, JobError, JobRegistry};
use crate::domain::{
    ingest::sync::{SYNC_JOB, SyncError, SyncMode, SyncOptions, run_sync},
    rag::{
        Chunker,
        index::{INDEX_JOB, index_stored_messages},
    },
};

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
        .map(|_| ())
        .map_err(|e| JobError::retryable(format!("indexing failed: {e}")))
    });
}
