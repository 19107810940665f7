//! API types for what the CRM reads out of conversations: signals and their example phrases,
//! next-best-actions, health scores and weights, and the risk radar.
use async_graphql::{ComplexObject, Context, Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::{NbaStatus, SignalDetector, SignalStatus, SignalType};
use serde_json::Value;
use uuid::Uuid;

use super::{audit::EvidenceReference, crm::CrmAccount};
use crate::{
    auth::Scope,
    domain::crm::{
        accounts,
        nba::NextBestAction,
        signals::{ExamplePhrase, Signal},
    },
    graphql::{context::ContextExt, error::IntoGqlError},
};

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// `[{"kind", "id"}]` as the API shows evidence.
pub fn evidence(refs: &Value) -> Vec<EvidenceReference> {
    refs.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|r| {
                    Some(EvidenceReference {
                        kind: r.get("kind")?.as_str()?.to_owned(),
                        id: r.get("id")?.as_str()?.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn account_of(
    ctx: &Context<'_>,
    scope: Scope,
    account: Option<Uuid>,
) -> async_graphql::Result<Option<CrmAccount>> {
    let Some(account) = account else {
        return Ok(None);
    };
    let db = ctx.db()?;
    match accounts::get_account(db, &scope, account).await {
        Ok(a) => Ok(Some(CrmAccount::new(a, scope))),
        Err(crate::domain::DomainError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into_gql()),
    }
}

/// What a signal says about the customer.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "SignalType")]
pub enum SignalTypeGql {
    /// Asks about prices.
    PricingQuestion,
    /// Wants to buy.
    BuyingIntent,
    /// May leave.
    ChurnRisk,
    /// Complains.
    Complaint,
    /// Mentions a competitor.
    CompetitorMention,
    /// Wants more (seats, a bigger plan).
    Upsell,
    /// Anything else.
    Other,
}

impl From<SignalType> for SignalTypeGql {
    fn from(t: SignalType) -> Self {
        match t {
            SignalType::PricingQuestion => Self::PricingQuestion,
            SignalType::BuyingIntent => Self::BuyingIntent,
            SignalType::ChurnRisk => Self::ChurnRisk,
            SignalType::Complaint => Self::Complaint,
            SignalType::CompetitorMention => Self::CompetitorMention,
            SignalType::Upsell => Self::Upsell,
            SignalType::Other => Self::Other,
        }
    }
}

impl From<SignalTypeGql> for SignalType {
    fn from(t: SignalTypeGql) -> Self {
        match t {
            SignalTypeGql::PricingQuestion => Self::PricingQuestion,
            SignalTypeGql::BuyingIntent => Self::BuyingIntent,
            SignalTypeGql::ChurnRisk => Self::ChurnRisk,
            SignalTypeGql::Complaint => Self::Complaint,
            SignalTypeGql::CompetitorMention => Self::CompetitorMention,
            SignalTypeGql::Upsell => Self::Upsell,
            SignalTypeGql::Other => Self::Other,
        }
    }
}

/// Triage state of a signal.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "SignalStatus")]
pub enum SignalStatusGql {
    /// New.
    Open,
    /// Seen.
    Acknowledged,
    /// Handled.
    Resolved,
    /// Not relevant.
    Dismissed,
}

impl From<SignalStatus> for SignalStatusGql {
    fn from(s: SignalStatus) -> Self {
        match s {
            SignalStatus::Open => Self::Open,
            SignalStatus::Acknowledged => Self::Acknowledged,
            SignalStatus::Resolved => Self::Resolved,
            SignalStatus::Dismissed => Self::Dismissed,
        }
    }
}

impl From<SignalStatusGql> for SignalStatus {
    fn from(s: SignalStatusGql) -> Self {
        match s {
            SignalStatusGql::Open => Self::Open,
            SignalStatusGql::Acknowledged => Self::Acknowledged,
            SignalStatusGql::Resolved => Self::Resolved,
            SignalStatusGql::Dismissed => Self::Dismissed,
        }
    }
}

/// Which detector found a signal.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "SignalDetector")]
pub enum SignalDetectorGql {
    /// A transparent rule matched.
    Rules,
    /// Close to an example phrase.
    Similarity,
    /// Both.
    Hybrid,
    /// Entered by a person.
    Manual,
}

impl From<SignalDetector> for SignalDetectorGql {
    fn from(d: SignalDetector) -> Self {
        match d {
            SignalDetector::Rules => Self::Rules,
            SignalDetector::Similarity => Self::Similarity,
            SignalDetector::Hybrid => Self::Hybrid,
            SignalDetector::Manual => Self::Manual,
        }
    }
}

/// A signal detected in a customer's message.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct SignalNode {
    /// Id.
    pub id: ID,
    /// What it says.
    #[graphql(name = "type")]
    pub signal_type: SignalTypeGql,
    /// Triage state.
    pub status: SignalStatusGql,
    /// 0..1.
    pub confidence: f64,
    /// Who found it.
    pub detector: SignalDetectorGql,
    /// The account (when the contact is linked to one).
    pub account_id: Option<ID>,
    /// The contact (`cwc:`).
    pub contact_id: Option<ID>,
    /// The conversation (`cw:`).
    pub conversation_id: Option<ID>,
    /// The message (`cwmsg:`).
    pub message_id: Option<ID>,
    /// The start of the message.
    pub summary: Option<String>,
    /// The message and, for similarity hits, the chunk.
    pub evidence: Vec<EvidenceReference>,
    /// Why: the rules that matched (`rule`, `matched`) and the closest example phrase
    /// (`phrase`, `score`).
    pub explanation: async_graphql::Json<Value>,
    /// When the message was written.
    pub occurred_at: DateTime<Utc>,
    /// Detected.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub account_uuid: Option<Uuid>,
    #[graphql(skip)]
    pub scope: Scope,
}

impl SignalNode {
    /// The API view of `s` within `scope`.
    pub fn new(s: Signal, scope: Scope) -> Self {
        Self {
            id: id(s.id),
            signal_type: s.signal_type.into(),
            status: s.status.into(),
            confidence: s.confidence,
            detector: s.detector.into(),
            account_id: s.account_id.map(id),
            contact_id: s.contact_global_id.map(ID),
            conversation_id: s.conversation_global_id.map(ID),
            message_id: s.message_global_id.map(ID),
            summary: s.summary,
            evidence: evidence(&s.evidence_refs),
            explanation: async_graphql::Json(s.meta),
            occurred_at: s.occurred_at,
            created_at: s.created_at,
            account_uuid: s.account_id,
            scope,
        }
    }
}

#[ComplexObject]
impl SignalNode {
    /// The account it concerns.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CrmAccount>> {
        account_of(ctx, self.scope, self.account_uuid).await
    }
}

/// An example phrase similarity detection compares messages with.
#[derive(SimpleObject, Debug, Clone)]
pub struct SignalExamplePhrase {
    /// Id.
    pub id: ID,
    /// The type it exemplifies.
    #[graphql(name = "type")]
    pub signal_type: SignalTypeGql,
    /// Text.
    pub phrase: String,
    /// Language tag; none = any.
    pub language: Option<String>,
    /// Used by detection.
    pub enabled: bool,
    /// A vector of the current embedding model is cached.
    pub embedded: bool,
}

impl From<ExamplePhrase> for SignalExamplePhrase {
    fn from(p: ExamplePhrase) -> Self {
        Self {
            id: id(p.id),
            signal_type: p.signal_type.into(),
            phrase: p.phrase,
            language: p.language,
            enabled: p.enabled,
            embedded: p.embedded,
        }
    }
}

/// Lifecycle of a next-best-action.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "NextBestActionStatus")]
pub enum NbaStatusGql {
    /// Suggested.
    Open,
    /// Someone took it on.
    Accepted,
    /// Not worth doing.
    Dismissed,
    /// Done.
    Done,
}

impl From<NbaStatus> for NbaStatusGql {
    fn from(s: NbaStatus) -> Self {
        match s {
            NbaStatus::Open => Self::Open,
            NbaStatus::Accepted => Self::Accepted,
            NbaStatus::Dismissed => Self::Dismissed,
            NbaStatus::Done => Self::Done,
        }
    }
}

impl From<NbaStatusGql> for NbaStatus {
    fn from(s: NbaStatusGql) -> Self {
        match s {
            NbaStatusGql::Open => Self::Open,
            NbaStatusGql::Accepted => Self::Accepted,
            NbaStatusGql::Dismissed => Self::Dismissed,
            NbaStatusGql::Done => Self::Done,
        }
    }
}

/// Something someone should do next, and why.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct NextBestActionNode {
    /// Id.
    pub id: ID,
    /// What to do.
    pub title: String,
    /// Why.
    pub reason: String,
    /// The documented rule that raised it.
    pub rule: String,
    /// 0..100, higher first.
    pub priority: i32,
    /// When it should be done.
    pub due_at: Option<DateTime<Utc>>,
    /// Lifecycle.
    pub status: NbaStatusGql,
    /// The account.
    pub account_id: Option<ID>,
    /// The contact (`cwc:`).
    pub contact_id: Option<ID>,
    /// The conversation (`cw:`).
    pub conversation_id: Option<ID>,
    /// The signal that raised it.
    pub signal_id: Option<ID>,
    /// Messages, chunks, signals, health scores behind it.
    pub evidence: Vec<EvidenceReference>,
    /// Who should do it.
    pub assignee_user_id: Option<ID>,
    /// Who accepted or dismissed it.
    pub decided_by: Option<ID>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was done.
    pub completed_at: Option<DateTime<Utc>>,
    /// Why it was dismissed.
    pub dismiss_reason: Option<String>,
    /// Raised.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub account_uuid: Option<Uuid>,
    #[graphql(skip)]
    pub scope: Scope,
}

impl NextBestActionNode {
    /// The API view of `a` within `scope`.
    pub fn new(a: NextBestAction, scope: Scope) -> Self {
        Self {
            id: id(a.id),
            title: a.title,
            reason: a.reason,
            rule: a.rule_key,
            priority: a.priority,
            due_at: a.due_at,
            status: a.status.into(),
            account_id: a.account_id.map(id),
            contact_id: a.contact_global_id.map(ID),
            conversation_id: a.conversation_global_id.map(ID),
            signal_id: a.signal_id.map(id),
            evidence: evidence(&a.evidence_refs),
            assignee_user_id: a.assignee_user_id.map(id),
            decided_by: a.decided_by.map(id),
            decided_at: a.decided_at,
            completed_at: a.completed_at,
            dismiss_reason: a.dismiss_reason,
            created_at: a.created_at,
            account_uuid: a.account_id,
            scope,
        }
    }
}

#[ComplexObject]
impl NextBestActionNode {
    /// The account it concerns.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CrmAccount>> {
        account_of(ctx, self.scope, self.account_uuid).await
    }
}

/// A documented next-best-action rule.
#[derive(SimpleObject, Debug, Clone)]
pub struct NextBestActionRule {
    /// Key (`rule` of the actions it raises).
    pub key: String,
    /// When it fires and what it asks for.
    pub description: String,
    /// Priority of its actions.
    pub priority: i32,
}
