//! Campaigns (issue 7): one message template sent to every contact of a segment through the
//! outbound pipeline, under four-eyes approval.
//!
//! Lifecycle: `draft -> pending_approval -> scheduled -> running <-> paused -> finished`, and
//! `cancelled` from any state before `finished`. A draft is edited freely; submitting freezes
//! the segment's definition (`segment_snapshot`), which is what the approver approves and what
//! the members are taken from. Approval must come from a project member other than the
//! creator and schedules the campaign (now or at a given time); a rejection sends it back to
//! draft. Starting (by a person, or by the scheduler once `scheduled_at` passed) snapshots the
//! members with their attributes; the dispatcher ([`dispatch`]) then queues one outbound
//! message per member, paced by `send_rate_per_minute`, and finishes the campaign when no
//! member is pending or queued any more. Every transition is audited; every query is scoped.
pub mod dispatch;
pub mod engagement;
pub mod report;
pub mod segments;
pub mod template;

use chrono::{DateTime, Duration, Utc};
use entity::{campaigns, enums::CampaignStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set, Statement, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    domain::outbound::handoff,
    kernel::approval::{self, ApprovalStage, Refusal, Step, check_step},
    kernel::{
        Actor, DomainError, Page, Scope,
        audit::{self, AuditEntry, EvidenceRef},
        checks::{Checks, MAX_NAME_CHARS, MAX_NOTE_CHARS, optional_text, required_text},
        error::{DomainResult, FieldError},
        sql::{Sql, count_rows},
    },
};

/// Fastest pace a campaign may ask for.
pub const MAX_SEND_RATE_PER_MINUTE: i32 = 600;
/// Furthest ahead a campaign may be scheduled.
pub const MAX_SCHEDULE_DAYS: i64 = 365;
/// Longest campaign description.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// What the four-eyes rule says when the creator tries to approve their own campaign.
pub const SELF_APPROVAL_REFUSED: &str =
    "A campaign must be approved by a project member other than its creator";

/// A campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// Campaign id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Channel (`chatwoot`).
    pub channel: String,
    /// Lifecycle state.
    pub status: CampaignStatus,
    /// The segment it was built on (null once deleted).
    pub segment_id: Option<Uuid>,
    /// The segment definition frozen at submit (what was approved and snapshotted).
    pub segment_snapshot: Option<Value>,
    /// The message with `{{name}}`, `{{first_name}}`, `{{company}}` placeholders.
    pub message_template: String,
    /// Pace; `None` = as fast as the pipeline allows.
    pub send_rate_per_minute: Option<i32>,
    /// Creator.
    pub created_by: Option<Uuid>,
    /// Approver.
    pub approved_by: Option<Uuid>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// When it starts (or started).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When members were snapshotted.
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
}

impl From<campaigns::Model> for Campaign {
    fn from(m: campaigns::Model) -> Self {
        let utc = |t: Option<sea_orm::prelude::DateTimeWithTimeZone>| t.map(|t| t.to_utc());
        Self {
            id: m.id,
            name: m.name,
            description: m.description,
            channel: m.channel,
            status: m.status,
            segment_id: m.segment_id,
            segment_snapshot: m.segment_snapshot,
            message_template: m.message_template,
            send_rate_per_minute: m.send_rate_per_minute,
            created_by: m.created_by,
            approved_by: m.approved_by,
            approved_at: utc(m.approved_at),
            scheduled_at: utc(m.scheduled_at),
            started_at: utc(m.started_at),
            paused_at: utc(m.paused_at),
            finished_at: utc(m.finished_at),
            cancelled_at: utc(m.cancelled_at),
            created_at: m.created_at.to_utc(),
            updated_at: m.updated_at.to_utc(),
        }
    }
}

impl Campaign {
    /// Its position in [`list_campaigns`] (created_at, id).
    pub fn cursor(&self) -> (DateTime<Utc>, Uuid) {
        (self.created_at, self.id)
    }
}

/// Input of [`create_campaign`].
#[derive(Debug, Clone, Default)]
pub struct NewCampaign {
    /// 1-200 characters.
    pub name: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// `chatwoot` (the default and, for now, the only channel).
    pub channel: Option<String>,
    /// A segment of the project (required before submitting).
    pub segment_id: Option<Uuid>,
    /// See [`template`]; required before submitting.
    pub message_template: String,
    /// 1-600 messages a minute; unthrottled when absent.
    pub send_rate_per_minute: Option<i32>,
}

/// Input of [`update_campaign`]: `None` keeps a field, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct CampaignPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// New segment.
    pub segment_id: Option<Option<Uuid>>,
    /// New template.
    pub message_template: Option<String>,
    /// New pace.
    pub send_rate_per_minute: Option<Option<i32>>,
}

