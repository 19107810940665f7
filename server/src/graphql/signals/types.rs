//! API types for what the CRM reads out of conversations: signals and their example phrases,
//! next-best-actions, health scores and weights, and the risk radar.
use async_graphql::{ComplexObject, Context, Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::{
    NbaStatus, RiskItemStatus, RiskKind, SignalDetector, SignalStatus, SignalType,
};
use serde_json::Value;
use uuid::Uuid;

use crate::graphql::{audit::types::EvidenceReference, crm::types::CrmAccount};
use crate::{
    domain::signals::{
        actions::NextBestAction,
        detection::{ExamplePhrase, Signal},
        health, radar,
    },
    graphql::{context::ContextExt, error::IntoGqlError},
    kernel::Scope,
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
    crate::graphql::crm::types::account_of(ctx, scope, account).await
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

/// A page of signals matching `filter` as a connection (shared by the root listing and
/// `CrmAccount.signals`).
pub async fn signal_connection(
    ctx: &Context<'_>,
    scope: Scope,
    filter: crate::domain::signals::detection::SignalFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<
    async_graphql::connection::Connection<
        String,
        SignalNode,
        crate::graphql::pagination::ConnectionTotals,
    >,
> {
    use crate::{
        domain::signals::detection::{self, SignalCursor},
        graphql::{error::validation, pagination},
    };
    let first = pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
    let after = after
        .map(|c| {
            SignalCursor::decode(&c).ok_or_else(|| validation("after", "is not a valid cursor"))
        })
        .transpose()?;
    let page = detection::list_signals(ctx.db()?, &scope, &filter, first, after)
        .await
        .map_err(IntoGqlError::into_gql)?;
    Ok(pagination::connection(
        page.items,
        after.is_some(),
        page.has_next_page,
        page.total_count,
        |s| s.cursor().encode(),
        |s| SignalNode::new(s, scope),
    ))
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

    /// The member who should do it (null when unassigned or no longer a member).
    async fn assignee(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::identity::projects_types::ProjectMember>>
    {
        let assignee = self.assignee_user_id.as_ref().and_then(|i| i.parse().ok());
        crate::graphql::identity::projects_types::member_of(ctx, self.scope, assignee).await
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

/// A health band.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "HealthBand")]
pub enum HealthBandGql {
    /// 70 and above.
    Healthy,
    /// 40 to 70.
    AtRisk,
    /// Below 40.
    Critical,
}

impl From<health::Band> for HealthBandGql {
    fn from(b: health::Band) -> Self {
        match b {
            health::Band::Healthy => Self::Healthy,
            health::Band::AtRisk => Self::AtRisk,
            health::Band::Critical => Self::Critical,
        }
    }
}

/// Direction against the previous score.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "HealthTrend")]
pub enum HealthTrendGql {
    /// Rose by 2 points or more.
    Up,
    /// Within 2 points.
    Flat,
    /// Fell by 2 points or more.
    Down,
    /// The first score.
    New,
}

impl From<health::Trend> for HealthTrendGql {
    fn from(t: health::Trend) -> Self {
        match t {
            health::Trend::Up => Self::Up,
            health::Trend::Flat => Self::Flat,
            health::Trend::Down => Self::Down,
            health::Trend::New => Self::New,
        }
    }
}

/// A health measure.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "HealthMeasure")]
pub enum HealthMeasureGql {
    /// How fast the team answers the customer.
    ReplyLatency,
    /// Conversations still open.
    UnresolvedConversations,
    /// Recent churn-risk and complaint signals.
    RecentSignals,
    /// Time since the last message.
    ActivityRecency,
    /// Won, open or lost opportunities.
    OpportunityState,
}

impl From<health::Measure> for HealthMeasureGql {
    fn from(m: health::Measure) -> Self {
        match m {
            health::Measure::ReplyLatency => Self::ReplyLatency,
            health::Measure::UnresolvedConversations => Self::UnresolvedConversations,
            health::Measure::RecentSignals => Self::RecentSignals,
            health::Measure::ActivityRecency => Self::ActivityRecency,
            health::Measure::OpportunityState => Self::OpportunityState,
        }
    }
}

impl From<HealthMeasureGql> for health::Measure {
    fn from(m: HealthMeasureGql) -> Self {
        match m {
            HealthMeasureGql::ReplyLatency => Self::ReplyLatency,
            HealthMeasureGql::UnresolvedConversations => Self::UnresolvedConversations,
            HealthMeasureGql::RecentSignals => Self::RecentSignals,
            HealthMeasureGql::ActivityRecency => Self::ActivityRecency,
            HealthMeasureGql::OpportunityState => Self::OpportunityState,
        }
    }
}

/// One measure's part of a score.
#[derive(SimpleObject, Debug, Clone)]
pub struct HealthMeasureScore {
    /// Which measure.
    pub measure: HealthMeasureGql,
    /// The raw value (hours, count, days...); none when there was nothing to measure.
    pub value: Option<f64>,
    /// Its 0-100 sub-score.
    pub score: f64,
    /// Its weight (weights sum to 100).
    pub weight: i32,
}

/// An account's health at one point in time.
#[derive(SimpleObject, Debug, Clone)]
pub struct HealthScoreNode {
    /// Id.
    pub id: ID,
    /// The account.
    pub account_id: ID,
    /// 0-100.
    pub score: f64,
    /// Band of the score.
    pub band: HealthBandGql,
    /// The score before this one.
    pub previous_score: Option<f64>,
    /// The band before this one.
    pub previous_band: Option<HealthBandGql>,
    /// Against the previous score.
    pub trend: HealthTrendGql,
    /// Each measure's value, sub-score and weight.
    pub measures: Vec<HealthMeasureScore>,
    /// What drove it (conversations, signals, opportunities).
    pub evidence: Vec<EvidenceReference>,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
}

impl From<health::HealthScore> for HealthScoreNode {
    fn from(h: health::HealthScore) -> Self {
        Self {
            id: id(h.id),
            account_id: id(h.account_id),
            score: h.score,
            band: h.band.into(),
            previous_score: h.previous_score,
            previous_band: h.previous_band.map(Into::into),
            trend: h.trend.into(),
            measures: h
                .measures
                .into_iter()
                .map(|m| HealthMeasureScore {
                    measure: m.measure.into(),
                    value: m.value,
                    score: m.score,
                    weight: m.weight,
                })
                .collect(),
            evidence: evidence(&h.evidence_refs),
            computed_at: h.computed_at,
        }
    }
}

/// A measure's weight in the project's health score.
#[derive(SimpleObject, Debug, Clone)]
pub struct HealthWeight {
    /// Which measure.
    pub measure: HealthMeasureGql,
    /// 0-100; all weights sum to 100.
    pub weight: i32,
    /// The app's default (the project has not set its own).
    pub is_default: bool,
}

impl From<health::Weight> for HealthWeight {
    fn from(w: health::Weight) -> Self {
        Self {
            measure: w.measure.into(),
            weight: w.weight,
            is_default: w.is_default,
        }
    }
}

/// A weight to set.
#[derive(async_graphql::InputObject, Debug, Clone)]
pub struct HealthWeightInput {
    /// Which measure.
    pub measure: HealthMeasureGql,
    /// 0-100.
    pub weight: i32,
}

/// Why an account is on the radar.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "RiskKind")]
pub enum RiskKindGql {
    /// Its health fell across a band.
    BandDrop,
    /// It carries an open churn-risk or complaint signal.
    RiskSignal,
    /// Its score fell sharply.
    ScoreDrop,
    /// Put there by a person.
    Manual,
}

impl From<RiskKind> for RiskKindGql {
    fn from(k: RiskKind) -> Self {
        match k {
            RiskKind::BandDrop => Self::BandDrop,
            RiskKind::RiskSignal => Self::RiskSignal,
            RiskKind::ScoreDrop => Self::ScoreDrop,
            RiskKind::Manual => Self::Manual,
        }
    }
}

/// Triage state of a radar item.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "RiskItemStatus")]
pub enum RiskItemStatusGql {
    /// New.
    Open,
    /// Seen; stays on the radar.
    Acknowledged,
    /// Handled.
    Resolved,
    /// Not relevant.
    Dismissed,
}

impl From<RiskItemStatus> for RiskItemStatusGql {
    fn from(s: RiskItemStatus) -> Self {
        match s {
            RiskItemStatus::Open => Self::Open,
            RiskItemStatus::Acknowledged => Self::Acknowledged,
            RiskItemStatus::Resolved => Self::Resolved,
            RiskItemStatus::Dismissed => Self::Dismissed,
        }
    }
}

impl From<RiskItemStatusGql> for RiskItemStatus {
    fn from(s: RiskItemStatusGql) -> Self {
        match s {
            RiskItemStatusGql::Open => Self::Open,
            RiskItemStatusGql::Acknowledged => Self::Acknowledged,
            RiskItemStatusGql::Resolved => Self::Resolved,
            RiskItemStatusGql::Dismissed => Self::Dismissed,
        }
    }
}

/// An account on the risk radar, and why.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct RiskRadarItem {
    /// Id.
    pub id: ID,
    /// The account.
    pub account_id: ID,
    /// Its name.
    pub account_name: String,
    /// Why it is here.
    pub kind: RiskKindGql,
    /// Triage state.
    pub status: RiskItemStatusGql,
    /// Ranking (higher = riskier).
    pub risk_score: f64,
    /// In plain words.
    pub explanation: String,
    /// Health scores, signals, messages behind it.
    pub evidence: Vec<EvidenceReference>,
    /// Band before the drop.
    pub from_band: Option<HealthBandGql>,
    /// Band after the drop.
    pub to_band: Option<HealthBandGql>,
    /// The signal behind it.
    pub signal_id: Option<ID>,
    /// When it was put on the radar.
    pub detected_at: DateTime<Utc>,
    /// When it was resolved or dismissed.
    pub resolved_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub account_uuid: Uuid,
    #[graphql(skip)]
    pub scope: Scope,
}

impl RiskRadarItem {
    /// The API view of `r` within `scope`.
    pub fn new(r: radar::RadarItem, scope: Scope) -> Self {
        Self {
            id: id(r.id),
            account_id: id(r.account_id),
            account_name: r.account_name,
            kind: r.kind.into(),
            status: r.status.into(),
            risk_score: r.risk_score,
            explanation: r.explanation,
            evidence: evidence(&r.evidence_refs),
            from_band: r.from_band.map(Into::into),
            to_band: r.to_band.map(Into::into),
            signal_id: r.signal_id.map(id),
            detected_at: r.detected_at,
            resolved_at: r.resolved_at,
            account_uuid: r.account_id,
            scope,
        }
    }
}

#[ComplexObject]
impl RiskRadarItem {
    /// The account.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CrmAccount>> {
        account_of(ctx, self.scope, Some(self.account_uuid)).await
    }
}
