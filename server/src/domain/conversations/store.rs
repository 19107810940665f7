//! Batched, idempotent upserts of `cw_*` rows: one `insert ... select from
//! jsonb_to_recordset($1) on conflict do update ... where <something changed>` per batch, so a
//! page of a thousand messages is one statement and re-applying the same payload writes
//! nothing. Every row is stamped with the scope; the database's scope trigger double-checks.
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, Statement, Value as DbValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::conversations::normalize::{ContactRow, ConversationRow, MessageRow};
use crate::kernel::Scope;

/// Rows per statement: large enough to amortise round trips, small enough to keep a statement's
/// parameter (one jsonb document) a few megabytes.
pub const BATCH_ROWS: usize = 1_000;

/// What an upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// New rows.
    pub inserted: u64,
    /// Existing rows that changed.
    pub updated: u64,
}

impl Written {
    /// Adds another result.
    pub fn add(&mut self, other: Written) {
        self.inserted += other.inserted;
        self.updated += other.updated;
    }
}

/// Contacts arrive from the list, from every conversation's `meta.sender` and from webhooks,
/// in slightly different shapes (only the list has `contact_inboxes`): their `data` is merged
/// key by key so alternating sources do not rewrite the row back and forth.
const UPSERT_CONTACTS: &str = r#"
insert into cw_contacts as t
  (id, project_id, account_scope_id, account_id, contact_id, name, email, phone_number,
   identifier, custom_attributes, data, updated_at, created_at)
select r.id, $2, $3, r.account_id, r.contact_id, r.name, r.email, r.phone_number,
       r.identifier, coalesce(r.custom_attributes, '{}'::jsonb), r.data, r.updated_at,
       coalesce(r.created_at, now())
from jsonb_to_recordset($1::jsonb) as r(
  id text, account_id bigint, contact_id bigint, name text, email text, phone_number text,
  identifier text, custom_attributes jsonb, data jsonb, updated_at timestamptz,
  created_at timestamptz)
on conflict (id) do update set
  name = excluded.name,
  email = excluded.email,
  phone_number = excluded.phone_number,
  identifier = excluded.identifier,
  custom_attributes = excluded.custom_attributes,
  data = t.data || excluded.data,
  updated_at = greatest(t.updated_at, excluded.updated_at),
  created_at = least(t.created_at, excluded.created_at)
where (t.updated_at is null or excluded.updated_at is null or excluded.updated_at >= t.updated_at)
  and (t.name, t.email, t.phone_number, t.identifier, t.custom_attributes, t.data,
       t.updated_at, t.created_at)
      is distinct from
      (excluded.name, excluded.email, excluded.phone_number, excluded.identifier,
       excluded.custom_attributes, t.data || excluded.data,
       greatest(t.updated_at, excluded.updated_at), least(t.created_at, excluded.created_at))
returning (xmax = 0) as inserted, id
"#;

/// A stale snapshot (older last activity) never overwrites a newer one.
const UPSERT_CONVERSATIONS: &str = r#"
insert into cw_conversations as t
  (id, project_id, account_scope_id, account_id, conversation_id, contact_global_id, inbox_id,
   status, assignee_id, data, updated_at, created_at)
select r.id, $2, $3, r.account_id, r.conversation_id, r.contact_global_id, r.inbox_id,
       r.status, r.assignee_id, r.data, r.updated_at, coalesce(r.created_at, now())
from jsonb_to_recordset($1::jsonb) as r(
  id text, account_id bigint, conversation_id bigint, contact_global_id text, inbox_id bigint,
  status text, assignee_id bigint, data jsonb, updated_at timestamptz, created_at timestamptz)
on conflict (id) do update set
  contact_global_id = coalesce(excluded.contact_global_id, t.contact_global_id),
  inbox_id = coalesce(excluded.inbox_id, t.inbox_id),
  status = coalesce(excluded.status, t.status),
  assignee_id = excluded.assignee_id,
  data = t.data || excluded.data,
  updated_at = greatest(t.updated_at, excluded.updated_at),
  created_at = least(t.created_at, excluded.created_at)
where (t.updated_at is null or excluded.updated_at is null or excluded.updated_at >= t.updated_at)
  and (t.contact_global_id, t.inbox_id, t.status, t.assignee_id, t.data, t.updated_at,
       t.created_at)
      is distinct from
      (coalesce(excluded.contact_global_id, t.contact_global_id),
       coalesce(excluded.inbox_id, t.inbox_id), coalesce(excluded.status, t.status),
       excluded.assignee_id, t.data || excluded.data,
       greatest(t.updated_at, excluded.updated_at), least(t.created_at, excluded.created_at))
returning (xmax = 0) as inserted, id
"#;

/// Edits update in place: same id, new content and data.
const UPSERT_MESSAGES: &str = r#"
insert into cw_messages as t
  (id, project_id, account_scope_id, account_id, message_id, conversation_id,
   conversation_global_id, contact_global_id, sender_type, sender_id, private, message_type,
   content, data, created_at, updated_at)
select r.id, $2, $3, r.account_id, r.message_id, r.conversation_id, r.conversation_global_id,
       r.contact_global_id, r.sender_type, r.sender_id, coalesce(r.private, false),
       r.message_type, r.content, r.data, r.created_at, r.updated_at
