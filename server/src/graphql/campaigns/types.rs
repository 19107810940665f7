//! API types for campaigns: saved segments (filter trees as JSON, see
//! `domain::campaigns::segments` for the format), live previews, campaigns and their report.
use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Json, MaybeUndefined, SimpleObject,
};
use chrono::{DateTime, Utc};
use entity::enums::CampaignStatus;
use serde_json::Value;
use uuid::Uuid;

use crate::graphql::conversations::types::ContactNode;
use crate::{
    domain::campaigns::{
        Campaign,
        report::{self, Bucket, Report},
        segments::{self, Preview, SavedSegment},
    },
    graphql::{context::ContextExt, error::IntoGqlError},
    kernel::{DomainError, Scope},
};

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Lifecycle of a campaign.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CampaignStatus")]
pub enum CampaignStatusGql {
    /// Being edited.
    Draft,
    /// Waiting for another member's approval.
    PendingApproval,
    /// Approved; starts at `scheduledAt`.
    Scheduled,
    /// Queuing messages for its members.
    Running,
    /// Paused; resumes with the remaining members.
    Paused,
    /// Cancelled; pending members were skipped.
    Cancelled,
    /// Every member was handled.
    Finished,
}

impl From<CampaignStatus> for CampaignStatusGql {
    fn from(s: CampaignStatus) -> Self {
        match s {
            CampaignStatus::Draft => Self::Draft,
            CampaignStatus::PendingApproval => Self::PendingApproval,
            CampaignStatus::Scheduled => Self::Scheduled,
            CampaignStatus::Running => Self::Running,
            CampaignStatus::Paused => Self::Paused,
            CampaignStatus::Cancelled => Self::Cancelled,
            CampaignStatus::Finished => Self::Finished,
        }
    }
}

impl From<CampaignStatusGql> for CampaignStatus {
    fn from(s: CampaignStatusGql) -> Self {
        match s {
            CampaignStatusGql::Draft => Self::Draft,
            CampaignStatusGql::PendingApproval => Self::PendingApproval,
            CampaignStatusGql::Scheduled => Self::Scheduled,
            CampaignStatusGql::Running => Self::Running,
            CampaignStatusGql::Paused => Self::Paused,
            CampaignStatusGql::Cancelled => Self::Cancelled,
            CampaignStatusGql::Finished => Self::Finished,
        }
    }
}

/// Width of a report's time buckets (UTC).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CampaignReportBucket {
    /// One point per hour.
    #[default]
    Hour,
    /// One point per day.
    Day,
}

