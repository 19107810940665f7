//! The outbound sender: claims queued messages under a lease, re-checks each one at send time,
//! posts it to Chatwoot, and records the outcome (with campaign and offer hooks).
//!
//! Protocol (safe with any number of senders in any number of processes):
//! - **Claim** (one transaction): queued `chatwoot` messages that are due (`next_attempt_at`
//!   null or past) and not leased (or whose lease expired: a dead sender's) are selected `FOR
//!   UPDATE SKIP LOCKED`. A paused campaign's message is deferred by 60 s (nothing counted). A
//!   message whose last attempt may have reached Chatwoot (see *No double send*) is leased for
//!   reconciliation only. Every other message is re-checked in the same transaction: still
//!   approved, contact not opted out on its channel or `all`, frequency cap not exceeded (sent
//!   within the window plus the ones being sent right now plus this one, under a per-contact
//!   advisory lock), campaign not cancelled, attempts left, a Chatwoot source and a
//!   conversation (the message's, else the contact's latest one, which is then stored on the
//!   message). A refusal ends the message `blocked` (`opted_out` | `frequency_cap` |
//!   `not_approved`, with a `blocked` attempt row), `cancelled` or `failed`. A message that
//!   passes is leased (`locked_by`, `lease_expires_at`) with a `running` attempt row.
//! - **Post** (after commit): the lease is renewed and verified first, so the lease always
//!   outlasts the request (whose timeout is far shorter); then one `POST .../messages` carrying
//!   `content_attributes.revintel_outbound_id` (and `echo_id`) = the message id. Never retried
//!   inline.
//! - **Record** (one transaction, only while still holding the lease): `sent` (with the
//!   Chatwoot message id); a retryable failure (429 honouring `Retry-After`, 5xx, timeouts,
//!   transport) adds an attempt and backs off exponentially with jitter; a refusal (other 4xx)
//!   fails the message at once. The campaign member and event, or the offer, change in the
//!   same transaction as the message's final status.
//! - **No double send**: a POST that never recorded its outcome (the sender died: `running`
//!   attempt, expired lease) or that failed ambiguously (5xx, timeout, transport: Chatwoot may
//!   have created the message anyway) is reconciled before anything is posted again: the
//!   conversation's latest messages are read, newest first, paging back to the attempt's start,
//!   looking for the marker. Found: the message is `sent` without posting. Not found: the
//!   attempt is closed and the message goes through the checks again. Chatwoot unreachable:
//!   nothing is posted, the message waits (backoff) and is reconciled again.
use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::enums::OutboundOriginKind;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement, TransactionTrait,
    Value as DbValue,
};
use serde_json::{Value, json};
use tokio::{sync::watch, task::JoinHandle};
use uuid::Uuid;

use crate::domain::outbound::policies;
use crate::{
    config::Config,
    domain::conversations::sources::{ChatwootSource, list_sources},
    integrations::chatwoot::{
        ChatwootClient, ChatwootError, ClientOptions, MessagesCursor, client::backoff,
        payload::lenient_i64,
    },
    kernel::{
        DomainError, Scope,
        audit::{self, AuditEntry, EvidenceRef},
        checks::is_global_id_of,
    },
};

/// Key of the marker every POST carries in `content_attributes`.
pub const MARKER_KEY: &str = "revintel_outbound_id";
/// Audit actor of the sender's outcomes.
const ACTOR: &str = "system:outbound-sender";
/// Messages a reconciliation reads per page (Chatwoot's `before=` page size).
const PAGE_SIZE: usize = 20;

/// How a sender claims, posts and retries.
#[derive(Debug, Clone)]
pub struct SenderOptions {
    /// Written to `locked_by` and the attempts (unique per sender: host/process/task).
    pub worker_id: String,
    /// Messages claimed per batch.
    pub batch_size: usize,
    /// How long a claim is valid; renewed before every Chatwoot call, and far longer than one.
    pub lease: Duration,
    /// First retry delay (doubles per attempt).
    pub base_backoff: Duration,
    /// Cap of the retry delay.
    pub max_backoff: Duration,
    /// How long a paused campaign's message waits before it is looked at again.
    pub campaign_pause_delay: Duration,
    /// How long a message waits while its project's Chatwoot source is disabled.
    pub source_disabled_delay: Duration,
    /// Pages of 20 messages a reconciliation reads at most.
    pub reconcile_pages: usize,
    /// Chatwoot client settings (the request timeout must stay well below the lease).
    pub client: ClientOptions,
}

impl SenderOptions {
    /// Defaults for a sender named `worker_id` claiming `batch_size` messages.
    pub fn new(worker_id: impl Into<String>, batch_size: usize) -> Self {
        Self {
            worker_id: worker_id.into(),
            batch_size: batch_size.max(1),
            lease: Duration::from_secs(300),
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3_600),
            campaign_pause_delay: Duration::from_secs(60),
            source_disabled_delay: Duration::from_secs(300),
            reconcile_pages: 5,
            client: ClientOptions::default(),
        }
    }

    /// The lease actually used: never shorter than twice the longest a Chatwoot call can
    /// take (a read with all its inline retries and `Retry-After` waits), so a lease renewed
    /// before a call cannot run out while the call is still in flight.
    fn effective_lease(&self) -> Duration {
        let retry = &self.client.retry;
        let longest_call = self
            .client
            .timeout
            .saturating_mul(retry.max_retries.saturating_add(1))
            .saturating_add(
                retry
                    .max_retry_after
                    .max(retry.max_delay)
                    .saturating_mul(retry.max_retries),
            );
        self.lease.max(longest_call.saturating_mul(2))
    }
}

/// Why a batch stopped. Chatwoot's failures are not errors here: they are recorded on the
/// message.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// The database failed (the batch's leases expire and its messages are reclaimed).
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// A lookup of the project or its source failed.
    #[error("outbound sender: {0}")]
    Domain(#[from] DomainError),
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Messages leased (to send or to reconcile).
    pub claimed: usize,
    /// Messages Chatwoot took (posted now, or found by a reconciliation).
    pub sent: usize,
    /// Of those, found by a reconciliation without posting.
    pub reconciled: usize,
    /// Messages rescheduled after a retryable failure.
    pub retry_scheduled: usize,
    /// Messages that ended `failed`.
    pub failed: usize,
    /// Messages the send-time checks blocked.
    pub blocked: usize,
    /// Messages put off (paused campaign, disabled source, Chatwoot unreachable while
    /// reconciling).
    pub deferred: usize,
    /// Messages cancelled because their campaign was.
    pub cancelled: usize,
    /// Messages whose lease was lost before their outcome was written (nothing written).
    pub lost: usize,
}

