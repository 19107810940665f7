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
use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait, Value as DbValue,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

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

/// Rows of one page, ready to commit.
#[derive(Default)]
struct PageRows {
    contacts: Vec<normalize::ContactRow>,
    conversations: Vec<normalize::ConversationRow>,
    messages: Vec<normalize::MessageRow>,
}

struct Syncer<'a> {
    db: &'a DatabaseConnection,
    scope: &'a Scope,
    account: AccountRef,
    source: &'a ChatwootSource,
    client: ChatwootClient,
    options: &'a SyncOptions,
    run_id: i64,
    token: String,
    counts: SyncCounts,
}

impl Syncer<'_> {
    fn source_name(&self) -> String {
        watermark_source(self.source.account_id)
    }

    async fn run(&mut self) -> Result<PassMode, SyncError> {
        let mut pass = self.claim().await?;
        let mode = pass.mode;
        while pass.phase == Phase::Contacts {
            pass = self.contacts_page(pass).await?;
        }
        self.conversations_phase(pass).await?;
        Ok(mode)
    }

    /// Takes the watermark for this run (fencing off older runs) and resumes or starts a pass.
    async fn claim(&self) -> Result<Pass, SyncError> {
        let txn = self.db.begin().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "insert into sync_watermarks (project_id, account_scope_id, source) \
             values ($1, $2, $3) on conflict (project_id, source) do nothing",
            [
                self.scope.project_id().into(),
                self.scope.account_scope_id().into(),
                self.source_name().into(),
            ],
        ))
        .await?;
        let mut row = lock_watermark(&txn, self.scope, &self.source_name()).await?;
        let now = Utc::now();
        let resume = row.meta.pass.clone().filter(|p| {
            // An explicit full request replaces an unfinished incremental pass.
            !(self.options.mode == SyncMode::Full && p.mode == PassMode::Incremental)
        });
        let pass = match resume {
            Some(pass) => pass,
            None => {
                let overlap = self.options.overlap.as_secs() as i64;
                let full_due = row.meta.last_full_at.is_none_or(|at| {
                    (now - at).to_std().unwrap_or_default() >= self.options.full_rescan_after
                });
                let full =
                    self.options.mode == SyncMode::Full || row.cursor_ts.is_none() || full_due;
                Pass {
                    mode: if full {
                        PassMode::Full
                    } else {
                        PassMode::Incremental
                    },
                    phase: Phase::Contacts,
                    page: 1,
                    started_at: now,
                    contacts_since: (!full)
                        .then(|| row.meta.contacts_cursor.map(|c| c - overlap))
                        .flatten(),
                    conversations_since: (!full)
                        .then(|| row.cursor_ts.map(|t| t.timestamp() - overlap))
                        .flatten(),
                    contacts_high: None,
                    conversations_high: None,
                    max_page_len: 0,
                }
            }
        };
        row.meta.run_token = Some(self.token.clone());
        row.meta.pass = Some(pass.clone());
        write_watermark(&txn, self.scope, &self.source_name(), &row).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "update job_runs set status = 'failed', finished_at = now(), error = $5 \
             where project_id = $2 and source_id = $3 and job_name = $4 \
               and status = 'running' and id <> $1",
            [
                self.run_id.into(),
                self.scope.project_id().into(),
                self.source.id.into(),
                SYNC_JOB.into(),
                format!("interrupted: superseded by run {}", self.run_id).into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        tracing::info!(
            source_id = %self.source.id,
            mode = ?pass.mode,
            phase = ?pass.phase,
            page = pass.page,
            "chatwoot sync pass"
        );
        Ok(pass)
    }

    /// Reads one contacts page; returns the pass to continue with.
    async fn contacts_page(&mut self, mut pass: Pass) -> Result<Pass, SyncError> {
        let page = self.client.contacts(pass.page, Some(CONTACT_SORT)).await?;
        let len = page.payload.len();
        let mut rows = PageRows::default();
        let mut counts = self.counts.clone();
        // The list is newest activity first, so the page's last item says whether older ones
        // follow (checking the last rather than any also tolerates pinned items on top).
        let reached_old = pass.contacts_since.is_some_and(|since| {
            page.payload
                .last()
                .is_some_and(|raw| normalize::contact_activity(raw).is_none_or(|a| a < since))
        });
        for raw in &page.payload {
            counts.contacts.seen += 1;
            pass.contacts_high = pass.contacts_high.max(normalize::contact_activity(raw));
            match normalize::contact(&self.account, raw) {
                Ok(row) => rows.contacts.push(row),
                Err(e) => {
                    counts.contacts.skipped += 1;
                    tracing::warn!(error = %e, "skipping a Chatwoot contact");
                }
            }
        }
        pass.max_page_len = pass.max_page_len.max(len);
        let done = len == 0
            || len < pass.max_page_len
            || page.count.is_some_and(|count| {
                (pass.page as u64 - 1) * pass.max_page_len as u64 + len as u64 >= count
            })
            || (pass.mode == PassMode::Incremental && reached_old);
        let next = if done {
            Pass {
                phase: Phase::Conversations,
                page: 1,
                max_page_len: 0,
                ..pass
            }
        } else {
            Pass {
                page: pass.page + 1,
                ..pass
            }
        };
        self.commit(rows, counts, Some(next.clone()), None).await?;
        Ok(next)
    }

    /// Reads the conversation pages from `pass.page` on and commits them. While a page
    /// commits, the next one is already being fetched: Chatwoot (the network) and PostgreSQL
    /// work at the same time, and the commit order (hence the watermark) is unchanged.
    async fn conversations_phase(&mut self, mut pass: Pass) -> Result<(), SyncError> {
        let mut fetched = self.fetch_conversations(&pass).await?;
        loop {
            let (rows, counts, done) = self.prepare_conversations(&mut pass, fetched);
            if done {
                return self.commit(rows, counts, None, Some(&pass)).await;
            }
            let next = Pass {
                page: pass.page + 1,
                ..pass.clone()
            };
            let prefetch = self.fetch_conversations(&next);
            // Not try_join: a failed prefetch must not cancel the commit of a good page.
            let (committed, page) = tokio::join!(
                self.commit(rows, counts, Some(next.clone()), None),
                prefetch
            );
            committed?;
            fetched = page?;
            pass = next;
        }
    }

    /// A future reading page `pass.page` with the messages to (re)read, owning what it needs
    /// so it can run while `self` commits.
    fn fetch_conversations(
        &self,
        pass: &Pass,
    ) -> impl Future<Output = Result<FetchedConversations, SyncError>> + use<> {
        let client = self.client.clone();
        let db = self.db.clone();
        let scope = *self.scope;
        let account = self.account;
        let concurrency = self.options.message_concurrency.max(1);
        let (page_number, mode, since) = (pass.page, pass.mode, pass.conversations_since);
        async move {
            let page = client.conversations(page_number).await?;
            let mut skipped = 0;
            let mut conversations = Vec::with_capacity(page.payload.len());
            for raw in &page.payload {
                match normalize::conversation(&account, raw) {
                    Ok(c) => conversations.push(c),
                    Err(e) => {
                        skipped += 1;
                        tracing::warn!(error = %e, "skipping a Chatwoot conversation");
                    }
                }
            }
            let touched: Vec<ConversationLink> = conversations
                .iter()
                .filter(|c| match (mode, since) {
                    (PassMode::Incremental, Some(since)) => c.activity.is_none_or(|a| a >= since),
                    _ => true,
                })
                .map(NormalizedConversation::link)
                .collect();
            let starts = message_starts(&db, &scope, &touched, mode, since).await?;
            let client = &client;
            let messages: Vec<(ConversationLink, Vec<Value>)> = stream::iter(touched)
                .map(|link| {
                    let after = starts.get(&link.global_id).copied().unwrap_or(0);
                    async move {
                        let messages = fetch_messages(client, link.display_id, after).await?;
                        Ok::<_, ChatwootError>((link, messages))
                    }
                })
                .buffer_unordered(concurrency)
                .try_collect()
                .await?;
            Ok(FetchedConversations {
                len: page.payload.len(),
                all_count: page.all_count,
                skipped,
                conversations,
                messages,
            })
        }
    }

    /// Turns a fetched page into rows and counts, advancing `pass`; true when it is the last.
    fn prepare_conversations(
        &self,
        pass: &mut Pass,
        fetched: FetchedConversations,
    ) -> (PageRows, SyncCounts, bool) {
        let FetchedConversations {
            len,
            all_count,
            skipped,
            conversations,
            messages,
        } = fetched;
        let mut counts = self.counts.clone();
        counts.conversations.seen += len as u64;
        counts.conversations.skipped += skipped;
        let reached_old = pass.conversations_since.is_some_and(|since| {
            conversations
                .last()
                .is_some_and(|c| c.activity.is_none_or(|a| a < since))
        });
        for c in &conversations {
            pass.conversations_high = pass.conversations_high.max(c.activity);
        }
        let mut rows = PageRows::default();
        for (link, raws) in &messages {
            for raw in raws {
                counts.messages.seen += 1;
                match normalize::message(&self.account, raw, Some(link)) {
                    Ok(row) => rows.messages.push(row),
                    Err(e) => {
                        counts.messages.skipped += 1;
                        tracing::warn!(error = %e, "skipping a Chatwoot message");
                    }
                }
            }
        }
        // Messages sorted by id make batches deterministic and index-friendly.
        rows.messages.sort_by_key(|m| m.message_id);
        for c in conversations {
            if let Some(sender) = c.sender {
                counts.contacts.seen += 1;
                rows.contacts.push(sender);
            }
            rows.conversations.push(c.row);
        }
        pass.max_page_len = pass.max_page_len.max(len);
        let done = len == 0
            || len < pass.max_page_len
            || all_count.is_some_and(|count| {
                (pass.page as u64 - 1) * pass.max_page_len as u64 + len as u64 >= count
            })
            || (pass.mode == PassMode::Incremental && reached_old);
        (rows, counts, done)
    }

    /// Commits a page: rows, the watermark (the next page, or the finished pass's cursors)
    /// and the run's progress, in one transaction guarded by the run token.
    async fn commit(
        &mut self,
        rows: PageRows,
        mut counts: SyncCounts,
        next: Option<Pass>,
        finished: Option<&Pass>,
    ) -> Result<(), SyncError> {
        let txn = self.db.begin().await?;
        let mut row = lock_watermark(&txn, self.scope, &self.source_name()).await?;
        if row.meta.run_token.as_deref() != Some(self.token.as_str()) {
            return Err(SyncError::Superseded);
        }
        let max_message_id = rows.messages.iter().map(|m| m.message_id).max();
        let contacts = store::upsert_contacts(&txn, self.scope, rows.contacts).await?;
        let conversations =
            store::upsert_conversations(&txn, self.scope, &rows.conversations).await?;
        let messages = store::upsert_messages(&txn, self.scope, &rows.messages).await?;
        counts.contacts.add_written(contacts);
        counts.conversations.add_written(conversations);
        counts.messages.add_written(messages.written);
        counts.pages += 1;
        counts.requests = self.client.requests();

        let previous_max = row.cursor_id.as_deref().and_then(|s| s.parse::<i64>().ok());
        if let Some(max) = max_message_id.max(previous_max) {
            row.cursor_id = Some(max.to_string());
        }
        match finished {
            Some(pass) => {
                let now = Utc::now();
                row.meta.pass = None;
                if let Some(high) = pass.contacts_high {
                    row.meta.contacts_cursor =
                        Some(high.max(row.meta.contacts_cursor.unwrap_or(0)));
                }
                if let Some(high) = pass
                    .conversations_high
                    .and_then(|h| DateTime::from_timestamp(h, 0))
                {
                    row.cursor_ts = Some(row.cursor_ts.map_or(high, |t| t.max(high)));
                }
                row.meta.last_completed_at = Some(now);
                if pass.mode == PassMode::Full {
                    row.meta.last_full_at = Some(now);
                }
            }
            None => row.meta.pass = next.clone(),
        }
        write_watermark(&txn, self.scope, &self.source_name(), &row).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "update job_runs set processed_count = $1, meta = meta || $2 \
             where id = $3 and project_id = $4",
            [
                count_i32(counts.processed()).into(),
                DbValue::Json(Some(Box::new(run_meta(
                    &counts,
                    next.as_ref().or(finished),
                )))),
                self.run_id.into(),
                self.scope.project_id().into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        self.counts = counts;
        Ok(())
    }
}

