//! Messages -> `rag_chunks` + `evidence_items`.
//!
//! Ingestion enqueues an [`INDEX_JOB`] with the ids of every batch of upserted messages in its
//! page transaction ([`enqueue_indexing`]); the job indexes them as stored
//! ([`index_stored_messages`]); [`reindex_project`] is the backfill. Re-chunking is a diff by position: a chunk whose `text_hash` is unchanged keeps
//! its row, embedding and status; a changed one gets the new text and goes back to `pending`
//! without a vector (the worker reuses one of the same text and model from the project when it
//! exists, without a provider call); chunks past the new end are deleted with their evidence.
//!
//! Invariant: a message has chunks exactly when it has a `message` evidence row, and that row
//! records the normalised text and the chunker signature. So a batch re-applied unchanged (a
//! sync re-reading a page) costs one indexed lookup and no tokenisation. Chunks of messages
//! cut into several chunks get evidence rows of their own; a message's only chunk is cited
//! through the message's row ([`evidence_for_chunk`]).
//!
//! Every statement is driven by unique-index probes (`cross join lateral` per id, or
//! `= any(array(...))` on a leading column), never by a join the planner may turn into a scan:
//! this runs while ingestion bulk-loads the same tables, when the planner's row counts are
//! stale.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement, Value as DbValue};
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::search::chunking::{Chunker, normalize};
use crate::{domain::conversations::normalize::MessageRow, kernel::Scope};

/// What one indexing call changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndexReport {
    /// Messages whose chunks were (re)computed.
    pub messages_changed: u64,
    /// New chunk rows.
    pub chunks_inserted: u64,
    /// Existing chunk rows whose text changed (back to `pending`).
    pub chunks_updated: u64,
    /// Chunk rows removed (the message shrank, was emptied or is no longer indexed).
    pub chunks_deleted: u64,
}

/// The fields of a message that indexing reads.
#[derive(Debug, Clone)]
pub struct MessageText {
    /// `cwmsg:` id.
    pub id: String,
    /// `cw:` id of its conversation.
    pub conversation_global_id: Option<String>,
    /// `cwc:` id of the conversation's contact.
    pub contact_global_id: Option<String>,
    /// Private note.
    pub private: bool,
    /// incoming | outgoing | activity | template.
    pub message_type: Option<String>,
    /// Text.
    pub content: Option<String>,
    /// Chatwoot's creation time.
    pub created_at: Option<DateTime<Utc>>,
}

impl From<&MessageRow> for MessageText {
    fn from(m: &MessageRow) -> Self {
        Self {
            id: m.id.clone(),
            conversation_global_id: m.conversation_global_id.clone(),
            contact_global_id: m.contact_global_id.clone(),
            private: m.private,
            message_type: m.message_type.clone(),
            content: m.content.clone(),
            created_at: m.created_at,
        }
    }
}

fn title(m: &MessageText) -> &'static str {
    if m.private {
        "Private note"
    } else {
        match m.message_type.as_deref() {
            Some("incoming") => "Message from the contact",
            Some("outgoing") => "Reply to the contact",
            Some("template") => "Template message",
            _ => "Message",
        }
    }
}

/// Equal to the database's microsecond precision (it rounds what it is given).
fn same_instant(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).num_nanoseconds().is_some_and(|n| n.abs() < 1_000),
        (None, None) => true,
        _ => false,
    }
}

/// Indexes upserted messages with the process's chunker ([`Chunker::current`]), in the
/// caller's transaction.
pub async fn index_messages<'a, C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    rows: impl IntoIterator<Item = &'a MessageRow>,
) -> Result<IndexReport, DbErr> {
    let messages: Vec<MessageText> = rows.into_iter().map(MessageText::from).collect();
    index_messages_with(db, scope, &messages, Chunker::current()).await
}

/// The job kind that indexes messages ingestion wrote (payload `{ "message_ids": [...] }`).
pub const INDEX_JOB: &str = "rag_index";

