//! The embedding status panel's data: counts by status, failed chunks with their errors, and
//! "retry failed".
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::{kernel::Scope, kernel::error::DomainResult};

/// Chunks of a project by embedding status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmbeddingStatusCounts {
    /// Waiting (new, edited, backing off, or re-queued by a model switch).
    pub pending: i64,
    /// Leased by a worker now.
    pub processing: i64,
    /// Embedded.
    pub ready: i64,
    /// Gave up; see [`failed_chunks`].
    pub failed: i64,
    /// All chunks.
    pub total: i64,
    /// Chunks with a vector of the current model (what vector search can see).
    pub current_model_vectors: i64,
    /// Pending chunks waiting out a backoff after an error.
    pub backing_off: i64,
}

impl EmbeddingStatusCounts {
    /// Share of chunks with a current-model vector, 0..=1 (1 for an empty project).
    pub fn progress(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.current_model_vectors as f64 / self.total as f64
        }
    }
}

/// Counts for the caller's project; `model` is the configured provider's `model_id()`.
pub async fn embedding_status<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    model: &str,
) -> DomainResult<EmbeddingStatusCounts> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select \
               count(*) filter (where embedding_status = 'pending') as pending, \
               count(*) filter (where embedding_status = 'processing') as processing, \
               count(*) filter (where embedding_status = 'ready') as ready, \
               count(*) filter (where embedding_status = 'failed') as failed, \
               count(*) as total, \
               count(*) filter (where embedding_model = $3 and embedding is not null) as current, \
               count(*) filter (where embedding_status = 'pending' \
                                  and next_attempt_at > now()) as backing_off \
             from rag_chunks where project_id = $1 and account_scope_id = $2",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                model.into(),
            ],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(EmbeddingStatusCounts::default());
    };
    Ok(EmbeddingStatusCounts {
        pending: row.try_get("", "pending")?,
        processing: row.try_get("", "processing")?,
        ready: row.try_get("", "ready")?,
        failed: row.try_get("", "failed")?,
        total: row.try_get("", "total")?,
        current_model_vectors: row.try_get("", "current")?,
        backing_off: row.try_get("", "backing_off")?,
    })
}

/// A chunk that gave up, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedChunk {
    /// Chunk id.
    pub id: Uuid,
    /// `cwmsg:` id of its message.
    pub message_global_id: Option<String>,
    /// `cw:` id of its conversation.
    pub conversation_global_id: Option<String>,
    /// The start of its text.
    pub text_preview: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last error.
    pub error: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The most recently failed chunks of the caller's project (at most `first`, up to 200).
pub async fn failed_chunks<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    first: u64,
) -> DomainResult<Vec<FailedChunk>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select id, message_global_id, conversation_global_id, left(text, 160) as preview, \
                    embedding_attempts, embedding_error, updated_at \
             from rag_chunks \
             where project_id = $1 and account_scope_id = $2 and embedding_status = 'failed' \
             order by updated_at desc, id limit $3",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                i64::try_from(first.clamp(1, 200)).unwrap_or(200).into(),
            ],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(FailedChunk {
                id: row.try_get("", "id")?,
                message_global_id: row.try_get("", "message_global_id")?,
                conversation_global_id: row.try_get("", "conversation_global_id")?,
                text_preview: row.try_get("", "preview")?,
                attempts: row.try_get("", "embedding_attempts")?,
                error: row.try_get("", "embedding_error")?,
                updated_at: row.try_get("", "updated_at")?,
            })
        })
        .collect()
}

/// Puts the caller's failed chunks back to `pending` with fresh attempts; returns how many.
pub async fn retry_failed<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<u64> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "update rag_chunks set embedding_status = 'pending', embedding_attempts = 0, \
               embedding_error = null, next_attempt_at = null \
             where project_id = $1 and account_scope_id = $2 and embedding_status = 'failed'",
            [scope.project_id().into(), scope.account_scope_id().into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Batches of ingested messages of the caller's project waiting to be cut into chunks (queued
/// or running `rag_index` jobs).
pub async fn indexing_backlog<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<i64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select count(*) as n from scheduled_jobs \
             where project_id = $1 and account_scope_id = $2 and kind = $3 \
               and status in ('queued', 'running')",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                crate::domain::search::index::INDEX_JOB.into(),
            ],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}
