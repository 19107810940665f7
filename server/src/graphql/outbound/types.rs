//! API types of the outbound pipeline: messages with their attempts, and contact channel
//! policies (opt-out, frequency caps) with the project defaults.
use std::collections::HashMap;

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entity::enums::{OutboundAttemptStatus, OutboundOriginKind, OutboundStatus};
use uuid::Uuid;

use crate::graphql::{audit::types::EvidenceReference, conversations::types::ContactNode};
use crate::{
    domain::outbound::{
        messages::{self, OutboundAttempt, OutboundMessage},
        policies::{ChannelPolicy, ContactPolicies},
    },
    graphql::{
        error::{IntoGqlError, validation},
        loaders::ContactLoader,
    },
    kernel::Scope,
};

/// Longest id or filter text accepted (global ids are far shorter).
const MAX_ID_CHARS: usize = 300;

/// Checks an id-like argument's length before it reaches a query.
pub fn bounded(field: &str, value: &str) -> async_graphql::Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_ID_CHARS {
        return Err(validation(field, "is not a valid id"));
    }
    Ok(value.to_owned())
}

/// Where an outbound message is in its lifecycle.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OutboundStatus")]
pub enum OutboundStatusGql {
    /// Being written.
    Draft,
    /// Waiting for approval.
    PendingApproval,
    /// Approved, not queued yet.
    Approved,
    /// Approved and waiting for the sender.
    Queued,
    /// Chatwoot took it.
    Sent,
    /// Sending failed for good.
    Failed,
    /// Refused at send time (`blockedReason` says why).
    Blocked,
    /// Cancelled or rejected.
    Cancelled,
}

