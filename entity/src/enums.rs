//! Text-backed ActiveEnums for every status/kind column with a fixed set of values.
//!
//! They live in one module because several tables share them (e.g. [`HealthBand`],
//! [`SignalType`], [`EvidenceSourceKind`]). Each string value matches the column's CHECK
//! constraint in `migration/sql` exactly; serde uses the same snake_case strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Kind of an external source (`project_sources.source_kind`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A Chatwoot account.
    #[sea_orm(string_value = "chatwoot_account")]
    ChatwootAccount,
}

/// Embedding lifecycle of a chunk (`rag_chunks.embedding_status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingStatus {
    /// Waiting to be embedded.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Leased by an embedding worker.
    #[sea_orm(string_value = "processing")]
    Processing,
    /// Embedded; searchable by vector.
    #[sea_orm(string_value = "ready")]
    Ready,
    /// Gave up after the maximum attempts.
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// Status of a job run (`job_runs.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum JobRunStatus {
    /// Still running.
    #[sea_orm(string_value = "running")]
    Running,
    /// Finished successfully.
    #[sea_orm(string_value = "ok")]
    Ok,
    /// Finished with an error.
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// Role of a project member (`project_members.role`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Owns the project.
    #[sea_orm(string_value = "owner")]
    Owner,
    /// Manages sources, members and tokens.
    #[sea_orm(string_value = "admin")]
    Admin,
    /// Uses the project.
    #[sea_orm(string_value = "member")]
    Member,
}

/// Kind of evidence (`evidence_items.source_kind`, `case_evidence_refs.source_kind`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSourceKind {
    /// A Chatwoot message.
    #[sea_orm(string_value = "message")]
    Message,
    /// A RAG chunk.
    #[sea_orm(string_value = "chunk")]
    Chunk,
    /// A Chatwoot conversation.
    #[sea_orm(string_value = "conversation")]
    Conversation,
    /// A Chatwoot contact.
    #[sea_orm(string_value = "contact")]
    Contact,
    /// A detected signal.
    #[sea_orm(string_value = "signal")]
    Signal,
    /// An offer.
    #[sea_orm(string_value = "offer")]
    Offer,
    /// Another document.
    #[sea_orm(string_value = "document")]
    Document,
}

/// Processing status of a webhook delivery (`webhook_deliveries.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryStatus {
    /// Stored, not processed yet.
    #[sea_orm(string_value = "received")]
    Received,
    /// Applied.
    #[sea_orm(string_value = "processed")]
    Processed,
    /// Processing failed.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Not relevant (e.g. typing events).
    #[sea_orm(string_value = "ignored")]
    Ignored,
}

/// Queue status of a scheduled job (`scheduled_jobs.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ScheduledJobStatus {
    /// Waiting to be claimed.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// Claimed under a lease.
    #[sea_orm(string_value = "running")]
    Running,
    /// Done.
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    /// Gave up after its attempts; `last_error` kept.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Cancelled.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// Status of a worker run (`worker_runs.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum WorkerRunStatus {
    /// Still running.
    #[sea_orm(string_value = "running")]
    Running,
    /// Finished successfully.
    #[sea_orm(string_value = "ok")]
    Ok,
    /// Finished with an error.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The worker's lease expired.
    #[sea_orm(string_value = "lost")]
    Lost,
}

/// Status of an outbound message (`outbound_messages.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OutboundStatus {
    /// Being written.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Waiting for approval.
    #[sea_orm(string_value = "pending_approval")]
    PendingApproval,
    /// Approved, not queued yet.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Queued for the sender.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// Delivered to Chatwoot.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Sending failed for good.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Refused by the send-time check (opt-out, frequency cap, approval).
    #[sea_orm(string_value = "blocked")]
    Blocked,
    /// Cancelled.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// Where an outbound message comes from (`outbound_messages.origin_kind`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OutboundOriginKind {
    /// Written by hand.
    #[sea_orm(string_value = "manual")]
    Manual,
    /// A campaign.
    #[sea_orm(string_value = "campaign")]
    Campaign,
    /// An offer.
    #[sea_orm(string_value = "offer")]
    Offer,
    /// A next-best-action.
    #[sea_orm(string_value = "nba")]
    Nba,
}

/// Outcome of a send attempt (`outbound_attempts.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OutboundAttemptStatus {
    /// In progress.
    #[sea_orm(string_value = "running")]
    Running,
    /// Chatwoot accepted it.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Failed (see `retryable`).
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Refused by the send-time check.
    #[sea_orm(string_value = "blocked")]
    Blocked,
}

