//! The Chatwoot sync of one project source: contacts, then conversations with their messages,
//! page by page. Each page's rows, the watermark's advance and the run's progress commit in
//! one transaction, so a crash or kill at any moment resumes at the first uncommitted page
//! with nothing lost and nothing doubled.
//!
//! Chatwoot has no `updated_since`: lists are read newest activity first, and an incremental
//! pass stops once it is past the watermark (less an overlap for commit lag and second-level
//! clocks); a full pass (the first one, then every `full_rescan_after`, or on request) reads
//! everything, which is also what catches edits that do not bump activity.
//!
//! The watermark row (`sync_watermarks`, source `chatwoot:<account_id>`) holds the
//! conversations cursor in `cursor_ts`, the highest message id in `cursor_id`, and in `meta`
//! the pass in progress, the contacts cursor and a run token. Every page commit checks the
//! token under `FOR UPDATE`, so a newer run that took over fences an older one off.
mod syncer;

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait, Value as DbValue,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use self::syncer::*;
use crate::domain::conversations::{
    ids::{AccountRef, watermark_source},
    normalize::{self, ConversationLink, NormalizedConversation},
    sources::{ChatwootSource, get_source},
    store::{self, Written},
};
use crate::{
    integrations::chatwoot::{
        ChatwootClient, ChatwootError, ClientOptions, MessagesCursor, client::MESSAGES_AFTER_LIMIT,
        payload::lenient_i64,
    },
    kernel::DomainError,
    kernel::Scope,
};

/// Job kind and `job_runs.job_name` of a Chatwoot sync.
pub const SYNC_JOB: &str = "chatwoot_sync";

/// Contacts are read newest activity first in both modes, so a pass's cursor is the top of
/// its first page and contacts changing mid-pass can only be read twice, never skipped.
const CONTACT_SORT: &str = "-last_activity_at";

/// What kind of pass to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Incremental, or full when due (first sync, or `full_rescan_after` elapsed).
    #[default]
    Auto,
    /// Read everything again.
    Full,
}

/// The kind of a pass being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassMode {
    /// Everything.
    Full,
    /// What changed since the watermark.
    Incremental,
}

/// Which list a pass is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `GET /contacts`.
    Contacts,
    /// `GET /conversations` and each conversation's messages.
    Conversations,
}

/// Settings of a sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// HTTP timeouts and retries.
    pub client: ClientOptions,
    /// Which pass to run.
    pub mode: SyncMode,
    /// A full pass runs when the last one is older than this.
    pub full_rescan_after: Duration,
    /// Incremental passes re-read this much before the watermark.
    pub overlap: Duration,
    /// Conversations whose messages are fetched at the same time.
    pub message_concurrency: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            client: ClientOptions::default(),
            mode: SyncMode::Auto,
            full_rescan_after: Duration::from_secs(24 * 3_600),
            overlap: Duration::from_secs(300),
            message_concurrency: 4,
        }
    }
}

/// Counts of one kind of item in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    /// Items read from Chatwoot.
    pub seen: u64,
    /// Rows inserted.
    pub inserted: u64,
    /// Rows changed.
    pub updated: u64,
    /// Items that could not be normalised (logged).
    pub skipped: u64,
}

impl KindCounts {
    fn add_written(&mut self, written: Written) {
        self.inserted += written.inserted;
        self.updated += written.updated;
    }
}

/// Per-kind counts of a run (the `meta` of its `job_runs` row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCounts {
    /// Contacts (list and conversation senders).
    pub contacts: KindCounts,
    /// Conversations.
    pub conversations: KindCounts,
    /// Messages.
    pub messages: KindCounts,
    /// Pages committed.
    pub pages: u64,
    /// HTTP requests sent (retries included).
    pub requests: u64,
}

impl SyncCounts {
    /// Items read (the run's `processed_count`).
    pub fn processed(&self) -> u64 {
        self.contacts.seen + self.conversations.seen + self.messages.seen
    }