impl From<OutboundStatus> for OutboundStatusGql {
    fn from(s: OutboundStatus) -> Self {
        match s {
            OutboundStatus::Draft => Self::Draft,
            OutboundStatus::PendingApproval => Self::PendingApproval,
            OutboundStatus::Approved => Self::Approved,
            OutboundStatus::Queued => Self::Queued,
            OutboundStatus::Sent => Self::Sent,
            OutboundStatus::Failed => Self::Failed,
            OutboundStatus::Blocked => Self::Blocked,
            OutboundStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<OutboundStatusGql> for OutboundStatus {
    fn from(s: OutboundStatusGql) -> Self {
        match s {
            OutboundStatusGql::Draft => Self::Draft,
            OutboundStatusGql::PendingApproval => Self::PendingApproval,
            OutboundStatusGql::Approved => Self::Approved,
            OutboundStatusGql::Queued => Self::Queued,
            OutboundStatusGql::Sent => Self::Sent,
            OutboundStatusGql::Failed => Self::Failed,
            OutboundStatusGql::Blocked => Self::Blocked,
            OutboundStatusGql::Cancelled => Self::Cancelled,
        }
    }
}

/// Where an outbound message comes from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OutboundOrigin")]
pub enum OutboundOriginGql {
    /// Written by hand.
    Manual,
    /// A campaign.
    Campaign,
    /// An offer.
    Offer,
    /// A next-best-action.
    Nba,
}

impl From<OutboundOriginKind> for OutboundOriginGql {
    fn from(o: OutboundOriginKind) -> Self {
        match o {
            OutboundOriginKind::Manual => Self::Manual,
            OutboundOriginKind::Campaign => Self::Campaign,
            OutboundOriginKind::Offer => Self::Offer,
            OutboundOriginKind::Nba => Self::Nba,
        }
    }
}

impl From<OutboundOriginGql> for OutboundOriginKind {
    fn from(o: OutboundOriginGql) -> Self {
        match o {
            OutboundOriginGql::Manual => Self::Manual,
            OutboundOriginGql::Campaign => Self::Campaign,
            OutboundOriginGql::Offer => Self::Offer,
            OutboundOriginGql::Nba => Self::Nba,
        }
    }
}

/// Outcome of one send attempt.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OutboundAttemptStatus")]
pub enum OutboundAttemptStatusGql {
    /// In progress (or its sender died; it is reconciled before anything is posted again).
    Running,
    /// Chatwoot took the message.
    Sent,
    /// Failed (`retryable` says whether the sender tries again).
    Failed,
    /// Refused by the send-time checks.
    Blocked,
}

impl From<OutboundAttemptStatus> for OutboundAttemptStatusGql {
    fn from(s: OutboundAttemptStatus) -> Self {
        match s {
            OutboundAttemptStatus::Running => Self::Running,
            OutboundAttemptStatus::Sent => Self::Sent,
            OutboundAttemptStatus::Failed => Self::Failed,
            OutboundAttemptStatus::Blocked => Self::Blocked,
        }
    }
}

/// One send attempt (or send-time refusal) of a message.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "OutboundAttempt")]
pub struct OutboundAttemptNode {
    /// 1, 2, ...
    pub attempt_no: i32,
    /// Outcome.
    pub status: OutboundAttemptStatusGql,
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
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<OutboundAttempt> for OutboundAttemptNode {
    fn from(a: OutboundAttempt) -> Self {
        Self {
            attempt_no: a.attempt_no,
            status: a.status.into(),
            retryable: a.retryable,
            http_status: a.http_status,
            error: a.error,
            chatwoot_message_id: a.chatwoot_message_id,
            started_at: a.started_at,
            finished_at: a.finished_at,
        }
    }
}

/// A message to a contact, through approval to Chatwoot.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "OutboundMessage", complex)]
pub struct OutboundMessageNode {
    /// Message id.
    pub id: ID,
    /// Channel (`chatwoot`).
    pub channel: String,
    /// The recipient's contact id (`cwc:`).
    pub contact_id: ID,
    /// The conversation it goes (or went) into; empty until the sender picks the contact's
    /// latest one.
    pub conversation_id: Option<ID>,
    /// Where it comes from.
    pub origin_kind: OutboundOriginGql,
    /// Id of the campaign, offer or next-best-action it comes from.
    pub origin_id: Option<String>,
    /// Text.
    pub content: String,
    /// Lifecycle status.
    pub status: OutboundStatusGql,
    /// Author.
    pub created_by: Option<ID>,
    /// Approver.
    pub approved_by: Option<ID>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// Why it was blocked or rejected (`opted_out`, `frequency_cap`, `rejected`, ...).
    pub blocked_reason: Option<String>,
    /// Send tries so far.
    pub attempt_count: i32,
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
    /// Its attempts, oldest first.
    pub attempts: Vec<OutboundAttemptNode>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    scope: Scope,
}

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

impl OutboundMessageNode {
    /// The API view of `m` with its `attempts`, in `scope`.
    pub fn new(m: OutboundMessage, attempts: Vec<OutboundAttempt>, scope: Scope) -> Self {
        Self {
            id: id(m.id),
            channel: m.channel,
            contact_id: ID(m.contact_id),
            conversation_id: m.conversation_id.map(ID),
            origin_kind: m.origin_kind.into(),
            origin_id: m.origin_id,
            content: m.content,
            status: m.status.into(),
            created_by: m.created_by.map(id),
            approved_by: m.approved_by.map(id),
            approved_at: m.approved_at,
            blocked_reason: m.blocked_reason,
            attempt_count: m.attempts,
            max_attempts: m.max_attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            queued_at: m.queued_at,
            sent_at: m.sent_at,
            chatwoot_message_id: m.chatwoot_message_id,
            sending: m.sending,
            attempts: attempts.into_iter().map(Into::into).collect(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            scope,
        }
    }

    /// The API views of a page of messages, their attempts read in one query.
    pub async fn many(
        db: &sea_orm::DatabaseConnection,
        scope: Scope,
        items: Vec<OutboundMessage>,
    ) -> async_graphql::Result<Vec<Self>> {
        let ids: Vec<Uuid> = items.iter().map(|m| m.id).collect();
        let mut by_message: HashMap<Uuid, Vec<OutboundAttempt>> = HashMap::new();
        for attempt in messages::attempts_of(db, &scope, &ids)
            .await
            .map_err(IntoGqlError::into_gql)?
        {
            by_message
                .entry(attempt.message_id)
                .or_default()
                .push(attempt);
        }
        Ok(items
            .into_iter()
            .map(|m| {
                let attempts = by_message.remove(&m.id).unwrap_or_default();
                Self::new(m, attempts, scope)
            })
            .collect())
    }

    /// The API view of one message, with its attempts.
    pub async fn one(
        db: &sea_orm::DatabaseConnection,
        scope: Scope,
        message: OutboundMessage,
    ) -> async_graphql::Result<Self> {
        Self::many(db, scope, vec![message])
            .await?
            .pop()
            .ok_or_else(|| async_graphql::Error::new("Internal error"))
    }
}

#[ComplexObject]
impl OutboundMessageNode {
    /// The recipient.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContactNode>> {
        let loader = ctx.data::<DataLoader<ContactLoader>>()?;
        Ok(loader
            .load_one((self.scope, self.contact_id.to_string()))
            .await?
            .map(Into::into))
    }
}

/// Narrows the outbound message listing (all given conditions must hold).
#[derive(InputObject, Debug, Clone, Default)]
pub struct OutboundMessageFilter {
    /// Status.
    pub status: Option<OutboundStatusGql>,
    /// Origin kind.
    pub origin_kind: Option<OutboundOriginGql>,
    /// Origin id (e.g. one campaign's messages).
    pub origin_id: Option<String>,
    /// Recipient (`cwc:` contact id).
    pub contact_id: Option<ID>,
}

/// A new draft.
#[derive(InputObject, Debug, Clone)]
pub struct CreateOutboundMessageInput {
    /// The recipient: a contact of the active project.
    pub contact_id: ID,
    /// A conversation of that contact to post into; omitted, the sender uses the contact's
    /// most recent conversation.
    pub conversation_id: Option<ID>,
    /// Channel; `chatwoot` (the default) is the only one sent today.
    pub channel: Option<String>,
    /// 1-4000 characters.
    pub content: String,
    /// The next-best-action this message acts on.
    pub next_best_action_id: Option<ID>,
}

/// A contact's opt-out and frequency cap on one channel.
#[derive(SimpleObject, Debug, Clone)]
pub struct ContactChannelPolicy {
    /// Policy id.
    pub id: ID,
    /// The contact (`cwc:`).
    pub contact_id: ID,
    /// Channel; `all` covers every channel.
    pub channel: String,
    /// Whether the contact is opted out.
    pub opted_out: bool,
    /// Why (e.g. `inbound_stop_phrase`).
    pub opt_out_reason: Option<String>,
    /// What shows the opt-out (e.g. the inbound message).
    pub opt_out_evidence: Vec<EvidenceReference>,
    /// When the contact opted out.
    pub opted_out_at: Option<DateTime<Utc>>,
    /// When a person opted the contact in again.
    pub opted_in_at: Option<DateTime<Utc>>,
    /// Who last opted out or in (`user:`, `token:` or `system:`).
    pub changed_by: Option<String>,
    /// Own cap (messages per window); empty uses the project default.
    pub frequency_cap: Option<i32>,
    /// Own window in seconds.
    pub frequency_window_seconds: Option<i32>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ChannelPolicy> for ContactChannelPolicy {
    fn from(p: ChannelPolicy) -> Self {
        let evidence = p
            .opt_out_evidence
            .as_array()
            .map(|refs| {
                refs.iter()
                    .map(|r| EvidenceReference {
                        kind: r
                            .get("kind")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                        id: r
                            .get("id")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: id(p.id),
            contact_id: ID(p.contact_id),
            channel: p.channel,
            opted_out: p.opted_out,
            opt_out_reason: p.opt_out_reason,
            opt_out_evidence: evidence,
            opted_out_at: p.opted_out_at,
            opted_in_at: p.opted_in_at,
            changed_by: p.changed_by,
            frequency_cap: p.frequency_cap,
            frequency_window_seconds: p.frequency_window_seconds,
            updated_at: p.updated_at,
        }
    }
}

/// Every channel policy of a contact, with the project defaults that apply where it has no
/// cap of its own.
#[derive(SimpleObject, Debug, Clone)]
pub struct ContactChannelPolicies {
    /// The contact (`cwc:`).
    pub contact_id: ID,
    /// Its policies, by channel.
    pub policies: Vec<ContactChannelPolicy>,
    /// The project's default cap (messages per window and channel).
    pub default_frequency_cap: i32,
    /// The project's default window in seconds.
    pub default_frequency_window_seconds: i32,
}

impl From<ContactPolicies> for ContactChannelPolicies {
    fn from(p: ContactPolicies) -> Self {
        Self {
            contact_id: ID(p.contact_id),
            policies: p.policies.into_iter().map(Into::into).collect(),
            default_frequency_cap: p.default_frequency_cap,
            default_frequency_window_seconds: p.default_frequency_window_seconds,
        }
    }
}