/// Enqueues the indexing of `message_ids` in the caller's transaction, so the messages and
/// the promise to index them commit together: ingestion's page commit stays as cheap as the
/// upsert itself, and a crash after the commit still leaves the job to do the work.
pub async fn enqueue_indexing<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    message_ids: &[&str],
) -> Result<(), DbErr> {
    if message_ids.is_empty() {
        return Ok(());
    }
    let mut job =
        crate::workers::queue::NewJob::new(INDEX_JOB, json!({ "message_ids": message_ids }));
    // Indexing is idempotent; a job that keeps failing is a bug to see in `worker_runs`,
    // and a later edit of the same message enqueues it again.
    job.max_attempts = 10;
    crate::workers::queue::enqueue(db, scope, job).await?;
    Ok(())
}

/// Indexes the messages `message_ids` of the scope's project as they are now in
/// `cw_messages` (ids of other projects, or of messages gone since, are skipped), with
/// `chunker`, in one transaction.
pub async fn index_stored_messages(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    message_ids: &[String],
    chunker: &Chunker,
) -> Result<IndexReport, DbErr> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "select m.id, m.conversation_global_id, m.contact_global_id, m.private, \
                    m.message_type, m.content, m.created_at \
             from jsonb_array_elements_text($3::jsonb) as x(id) \
             cross join lateral ( \
               select * from cw_messages m1 \
               where m1.id = x.id and m1.project_id = $1 and m1.account_scope_id = $2 \
             ) m \
             order by m.id",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                DbValue::from(json!(message_ids)),
            ],
        ))
        .await?;
    let messages = rows
        .iter()
        .map(message_text)
        .collect::<Result<Vec<_>, _>>()?;
    let report = index_messages_with(&txn, scope, &messages, chunker).await?;
    txn.commit().await?;
    Ok(report)
}

fn message_text(row: &sea_orm::QueryResult) -> Result<MessageText, DbErr> {
    Ok(MessageText {
        id: row.try_get("", "id")?,
        conversation_global_id: row.try_get("", "conversation_global_id")?,
        contact_global_id: row.try_get("", "contact_global_id")?,
        private: row.try_get("", "private")?,
        message_type: row.try_get("", "message_type")?,
        content: row.try_get("", "content")?,
        created_at: row.try_get("", "created_at")?,
    })
}