from jsonb_to_recordset($1::jsonb) as r(
  id text, account_id bigint, message_id bigint, conversation_id bigint,
  conversation_global_id text, contact_global_id text, sender_type text, sender_id bigint,
  private boolean, message_type text, content text, data jsonb, created_at timestamptz,
  updated_at timestamptz)
on conflict (id) do update set
  conversation_id = coalesce(excluded.conversation_id, t.conversation_id),
  conversation_global_id = coalesce(excluded.conversation_global_id, t.conversation_global_id),
  contact_global_id = coalesce(excluded.contact_global_id, t.contact_global_id),
  sender_type = excluded.sender_type,
  sender_id = excluded.sender_id,
  private = excluded.private,
  message_type = excluded.message_type,
  content = excluded.content,
  data = excluded.data,
  created_at = coalesce(excluded.created_at, t.created_at),
  updated_at = greatest(t.updated_at, excluded.updated_at)
where (t.conversation_id, t.conversation_global_id, t.contact_global_id, t.sender_type,
       t.sender_id, t.private, t.message_type, t.content, t.data, t.created_at, t.updated_at)
      is distinct from
      (coalesce(excluded.conversation_id, t.conversation_id),
       coalesce(excluded.conversation_global_id, t.conversation_global_id),
       coalesce(excluded.contact_global_id, t.contact_global_id), excluded.sender_type,
       excluded.sender_id, excluded.private, excluded.message_type, excluded.content,
       excluded.data, coalesce(excluded.created_at, t.created_at),
       greatest(t.updated_at, excluded.updated_at))
returning (xmax = 0) as inserted, id
"#;

/// Outcome of a message upsert: counts and the ids whose row changed (edits, for re-chunking
/// once the RAG pipeline lands).
#[derive(Debug, Clone, Default)]
pub struct MessagesWritten {
    /// Counts.
    pub written: Written,
    /// Ids of updated (not inserted) messages.
    pub updated_ids: Vec<String>,
}

async fn run_batches<C, T>(db: &C, scope: &Scope, sql: &str, rows: &[T]) -> Result<Batches, DbErr>
where
    C: ConnectionTrait,
    T: Serialize,
{
    let mut out = Batches::default();
    for chunk in rows.chunks(BATCH_ROWS) {
        let doc = serde_json::to_value(chunk).map_err(|e| DbErr::Custom(e.to_string()))?;
        let statement = Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [
                DbValue::Json(Some(Box::new(doc))),
                scope.project_id().into(),
                scope.account_scope_id().into(),
            ],
        );
        for row in db.query_all_raw(statement).await? {
            let id: String = row.try_get("", "id")?;
            if row.try_get::<bool>("", "inserted")? {
                out.written.inserted += 1;
            } else {
                out.written.updated += 1;
                out.updated_ids.push(id.clone());
            }
            out.changed_ids.push(id);
        }
    }
    Ok(out)
}

/// What [`run_batches`] wrote.
#[derive(Default)]
struct Batches {
    written: Written,
    /// Existing rows that changed.
    updated_ids: Vec<String>,
    /// Rows inserted or changed (an unchanged row is not written, so not here).
    changed_ids: Vec<String>,
}

/// One row per id (a statement may not touch a row twice), keeping the last occurrence.
fn dedupe_last<T>(rows: &[T], id: impl Fn(&T) -> &str) -> Vec<&T> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    let mut out: Vec<&T> = Vec::with_capacity(rows.len());
    for row in rows {
        match index.get(id(row)) {
            Some(&i) => out[i] = row,
            None => {
                index.insert(id(row), out.len());
                out.push(row);
            }
        }
    }
    out
}

/// Upserts contacts; repeated ids in `rows` are merged (data keys of later ones win).
pub async fn upsert_contacts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    rows: Vec<ContactRow>,
) -> Result<Written, DbErr> {
    let mut merged: Vec<ContactRow> = Vec::with_capacity(rows.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows {
        match index.get(&row.id) {
            Some(&i) => {
                let previous = &mut merged[i];
                let mut data = previous.data.clone();
                if let (Value::Object(old), Value::Object(new)) = (&mut data, &row.data) {
                    for (k, v) in new {
                        old.insert(k.clone(), v.clone());
                    }
                } else {
                    data = row.data.clone();
                }
                *previous = ContactRow { data, ..row };
            }
            None => {
                index.insert(row.id.clone(), merged.len());
                merged.push(row);
            }
        }
    }
    Ok(run_batches(db, scope, UPSERT_CONTACTS, &merged)
        .await?
        .written)
}

/// Upserts conversations.
pub async fn upsert_conversations<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    rows: &[ConversationRow],
) -> Result<Written, DbErr> {
    let rows = dedupe_last(rows, |r| &r.id);
    Ok(run_batches(db, scope, UPSERT_CONVERSATIONS, &rows)
        .await?
        .written)
}

/// Upserts messages (edits update in place) and enqueues the indexing of those that changed.
pub async fn upsert_messages<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    rows: &[MessageRow],
) -> Result<MessagesWritten, DbErr> {
    let rows = dedupe_last(rows, |r| &r.id);
    let batches = run_batches(db, scope, UPSERT_MESSAGES, &rows).await?;
    let changed: Vec<&str> = batches.changed_ids.iter().map(String::as_str).collect();
    crate::domain::search::index::enqueue_indexing(db, scope, &changed).await?;
    crate::domain::campaigns::engagement::record_from_messages(db, scope, &changed).await?;
    Ok(MessagesWritten {
        written: batches.written,
        updated_ids: batches.updated_ids,
    })
}