/// A saved segment: who a campaign reaches.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "CampaignSegment")]
pub struct CampaignSegmentNode {
    /// Segment id.
    pub id: ID,
    /// Unique name in the project.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The filter tree, e.g. `{"and": [{"has_email": {}}, {"chatwoot_label": {"label": "vip"}}]}`.
    pub definition: Json<Value>,
    /// Matching contacts when it was last saved.
    pub last_count: Option<i32>,
    /// When that count was taken.
    pub last_counted_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: Option<ID>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<SavedSegment> for CampaignSegmentNode {
    fn from(s: SavedSegment) -> Self {
        Self {
            id: id(s.id),
            name: s.name,
            description: s.description,
            definition: Json(s.definition),
            last_count: s.last_count,
            last_counted_at: s.last_counted_at,
            created_by: s.created_by.map(id),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A segment's matches right now.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "SegmentPreview")]
pub struct SegmentPreviewNode {
    /// The tree as understood (canonical form).
    pub definition: Json<Value>,
    /// Matching contacts.
    pub count: i64,
    /// Up to ten of them, by name.
    pub sample: Vec<ContactNode>,
}

impl From<Preview> for SegmentPreviewNode {
    fn from(p: Preview) -> Self {
        Self {
            definition: Json(p.definition),
            count: count(p.count),
            sample: p.sample.into_iter().map(Into::into).collect(),
        }
    }
}

/// One message sent to every contact of a segment.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Campaign", complex)]
pub struct CampaignNode {
    /// Campaign id.
    pub id: ID,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Channel (`chatwoot`).
    pub channel: String,
    /// Lifecycle state.
    pub status: CampaignStatusGql,
    /// The segment it targets (null once deleted).
    pub segment_id: Option<ID>,
    /// The segment definition frozen at submit: what was approved and snapshotted.
    pub segment_snapshot: Option<Json<Value>>,
    /// The message, with `{{name}}`, `{{first_name}}`, `{{company}}` placeholders (optional
    /// fallback: `{{first_name|there}}`).
    pub message_template: String,
    /// Messages per minute; null = as fast as the pipeline allows.
    pub send_rate_per_minute: Option<i32>,
    /// Creator.
    pub created_by: Option<ID>,
    /// Approver (a member other than the creator).
    pub approved_by: Option<ID>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// When it starts (or started).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When its members were snapshotted.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was last paused.
    pub paused_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Campaign id.
    #[graphql(skip)]
    pub uuid: Uuid,
    /// Segment id.
    #[graphql(skip)]
    pub segment_uuid: Option<Uuid>,
    /// The project it belongs to (for nested lookups).
    #[graphql(skip)]
    pub scope: Scope,
}

impl CampaignNode {
    /// The API view of `c` within `scope`.
    pub fn new(c: Campaign, scope: Scope) -> Self {
        Self {
            id: id(c.id),
            name: c.name,
            description: c.description,
            channel: c.channel,
            status: c.status.into(),
            segment_id: c.segment_id.map(id),
            segment_snapshot: c.segment_snapshot.map(Json),
            message_template: c.message_template,
            send_rate_per_minute: c.send_rate_per_minute,
            created_by: c.created_by.map(id),
            approved_by: c.approved_by.map(id),
            approved_at: c.approved_at,
            scheduled_at: c.scheduled_at,
            started_at: c.started_at,
            paused_at: c.paused_at,
            finished_at: c.finished_at,
            cancelled_at: c.cancelled_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            uuid: c.id,
            segment_uuid: c.segment_id,
            scope,
        }
    }
}

#[ComplexObject]
impl CampaignNode {
    /// The segment it targets.
    async fn segment(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<CampaignSegmentNode>> {
        let Some(segment) = self.segment_uuid else {
            return Ok(None);
        };
        match segments::get_segment(ctx.db()?, &self.scope, segment).await {
            Ok(s) => Ok(Some(s.into())),
            Err(DomainError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into_gql()),
        }
    }

    /// Members per state and events over time (hour buckets unless `bucket` says otherwise).
    async fn report(
        &self,
        ctx: &Context<'_>,
        bucket: Option<CampaignReportBucket>,
    ) -> async_graphql::Result<CampaignReport> {
        let bucket = match bucket.unwrap_or_default() {
            CampaignReportBucket::Hour => Bucket::Hour,
            CampaignReportBucket::Day => Bucket::Day,
        };
        report::campaign_report(ctx.db()?, &self.scope, self.uuid, bucket)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }
}

/// Members per latest state.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct CampaignMemberCounts {
    /// Every member.
    pub total: i64,
    /// Not handled yet.
    pub pending: i64,
    /// Message queued.
    pub queued: i64,
    /// Message sent.
    pub sent: i64,
    /// Message delivered.
    pub delivered: i64,
    /// The contact replied.
    pub replied: i64,
    /// Sending failed.
    pub failed: i64,
    /// The contact opted out.
    pub opted_out: i64,
    /// Skipped (cancelled before sending, or blocked).
    pub skipped: i64,
}

/// Campaign events in one time bucket.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct CampaignSeriesPoint {
    /// Start of the bucket (UTC).
    pub bucket: DateTime<Utc>,
    /// Messages queued.
    pub queued: i64,
    /// Messages sent.
    pub sent: i64,
    /// Messages delivered.
    pub delivered: i64,
    /// Replies.
    pub replied: i64,
    /// Failures.
    pub failed: i64,
    /// Opt-outs.
    pub opted_out: i64,
}

/// A campaign's report.
#[derive(SimpleObject, Debug, Clone)]
pub struct CampaignReport {
    /// Members per state.
    pub counts: CampaignMemberCounts,
    /// Events per bucket, oldest first (empty buckets left out).
    pub series: Vec<CampaignSeriesPoint>,
}

impl From<Report> for CampaignReport {
    fn from(r: Report) -> Self {
        let c = r.counts;
        Self {
            counts: CampaignMemberCounts {
                total: count(c.total),
                pending: count(c.pending),
                queued: count(c.queued),
                sent: count(c.sent),
                delivered: count(c.delivered),
                replied: count(c.replied),
                failed: count(c.failed),
                opted_out: count(c.opted_out),
                skipped: count(c.skipped),
            },
            series: r
                .series
                .into_iter()
                .map(|p| CampaignSeriesPoint {
                    bucket: p.bucket,
                    queued: count(p.queued),
                    sent: count(p.sent),
                    delivered: count(p.delivered),
                    replied: count(p.replied),
                    failed: count(p.failed),
                    opted_out: count(p.opted_out),
                })
                .collect(),
        }
    }
}

/// Narrows the campaign listing.
#[derive(InputObject, Debug, Clone, Default)]
pub struct CampaignFilter {
    /// Exact status.
    pub status: Option<CampaignStatusGql>,
}

/// A segment to create (no `id`) or change.
#[derive(InputObject, Debug, Clone)]
pub struct SaveCampaignSegmentInput {
    /// The segment to change; omitted creates one.
    pub id: Option<ID>,
    /// 1-200 characters, unique in the project.
    pub name: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// The filter tree (JSON object).
    pub definition: Json<Value>,
}

/// A new draft campaign.
#[derive(InputObject, Debug, Clone)]
pub struct CreateCampaignInput {
    /// 1-200 characters.
    pub name: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// `chatwoot` (the default and only channel).
    pub channel: Option<String>,
    /// The segment to reach (needed before submitting).
    pub segment_id: Option<ID>,
    /// The message (up to 4000 characters; needed before submitting).
    #[graphql(default)]
    pub message_template: String,
    /// 1-600 messages per minute; unthrottled when omitted.
    pub send_rate_per_minute: Option<i32>,
}

/// Changes to a draft campaign: an omitted field is kept, null clears it.
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdateCampaignInput {
    /// New name.
    pub name: Option<String>,
    /// New description.
    #[graphql(default)]
    pub description: MaybeUndefined<String>,
    /// New segment.
    #[graphql(default)]
    pub segment_id: MaybeUndefined<ID>,
    /// New message.
    pub message_template: Option<String>,
    /// New pace (null: unthrottled).
    #[graphql(default)]
    pub send_rate_per_minute: MaybeUndefined<i32>,
}