/// One conversations page, normalised, with the messages read for it.
struct FetchedConversations {
    len: usize,
    all_count: Option<u64>,
    skipped: u64,
    conversations: Vec<NormalizedConversation>,
    messages: Vec<(ConversationLink, Vec<Value>)>,
}

/// Where each conversation's message read starts: 0 in a full pass; otherwise the newest
/// message already stored from before the overlap window (everything after it is re-read,
/// which also covers messages a webhook stored out of order).
async fn message_starts(
    db: &DatabaseConnection,
    scope: &Scope,
    touched: &[ConversationLink],
    mode: PassMode,
    since: Option<i64>,
) -> Result<HashMap<String, i64>, DbErr> {
    let Some(since) = since.filter(|_| mode == PassMode::Incremental) else {
        return Ok(HashMap::new());
    };
    if touched.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = touched.iter().map(|l| l.global_id.as_str()).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select conversation_global_id as id, max(message_id) as start from cw_messages \
             where project_id = $1 \
               and conversation_global_id in (select jsonb_array_elements_text($2::jsonb)) \
               and created_at < to_timestamp($3) \
             group by conversation_global_id",
            [
                scope.project_id().into(),
                DbValue::Json(Some(Box::new(json!(ids)))),
                (since as f64).into(),
            ],
        ))
        .await?;
    let mut starts = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("", "id")?;
        let start: Option<i64> = row.try_get("", "start")?;
        starts.insert(id, start.unwrap_or(0));
    }
    Ok(starts)
}