    /// Rows inserted or changed.
    pub fn written(&self) -> u64 {
        [self.contacts, self.conversations, self.messages]
            .iter()
            .map(|k| k.inserted + k.updated)
            .sum()
    }
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct SyncReport {
    /// Its `job_runs` row.
    pub job_run_id: i64,
    /// The pass it completed.
    pub mode: PassMode,
    /// What it read and wrote.
    pub counts: SyncCounts,
}

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Chatwoot failed (classified retryable or fatal).
    #[error(transparent)]
    Chatwoot(#[from] ChatwootError),
    /// The database failed; details are logged, not recorded.
    #[error("database error during sync (details in the server log)")]
    Database(#[from] DbErr),
    /// The source does not exist in this project.
    #[error("Chatwoot source not found")]
    SourceNotFound,
    /// The source is disabled.
    #[error("Chatwoot source is disabled")]
    SourceDisabled,
    /// A newer run of the same source took over.
    #[error("superseded by a newer sync run of this source")]
    Superseded,
}

impl SyncError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Chatwoot(e) => e.is_retryable(),
            Self::Database(_) => true,
            Self::SourceNotFound | Self::SourceDisabled | Self::Superseded => false,
        }
    }

    /// The delay Chatwoot asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Chatwoot(e) => e.retry_after(),
            _ => None,
        }
    }
}

impl From<DomainError> for SyncError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Database(db) => Self::Database(db),
            _ => Self::SourceNotFound,
        }
    }
}

/// A failed run: the error and the `job_runs` row it was recorded on (none when the run could
/// not even start).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SyncFailure {
    /// The run's row, if one was written.
    pub job_run_id: Option<i64>,
    /// What went wrong (shown by `Display`, so it is not repeated as a source).
    pub error: SyncError,
}

/// The pass in progress, persisted in the watermark's `meta.pass`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    /// Full or incremental.
    pub mode: PassMode,
    /// Current list.
    pub phase: Phase,
    /// Next page to read (1-based).
    pub page: u32,
    /// When the pass started.
    pub started_at: DateTime<Utc>,
    /// Incremental: contacts active before this (unix s) are old.
    pub contacts_since: Option<i64>,
    /// Incremental: conversations active before this (unix s) are old.
    pub conversations_since: Option<i64>,
    /// Newest contact activity seen in this pass.
    pub contacts_high: Option<i64>,
    /// Newest conversation activity seen in this pass.
    pub conversations_high: Option<i64>,
    /// Longest page seen in this phase: a shorter one is the last.
    #[serde(default)]
    pub max_page_len: usize,
}

/// The watermark's `meta`. Unknown keys are kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WatermarkMeta {
    /// Token of the run allowed to commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_token: Option<String>,
    /// The pass in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<Pass>,
    /// Contacts cursor (unix s of the newest contact activity of the last complete pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts_cursor: Option<i64>,
    /// When the last full pass completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_full_at: Option<DateTime<Utc>>,
    /// When the last pass completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_completed_at: Option<DateTime<Utc>>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

struct WatermarkRow {
    cursor_ts: Option<DateTime<Utc>>,
    cursor_id: Option<String>,
    meta: WatermarkMeta,
}