/// Indexes `messages` with `chunker`.
pub async fn index_messages_with<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    messages: &[MessageText],
    chunker: &Chunker,
) -> Result<IndexReport, DbErr> {
    let mut report = IndexReport::default();
    if messages.is_empty() {
        return Ok(report);
    }
    let backend = db.get_database_backend();
    let signature = chunker.signature();

    // 1. What the index already holds for these messages.
    let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
    let existing = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            // One probe of the unique (project_id, source_kind, source_id) index per id: an
            // `in (...)`/`= any(...)` on the third column was planned as a scan of all the
            // project's message evidence (800 ms per page at 50k messages).
            "select e.source_id, e.search_text, e.conversation_global_id, e.contact_global_id, \
                    e.meta->>'chunker' as chunker, e.meta->>'title' as title, e.occurred_at \
             from jsonb_array_elements_text($2::jsonb) as x(id) \
             cross join lateral ( \
               select * from evidence_items ev \
               where ev.project_id = $1 and ev.source_kind = 'message' and ev.source_id = x.id \
             ) e",
            [scope.project_id().into(), DbValue::from(json!(ids))],
        ))
        .await?;
    type Indexed = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let mut indexed: HashMap<String, Indexed> = HashMap::with_capacity(existing.len());
    for row in existing {
        indexed.insert(
            row.try_get("", "source_id")?,
            (
                row.try_get("", "search_text")?,
                row.try_get("", "conversation_global_id")?,
                row.try_get("", "contact_global_id")?,
                row.try_get("", "chunker")?,
                row.try_get("", "title")?,
                row.try_get("", "occurred_at")?,
            ),
        );
    }

    // 2. The messages whose index entry is out of date, and their new chunks.
    let mut chunk_docs = Vec::new();
    let mut counts = Vec::new();
    let mut evidence_upserts = Vec::new();
    let mut evidence_deletes = Vec::new();
    let mut chunk_evidence = Vec::new();
    for m in messages {
        let text = if chunker.rule.indexes(m.message_type.as_deref(), m.private) {
            m.content
                .as_deref()
                .map(normalize)
                .filter(|t| !t.is_empty())
        } else {
            None
        };
        let current = indexed.get(&m.id);
        match (&text, current) {
            (None, None) => continue,
            (Some(t), Some((text0, conv0, contact0, sig0, title0, at0)))
                if t == text0
                    && *conv0 == m.conversation_global_id
                    && *contact0 == m.contact_global_id
                    && sig0.as_deref() == Some(signature.as_str())
                    && title0.as_deref() == Some(title(m))
                    && same_instant(*at0, m.created_at) =>
            {
                continue;
            }
            _ => {}
        }
        report.messages_changed += 1;
        let Some(text) = text else {
            counts.push(json!({ "id": m.id, "n": 0 }));
            evidence_deletes.push(m.id.clone());
            continue;
        };
        let chunks = chunker.chunk(&text);
        counts.push(json!({ "id": m.id, "n": chunks.len() }));
        for c in &chunks {
            chunk_docs.push(json!({
                "conversation_global_id": m.conversation_global_id,
                "message_global_id": m.id,
                "chunk_index": c.index,
                "text": c.text,
                "text_hash": c.text_hash,
                "content_tokens": c.tokens,
            }));
        }
        evidence_upserts.push(json!({
            "id": m.id,
            "title": title(m),
            "search_text": text,
            "conversation_global_id": m.conversation_global_id,
            "contact_global_id": m.contact_global_id,
            "meta": {
                "chunker": signature,
                "title": title(m),
                "message_type": m.message_type,
                "private": m.private,
                "chunks": chunks.len(),
            },
            "occurred_at": m.created_at,
        }));
        // A single chunk is the whole message: the message's evidence row stands for it
        // (`evidence_for_chunk`), which spares ingestion a third row per message.
        if chunks.len() > 1 {
            chunk_evidence.push(json!({
                "id": m.id,
                "title": title(m),
                "contact_global_id": m.contact_global_id,
                "occurred_at": m.created_at,
            }));
        }
    }
    if report.messages_changed == 0 {
        return Ok(report);
    }
    let scoped = |doc: Value| -> [DbValue; 3] {
        [
            DbValue::from(doc),
            scope.project_id().into(),
            scope.account_scope_id().into(),
        ]
    };

    // 3. Chunks: insert new positions, rewrite changed ones, leave unchanged ones alone.
    if !chunk_docs.is_empty() {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                UPSERT_CHUNKS,
                scoped(Value::Array(chunk_docs)),
            ))
            .await?;
        for row in rows {
            if row.try_get::<bool>("", "inserted")? {
                report.chunks_inserted += 1;
            } else {
                report.chunks_updated += 1;
            }
        }
    }
    // 4. Chunks past each message's new end, with their evidence.
    let deleted = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            DELETE_VANISHED,
            [
                DbValue::from(Value::Array(counts)),
                scope.project_id().into(),
            ],
        ))
        .await?;
    if let Some(row) = deleted {
        report.chunks_deleted = u64::try_from(row.try_get::<i64>("", "chunks")?).unwrap_or(0);
    }
    // 5. Evidence for the messages and their chunks.
    if !evidence_upserts.is_empty() {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            UPSERT_MESSAGE_EVIDENCE,
            scoped(Value::Array(evidence_upserts)),
        ))
        .await?;
    }
    if !chunk_evidence.is_empty() {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            UPSERT_CHUNK_EVIDENCE,
            scoped(Value::Array(chunk_evidence)),
        ))
        .await?;
    }
    if !evidence_deletes.is_empty() {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "delete from evidence_items where id = any(array( \
               select ev.id from jsonb_array_elements_text($1::jsonb) as x(id) \
               cross join lateral (select ev.id from evidence_items ev \
                 where ev.project_id = $2 and ev.source_kind = 'message' \
                   and ev.source_id = x.id) ev))",
            [
                DbValue::from(json!(evidence_deletes)),
                scope.project_id().into(),
            ],
        ))
        .await?;
    }
    Ok(report)
}