/// Every message of a conversation after message id `after`, oldest first.
async fn fetch_messages(
    client: &ChatwootClient,
    display_id: i64,
    after: i64,
) -> Result<Vec<Value>, ChatwootError> {
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let page = client
            .messages(display_id, MessagesCursor::After(cursor))
            .await?;
        let n = page.payload.len();
        let max_id = page
            .payload
            .iter()
            .filter_map(|m| m.get("id").and_then(lenient_i64))
            .max();
        out.extend(page.payload);
        match max_id {
            Some(max) if max > cursor && n >= MESSAGES_AFTER_LIMIT => cursor = max,
            _ => return Ok(out),
        }
    }
}

async fn lock_watermark<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source: &str,
) -> Result<WatermarkRow, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select cursor_ts, cursor_id, meta from sync_watermarks \
             where project_id = $1 and source = $2 for update",
            [scope.project_id().into(), source.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("sync watermark {source}")))?;
    let meta: Value = row.try_get("", "meta")?;
    Ok(WatermarkRow {
        cursor_ts: row
            .try_get::<Option<DateTime<chrono::FixedOffset>>>("", "cursor_ts")?
            .map(|t| t.with_timezone(&Utc)),
        cursor_id: row.try_get("", "cursor_id")?,
        // A meta this version cannot read restarts the pass rather than failing every run.
        meta: serde_json::from_value(meta).unwrap_or_default(),
    })
}

async fn write_watermark<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source: &str,
    row: &WatermarkRow,
) -> Result<(), DbErr> {
    let meta = serde_json::to_value(&row.meta).map_err(|e| DbErr::Custom(e.to_string()))?;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "update sync_watermarks set cursor_ts = $1, cursor_id = $2, meta = $3 \
         where project_id = $4 and source = $5",
        [
            row.cursor_ts.into(),
            row.cursor_id.clone().into(),
            DbValue::Json(Some(Box::new(meta))),
            scope.project_id().into(),
            source.into(),
        ],
    ))
    .await?;
    Ok(())
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
