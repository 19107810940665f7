//! Handing messages to the outbound pipeline (issue 7). Offers and campaigns do not send
//! anything themselves: they insert `outbound_messages` rows that are already approved and
//! `queued`, and the outbound sender (another module) posts them to Chatwoot, re-checking
//! opt-outs and frequency caps at send time. Nothing here ever calls Chatwoot.
use chrono::{DateTime, Utc};
use entity::{
    enums::{OutboundOriginKind, OutboundStatus},
    outbound_messages,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Statement};
use uuid::Uuid;

use crate::{kernel::Scope, kernel::error::DomainResult};

/// The channel offers and campaigns post through: the contact's Chatwoot conversation.
pub const CHANNEL: &str = "chatwoot";

/// One message to queue.
#[derive(Debug, Clone)]
pub struct Handoff {
    /// The recipient (`cwc:` id of the scope's project).
    pub contact_global_id: String,
    /// Where it comes from (offer or campaign).
    pub origin_kind: OutboundOriginKind,
    /// The offer's or campaign's id.
    pub origin_id: Uuid,
    /// The rendered text.
    pub content: String,
    /// Who asked for the send (`None` for the system).
    pub created_by: Option<Uuid>,
    /// Who approved the content.
    pub approved_by: Option<Uuid>,
    /// When the content was approved (required by `outbound_messages_sent_requires_approval`).
    pub approved_at: DateTime<Utc>,
}

/// The contact's most recent conversation (by last activity), which the sender posts into;
/// `None` when the contact has none yet (the sender then resolves one).
pub async fn latest_conversation<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    contact_global_id: &str,
) -> DomainResult<Option<String>> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "{LATEST_CONVERSATION} and v.contact_global_id = $3 \
                 {LATEST_CONVERSATION_ORDER} limit 1"
            ),
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                contact_global_id.into(),
            ],
        ))
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("", "id")?),
        None => None,
    })
}

/// `select distinct on (contact) ...` prefix shared by the single and the batch lookup: the
/// newest conversation per contact, `$1`/`$2` being the scope.
pub(crate) const LATEST_CONVERSATION: &str = "select distinct on (v.contact_global_id) \
       v.contact_global_id, v.id from cw_conversations v \
     where v.project_id = $1 and v.account_scope_id = $2 and v.contact_global_id is not null";

/// Order that makes [`LATEST_CONVERSATION`] pick the most recent row per contact.
pub(crate) const LATEST_CONVERSATION_ORDER: &str = "order by v.contact_global_id, \
     v.updated_at desc nulls last, v.created_at desc, v.id desc";

/// Inserts `message` as a queued, approved outbound message on [`CHANNEL`] (in the caller's
/// transaction) and returns its id.
pub async fn queue<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    message: Handoff,
) -> DomainResult<Uuid> {
    let conversation = latest_conversation(db, scope, &message.contact_global_id).await?;
    let now = Utc::now();
    let row = outbound_messages::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        channel: Set(CHANNEL.to_owned()),
        contact_global_id: Set(message.contact_global_id),
        conversation_global_id: Set(conversation),
        origin_kind: Set(message.origin_kind),
        origin_id: Set(Some(message.origin_id.to_string())),
        content: Set(message.content),
        status: Set(OutboundStatus::Queued),
        created_by: Set(message.created_by),
        approved_by: Set(message.approved_by),
        approved_at: Set(Some(message.approved_at.into())),
        blocked_reason: Set(None),
        attempts: Set(0),
        max_attempts: Set(5),
        next_attempt_at: Set(None),
        locked_by: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        queued_at: Set(Some(now.into())),
        sent_at: Set(None),
        chatwoot_message_id: Set(None),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
    }
    .insert(db)
    .await?;
    Ok(row.id)
}