/// Status of a CRM account (`crm_accounts.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CrmAccountStatus {
    /// In use.
    #[sea_orm(string_value = "active")]
    Active,
    /// Archived.
    #[sea_orm(string_value = "archived")]
    Archived,
    /// Merged into `merged_into_id`.
    #[sea_orm(string_value = "merged")]
    Merged,
}

/// State of a contact-account link (`crm_account_contacts.link_status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum AccountContactLinkStatus {
    /// Suggested by the system.
    #[sea_orm(string_value = "suggested")]
    Suggested,
    /// Confirmed by a person.
    #[sea_orm(string_value = "confirmed")]
    Confirmed,
    /// Rejected by a person.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// How a contact-account link was found (`crm_account_contacts.link_source`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum AccountContactLinkSource {
    /// Linked by a person.
    #[sea_orm(string_value = "manual")]
    Manual,
    /// Matched the account's email domain.
    #[sea_orm(string_value = "email_domain")]
    EmailDomain,
    /// Matched a Chatwoot company attribute.
    #[sea_orm(string_value = "company_attribute")]
    CompanyAttribute,
    /// Moved over by an account merge.
    #[sea_orm(string_value = "merge")]
    Merge,
}

/// Type of a signal (`signals.signal_type`, `signal_example_phrases.signal_type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SignalType {
    /// Asks about prices.
    #[sea_orm(string_value = "pricing_question")]
    PricingQuestion,
    /// Shows intent to buy.
    #[sea_orm(string_value = "buying_intent")]
    BuyingIntent,
    /// Risk of leaving.
    #[sea_orm(string_value = "churn_risk")]
    ChurnRisk,
    /// A complaint.
    #[sea_orm(string_value = "complaint")]
    Complaint,
    /// Mentions a competitor.
    #[sea_orm(string_value = "competitor_mention")]
    CompetitorMention,
    /// Upsell opportunity.
    #[sea_orm(string_value = "upsell")]
    Upsell,
    /// Anything else.
    #[sea_orm(string_value = "other")]
    Other,
}

/// Triage status of a signal (`signals.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SignalStatus {
    /// New.
    #[sea_orm(string_value = "open")]
    Open,
    /// Seen by someone.
    #[sea_orm(string_value = "acknowledged")]
    Acknowledged,
    /// Handled.
    #[sea_orm(string_value = "resolved")]
    Resolved,
    /// Not relevant.
    #[sea_orm(string_value = "dismissed")]
    Dismissed,
}

/// Detector that found a signal (`signals.detector`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SignalDetector {
    /// Transparent rules.
    #[sea_orm(string_value = "rules")]
    Rules,
    /// Embedding similarity to example phrases.
    #[sea_orm(string_value = "similarity")]
    Similarity,
    /// Rules and similarity together.
    #[sea_orm(string_value = "hybrid")]
    Hybrid,
    /// Entered by a person.
    #[sea_orm(string_value = "manual")]
    Manual,
}

/// Lifecycle of a next-best-action (`next_best_actions.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum NbaStatus {
    /// Suggested.
    #[sea_orm(string_value = "open")]
    Open,
    /// Accepted, to be done.
    #[sea_orm(string_value = "accepted")]
    Accepted,
    /// Dismissed.
    #[sea_orm(string_value = "dismissed")]
    Dismissed,
    /// Done.
    #[sea_orm(string_value = "done")]
    Done,
}

/// A health measure (`crm_health_weights.measure`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum HealthMeasure {
    /// How fast the team replies.
    #[sea_orm(string_value = "reply_latency")]
    ReplyLatency,
    /// Open conversations.
    #[sea_orm(string_value = "unresolved_conversations")]
    UnresolvedConversations,
    /// Recent positive/negative signals.
    #[sea_orm(string_value = "recent_signals")]
    RecentSignals,
    /// Time since the last activity.
    #[sea_orm(string_value = "activity_recency")]
    ActivityRecency,
    /// State of the account's opportunities.
    #[sea_orm(string_value = "opportunity_state")]
    OpportunityState,
}

/// Health band (`health_scores.band`, `risk_radar_items.from_band`/`to_band`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum HealthBand {
    /// Healthy.
    #[sea_orm(string_value = "healthy")]
    Healthy,
    /// At risk.
    #[sea_orm(string_value = "at_risk")]
    AtRisk,
    /// Critical.
    #[sea_orm(string_value = "critical")]
    Critical,
}

