//! Outbound messages written by hand or from a next-best-action, through their approval:
//! draft -> pending_approval -> queued (approve sets approved_by/approved_at/queued_at in one
//! step) or cancelled (reject, cancel). Every transition locks the row, checks the state it
//! leaves, and is audited as `outbound.message.<action>` with the message and its contact as
//! evidence. Only [`approve_message`] and [`enqueue_approved`] put a message in the queue; the
//! database refuses queued or sent rows without `approved_at` on top.
use chrono::{DateTime, Utc};
use entity::{
    cw_conversations,
    enums::{OutboundAttemptStatus, OutboundOriginKind, OutboundStatus},
    next_best_actions, outbound_attempts, outbound_messages,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::outbound::{Actor, CHATWOOT_CHANNEL, check_channel, require_contact};
use crate::kernel::approval::{ApprovalStage, Refusal, Step, check_step};
use crate::kernel::{
    DomainError, Page, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    checks::{Checks, MAX_NOTE_CHARS, is_global_id_of, optional_text},
    error::{DomainResult, FieldError},
    sql::{Sql, count_rows},
};

/// Longest message text.
pub const MAX_CONTENT_CHARS: usize = 4000;
/// Longest `origin_id` (a uuid in text, with room for other producers' ids).
const MAX_ORIGIN_ID_CHARS: usize = 100;

/// An outbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    /// Message id.
    pub id: Uuid,
    /// Channel it goes out on (`chatwoot`).
    pub channel: String,
    /// The recipient (`cwc:` id).
    pub contact_id: String,
    /// The conversation it is (or was) posted into (`cw:` id); `None` until the sender picks
    /// the contact's latest one.
    pub conversation_id: Option<String>,
    /// Where it comes from.
    pub origin_kind: OutboundOriginKind,
    /// Id of the campaign, offer or next-best-action it comes from.
    pub origin_id: Option<String>,
    /// Text.
    pub content: String,
    /// Lifecycle status.
    pub status: OutboundStatus,
    /// Author.
    pub created_by: Option<Uuid>,
    /// Approver.
    pub approved_by: Option<Uuid>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// Why it was blocked or rejected (`opted_out`, `frequency_cap`, `rejected`, ...).
    pub blocked_reason: Option<String>,
    /// Send tries so far.
    pub attempts: i32,
    /// Tries before it fails for good.
    pub max_attempts: i32,
    /// Not tried again before this.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Error of the last failed try.
    pub last_error: Option<String>,
    /// When it entered the queue.
    pub queued_at: Option<DateTime<Utc>>,
    /// When Chatwoot took it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The message Chatwoot created.
    pub chatwoot_message_id: Option<i64>,
    /// True while a sender holds it (it cannot be cancelled then).
    pub sending: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<outbound_messages::Model> for OutboundMessage {
    fn from(m: outbound_messages::Model) -> Self {
        Self {
            id: m.id,
            channel: m.channel,
            contact_id: m.contact_global_id,
            conversation_id: m.conversation_global_id,
            origin_kind: m.origin_kind,
            origin_id: m.origin_id,
            content: m.content,
            status: m.status,
            created_by: m.created_by,
            approved_by: m.approved_by,
            approved_at: m.approved_at.map(|t| t.with_timezone(&Utc)),
            blocked_reason: m.blocked_reason,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            next_attempt_at: m.next_attempt_at.map(|t| t.with_timezone(&Utc)),
            last_error: m.last_error,
            queued_at: m.queued_at.map(|t| t.with_timezone(&Utc)),
            sent_at: m.sent_at.map(|t| t.with_timezone(&Utc)),
            chatwoot_message_id: m.chatwoot_message_id,
            sending: m.locked_by.is_some(),
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

impl OutboundMessage {
    /// Its position in [`list_messages`] (created_at, id).
    pub fn cursor(&self) -> (DateTime<Utc>, Uuid) {
        (self.created_at, self.id)
    }
}

/// One send attempt (or send-time refusal) of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundAttempt {
    /// Attempt row id.
    pub id: i64,
    /// The message.
    pub message_id: Uuid,
    /// 1, 2, ...
    pub attempt_no: i32,
    /// Outcome.
    pub status: OutboundAttemptStatus,
    /// For failures: whether the sender tries again.
    pub retryable: Option<bool>,
    /// What Chatwoot answered.
    pub http_status: Option<i32>,
    /// Why it failed or was blocked.
    pub error: Option<String>,
    /// The message Chatwoot created.
    pub chatwoot_message_id: Option<i64>,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished (`None` while running, or when its worker died).
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<outbound_attempts::Model> for OutboundAttempt {
    fn from(m: outbound_attempts::Model) -> Self {
        Self {
            id: m.id,
            message_id: m.outbound_message_id,
            attempt_no: m.attempt_no,
            status: m.status,
            retryable: m.retryable,
            http_status: m.http_status,
            error: m.error,
            chatwoot_message_id: m.chatwoot_message_id,
            started_at: m.started_at.with_timezone(&Utc),
            finished_at: m.finished_at.map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// Input of [`create_message`]: a draft by hand, or from a next-best-action.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// The recipient: a `cwc:` contact of the project.
    pub contact_id: String,
    /// The conversation to post into (a `cw:` conversation of that contact); `None` lets the
    /// sender use the contact's most recent conversation.
    pub conversation_id: Option<String>,
    /// `chatwoot` (the default, and the only channel the sender delivers today).
    pub channel: Option<String>,
    /// 1-4000 characters.
    pub content: String,
    /// The next-best-action of the project this message acts on (origin `nba`).
    pub next_best_action_id: Option<Uuid>,
}

/// Input of [`enqueue_approved`]: a message some other module approved.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    /// The recipient: a `cwc:` contact of the project.
    pub contact_global_id: String,
    /// The conversation to post into; `None` lets the sender use the contact's latest one.
    pub conversation_global_id: Option<String>,
    /// `chatwoot`.
    pub channel: String,
    /// 1-4000 characters.
    pub content: String,
    /// Where it comes from (`offer`, `campaign`, ...).
    pub origin_kind: OutboundOriginKind,
    /// Id (uuid text) of the offer or campaign.
    pub origin_id: Option<String>,
}

/// Listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Status.
    pub status: Option<OutboundStatus>,
    /// Origin kind.
    pub origin_kind: Option<OutboundOriginKind>,
    /// Origin id (e.g. one campaign's messages).
    pub origin_id: Option<String>,
    /// Recipient (`cwc:` id).
    pub contact_id: Option<String>,
}

fn status_str(status: OutboundStatus) -> &'static str {
    match status {
        OutboundStatus::Draft => "draft",
        OutboundStatus::PendingApproval => "pending_approval",
        OutboundStatus::Approved => "approved",
        OutboundStatus::Queued => "queued",
        OutboundStatus::Sent => "sent",
        OutboundStatus::Failed => "failed",
        OutboundStatus::Blocked => "blocked",
        OutboundStatus::Cancelled => "cancelled",
    }
}

fn origin_str(origin: OutboundOriginKind) -> &'static str {
    match origin {
        OutboundOriginKind::Manual => "manual",
        OutboundOriginKind::Campaign => "campaign",
        OutboundOriginKind::Offer => "offer",
        OutboundOriginKind::Nba => "nba",
    }
}

/// The message text: 1-4000 characters after trimming (kept as written otherwise).
fn check_content(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_CONTENT_CHARS {
        return Err(FieldError::new(
            field,
            format!("use 1-{MAX_CONTENT_CHARS} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// The channel of a new message: `chatwoot` unless another is named, and only `chatwoot` has
/// a sender today.
fn check_message_channel(field: &str, raw: Option<&str>) -> Result<String, FieldError> {
    let channel = check_channel(field, raw.unwrap_or(CHATWOOT_CHANNEL))?;
    if channel != CHATWOOT_CHANNEL {
        return Err(FieldError::new(
            field,
            "only the chatwoot channel can be sent to",
        ));
    }
    Ok(channel)
}

/// Checks that `conversation` is a conversation of the project (NotFound otherwise) and of
/// `contact` (a validation failure otherwise).
async fn check_conversation<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    checks: &mut Checks,
    conversation: &str,
    contact: &str,
) -> DomainResult<()> {
    if !is_global_id_of(scope.project_id(), "cw", conversation) {
        return Err(DomainError::NotFound("conversation"));
    }
    let row = cw_conversations::Entity::find_by_id(conversation.to_owned())
        .filter(scope.filter_for::<cw_conversations::Entity>())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("conversation"))?;
    if row.contact_global_id.as_deref() != Some(contact) {
        checks.fail("conversationId", "must be a conversation of this contact");
    }
    Ok(())
}

async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
    lock: bool,
) -> DomainResult<outbound_messages::Model> {
    let mut query = scope
        .rows::<outbound_messages::Entity>()
        .filter(outbound_messages::Column::Id.eq(id));
    if lock {
        query = query.lock_exclusive();
    }
    query
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("outbound message"))
}

fn evidence(row: &outbound_messages::Model) -> Vec<EvidenceRef> {
    vec![
        EvidenceRef::new("outbound_message", row.id),
        EvidenceRef::new("contact", &row.contact_global_id),
    ]
}

async fn record<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &str,
    action: &'static str,
    row: &outbound_messages::Model,
    meta: serde_json::Value,
) -> DomainResult<()> {
    audit::record(
        db,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.to_owned(),
            action,
            target_kind: Some("outbound_message"),
            target_id: Some(row.id.to_string()),
            evidence: evidence(row),
            meta,
        },
    )
    .await
}

/// Writes a draft (`outbound.message.created`). The contact must be the project's (NotFound
/// otherwise); a given conversation must be that contact's; a given next-best-action must be
/// the project's and makes the origin `nba`.
pub async fn create_message(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewMessage,
) -> DomainResult<OutboundMessage> {
    let mut checks = Checks::default();
    let content = checks
        .take(check_content("content", &input.content))
        .unwrap_or_default();
    let channel = checks
        .take(check_message_channel("channel", input.channel.as_deref()))
        .unwrap_or_default();
    let contact = require_contact(db, scope, &input.contact_id).await?;
    let conversation = input
        .conversation_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if let Some(conversation) = &conversation {
        check_conversation(db, scope, &mut checks, conversation, &contact).await?;
    }
    if let Some(nba) = input.next_best_action_id {
        let exists = next_best_actions::Entity::find_by_id(nba)
            .filter(scope.filter_for::<next_best_actions::Entity>())
            .count(db)
            .await?
            > 0;
        if !exists {
            return Err(DomainError::NotFound("next-best-action"));
        }
    }
    checks.finish()?;

    let (origin_kind, origin_id) = match input.next_best_action_id {
        Some(nba) => (OutboundOriginKind::Nba, Some(nba.to_string())),
        None => (OutboundOriginKind::Manual, None),
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = outbound_messages::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        channel: Set(channel),
        contact_global_id: Set(contact),
        conversation_global_id: Set(conversation),
        origin_kind: Set(origin_kind),
        origin_id: Set(origin_id),
        content: Set(content),
        status: Set(OutboundStatus::Draft),
        created_by: Set(actor.user_id),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        scope,
        &actor.audit,
        "outbound.message.created",
        &row,
        json!({
            "channel": row.channel,
            "origin": origin_str(row.origin_kind),
            "originId": row.origin_id,
            "conversationId": row.conversation_global_id,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// The transition shared by every state change: locks the message, refuses it unless its
/// status is one of `from`, applies `change`, audits `action`.
async fn transition(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    from: &[OutboundStatus],
    action: &'static str,
    change: impl FnOnce(
        &outbound_messages::Model,
        &mut outbound_messages::ActiveModel,
    ) -> DomainResult<serde_json::Value>,
) -> DomainResult<OutboundMessage> {
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if !from.contains(&row.status) {
        let allowed: Vec<&str> = from.iter().map(|s| status_str(*s)).collect();
        return Err(DomainError::Conflict(format!(
            "This message is {}; only a message that is {} can be {}",
            status_str(row.status),
            allowed.join(" or "),
            action.rsplit('.').next().unwrap_or(action),
        )));
    }
    let mut active = row.clone().into_active_model();
    let meta = change(&row, &mut active)?;
    let updated = active.update(&txn).await?;
    let mut meta = meta;
    meta["from"] = json!(status_str(row.status));
    meta["to"] = json!(status_str(updated.status));
    record(&txn, scope, &actor.audit, action, &updated, meta).await?;
    txn.commit().await?;
    Ok(updated.into())
}

/// Puts a draft up for approval (`outbound.message.submitted`).
pub async fn submit_message(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<OutboundMessage> {
    transition(
        db,
        scope,
        actor,
        id,
        &[OutboundStatus::Draft],
        "outbound.message.submitted",
        |_, active| {
            active.status = Set(OutboundStatus::PendingApproval);
            Ok(json!({}))
        },
    )
    .await
}

/// Approves a message waiting for approval and queues it in the same step: `approved_by`,
/// `approved_at` and `queued_at` are set and the status becomes `queued`
/// (`outbound.message.approved`). Only a person may approve; when the project asks for four
/// eyes (`settings.outbound_four_eyes`), not the message's author.
pub async fn approve_message(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<OutboundMessage> {
    let Some(approver) = actor.user_id else {
        return Err(DomainError::Forbidden);
    };
    let four_eyes = super::policies::settings(db, scope).await?.four_eyes;
    transition(
        db,
        scope,
        actor,
        id,
        &[OutboundStatus::PendingApproval],
        "outbound.message.approved",
        move |row, active| {
            if check_step(
                Step::Approve,
                ApprovalStage::Pending,
                row.created_by,
                Some(approver),
                four_eyes,
            ) == Err(Refusal::OwnRecord)
            {
                return Err(DomainError::Conflict(
                    "This project requires an approver other than the message's author".to_owned(),
                ));
            }
            let now = Utc::now();
            active.status = Set(OutboundStatus::Queued);
            active.approved_by = Set(Some(approver));
            active.approved_at = Set(Some(now.into()));
            active.queued_at = Set(Some(now.into()));
            active.next_attempt_at = Set(None);
            active.blocked_reason = Set(None);
            Ok(json!({ "approvedBy": approver, "fourEyes": four_eyes }))
        },
    )
    .await
}

/// Rejects a message waiting for approval: it is cancelled with `blocked_reason = 'rejected'`
/// (`outbound.message.rejected`, with the reason).
pub async fn reject_message(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    reason: Option<String>,
) -> DomainResult<OutboundMessage> {
    let mut checks = Checks::default();
    let reason = checks
        .take(optional_text("reason", reason.as_deref(), MAX_NOTE_CHARS))
        .flatten();
    checks.finish()?;
    transition(
        db,
        scope,
        actor,
        id,
        &[OutboundStatus::PendingApproval],
        "outbound.message.rejected",
        move |_, active| {
            active.status = Set(OutboundStatus::Cancelled);
            active.blocked_reason = Set(Some("rejected".to_owned()));
            Ok(json!({ "reason": reason }))
        },
    )
    .await
}

/// Cancels a message that has not gone out (draft, waiting for approval, approved or queued)
/// (`outbound.message.cancelled`). A message a sender holds, or whose last attempt never
/// recorded its outcome, may already be in Chatwoot: cancelling it is a conflict until the
/// sender has settled it.
pub async fn cancel_message(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<OutboundMessage> {
    transition(
        db,
        scope,
        actor,
        id,
        &[
            OutboundStatus::Draft,
            OutboundStatus::PendingApproval,
            OutboundStatus::Approved,
            OutboundStatus::Queued,
        ],
        "outbound.message.cancelled",
        |row, active| {
            if row.locked_by.is_some() {
                return Err(DomainError::Conflict(
                    "This message is being sent right now and can no longer be cancelled"
                        .to_owned(),
                ));
            }
            active.status = Set(OutboundStatus::Cancelled);
            active.next_attempt_at = Set(None);
            Ok(json!({}))
        },
    )
    .await
}

/// Inserts a message that the caller has already approved, straight into the queue, inside
/// the caller's transaction `db`: offers and campaigns call this when their own approval
/// happens, so the message exists exactly when that approval commits. `approved_by` is the
/// approving person (`None`: approved by the system on the caller's behalf), `created_by` its
/// author. The contact must be the project's (NotFound otherwise), the channel `chatwoot` and
/// the content 1-4000 characters; the sender re-checks opt-outs and caps at send time.
/// Audited as `outbound.message.enqueued`. Returns the message id.
pub async fn enqueue_approved<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    new: NewOutbound,
    approved_by: Option<Uuid>,
    created_by: Option<Uuid>,
) -> DomainResult<Uuid> {
    let mut checks = Checks::default();
    let content = checks
        .take(check_content("content", &new.content))
        .unwrap_or_default();
    let channel = checks
        .take(check_message_channel("channel", Some(&new.channel)))
        .unwrap_or_default();
    let origin_id = new
        .origin_id
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    if origin_id
        .as_ref()
        .is_some_and(|o| o.chars().count() > MAX_ORIGIN_ID_CHARS)
    {
        checks.fail("originId", "is too long");
    }
    let contact = require_contact(db, scope, &new.contact_global_id).await?;
    let conversation = new
        .conversation_global_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if let Some(conversation) = &conversation {
        check_conversation(db, scope, &mut checks, conversation, &contact).await?;
    }
    checks.finish()?;

    let now = Utc::now();
    let row = outbound_messages::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        channel: Set(channel),
        contact_global_id: Set(contact),
        conversation_global_id: Set(conversation),
        origin_kind: Set(new.origin_kind),
        origin_id: Set(origin_id),
        content: Set(content),
        status: Set(OutboundStatus::Queued),
        created_by: Set(created_by),
        approved_by: Set(approved_by),
        approved_at: Set(Some(now.into())),
        queued_at: Set(Some(now.into())),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let actor = approved_by.map_or_else(|| "system:outbound".to_owned(), |u| format!("user:{u}"));
    record(
        db,
        scope,
        &actor,
        "outbound.message.enqueued",
        &row,
        json!({
            "origin": origin_str(row.origin_kind),
            "originId": row.origin_id,
            "approvedBy": approved_by,
        }),
    )
    .await?;
    Ok(row.id)
}

/// One message of the scope.
pub async fn get_message<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<OutboundMessage> {
    Ok(find(db, scope, id, false).await?.into())
}

/// One message of the scope with its attempts, oldest first.
pub async fn get_message_with_attempts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<(OutboundMessage, Vec<OutboundAttempt>)> {
    let message = get_message(db, scope, id).await?;
    let attempts = attempts_of(db, scope, &[id]).await?;
    Ok((message, attempts))
}

/// The attempts of `message_ids` (of the scope), by message and attempt number: one query for
/// a whole page of messages.
pub async fn attempts_of<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    message_ids: &[Uuid],
) -> DomainResult<Vec<OutboundAttempt>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(scope
        .rows::<outbound_attempts::Entity>()
        .filter(outbound_attempts::Column::OutboundMessageId.is_in(message_ids.to_vec()))
        .order_by_asc(outbound_attempts::Column::OutboundMessageId)
        .order_by_asc(outbound_attempts::Column::AttemptNo)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Messages matching `filter`, newest first, `first` at a time after the keyset `after`
/// (from [`OutboundMessage::cursor`]).
pub async fn list_messages<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &MessageFilter,
    first: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> DomainResult<Page<OutboundMessage>> {
    let mut sql = Sql::scoped(scope, "m");
    if let Some(status) = filter.status {
        let p = sql.param(status_str(status));
        sql.and(format!("m.status = {p}"));
    }
    if let Some(origin) = filter.origin_kind {
        let p = sql.param(origin_str(origin));
        sql.and(format!("m.origin_kind = {p}"));
    }
    if let Some(origin_id) = &filter.origin_id {
        let p = sql.param(origin_id.trim().to_owned());
        sql.and(format!("m.origin_id = {p}"));
    }
    if let Some(contact) = &filter.contact_id {
        let p = sql.param(contact.trim().to_owned());
        sql.and(format!("m.contact_global_id = {p}"));
    }
    let total_count = count_rows(db, "outbound_messages m", &sql).await?;
    if let Some((at, id)) = after {
        let t = sql.param(at);
        let i = sql.param(id);
        sql.and(format!("(m.created_at, m.id) < ({t}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = outbound_messages::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select m.* from outbound_messages m where {} \
                 order by m.created_at desc, m.id desc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_one_to_four_thousand_characters() {
        assert!(check_content("content", "  ").is_err());
        assert_eq!(check_content("content", " hi "), Ok("hi".to_owned()));
        assert!(check_content("content", &"é".repeat(MAX_CONTENT_CHARS)).is_ok());
        assert!(check_content("content", &"é".repeat(MAX_CONTENT_CHARS + 1)).is_err());
    }

    #[test]
    fn only_the_chatwoot_channel_is_sendable() {
        assert_eq!(
            check_message_channel("channel", None),
            Ok("chatwoot".to_owned())
        );
        assert!(check_message_channel("channel", Some("email")).is_err());
        assert!(check_message_channel("channel", Some("all")).is_err());
    }
}