/// Listing filter.
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    /// Exact status.
    pub status: Option<CampaignStatus>,
}

fn check_channel(raw: Option<&str>) -> Result<String, FieldError> {
    match raw.map(str::trim) {
        None | Some(handoff::CHANNEL) => Ok(handoff::CHANNEL.to_owned()),
        Some(_) => Err(FieldError::new(
            "channel",
            "campaigns send through chatwoot only",
        )),
    }
}

fn check_rate(rate: i32) -> Result<i32, FieldError> {
    if (1..=MAX_SEND_RATE_PER_MINUTE).contains(&rate) {
        Ok(rate)
    } else {
        Err(FieldError::new(
            "sendRatePerMinute",
            format!("must be between 1 and {MAX_SEND_RATE_PER_MINUTE}"),
        ))
    }
}

fn check_template(raw: &str) -> Result<String, FieldError> {
    let text = raw.trim();
    template::check(text).map_err(|message| FieldError::new("messageTemplate", message))?;
    Ok(text.to_owned())
}

pub(crate) async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
    lock: bool,
) -> DomainResult<campaigns::Model> {
    let mut query = scope
        .rows::<campaigns::Entity>()
        .filter(campaigns::Column::Id.eq(id));
    if lock {
        query = query.lock_exclusive();
    }
    query
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("campaign"))
}

pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &Actor,
    action: &'static str,
    row: &campaigns::Model,
    meta: Value,
) -> DomainResult<()> {
    let mut evidence = vec![EvidenceRef::new("campaign", row.id)];
    if let Some(segment) = row.segment_id {
        evidence.push(EvidenceRef::new("campaign_segment", segment));
    }
    audit::record(
        db,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("campaign"),
            target_id: Some(row.id.to_string()),
            evidence,
            meta,
        },
    )
    .await
}

fn status_conflict(status: CampaignStatus, wanted: &str) -> DomainError {
    let now = match status {
        CampaignStatus::Draft => "is a draft",
        CampaignStatus::PendingApproval => "is waiting for approval",
        CampaignStatus::Scheduled => "is scheduled",
        CampaignStatus::Running => "is running",
        CampaignStatus::Paused => "is paused",
        CampaignStatus::Cancelled => "was cancelled",
        CampaignStatus::Finished => "has finished",
    };
    DomainError::Conflict(format!("Only {wanted}; this campaign {now}"))
}