/// New and changed chunks go (back) to `pending` without a vector; the embed worker reuses a
/// vector of the same text and model from the project when one exists, without a provider call.
/// Unchanged chunks (same hash at the same position) keep everything.
const UPSERT_CHUNKS: &str = r#"
insert into rag_chunks as t
  (project_id, account_scope_id, conversation_global_id, message_global_id, chunk_index, text,
   text_hash, content_tokens, embedding_status)
select $2, $3, r.conversation_global_id, r.message_global_id, r.chunk_index, r.text,
       r.text_hash, r.content_tokens, 'pending'
from jsonb_to_recordset($1::jsonb) as r(
  conversation_global_id text, message_global_id text, chunk_index int, text text,
  text_hash text, content_tokens int)
on conflict (message_global_id, chunk_index) do update set
  conversation_global_id = excluded.conversation_global_id,
  text = excluded.text,
  content_tokens = excluded.content_tokens,
  text_hash = excluded.text_hash,
  embedding = case when t.text_hash = excluded.text_hash then t.embedding end,
  embedding_model = case when t.text_hash = excluded.text_hash then t.embedding_model end,
  last_embedded_at = case when t.text_hash = excluded.text_hash then t.last_embedded_at end,
  embedding_status = case when t.text_hash = excluded.text_hash then t.embedding_status
                          else 'pending' end,
  embedding_attempts = case when t.text_hash = excluded.text_hash then t.embedding_attempts
                            else 0 end,
  embedding_error = case when t.text_hash = excluded.text_hash then t.embedding_error end,
  next_attempt_at = case when t.text_hash = excluded.text_hash then t.next_attempt_at end,
  locked_by = case when t.text_hash = excluded.text_hash then t.locked_by end,
  lease_expires_at = case when t.text_hash = excluded.text_hash then t.lease_expires_at end
where (t.text_hash, t.text, t.conversation_global_id, t.content_tokens)
      is distinct from
      (excluded.text_hash, excluded.text, excluded.conversation_global_id,
       excluded.content_tokens)
returning (xmax = 0) as inserted
"#;

/// Chunks past each message's new end go, with their evidence; a message left with one chunk
/// loses its chunk evidence too (its message evidence stands for the chunk).
const DELETE_VANISHED: &str = r#"
with doc as (
  select * from jsonb_to_recordset($1::jsonb) as r(id text, n int)
), gone as (
  delete from rag_chunks c
  where c.id = any(array(
    select g.id from doc
    cross join lateral (select c2.id from rag_chunks c2
                        where c2.message_global_id = doc.id and c2.chunk_index >= doc.n
                          and c2.project_id = $2) g))
  returning c.id
), single as (
  select s.id from doc
  cross join lateral (select c3.id from rag_chunks c3
                      where c3.message_global_id = doc.id and c3.chunk_index = 0
                        and c3.project_id = $2) s
  where doc.n = 1
), evidence as (
  delete from evidence_items e
  where e.id = any(array(
    select ev.id from (select id from gone union all select id from single) k
    cross join lateral (select ev.id from evidence_items ev
                        where ev.project_id = $2 and ev.source_kind = 'chunk'
                          and ev.source_id = k.id::text) ev))
  returning 1
)
select (select count(*) from gone) as chunks, (select count(*) from evidence) as evidence
"#;

const UPSERT_MESSAGE_EVIDENCE: &str = r#"
insert into evidence_items as t
  (project_id, account_scope_id, source_kind, source_id, title, search_text,
   conversation_global_id, contact_global_id, meta, occurred_at)
select $2, $3, 'message', r.id, r.title, r.search_text, r.conversation_global_id,
       r.contact_global_id, r.meta, r.occurred_at
from jsonb_to_recordset($1::jsonb) as r(
  id text, title text, search_text text, conversation_global_id text, contact_global_id text,
  meta jsonb, occurred_at timestamptz)
on conflict (project_id, source_kind, source_id) do update set
  title = excluded.title,
  search_text = excluded.search_text,
  conversation_global_id = excluded.conversation_global_id,
  contact_global_id = excluded.contact_global_id,
  meta = excluded.meta,
  occurred_at = excluded.occurred_at