impl BatchReport {
    /// Nothing was due.
    pub fn is_idle(&self) -> bool {
        self.claimed + self.blocked + self.deferred + self.cancelled + self.failed == 0
    }
}

/// What a claimed message is leased for.
#[derive(Debug, Clone)]
pub enum Work {
    /// Post it: the `running` attempt `attempt_id`, into conversation `display_id`.
    Send {
        /// The running attempt row.
        attempt_id: i64,
        /// The conversation's display id.
        display_id: i64,
    },
    /// An earlier attempt may have reached Chatwoot: look for it before anything else.
    Reconcile {
        /// The attempt that may have.
        attempt_id: i64,
        /// Whether it is still `running` (its sender died) rather than failed ambiguously.
        running: bool,
        /// When it started (the reconciliation reads back to here).
        started_at: DateTime<Utc>,
    },
}

/// A message this sender holds a lease on.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The message.
    pub message_id: Uuid,
    /// Its project.
    pub scope: Scope,
    /// The recipient (`cwc:` id).
    pub contact_id: String,
    /// Where it comes from.
    pub origin_kind: OutboundOriginKind,
    /// Text.
    pub content: String,
    /// The conversation it goes to (`cw:` id), once known.
    pub conversation_id: Option<String>,
    /// Send tries before this claim.
    pub attempts: i32,
    /// Tries before it fails for good.
    pub max_attempts: i32,
    /// What to do with it.
    pub work: Work,
    source: Option<ChatwootSource>,
}

/// A queued message as the claim reads it.
struct Row {
    id: Uuid,
    project_id: Uuid,
    channel: String,
    contact: String,
    conversation: Option<String>,
    origin_kind: OutboundOriginKind,
    origin_id: Option<String>,
    content: String,
    approved: bool,
    attempts: i32,
    max_attempts: i32,
}

const ROW_COLUMNS: &str = "m.id, m.project_id, m.channel, m.contact_global_id, \
    m.conversation_global_id, m.origin_kind, m.origin_id, m.content, \
    (m.approved_at is not null) as approved, m.attempts, m.max_attempts";

fn origin_of(text: &str) -> OutboundOriginKind {
    match text {
        "campaign" => OutboundOriginKind::Campaign,
        "offer" => OutboundOriginKind::Offer,
        "nba" => OutboundOriginKind::Nba,
        _ => OutboundOriginKind::Manual,
    }
}

impl Row {
    fn read(row: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.try_get("", "id")?,
            project_id: row.try_get("", "project_id")?,
            channel: row.try_get("", "channel")?,
            contact: row.try_get("", "contact_global_id")?,
            conversation: row.try_get("", "conversation_global_id")?,
            origin_kind: origin_of(&row.try_get::<String>("", "origin_kind")?),
            origin_id: row.try_get("", "origin_id")?,
            content: row.try_get("", "content")?,
            approved: row.try_get("", "approved")?,
            attempts: row.try_get("", "attempts")?,
            max_attempts: row.try_get("", "max_attempts")?,
        })
    }
}

/// The last attempt of a message, as far as the claim needs it.
struct LastAttempt {
    id: i64,
    status: String,
    retryable: Option<bool>,
    http_status: Option<i32>,
    started_at: DateTime<Utc>,
}

impl LastAttempt {
    /// Whether Chatwoot may hold the message from this attempt: it never recorded an outcome,
    /// or it failed in a way that may hide a success.
    fn may_have_reached_chatwoot(&self) -> bool {
        match self.status.as_str() {
            "running" => true,
            "failed" => self.retryable == Some(true) && self.http_status != Some(429),
            _ => false,
        }
    }
}

fn stmt<const N: usize>(db: &impl ConnectionTrait, sql: &str, values: [DbValue; N]) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

fn secs(d: Duration) -> DbValue {
    d.as_secs_f64().into()
}

const CLAIM: &str = "select {cols} from outbound_messages m \
    where m.status = 'queued' and m.channel = $2 \
      and (m.next_attempt_at is null or m.next_attempt_at <= now()) \
      and (m.locked_by is null or m.lease_expires_at is null or m.lease_expires_at < now()) \
      and exists (select 1 from projects p where p.id = m.project_id and p.archived_at is null) \
    order by m.next_attempt_at nulls first, m.created_at \
    limit $1 \
    for update of m skip locked";

/// Claims up to `options.batch_size` due messages: defers, blocks, cancels or fails those the
/// send-time checks refuse, and leases the rest (to post, or to reconcile first), in one
/// transaction.
pub async fn claim(
    db: &DatabaseConnection,
    options: &SenderOptions,
) -> Result<(Vec<Claimed>, BatchReport), SenderError> {
    let mut report = BatchReport::default();
    let txn = db.begin().await?;
    let rows = txn
        .query_all_raw(stmt(
            &txn,
            &CLAIM.replace("{cols}", ROW_COLUMNS),
            [
                i64::try_from(options.batch_size).unwrap_or(i64::MAX).into(),
                super::CHATWOOT_CHANNEL.into(),
            ],
        ))
        .await?
        .iter()
        .map(Row::read)
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        txn.commit().await?;
        return Ok((Vec::new(), report));
    }
    let mut last = last_attempts(&txn, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let mut scopes: HashMap<Uuid, Scope> = HashMap::new();
    let mut claimed = Vec::new();
    for row in rows {
        let scope = match scopes.get(&row.project_id) {
            Some(scope) => *scope,
            None => {
                let scope = Scope::for_project(&txn, row.project_id).await?;
                scopes.insert(row.project_id, scope);
                scope
            }
        };
        if row.origin_kind == OutboundOriginKind::Campaign
            && campaign_status(&txn, &row).await?.as_deref() == Some("paused")
        {
            defer(&txn, row.id, options.campaign_pause_delay, false).await?;
            report.deferred += 1;
            continue;
        }
        if let Some(attempt) = last
            .remove(&row.id)
            .filter(LastAttempt::may_have_reached_chatwoot)
        {
            lease(&txn, row.id, options).await?;
            let source = list_sources(&txn, &scope).await?.into_iter().next();
            report.claimed += 1;
            claimed.push(Claimed {
                message_id: row.id,
                scope,
                contact_id: row.contact,
                origin_kind: row.origin_kind,
                content: row.content,
                conversation_id: row.conversation,
                attempts: row.attempts,
                max_attempts: row.max_attempts,
                work: Work::Reconcile {
                    attempt_id: attempt.id,
                    running: attempt.status == "running",
                    started_at: attempt.started_at,
                },
                source,
            });
            continue;
        }
        if let Some(c) = prepare(&txn, &scope, row, options, &mut report).await? {
            report.claimed += 1;
            claimed.push(c);
        }
    }
    txn.commit().await?;
    Ok((claimed, report))
}