/// Creates a draft campaign and records `campaign.created`.
pub async fn create_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewCampaign,
) -> DomainResult<Campaign> {
    let mut checks = Checks::default();
    let name = checks
        .take(required_text("name", &input.name, MAX_NAME_CHARS))
        .unwrap_or_default();
    let description = checks
        .take(optional_text(
            "description",
            input.description.as_deref(),
            MAX_DESCRIPTION_CHARS,
        ))
        .flatten();
    let channel = checks
        .take(check_channel(input.channel.as_deref()))
        .unwrap_or_default();
    let message_template = checks
        .take(check_template(&input.message_template))
        .unwrap_or_default();
    if let Some(rate) = input.send_rate_per_minute {
        checks.take(check_rate(rate));
    }
    if let Some(segment) = input.segment_id {
        segments::find(db, scope, segment).await?;
    }
    checks.finish()?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = campaigns::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        name: Set(name),
        description: Set(description),
        channel: Set(channel),
        status: Set(CampaignStatus::Draft),
        segment_id: Set(input.segment_id),
        segment_snapshot: Set(None),
        message_template: Set(message_template),
        send_rate_per_minute: Set(input.send_rate_per_minute),
        created_by: Set(actor.user_id),
        approved_by: Set(None),
        approved_at: Set(None),
        scheduled_at: Set(None),
        started_at: Set(None),
        paused_at: Set(None),
        finished_at: Set(None),
        cancelled_at: Set(None),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        scope,
        actor,
        "campaign.created",
        &row,
        json!({ "name": row.name, "segmentId": row.segment_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Changes a draft campaign and records `campaign.updated`.
pub async fn update_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    patch: CampaignPatch,
) -> DomainResult<Campaign> {
    let mut checks = Checks::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| checks.take(required_text("name", n, MAX_NAME_CHARS)));
    let description = patch.description.as_ref().map(|d| {
        checks
            .take(optional_text(
                "description",
                d.as_deref(),
                MAX_DESCRIPTION_CHARS,
            ))
            .flatten()
    });
    let message_template = patch
        .message_template
        .as_deref()
        .and_then(|t| checks.take(check_template(t)));
    if let Some(Some(rate)) = patch.send_rate_per_minute {
        checks.take(check_rate(rate));
    }
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if row.status != CampaignStatus::Draft {
        return Err(status_conflict(row.status, "draft campaigns can be edited"));
    }
    if let Some(Some(segment)) = patch.segment_id {
        segments::find(&txn, scope, segment).await?;
    }
    checks.finish()?;
    let mut active = row.into_active_model();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    if let Some(segment) = patch.segment_id {
        active.segment_id = Set(segment);
    }
    if let Some(message_template) = message_template {
        active.message_template = Set(message_template);
    }
    if let Some(rate) = patch.send_rate_per_minute {
        active.send_rate_per_minute = Set(rate);
    }
    let changed: Vec<&str> = [
        ("name", active.name.is_set()),
        ("description", active.description.is_set()),
        ("segmentId", active.segment_id.is_set()),
        ("messageTemplate", active.message_template.is_set()),
        ("sendRatePerMinute", active.send_rate_per_minute.is_set()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect();
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        actor,
        "campaign.updated",
        &row,
        json!({ "fields": changed }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Submits a draft for approval: it needs a segment and a message. The segment's definition
/// is frozen into `segment_snapshot` (what the approver approves and the members come from).
/// Records `campaign.submitted` with the segment's current count.
pub async fn submit_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Campaign> {
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if check_step(Step::Submit, approval_stage(row.status), None, None, true).is_err() {
        return Err(status_conflict(
            row.status,
            "draft campaigns can be submitted",
        ));
    }
    let mut checks = Checks::default();
    if row.message_template.trim().is_empty() {
        checks.fail("messageTemplate", "write the message before submitting");
    }
    let segment = match row.segment_id {
        Some(segment) => Some(segments::find(&txn, scope, segment).await?),
        None => {
            checks.fail("segmentId", "choose a segment before submitting");
            None
        }
    };
    checks.finish()?;
    let Some(segment) = segment else {
        return Err(DomainError::Internal(
            "segment missing after checks".to_owned(),
        ));
    };
    let definition = segments::parse(&segment.definition).map_err(|e| {
        DomainError::Conflict(format!(
            "The segment's definition is no longer valid ({}); save it again",
            e.message
        ))
    })?;
    let count = segments::count_segment(&txn, scope, &definition).await?;
    let mut active = row.into_active_model();
    active.status = Set(CampaignStatus::PendingApproval);
    active.segment_snapshot = Set(Some(segments::to_json(&definition)));
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        actor,
        "campaign.submitted",
        &row,
        json!({ "segmentName": segment.name, "matchingContacts": count }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Approves a campaign waiting for approval and schedules it at `scheduled_at` (now when
/// absent or past; at most a year ahead). The approver must be a project member other than
/// the creator (CONFLICT with [`SELF_APPROVAL_REFUSED`]). Records `campaign.approved`.
pub async fn approve_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    scheduled_at: Option<DateTime<Utc>>,
) -> DomainResult<Campaign> {
    let now = Utc::now();
    if scheduled_at.is_some_and(|at| at > now + Duration::days(MAX_SCHEDULE_DAYS)) {
        return Err(DomainError::Validation(vec![FieldError::new(
            "scheduledAt",
            "must be within a year",
        )]));
    }
    let user = actor.user_id.ok_or(DomainError::Forbidden)?;
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    // Campaigns always need four eyes: they reach many contacts at once.
    match check_step(
        Step::Approve,
        approval_stage(row.status),
        row.created_by,
        Some(user),
        true,
    ) {
        Ok(()) => {}
        Err(Refusal::WrongStage) => {
            return Err(status_conflict(
                row.status,
                "campaigns waiting for approval can be approved",
            ));
        }
        Err(Refusal::OwnRecord) => {
            return Err(DomainError::Conflict(SELF_APPROVAL_REFUSED.to_owned()));
        }
    }
    approval::decider(&txn, scope, actor).await?;
    let at = scheduled_at.filter(|at| *at > now).unwrap_or(now);
    let mut active = row.into_active_model();
    active.status = Set(CampaignStatus::Scheduled);
    active.approved_by = Set(Some(user));
    active.approved_at = Set(Some(now.into()));
    active.scheduled_at = Set(Some(at.into()));
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        actor,
        "campaign.approved",
        &row,
        json!({ "scheduledAt": at, "segmentSnapshot": row.segment_snapshot }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Sends a campaign waiting for approval back to draft with a comment saying why (required);
/// the frozen segment is released. Records `campaign.rejected`.
pub async fn reject_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    comment: &str,
) -> DomainResult<Campaign> {
    let comment = required_text("comment", comment, MAX_NOTE_CHARS)
        .map_err(|e| DomainError::Validation(vec![e]))?;
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if check_step(Step::Reject, approval_stage(row.status), None, None, true).is_err() {
        return Err(status_conflict(
            row.status,
            "campaigns waiting for approval can be rejected",
        ));
    }
    let mut active = row.into_active_model();
    active.status = Set(CampaignStatus::Draft);
    active.segment_snapshot = Set(None);
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        actor,
        "campaign.rejected",
        &row,
        json!({ "comment": comment }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Starts a scheduled campaign now (ahead of its schedule if need be): snapshots the members
/// and makes it `running`, so the dispatcher picks it up. CONFLICT unless it is scheduled
/// (approval comes first). Records `campaign.started`.
pub async fn start_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Campaign> {
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    let row = dispatch::start_locked(&txn, scope, actor, row, Utc::now()).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Pauses a running campaign: the dispatcher queues nothing more (the sender defers what is
/// already queued). Records `campaign.paused`.
pub async fn pause_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Campaign> {
    transition(
        db,
        scope,
        actor,
        id,
        &[CampaignStatus::Running],
        "running campaigns can be paused",
        CampaignStatus::Paused,
        "campaign.paused",
    )
    .await
}

/// Resumes a paused campaign with its remaining pending members. Records `campaign.resumed`.
pub async fn resume_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Campaign> {
    transition(
        db,
        scope,
        actor,
        id,
        &[CampaignStatus::Paused],
        "paused campaigns can be resumed",
        CampaignStatus::Running,
        "campaign.resumed",
    )
    .await
}

/// Cancels a campaign that has not finished: pending members become `skipped` (the sender
/// cancels messages already queued). Records `campaign.cancelled` with the skipped count.
pub async fn cancel_campaign(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Campaign> {
    transition(
        db,
        scope,
        actor,
        id,
        &[
            CampaignStatus::Draft,
            CampaignStatus::PendingApproval,
            CampaignStatus::Scheduled,
            CampaignStatus::Running,
            CampaignStatus::Paused,
        ],
        "campaigns that have not finished can be cancelled",
        CampaignStatus::Cancelled,
        "campaign.cancelled",
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn transition(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    from: &[CampaignStatus],
    wanted: &str,
    to: CampaignStatus,
    action: &'static str,
) -> DomainResult<Campaign> {
    let now = Utc::now();
    let txn = db.begin().await?;
    // The row lock also waits for a dispatch batch in flight, so nothing is queued after a
    // pause or cancel commits.
    let row = find(&txn, scope, id, true).await?;
    if !from.contains(&row.status) {
        return Err(status_conflict(row.status, wanted));
    }
    let mut meta = json!({ "from": sea_orm::ActiveEnum::to_value(&row.status) });
    let mut active = row.into_active_model();
    active.status = Set(to);
    match to {
        CampaignStatus::Paused => active.paused_at = Set(Some(now.into())),
        CampaignStatus::Cancelled => {
            active.cancelled_at = Set(Some(now.into()));
            let skipped = txn
                .execute_raw(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    "update campaign_members set status = 'skipped', last_event_at = $4 \
                     where project_id = $1 and account_scope_id = $2 and campaign_id = $3 \
                       and status = 'pending'",
                    [
                        scope.project_id().into(),
                        scope.account_scope_id().into(),
                        id.into(),
                        now.into(),
                    ],
                ))
                .await?
                .rows_affected();
            meta["skippedMembers"] = json!(skipped);
        }
        _ => {}
    }
    let row = active.update(&txn).await?;
    record(&txn, scope, actor, action, &row, meta).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// One campaign of the scope.
pub async fn get_campaign<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<Campaign> {
    Ok(find(db, scope, id, false).await?.into())
}

/// Campaigns matching `filter`, newest first, `first` at a time after the keyset `after`.
pub async fn list_campaigns<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &CampaignFilter,
    first: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> DomainResult<Page<Campaign>> {
    let mut sql = Sql::scoped(scope, "k");
    if let Some(status) = filter.status {
        let p = sql.param(sea_orm::ActiveEnum::to_value(&status));
        sql.and(format!("k.status = {p}"));
    }
    let total_count = count_rows(db, "campaigns k", &sql).await?;
    if let Some((at, id)) = after {
        let t = sql.param(at);
        let i = sql.param(id);
        sql.and(format!("(k.created_at, k.id) < ({t}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = campaigns::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select k.* from campaigns k where {} \
                 order by k.created_at desc, k.id desc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// Where a campaign stands in the approval workflow (approval schedules it).
fn approval_stage(status: CampaignStatus) -> ApprovalStage {
    match status {
        CampaignStatus::Draft => ApprovalStage::Draft,
        CampaignStatus::PendingApproval => ApprovalStage::Pending,
        _ => ApprovalStage::Decided,
    }
}