/// Runs one sync of `source_id` and records it in `job_runs` (running -> ok | failed).
pub async fn run_sync(
    db: &DatabaseConnection,
    scope: &Scope,
    source_id: Uuid,
    options: &SyncOptions,
) -> Result<SyncReport, SyncFailure> {
    let fail = |error: SyncError| SyncFailure {
        job_run_id: None,
        error,
    };
    let source = get_source(db, scope, source_id)
        .await
        .map_err(|e| fail(e.into()))?;
    if !source.enabled {
        return Err(fail(SyncError::SourceDisabled));
    }
    let run_id = start_run(db, scope, source_id)
        .await
        .map_err(|e| fail(e.into()))?;
    let client = match ChatwootClient::new(
        &source.base_url,
        source.account_id,
        &source.api_access_token,
        &options.client,
    ) {
        Ok(client) => client,
        Err(e) => {
            let error = SyncError::Chatwoot(e);
            finish_run(db, scope, run_id, &SyncCounts::default(), Some(&error)).await;
            return Err(SyncFailure {
                job_run_id: Some(run_id),
                error,
            });
        }
    };
    let mut syncer = Syncer {
        db,
        scope,
        account: AccountRef {
            project_id: scope.project_id(),
            account_id: source.account_id,
        },
        source: &source,
        client,
        options,
        run_id,
        token: Uuid::new_v4().to_string(),
        counts: SyncCounts::default(),
    };
    let result = syncer.run().await;
    syncer.counts.requests = syncer.client.requests();
    match result {
        Ok(mode) => {
            finish_run(db, scope, run_id, &syncer.counts, None).await;
            Ok(SyncReport {
                job_run_id: run_id,
                mode,
                counts: syncer.counts,
            })
        }
        Err(error) => {
            if let SyncError::Database(e) = &error {
                tracing::error!(error = %e, %source_id, "chatwoot sync: database error");
            } else {
                tracing::warn!(%error, %source_id, "chatwoot sync failed");
            }
            finish_run(db, scope, run_id, &syncer.counts, Some(&error)).await;
            Err(SyncFailure {
                job_run_id: Some(run_id),
                error,
            })
        }
    }
}

async fn start_run(db: &DatabaseConnection, scope: &Scope, source_id: Uuid) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "insert into job_runs (project_id, account_scope_id, job_name, status, source_id, meta) \
             values ($1, $2, $3, 'running', $4, $5) returning id",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                SYNC_JOB.into(),
                source_id.into(),
                DbValue::Json(Some(Box::new(json!({ "source_id": source_id })))),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    row.try_get::<i64>("", "id")
}

fn run_meta(counts: &SyncCounts, pass: Option<&Pass>) -> Value {
    let mut meta = serde_json::to_value(counts).unwrap_or_else(|_| json!({}));
    if let (Some(pass), Some(obj)) = (pass, meta.as_object_mut()) {
        obj.insert("mode".into(), json!(pass.mode));
        obj.insert("phase".into(), json!(pass.phase));
        obj.insert("page".into(), json!(pass.page));
    }
    meta
}

fn count_i32(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Best effort: a run row left `running` is marked failed by the next run of the source.
async fn finish_run(
    db: &DatabaseConnection,
    scope: &Scope,
    run_id: i64,
    counts: &SyncCounts,
    error: Option<&SyncError>,
) {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "update job_runs set status = $1, finished_at = now(), processed_count = $2, \
             error = $3, meta = meta || $4 where id = $5 and project_id = $6",
            [
                if error.is_some() { "failed" } else { "ok" }.into(),
                count_i32(counts.processed()).into(),
                error.map(ToString::to_string).into(),
                DbValue::Json(Some(Box::new(run_meta(counts, None)))),
                run_id.into(),
                scope.project_id().into(),
            ],
        ))
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, run_id, "could not record the end of a sync run");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_meta_round_trips_and_keeps_unknown_keys() {
        let raw = json!({
            "run_token": "t",
            "contacts_cursor": 1_736_154_000,
            "pass": {
                "mode": "incremental", "phase": "conversations", "page": 3,
                "started_at": "2025-01-06T09:00:00Z", "contacts_since": null,
                "conversations_since": 1_736_150_000, "contacts_high": null,
                "conversations_high": 1_736_154_000
            },
            "added_by_a_later_version": true
        });
        let meta: WatermarkMeta = serde_json::from_value(raw).expect("readable meta");
        let pass = meta.pass.clone().expect("a pass");
        assert_eq!(pass.phase, Phase::Conversations);
        assert_eq!(pass.max_page_len, 0);
        let back = serde_json::to_value(&meta).expect("serialisable");
        assert_eq!(back["added_by_a_later_version"], json!(true));
        assert_eq!(back["pass"]["mode"], json!("incremental"));
    }

    #[test]
    fn counts_sum_processed_and_written_rows() {
        let mut counts = SyncCounts::default();
        counts.contacts.seen = 2;
        counts.messages.seen = 5;
        counts.messages.inserted = 4;
        counts.conversations.updated = 1;
        assert_eq!(counts.processed(), 7);
        assert_eq!(counts.written(), 5);
    }
}