async fn last_attempts(
    txn: &DatabaseTransaction,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, LastAttempt>, DbErr> {
    let rows = txn
        .query_all_raw(stmt(
            txn,
            "select distinct on (a.outbound_message_id) a.outbound_message_id, a.id, \
               a.status, a.retryable, a.http_status, a.started_at \
             from outbound_attempts a \
             where a.outbound_message_id = \
               any(array(select (jsonb_array_elements_text($1::jsonb))::uuid)) \
             order by a.outbound_message_id, a.attempt_no desc",
            [DbValue::Json(Some(Box::new(json!(ids))))],
        ))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert(
            row.try_get::<Uuid>("", "outbound_message_id")?,
            LastAttempt {
                id: row.try_get("", "id")?,
                status: row.try_get("", "status")?,
                retryable: row.try_get("", "retryable")?,
                http_status: row.try_get("", "http_status")?,
                started_at: row.try_get("", "started_at")?,
            },
        );
    }
    Ok(out)
}

/// The status of a campaign message's campaign; `None` when the campaign does not exist.
async fn campaign_status(txn: &DatabaseTransaction, row: &Row) -> Result<Option<String>, DbErr> {
    let Some(campaign) = row
        .origin_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id.trim()).ok())
    else {
        return Ok(None);
    };
    let status = txn
        .query_one_raw(stmt(
            txn,
            "select status from campaigns where project_id = $1 and id = $2",
            [row.project_id.into(), campaign.into()],
        ))
        .await?;
    status
        .map(|r| r.try_get::<String>("", "status"))
        .transpose()
}

/// Puts a message off by `delay` without counting an attempt. `release` also ends this
/// sender's lease (the send-time checks run only on messages nothing unresolved is pending on;
/// before them, a dead sender's mark must stay until its attempt is reconciled).
async fn defer(
    txn: &DatabaseTransaction,
    id: Uuid,
    delay: Duration,
    release: bool,
) -> Result<(), DbErr> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set next_attempt_at = now() + make_interval(secs => $2), \
           locked_by = case when $3 then null else locked_by end, \
           lease_expires_at = case when $3 then null else lease_expires_at end \
         where id = $1",
        [id.into(), secs(delay), release.into()],
    ))
    .await?;
    Ok(())
}

async fn lease(txn: &DatabaseTransaction, id: Uuid, options: &SenderOptions) -> Result<(), DbErr> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set locked_by = $2, \
           lease_expires_at = now() + make_interval(secs => $3) where id = $1",
        [
            id.into(),
            options.worker_id.clone().into(),
            secs(options.effective_lease()),
        ],
    ))
    .await?;
    Ok(())
}

/// The final states the sender (and its hooks) know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome<'a> {
    Sent,
    Failed,
    Blocked(&'a str),
    Cancelled,
}