where (t.title, t.search_text, t.conversation_global_id, t.contact_global_id, t.meta,
       t.occurred_at)
      is distinct from
      (excluded.title, excluded.search_text, excluded.conversation_global_id,
       excluded.contact_global_id, excluded.meta, excluded.occurred_at)
"#;

const UPSERT_CHUNK_EVIDENCE: &str = r#"
insert into evidence_items as t
  (project_id, account_scope_id, source_kind, source_id, title, search_text,
   conversation_global_id, contact_global_id, meta, occurred_at)
select c.project_id, c.account_scope_id, 'chunk', c.id::text, r.title, c.text,
       c.conversation_global_id, r.contact_global_id,
       jsonb_build_object('message_global_id', c.message_global_id,
                          'chunk_index', c.chunk_index),
       r.occurred_at
from jsonb_to_recordset($1::jsonb) as r(
  id text, title text, contact_global_id text, occurred_at timestamptz)
cross join lateral (select * from rag_chunks c1
                    where c1.message_global_id = r.id and c1.project_id = $2) c
on conflict (project_id, source_kind, source_id) do update set
  title = excluded.title,
  search_text = excluded.search_text,
  conversation_global_id = excluded.conversation_global_id,
  contact_global_id = excluded.contact_global_id,
  meta = excluded.meta,
  occurred_at = excluded.occurred_at
where (t.title, t.search_text, t.conversation_global_id, t.contact_global_id, t.meta,
       t.occurred_at)
      is distinct from
      (excluded.title, excluded.search_text, excluded.conversation_global_id,
       excluded.contact_global_id, excluded.meta, excluded.occurred_at)
"#;

/// The evidence row that cites chunk `chunk_id` of the caller's project: the chunk's own row,
/// or its message's row when the message is a single chunk. `None` if the chunk is not the
/// caller's or is gone.
pub async fn evidence_for_chunk<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    chunk_id: uuid::Uuid,
) -> Result<Option<uuid::Uuid>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select coalesce( \
               (select e.id from evidence_items e where e.project_id = c.project_id \
                  and e.source_kind = 'chunk' and e.source_id = c.id::text), \
               (select e.id from evidence_items e where e.project_id = c.project_id \
                  and e.source_kind = 'message' and e.source_id = c.message_global_id)) as id \
             from rag_chunks c \
             where c.id = $1 and c.project_id = $2 and c.account_scope_id = $3",
            [
                chunk_id.into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
            ],
        ))
        .await?;
    match row {
        Some(row) => row.try_get("", "id"),
        None => Ok(None),
    }
}

/// Indexes every message of the project already in `cw_messages` (a backfill after the
/// pipeline is switched on, or after the chunker settings change), `page` messages per
/// transaction. Returns the summed report.
pub async fn reindex_project(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    chunker: &Chunker,
    page: usize,
) -> Result<IndexReport, DbErr> {
    use sea_orm::TransactionTrait;
    let mut total = IndexReport::default();
    let mut after = String::new();
    let page = page.clamp(1, 5_000);
    loop {
        let txn = db.begin().await?;
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                txn.get_database_backend(),
                "select id, conversation_global_id, contact_global_id, private, message_type, \
                        content, created_at \
                 from cw_messages where project_id = $1 and id > $2 order by id limit $3",
                [
                    scope.project_id().into(),
                    after.clone().into(),
                    i64::try_from(page).unwrap_or(1_000).into(),
                ],
            ))
            .await?;
        let messages = rows
            .iter()
            .map(message_text)
            .collect::<Result<Vec<_>, _>>()?;
        let Some(last) = messages.last() else {
            txn.commit().await?;
            return Ok(total);
        };
        after = last.id.clone();
        let report = index_messages_with(&txn, scope, &messages, chunker).await?;
        txn.commit().await?;
        total.messages_changed += report.messages_changed;
        total.chunks_inserted += report.chunks_inserted;
        total.chunks_updated += report.chunks_updated;
        total.chunks_deleted += report.chunks_deleted;
        if messages.len() < page {
            return Ok(total);
        }
    }
}