/// Trend against the previous score (`health_scores.trend`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum HealthTrend {
    /// Improved.
    #[sea_orm(string_value = "up")]
    Up,
    /// Unchanged.
    #[sea_orm(string_value = "flat")]
    Flat,
    /// Worse.
    #[sea_orm(string_value = "down")]
    Down,
    /// First score.
    #[sea_orm(string_value = "new")]
    New,
}

/// Why an account is on the risk radar (`risk_radar_items.kind`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    /// Its health score fell across a band.
    #[sea_orm(string_value = "band_drop")]
    BandDrop,
    /// It carries an open risk signal.
    #[sea_orm(string_value = "risk_signal")]
    RiskSignal,
    /// Its score dropped sharply within a band.
    #[sea_orm(string_value = "score_drop")]
    ScoreDrop,
    /// Flagged by a person.
    #[sea_orm(string_value = "manual")]
    Manual,
}

/// Triage status of a risk radar item (`risk_radar_items.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum RiskItemStatus {
    /// New.
    #[sea_orm(string_value = "open")]
    Open,
    /// Seen by someone.
    #[sea_orm(string_value = "acknowledged")]
    Acknowledged,
    /// Handled.
    #[sea_orm(string_value = "resolved")]
    Resolved,
    /// Not relevant.
    #[sea_orm(string_value = "dismissed")]
    Dismissed,
}

/// Status of an offer (`offers.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Being built.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Waiting for approval.
    #[sea_orm(string_value = "pending_approval")]
    PendingApproval,
    /// Approved.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Rejected.
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// Sent to the customer.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Accepted by the customer.
    #[sea_orm(string_value = "accepted")]
    Accepted,
    /// Declined by the customer.
    #[sea_orm(string_value = "declined")]
    Declined,
    /// Expired.
    #[sea_orm(string_value = "expired")]
    Expired,
}

/// An approval decision (`offer_approvals.decision`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OfferDecision {
    /// Approved.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Rejected.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// Status of a campaign (`campaigns.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Being edited.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Waiting for approval.
    #[sea_orm(string_value = "pending_approval")]
    PendingApproval,
    /// Approved, waiting for its start time.
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    /// Sending.
    #[sea_orm(string_value = "running")]
    Running,
    /// Paused; resumes where it stopped.
    #[sea_orm(string_value = "paused")]
    Paused,
    /// Cancelled.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Finished.
    #[sea_orm(string_value = "finished")]
    Finished,
}

/// Latest state of a campaign member (`campaign_members.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CampaignMemberStatus {
    /// Not handled yet.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Message queued.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// Message sent.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Message delivered.
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// The contact replied.
    #[sea_orm(string_value = "replied")]
    Replied,
    /// Sending failed.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The contact opted out.
    #[sea_orm(string_value = "opted_out")]
    OptedOut,
    /// Skipped (e.g. blocked by policy).
    #[sea_orm(string_value = "skipped")]
    Skipped,
}

/// Type of a campaign event (`campaign_events.event_type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CampaignEventType {
    /// Message queued.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// Message sent.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Message delivered.
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// The contact replied.
    #[sea_orm(string_value = "replied")]
    Replied,
    /// Sending failed.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The contact opted out.
    #[sea_orm(string_value = "opted_out")]
    OptedOut,
}

/// Kind of a case library entry (`case_library_entries.case_type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CaseType {
    /// A won deal.
    #[sea_orm(string_value = "won_deal")]
    WonDeal,
    /// A lost deal.
    #[sea_orm(string_value = "lost_deal")]
    LostDeal,
    /// A customer who left.
    #[sea_orm(string_value = "churn")]
    Churn,
    /// A customer kept from leaving.
    #[sea_orm(string_value = "save")]
    Save,
    /// An escalation.
    #[sea_orm(string_value = "escalation")]
    Escalation,
    /// A success story.
    #[sea_orm(string_value = "success_story")]
    SuccessStory,
    /// Anything else.
    #[sea_orm(string_value = "other")]
    Other,
}

/// Publication status of a case (`case_library_entries.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Being written.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Published.
    #[sea_orm(string_value = "published")]
    Published,
    /// Archived.
    #[sea_orm(string_value = "archived")]
    Archived,
}

/// Period of an analytics snapshot (`analytics_revenue_snapshots.granularity`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SnapshotGranularity {
    /// One day.
    #[sea_orm(string_value = "day")]
    Day,
    /// One week.
    #[sea_orm(string_value = "week")]
    Week,
    /// One month.
    #[sea_orm(string_value = "month")]
    Month,
}