/// Re-checks a message (locked by the caller's transaction) and leases it with a running
/// attempt when it may go out; otherwise writes why not. `None` when it is not to be posted.
async fn prepare(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: Row,
    options: &SenderOptions,
    report: &mut BatchReport,
) -> Result<Option<Claimed>, SenderError> {
    if row.origin_kind == OutboundOriginKind::Campaign {
        match campaign_status(txn, &row).await?.as_deref() {
            Some("paused") => {
                defer(txn, row.id, options.campaign_pause_delay, true).await?;
                report.deferred += 1;
                return Ok(None);
            }
            Some("cancelled") | None => {
                cancel(txn, scope, &row).await?;
                report.cancelled += 1;
                return Ok(None);
            }
            Some(_) => {}
        }
    }
    if !row.approved {
        block(txn, scope, &row, "not_approved", options).await?;
        report.blocked += 1;
        return Ok(None);
    }
    if opted_out(txn, &row).await? {
        block(txn, scope, &row, "opted_out", options).await?;
        report.blocked += 1;
        return Ok(None);
    }
    if over_cap(txn, scope, &row).await? {
        block(txn, scope, &row, "frequency_cap", options).await?;
        report.blocked += 1;
        return Ok(None);
    }
    if row.attempts >= row.max_attempts {
        let error = format!("gave up after {} attempts", row.attempts);
        fail(txn, scope, &row, &error, false, options).await?;
        report.failed += 1;
        return Ok(None);
    }
    let Some(source) = list_sources(txn, scope).await?.into_iter().next() else {
        fail(
            txn,
            scope,
            &row,
            "the project has no Chatwoot source to send through",
            true,
            options,
        )
        .await?;
        report.failed += 1;
        return Ok(None);
    };
    if !source.enabled {
        defer(txn, row.id, options.source_disabled_delay, true).await?;
        report.deferred += 1;
        return Ok(None);
    }
    let conversation = match &row.conversation {
        Some(c) => Some(c.clone()),
        None => latest_conversation(txn, &row, source.account_id).await?,
    };
    let display_id = conversation
        .as_deref()
        .and_then(|c| display_id(row.project_id, source.account_id, c));
    let (Some(conversation), Some(display_id)) = (conversation, display_id) else {
        let error = if row.conversation.is_some() {
            "the message's conversation is not in the project's Chatwoot account"
        } else {
            "the contact has no conversation to post into"
        };
        fail(txn, scope, &row, error, true, options).await?;
        report.failed += 1;
        return Ok(None);
    };
    let attempt = txn
        .query_one_raw(stmt(
            txn,
            "with m as ( \
               update outbound_messages set locked_by = $2, \
                 lease_expires_at = now() + make_interval(secs => $3), \
                 conversation_global_id = $4 \
               where id = $1 returning project_id, account_scope_id, id \
             ) \
             insert into outbound_attempts (project_id, account_scope_id, outbound_message_id, \
               attempt_no, status, worker_id) \
             select m.project_id, m.account_scope_id, m.id, \
               coalesce((select max(attempt_no) from outbound_attempts \
                         where outbound_message_id = $1), 0) + 1, 'running', $2 \
             from m returning id",
            [
                row.id.into(),
                options.worker_id.clone().into(),
                secs(options.effective_lease()),
                conversation.clone().into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("outbound message to lease".to_owned()))?;
    Ok(Some(Claimed {
        message_id: row.id,
        scope: *scope,
        contact_id: row.contact,
        origin_kind: row.origin_kind,
        content: row.content,
        conversation_id: Some(conversation),
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        work: Work::Send {
            attempt_id: attempt.try_get("", "id")?,
            display_id,
        },
        source: Some(source),
    }))
}

/// The Chatwoot display id of `conversation` when it is a `cw:` id of the project and of the
/// source's account.
fn display_id(project_id: Uuid, account_id: i64, conversation: &str) -> Option<i64> {
    if !is_global_id_of(project_id, "cw", conversation) {
        return None;
    }
    let mut parts = conversation.rsplit(':');
    let display = parts.next()?.parse::<i64>().ok()?;
    let account = parts.next()?.parse::<i64>().ok()?;
    (account == account_id).then_some(display)
}

/// The contact's most recently active conversation in the source's account.
async fn latest_conversation(
    txn: &DatabaseTransaction,
    row: &Row,
    account_id: i64,
) -> Result<Option<String>, DbErr> {
    let found = txn
        .query_one_raw(stmt(
            txn,
            "select id from cw_conversations \
             where project_id = $1 and contact_global_id = $2 and account_id = $3 \
             order by updated_at desc nulls last, created_at desc, id desc limit 1",
            [
                row.project_id.into(),
                row.contact.clone().into(),
                account_id.into(),
            ],
        ))
        .await?;
    found.map(|r| r.try_get::<String>("", "id")).transpose()
}

async fn opted_out(txn: &DatabaseTransaction, row: &Row) -> Result<bool, DbErr> {
    let found = txn
        .query_one_raw(stmt(
            txn,
            "select exists (select 1 from contact_channel_policies \
               where project_id = $1 and contact_global_id = $2 and opted_out \
                 and channel in ($3, 'all')) as opted_out",
            [
                row.project_id.into(),
                row.contact.clone().into(),
                row.channel.clone().into(),
            ],
        ))
        .await?;
    Ok(match found {
        Some(r) => r.try_get("", "opted_out")?,
        None => false,
    })
}

/// Whether sending `row` now would exceed the contact's cap on its channel: the channel's own
/// cap, else the `all` cap, else the project default. Counts messages sent within the window
/// and those being sent right now, plus this one; serialised per contact and channel so two
/// senders cannot both take the last slot.
async fn over_cap(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
) -> Result<bool, SenderError> {
    txn.execute_raw(stmt(
        txn,
        "select pg_advisory_xact_lock(hashtextextended($1, 0))",
        [format!(
            "outbound:{}:{}:{}",
            row.project_id, row.contact, row.channel
        )
        .into()],
    ))
    .await?;
    let own = txn
        .query_one_raw(stmt(
            txn,
            "select frequency_cap, frequency_window_seconds from contact_channel_policies \
             where project_id = $1 and contact_global_id = $2 and channel in ($3, 'all') \
               and frequency_cap is not null \
             order by (channel = 'all') limit 1",
            [
                row.project_id.into(),
                row.contact.clone().into(),
                row.channel.clone().into(),
            ],
        ))
        .await?;
    let (cap, window) = match own {
        Some(r) => (
            r.try_get::<i32>("", "frequency_cap")?,
            r.try_get::<i32>("", "frequency_window_seconds")?,
        ),
        None => {
            let settings = policies::settings(txn, scope).await?;
            (settings.frequency_cap, settings.frequency_window_seconds)
        }
    };
    let recent = txn
        .query_one_raw(stmt(
            txn,
            "select count(*) as n from outbound_messages \
             where project_id = $1 and contact_global_id = $2 and channel = $3 and id <> $4 \
               and ((status = 'sent' and sent_at > now() - make_interval(secs => $5)) \
                 or (status = 'queued' and locked_by is not null and lease_expires_at > now()))",
            [
                row.project_id.into(),
                row.contact.clone().into(),
                row.channel.clone().into(),
                row.id.into(),
                f64::from(window).into(),
            ],
        ))
        .await?;
    let recent = match recent {
        Some(r) => r.try_get::<i64>("", "n")?,
        None => 0,
    };
    Ok(recent + 1 > i64::from(cap))
}

async fn insert_attempt(
    txn: &DatabaseTransaction,
    row_id: Uuid,
    status: &str,
    retryable: Option<bool>,
    error: &str,
    options: &SenderOptions,
) -> Result<(), DbErr> {
    txn.execute_raw(stmt(
        txn,
        "insert into outbound_attempts (project_id, account_scope_id, outbound_message_id, \
           attempt_no, status, retryable, error, worker_id, finished_at) \
         select m.project_id, m.account_scope_id, m.id, \
           coalesce((select max(attempt_no) from outbound_attempts \
                     where outbound_message_id = m.id), 0) + 1, $2, $3, $4, $5, now() \
         from outbound_messages m where m.id = $1",
        [
            row_id.into(),
            status.into(),
            retryable.into(),
            error.into(),
            options.worker_id.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

async fn audit_outcome(
    txn: &DatabaseTransaction,
    scope: &Scope,
    id: Uuid,
    contact: &str,
    action: &'static str,
    meta: Value,
) -> Result<(), SenderError> {
    audit::record(
        txn,
        AuditEntry {
            scope: Some(*scope),
            actor: ACTOR.to_owned(),
            action,
            target_kind: Some("outbound_message"),
            target_id: Some(id.to_string()),
            evidence: vec![
                EvidenceRef::new("outbound_message", id),
                EvidenceRef::new("contact", contact),
            ],
            meta,
        },
    )
    .await?;
    Ok(())
}

/// Ends a message `blocked` with `reason`, with a `blocked` attempt row.
async fn block(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
    reason: &str,
    options: &SenderOptions,
) -> Result<(), SenderError> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set status = 'blocked', blocked_reason = $2, \
           locked_by = null, lease_expires_at = null, next_attempt_at = null where id = $1",
        [row.id.into(), reason.into()],
    ))
    .await?;
    insert_attempt(txn, row.id, "blocked", None, reason, options).await?;
    hooks(
        txn,
        row.project_id,
        row.id,
        row.origin_kind,
        Outcome::Blocked(reason),
    )
    .await?;
    audit_outcome(
        txn,
        scope,
        row.id,
        &row.contact,
        "outbound.message.blocked",
        json!({ "reason": reason, "channel": row.channel }),
    )
    .await
}

/// Ends a message `failed` with `error`; `with_attempt` records the refusal as an attempt.
async fn fail(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
    error: &str,
    with_attempt: bool,
    options: &SenderOptions,
) -> Result<(), SenderError> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set status = 'failed', last_error = $2, \
           locked_by = null, lease_expires_at = null, next_attempt_at = null where id = $1",
        [row.id.into(), error.into()],
    ))
    .await?;
    if with_attempt {
        insert_attempt(txn, row.id, "failed", Some(false), error, options).await?;
    }
    hooks(
        txn,
        row.project_id,
        row.id,
        row.origin_kind,
        Outcome::Failed,
    )
    .await?;
    audit_outcome(
        txn,
        scope,
        row.id,
        &row.contact,
        "outbound.message.failed",
        json!({ "error": error, "attempts": row.attempts }),
    )
    .await
}

/// Cancels a message whose campaign was cancelled (or no longer exists).
async fn cancel(txn: &DatabaseTransaction, scope: &Scope, row: &Row) -> Result<(), SenderError> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set status = 'cancelled', blocked_reason = 'campaign_cancelled', \
           locked_by = null, lease_expires_at = null, next_attempt_at = null where id = $1",
        [row.id.into()],
    ))
    .await?;
    hooks(
        txn,
        row.project_id,
        row.id,
        row.origin_kind,
        Outcome::Cancelled,
    )
    .await?;
    audit_outcome(
        txn,
        scope,
        row.id,
        &row.contact,
        "outbound.message.cancelled",
        json!({ "reason": "campaign_cancelled", "campaignId": row.origin_id }),
    )
    .await
}

/// What a final status means for the campaign member or offer the message carries, written
/// in the same transaction as that status.
async fn hooks(
    txn: &DatabaseTransaction,
    project_id: Uuid,
    message_id: Uuid,
    origin: OutboundOriginKind,
    outcome: Outcome<'_>,
) -> Result<(), DbErr> {
    match origin {
        OutboundOriginKind::Campaign => {
            let (member_status, event) = match outcome {
                Outcome::Sent => ("sent", Some("sent")),
                Outcome::Failed => ("failed", Some("failed")),
                Outcome::Blocked("opted_out") => ("opted_out", Some("opted_out")),
                Outcome::Blocked(_) | Outcome::Cancelled => ("skipped", None),
            };
            let meta = match outcome {
                Outcome::Blocked(reason) => json!({ "reason": reason }),
                _ => json!({}),
            };
            txn.execute_raw(stmt(
                txn,
                "with m as ( \
                   update campaign_members set status = $3, last_event_at = now() \
                   where project_id = $1 and outbound_message_id = $2 \
                   returning id, project_id, account_scope_id, campaign_id, contact_global_id \
                 ) \
                 insert into campaign_events (project_id, account_scope_id, campaign_id, \
                   member_id, contact_global_id, event_type, outbound_message_id, meta) \
                 select m.project_id, m.account_scope_id, m.campaign_id, m.id, \
                   m.contact_global_id, $4::text, $2, $5::jsonb \
                 from m where $4::text is not null",
                [
                    project_id.into(),
                    message_id.into(),
                    member_status.into(),
                    event.map(str::to_owned).into(),
                    DbValue::Json(Some(Box::new(meta))),
                ],
            ))
            .await?;
        }
        OutboundOriginKind::Offer if outcome == Outcome::Sent => {
            txn.execute_raw(stmt(
                txn,
                "update offers set status = 'sent', sent_at = now() \
                 where project_id = $1 and outbound_message_id = $2 and status = 'approved'",
                [project_id.into(), message_id.into()],
            ))
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// The body of the one POST of a message: its text, public and outgoing, with the marker a
/// reconciliation looks for (`content_attributes` is stored by Chatwoot; `echo_id` is only
/// relayed to live clients, but costs nothing).
pub fn post_body(message_id: Uuid, content: &str) -> Value {
    json!({
        "content": content,
        "message_type": "outgoing",
        "private": false,
        "echo_id": message_id.to_string(),
        "content_attributes": { MARKER_KEY: message_id.to_string() },
    })
}

/// Caches one client per source for a batch.
#[derive(Default)]
struct Clients(HashMap<Uuid, ChatwootClient>);

impl Clients {
    fn get(
        &mut self,
        source: &ChatwootSource,
        options: &ClientOptions,
    ) -> Result<ChatwootClient, ChatwootError> {
        if let Some(client) = self.0.get(&source.id) {
            return Ok(client.clone());
        }
        let client = ChatwootClient::new(
            &source.base_url,
            source.account_id,
            &source.api_access_token,
            options,
        )?;
        self.0.insert(source.id, client.clone());
        Ok(client)
    }
}

/// Posts a claimed message once, without recording anything (the sender's own step; tests
/// call it alone to play a sender that dies right after posting). Refuses a message that must
/// be reconciled first.
pub async fn post_claimed(
    claimed: &Claimed,
    options: &SenderOptions,
) -> Result<Value, ChatwootError> {
    let Work::Send { display_id, .. } = claimed.work else {
        return Err(ChatwootError::Config(
            "an earlier attempt must be reconciled before posting".to_owned(),
        ));
    };
    let source = claimed
        .source
        .as_ref()
        .ok_or_else(|| ChatwootError::Config("no Chatwoot source".to_owned()))?;
    let client = Clients::default().get(source, &options.client)?;
    client
        .create_message(display_id, &post_body(claimed.message_id, &claimed.content))
        .await
}

/// Renews this sender's lease on `id` right before a Chatwoot call; false when the lease is
/// gone (expired and maybe taken over, or the message settled): then nothing may be posted.
async fn renew(db: &DatabaseConnection, id: Uuid, options: &SenderOptions) -> Result<bool, DbErr> {
    let result = db
        .execute_raw(stmt(
            db,
            "update outbound_messages set lease_expires_at = now() + make_interval(secs => $3) \
             where id = $1 and locked_by = $2 and status = 'queued' and lease_expires_at > now()",
            [
                id.into(),
                options.worker_id.clone().into(),
                secs(options.effective_lease()),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Claims one batch and delivers it. Tests call it until it reports idle. A message whose
/// delivery fails on the database is left to its lease (it is reconciled once the lease
/// expires) and the batch goes on with the others.
pub async fn process_batch(
    db: &DatabaseConnection,
    options: &SenderOptions,
) -> Result<BatchReport, SenderError> {
    let (claimed, mut report) = claim(db, options).await?;
    let mut clients = Clients::default();
    for c in claimed {
        let id = c.message_id;
        if let Err(e) = deliver(db, options, c, &mut clients, &mut report).await {
            tracing::warn!(message = %id, error = %e, "outbound delivery interrupted");
            report.lost += 1;
        }
    }
    Ok(report)
}

/// Delivers one claimed message: reconciles first when it must, then posts and records.
pub async fn deliver_claimed(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: Claimed,
) -> Result<BatchReport, SenderError> {
    let mut report = BatchReport::default();
    deliver(db, options, claimed, &mut Clients::default(), &mut report).await?;
    Ok(report)
}

async fn deliver(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: Claimed,
    clients: &mut Clients,
    report: &mut BatchReport,
) -> Result<(), SenderError> {
    let claimed = match claimed.work {
        Work::Send { .. } => claimed,
        Work::Reconcile {
            attempt_id,
            running,
            started_at,
        } => match reconcile(
            db, options, &claimed, clients, attempt_id, running, started_at, report,
        )
        .await?
        {
            Some(next) => next,
            None => return Ok(()),
        },
    };
    let Work::Send {
        attempt_id,
        display_id,
    } = claimed.work
    else {
        return Ok(());
    };
    let client = match claimed
        .source
        .as_ref()
        .map(|s| clients.get(s, &options.client))
    {
        Some(Ok(client)) => client,
        Some(Err(e)) => {
            return record_failure(db, options, &claimed, attempt_id, &e, report).await;
        }
        None => {
            let e = ChatwootError::Config("no Chatwoot source".to_owned());
            return record_failure(db, options, &claimed, attempt_id, &e, report).await;
        }
    };
    if !renew(db, claimed.message_id, options).await? {
        report.lost += 1;
        return Ok(());
    }
    let body = post_body(claimed.message_id, &claimed.content);
    match client.create_message(display_id, &body).await {
        Ok(response) => {
            let chatwoot_id = response.get("id").and_then(lenient_i64);
            if record_sent(
                db,
                options,
                &claimed,
                Delivered::Posted(attempt_id),
                chatwoot_id,
            )
            .await?
            {
                report.sent += 1;
            } else {
                report.lost += 1;
            }
            Ok(())
        }
        Err(e) => record_failure(db, options, &claimed, attempt_id, &e, report).await,
    }
}

/// Looks for an earlier attempt's message in Chatwoot. Found: records `sent` (`None`
/// returned). Not found: closes a dead attempt and re-runs the send-time checks, returning the
/// message ready to post (or `None` when the checks refused it). Chatwoot unreachable: puts the
/// message off without posting.
#[allow(clippy::too_many_arguments)]
async fn reconcile(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    clients: &mut Clients,
    attempt_id: i64,
    running: bool,
    started_at: DateTime<Utc>,
    report: &mut BatchReport,
) -> Result<Option<Claimed>, SenderError> {
    let display = claimed.source.as_ref().and_then(|s| {
        claimed
            .conversation_id
            .as_deref()
            .and_then(|c| display_id(claimed.scope.project_id(), s.account_id, c))
            .map(|d| (s, d))
    });
    // Without a source or a conversation the earlier attempt could not have posted anything.
    let found = match display {
        Some((source, display)) => {
            if !renew(db, claimed.message_id, options).await? {
                report.lost += 1;
                return Ok(None);
            }
            let looked = match clients.get(source, &options.client) {
                Ok(client) => {
                    find_marker(
                        &client,
                        display,
                        claimed,
                        started_at,
                        options.reconcile_pages,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match looked {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(message = %claimed.message_id, error = %e,
                        "could not check Chatwoot for an earlier attempt; retrying later");
                    put_off(db, options, claimed, running, &e).await?;
                    report.deferred += 1;
                    return Ok(None);
                }
            }
        }
        None => None,
    };
    if let Some(chatwoot_id) = found {
        let delivered = if running {
            Delivered::FoundForDeadAttempt(attempt_id)
        } else {
            Delivered::FoundAfterFailure
        };
        if record_sent(db, options, claimed, delivered, chatwoot_id).await? {
            report.sent += 1;
            report.reconciled += 1;
        } else {
            report.lost += 1;
        }
        return Ok(None);
    }

    // Not in Chatwoot: close the dead attempt, then check the message again from scratch.
    let txn = db.begin().await?;
    let row = txn
        .query_one_raw(stmt(
            &txn,
            &format!(
                "select {ROW_COLUMNS} from outbound_messages m \
                 where m.id = $1 and m.locked_by = $2 and m.status = 'queued' for update"
            ),
            [claimed.message_id.into(), options.worker_id.clone().into()],
        ))
        .await?;
    let Some(row) = row.as_ref().map(Row::read).transpose()? else {
        txn.commit().await?;
        report.lost += 1;
        return Ok(None);
    };
    let mut row = row;
    if running {
        txn.execute_raw(stmt(
            &txn,
            "update outbound_attempts set status = 'failed', retryable = true, finished_at = now(), \
               error = 'the sender stopped before recording the outcome; the message is not in \
               Chatwoot' where id = $1 and status = 'running'",
            [attempt_id.into()],
        ))
        .await?;
        txn.execute_raw(stmt(
            &txn,
            "update outbound_messages set attempts = attempts + 1 where id = $1",
            [row.id.into()],
        ))
        .await?;
        row.attempts += 1;
    }
    let next = prepare(&txn, &claimed.scope, row, options, report).await?;
    txn.commit().await?;
    Ok(next)
}

/// Reads the conversation newest first, back to the attempt's start, for the message
/// `claimed` posted: its marker, or (for a Chatwoot that drops `content_attributes`) an
/// outgoing public message with the same text and no marker, written since the attempt began.
/// `Some(chatwoot id)` when found.
async fn find_marker(
    client: &ChatwootClient,
    display_id: i64,
    claimed: &Claimed,
    since: DateTime<Utc>,
    pages: usize,
) -> Result<Option<Option<i64>>, ChatwootError> {
    let marker = claimed.message_id.to_string();
    // Chatwoot's clock may differ from the database's.
    let since = since.timestamp() - 60;
    let mut cursor = MessagesCursor::Latest;
    for _ in 0..pages.max(1) {
        let page = client.messages(display_id, cursor).await?;
        for message in page.payload.iter().rev() {
            if is_ours(message, &marker, &claimed.content, since) {
                return Ok(Some(message.get("id").and_then(lenient_i64)));
            }
        }
        let oldest_id = page
            .payload
            .iter()
            .filter_map(|m| m.get("id").and_then(lenient_i64))
            .min();
        let oldest_at = page
            .payload
            .iter()
            .filter_map(|m| m.get("created_at").and_then(lenient_i64))
            .min();
        match (oldest_id, oldest_at) {
            (Some(id), Some(at)) if page.payload.len() >= PAGE_SIZE && at >= since => {
                cursor = MessagesCursor::Before(id);
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// The marker a Chatwoot message carries, if any (`content_attributes` may come as JSON text).
fn marker_of(message: &Value) -> Option<String> {
    let attributes = message.get("content_attributes")?;
    let parsed;
    let attributes = match attributes {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).ok()?;
            &parsed
        }
        other => other,
    };
    attributes
        .get(MARKER_KEY)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn is_ours(message: &Value, marker: &str, content: &str, since_unix: i64) -> bool {
    if let Some(found) = marker_of(message) {
        return found == marker;
    }
    let outgoing = match message.get("message_type") {
        Some(Value::String(t)) => t == "outgoing",
        Some(v) => lenient_i64(v) == Some(1),
        None => false,
    };
    let public = !message
        .get("private")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let same_text = message
        .get("content")
        .and_then(Value::as_str)
        .is_some_and(|c| c.trim() == content.trim());
    let recent = message
        .get("created_at")
        .and_then(lenient_i64)
        .is_some_and(|at| at >= since_unix);
    outgoing && public && same_text && recent
}

/// How a message was found to be in Chatwoot.
#[derive(Debug, Clone, Copy)]
enum Delivered {
    /// The running attempt posted it just now.
    Posted(i64),
    /// A dead sender's running attempt had posted it (found by reconciliation).
    FoundForDeadAttempt(i64),
    /// An attempt that failed ambiguously had in fact posted it (found by reconciliation).
    FoundAfterFailure,
}

/// Records `sent` while this sender still holds the lease: the message, the attempt (the
/// running one, or a new `sent` row saying it was found), the hooks and the audit. False when
/// the lease was lost (nothing written).
async fn record_sent(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    delivered: Delivered,
    chatwoot_id: Option<i64>,
) -> Result<bool, SenderError> {
    let (attempt_id, counted, note) = match delivered {
        Delivered::Posted(id) => (Some(id), 1, None),
        Delivered::FoundForDeadAttempt(id) => (
            Some(id),
            1,
            Some("found in Chatwoot after its sender stopped; not posted again"),
        ),
        // The failed attempt was counted when it failed.
        Delivered::FoundAfterFailure => (
            None,
            0,
            Some("found in Chatwoot: an earlier attempt that failed ambiguously had delivered it"),
        ),
    };
    let txn = db.begin().await?;
    let updated = txn
        .execute_raw(stmt(
            &txn,
            "update outbound_messages set status = 'sent', sent_at = now(), \
               chatwoot_message_id = $3, attempts = attempts + $4, last_error = null, \
               locked_by = null, lease_expires_at = null, next_attempt_at = null \
             where id = $1 and locked_by = $2 and status = 'queued'",
            [
                claimed.message_id.into(),
                options.worker_id.clone().into(),
                chatwoot_id.into(),
                counted.into(),
            ],
        ))
        .await?;
    if updated.rows_affected() != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    match attempt_id {
        Some(id) => {
            txn.execute_raw(stmt(
                &txn,
                "update outbound_attempts set status = 'sent', finished_at = now(), \
                   http_status = case when $3::text is null then 200 else http_status end, \
                   chatwoot_message_id = $2, error = $3 \
                 where id = $1",
                [
                    id.into(),
                    chatwoot_id.into(),
                    note.map(str::to_owned).into(),
                ],
            ))
            .await?;
        }
        None => {
            txn.execute_raw(stmt(
                &txn,
                "insert into outbound_attempts (project_id, account_scope_id, \
                   outbound_message_id, attempt_no, status, worker_id, chatwoot_message_id, \
                   error, finished_at) \
                 select m.project_id, m.account_scope_id, m.id, \
                   coalesce((select max(attempt_no) from outbound_attempts \
                             where outbound_message_id = m.id), 0) + 1, \
                   'sent', $2, $3, $4, now() \
                 from outbound_messages m where m.id = $1",
                [
                    claimed.message_id.into(),
                    options.worker_id.clone().into(),
                    chatwoot_id.into(),
                    note.map(str::to_owned).into(),
                ],
            ))
            .await?;
        }
    }
    hooks(
        &txn,
        claimed.scope.project_id(),
        claimed.message_id,
        claimed.origin_kind,
        Outcome::Sent,
    )
    .await?;
    audit_outcome(
        &txn,
        &claimed.scope,
        claimed.message_id,
        &claimed.contact_id,
        "outbound.message.sent",
        json!({
            "chatwootMessageId": chatwoot_id,
            "conversationId": claimed.conversation_id,
            "reconciled": note.is_some(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The wait before the next try after `attempts` tries: exponential with jitter, never
/// shorter than Chatwoot's `Retry-After`.
pub fn retry_delay(options: &SenderOptions, attempts: i32, error: &ChatwootError) -> Duration {
    let n = u32::try_from(attempts.max(1) - 1).unwrap_or(0);
    let delay = backoff(options.base_backoff, options.max_backoff, n);
    match error.retry_after() {
        Some(after) => delay.max(after),
        None => delay,
    }
}

/// Records a failed POST while this sender still holds the lease. Retryable failures wait and
/// stay queued: a possibly-applied one always (the next claim reconciles it, and gives up only
/// once it is known not to be in Chatwoot), a clean one until the attempts run out. Anything
/// else fails the message now.
async fn record_failure(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    attempt_id: i64,
    error: &ChatwootError,
    report: &mut BatchReport,
) -> Result<(), SenderError> {
    let attempts = claimed.attempts + 1;
    let retry =
        error.is_retryable() && (error.may_have_been_applied() || attempts < claimed.max_attempts);
    let text = error.to_string();
    let http_status = error.http_status().map(i32::from);
    let txn = db.begin().await?;
    let updated = if retry {
        txn.execute_raw(stmt(
            &txn,
            "update outbound_messages set attempts = attempts + 1, last_error = $3, \
               next_attempt_at = now() + make_interval(secs => $4), \
               locked_by = null, lease_expires_at = null \
             where id = $1 and locked_by = $2 and status = 'queued'",
            [
                claimed.message_id.into(),
                options.worker_id.clone().into(),
                text.clone().into(),
                secs(retry_delay(options, attempts, error)),
            ],
        ))
        .await?
    } else {
        txn.execute_raw(stmt(
            &txn,
            "update outbound_messages set status = 'failed', attempts = attempts + 1, \
               last_error = $3, locked_by = null, lease_expires_at = null, \
               next_attempt_at = null \
             where id = $1 and locked_by = $2 and status = 'queued'",
            [
                claimed.message_id.into(),
                options.worker_id.clone().into(),
                text.clone().into(),
            ],
        ))
        .await?
    };
    if updated.rows_affected() != 1 {
        txn.rollback().await?;
        report.lost += 1;
        return Ok(());
    }
    txn.execute_raw(stmt(
        &txn,
        "update outbound_attempts set status = 'failed', retryable = $2, http_status = $3, \
           error = $4, finished_at = now() where id = $1",
        [
            attempt_id.into(),
            retry.into(),
            http_status.into(),
            text.clone().into(),
        ],
    ))
    .await?;
    if retry {
        report.retry_scheduled += 1;
    } else {
        hooks(
            &txn,
            claimed.scope.project_id(),
            claimed.message_id,
            claimed.origin_kind,
            Outcome::Failed,
        )
        .await?;
        audit_outcome(
            &txn,
            &claimed.scope,
            claimed.message_id,
            &claimed.contact_id,
            "outbound.message.failed",
            json!({ "error": text, "httpStatus": http_status, "attempts": attempts }),
        )
        .await?;
        report.failed += 1;
    }
    txn.commit().await?;
    Ok(())
}

/// Puts off a message whose reconciliation could not reach Chatwoot: nothing is posted, the
/// lease ends now, and it is looked at again after a backoff. A dead attempt keeps the
/// message marked as held (`locked_by`), so it cannot be cancelled while it may be delivered.
async fn put_off(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    running: bool,
    error: &ChatwootError,
) -> Result<(), DbErr> {
    let delay = retry_delay(options, claimed.attempts.max(1), error);
    db.execute_raw(stmt(
        db,
        "update outbound_messages set next_attempt_at = now() + make_interval(secs => $3), \
           lease_expires_at = case when $4 then now() else null end, \
           locked_by = case when $4 then locked_by else null end \
         where id = $1 and locked_by = $2 and status = 'queued'",
        [
            claimed.message_id.into(),
            options.worker_id.clone().into(),
            secs(delay),
            running.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A running sender loop; stops when shut down or dropped.
pub struct OutboundSender {
    task: Option<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl OutboundSender {
    /// Starts the loop: a batch, then another at once while there is work, else a pause of
    /// `idle`.
    pub fn spawn(db: DatabaseConnection, options: SenderOptions, idle: Duration) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let options = Arc::new(options);
        let task = tokio::spawn(run_loop(db, options, idle, stop_rx));
        Self {
            task: Some(task),
            stop,
        }
    }

    /// Stops after the current batch (an unfinished message's lease expires and it is
    /// reconciled by the next sender).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for OutboundSender {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn run_loop(
    db: DatabaseConnection,
    options: Arc<SenderOptions>,
    idle: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        let wait = match process_batch(&db, &options).await {
            Ok(report) if report.is_idle() => Some(idle),
            Ok(report) => {
                tracing::debug!(?report, "outbound batch");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbound batch failed");
                Some(idle)
            }
        };
        if let Some(wait) = wait {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => break,
            }
        }
    }
}

/// Starts this process's sender when `REVINTEL_OUTBOUND_SENDER` is on (keep the returned
/// handle; dropping it stops the loop).
pub fn start(db: &DatabaseConnection, config: &Config, name: &str) -> Option<OutboundSender> {
    if !config.outbound_sender {
        return None;
    }
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned());
    let mut options = SenderOptions::new(
        format!("outbound-{name}@{host}:{}", std::process::id()),
        config.outbound_batch_size,
    );
    options.client = crate::workers::sync_options(config).client;
    // The sender backs off on its own; one inline retry of a reconciliation read is enough and
    // keeps the lease (sized from the longest call) short.
    options.client.retry.max_retries = 1;
    tracing::info!(batch = options.batch_size, "outbound sender started");
    Some(OutboundSender::spawn(
        db.clone(),
        options,
        Duration::from_secs(config.outbound_poll_seconds.max(1)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_found_in_objects_and_in_json_text() {
        let id = Uuid::new_v4().to_string();
        let object = json!({ "content_attributes": { MARKER_KEY: id } });
        let text = json!({ "content_attributes": format!("{{\"{MARKER_KEY}\":\"{id}\"}}") });
        assert_eq!(marker_of(&object).as_deref(), Some(id.as_str()));
        assert_eq!(marker_of(&text).as_deref(), Some(id.as_str()));
        assert_eq!(marker_of(&json!({ "content_attributes": {} })), None);
    }

    #[test]
    fn another_marker_is_never_ours_even_with_the_same_text() {
        let other = json!({
            "content_attributes": { MARKER_KEY: Uuid::new_v4().to_string() },
            "message_type": 1, "private": false, "content": "Hello", "created_at": 100,
        });
        assert!(!is_ours(&other, "mine", "Hello", 0));
        let unmarked = json!({
            "content_attributes": {}, "message_type": 1, "private": false,
            "content": "Hello", "created_at": 100,
        });
        assert!(is_ours(&unmarked, "mine", "Hello", 50));
        assert!(
            !is_ours(&unmarked, "mine", "Hello", 150),
            "older than the attempt"
        );
        assert!(!is_ours(&unmarked, "mine", "Bye", 50));
    }

    #[test]
    fn display_ids_come_from_the_sources_account_only() {
        let project = Uuid::new_v4();
        assert_eq!(
            display_id(project, 7, &format!("cw:{project}:7:42")),
            Some(42)
        );
        assert_eq!(display_id(project, 8, &format!("cw:{project}:7:42")), None);
        assert_eq!(
            display_id(Uuid::new_v4(), 7, &format!("cw:{project}:7:42")),
            None
        );
    }

    #[test]
    fn the_retry_delay_honours_retry_after() {
        let options = SenderOptions::new("t", 1);
        let limited = ChatwootError::RateLimited {
            retry_after: Some(Duration::from_secs(7_200)),
        };
        assert!(retry_delay(&options, 1, &limited) >= Duration::from_secs(7_200));
        let server = ChatwootError::Server {
            status: 503,
            retry_after: None,
        };
        let d = retry_delay(&options, 1, &server);
        assert!(
            d >= Duration::from_secs(24) && d <= Duration::from_secs(36),
            "{d:?}"
        );
    }

    #[test]
    fn the_lease_outlasts_the_longest_chatwoot_call_twice() {
        let mut options = SenderOptions::new("t", 1);
        options.lease = Duration::from_secs(10);
        options.client.timeout = Duration::from_secs(30);
        options.client.retry.max_retries = 1;
        options.client.retry.max_retry_after = Duration::from_secs(60);
        // Two tries of 30 s and one wait of 60 s, twice over.
        assert_eq!(options.effective_lease(), Duration::from_secs(240));
        options.lease = Duration::from_secs(900);
        assert_eq!(options.effective_lease(), Duration::from_secs(900));
    }

    #[test]
    fn only_unfinished_or_ambiguous_attempts_need_a_reconciliation() {
        let attempt = |status: &str, retryable: Option<bool>, http: Option<i32>| LastAttempt {
            id: 1,
            status: status.to_owned(),
            retryable,
            http_status: http,
            started_at: Utc::now(),
        };
        assert!(attempt("running", None, None).may_have_reached_chatwoot());
        assert!(attempt("failed", Some(true), Some(503)).may_have_reached_chatwoot());
        assert!(attempt("failed", Some(true), None).may_have_reached_chatwoot());
        assert!(!attempt("failed", Some(true), Some(429)).may_have_reached_chatwoot());
        assert!(!attempt("failed", Some(false), Some(422)).may_have_reached_chatwoot());
        assert!(!attempt("blocked", None, None).may_have_reached_chatwoot());
    }
}
