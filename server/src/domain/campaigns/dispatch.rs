//! Starting campaigns and handing their members to the outbound pipeline.
//!
//! Start snapshots the members: every contact the frozen segment matches, once (unique
//! `(campaign_id, contact_global_id)`), `pending`, with the attributes the template uses.
//! The dispatcher ([`run`], job [`DISPATCH_JOB`]) then takes the next pending members in
//! batches; each batch is one transaction holding the campaign's row lock (so a pause or a
//! cancel waits for it, and nothing is queued after they commit) that inserts one queued,
//! approved outbound message per member (origin `campaign`), marks the member `queued` with
//! its message id and writes a `queued` campaign event. Only `pending` members are taken, so
//! nobody is queued twice, across pauses and resumes too. With `send_rate_per_minute` set, a
//! run queues at most that many minus those queued in the last minute. When no member is
//! pending or queued (the sender moves queued ones on), the campaign is `finished`.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{
    campaign_members, campaigns,
    enums::{CampaignMemberStatus, CampaignStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait, Value as DbValue,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::campaigns::{find, record, segments, status_conflict, template};
use crate::{
    domain::outbound::handoff::{CHANNEL, LATEST_CONVERSATION, LATEST_CONVERSATION_ORDER},
    kernel::{Actor, DomainError, Scope, error::DomainResult},
};

/// The job kind that starts due campaigns and dispatches running ones (payload
/// `{ "campaign_id": uuid }`).
pub const DISPATCH_JOB: &str = "campaign_dispatch";
/// Members queued per transaction.
pub const BATCH_SIZE: u64 = 100;
/// Most members one unthrottled run queues (the next scheduler tick continues).
pub const MAX_PER_RUN: u64 = 1_000;

/// Snapshots the members of `row` (locked by the caller) and makes it `running`. CONFLICT
/// unless it is scheduled.
pub(crate) async fn start_locked<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &Actor,
    row: campaigns::Model,
    now: DateTime<Utc>,
) -> DomainResult<campaigns::Model> {
    if row.status != CampaignStatus::Scheduled {
        return Err(status_conflict(
            row.status,
            "approved, scheduled campaigns can be started",
        ));
    }
    let definition = row
        .segment_snapshot
        .as_ref()
        .ok_or_else(|| DomainError::Conflict("The campaign has no segment to start".to_owned()))
        .and_then(|snapshot| {
            segments::parse(snapshot).map_err(|e| {
                DomainError::Conflict(format!("The campaign's segment is invalid: {}", e.message))
            })
        })?;
    let mut sql = segments::matching(scope, &definition);
    let campaign = sql.param(row.id);
    let inserted = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "insert into campaign_members \
                   (project_id, account_scope_id, campaign_id, contact_global_id, account_id, \
                    status, snapshot) \
                 select c.project_id, c.account_scope_id, {campaign}, c.id, acc.id, 'pending', \
                   jsonb_build_object( \
                     'name', nullif(btrim(c.name), ''), \
                     'first_name', nullif(split_part(btrim(coalesce(c.name, '')), ' ', 1), ''), \
                     'email', nullif(btrim(c.email), ''), \
                     'company', coalesce(acc.name, \
                       nullif(btrim(c.data -> 'additional_attributes' ->> 'company_name'), ''), \
                       nullif(btrim(c.custom_attributes ->> 'company'), '')), \
                     'account_id', acc.id) \
                 from cw_contacts c \
                 left join lateral ( \
                   select a.id, a.name from crm_account_contacts l \
                   join crm_accounts a on a.project_id = l.project_id and a.id = l.account_id \
                   where l.project_id = c.project_id and l.contact_global_id = c.id \
                     and l.link_status = 'confirmed' limit 1) acc on true \
                 where {} \
                 on conflict (campaign_id, contact_global_id) do nothing",
                sql.where_clause()
            ),
            sql.values,
        ))
        .await?
        .rows_affected();
    let mut active = row.into_active_model();
    active.status = Set(CampaignStatus::Running);
    active.started_at = Set(Some(now.into()));
    let row = active.update(db).await?;
    record(
        db,
        scope,
        actor,
        "campaign.started",
        &row,
        json!({ "members": inserted, "segmentSnapshot": row.segment_snapshot }),
    )
    .await?;
    Ok(row)
}

/// What one [`run`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// It was scheduled and due, and started.
    pub started: bool,
    /// Members queued.
    pub queued: u64,
    /// Members skipped because their message rendered empty.
    pub skipped: u64,
    /// It finished (nobody pending or queued).
    pub finished: bool,
}

/// One dispatcher run for a campaign at `now`: starts it when it is scheduled and due, queues
/// its next pending members (paced by its rate) and finishes it when nobody is pending or
/// queued. A campaign in any other state is left alone.
pub async fn run(
    db: &DatabaseConnection,
    scope: &Scope,
    campaign_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<DispatchReport> {
    let mut report = DispatchReport::default();
    let row = find(db, scope, campaign_id, false).await?;
    if row.status == CampaignStatus::Scheduled
        && row.scheduled_at.is_some_and(|at| at.to_utc() <= now)
    {
        let txn = db.begin().await?;
        let row = find(&txn, scope, campaign_id, true).await?;
        if row.status == CampaignStatus::Scheduled {
            start_locked(&txn, scope, &Actor::system("campaigns"), row, now).await?;
            report.started = true;
        }
        txn.commit().await?;
    }
    let row = find(db, scope, campaign_id, false).await?;
    if row.status != CampaignStatus::Running {
        return Ok(report);
    }
    let mut budget = match row.send_rate_per_minute {
        Some(rate) => {
            let recent = queued_since(db, scope, campaign_id, now - Duration::minutes(1)).await?;
            u64::try_from(rate).unwrap_or(0).saturating_sub(recent)
        }
        None => MAX_PER_RUN,
    };
    while budget > 0 {
        let Some(batch) =
            dispatch_batch(db, scope, campaign_id, budget.min(BATCH_SIZE), now).await?
        else {
            return Ok(report);
        };
        report.queued += batch.queued;
        report.skipped += batch.skipped;
        let taken = batch.queued + batch.skipped;
        if taken == 0 {
            break;
        }
        budget = budget.saturating_sub(taken);
    }
    report.finished = finish_if_done(db, scope, campaign_id, now).await?;
    Ok(report)
}

async fn queued_since<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    campaign_id: Uuid,
    since: DateTime<Utc>,
) -> DomainResult<u64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select count(*) as n from campaign_events \
             where project_id = $1 and account_scope_id = $2 and campaign_id = $3 \
               and event_type = 'queued' and occurred_at > $4",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                campaign_id.into(),
                since.into(),
            ],
        ))
        .await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

struct Batch {
    queued: u64,
    skipped: u64,
}

/// Queues up to `limit` pending members in one transaction; `None` when the campaign is not
/// running (paused or cancelled meanwhile).
async fn dispatch_batch(
    db: &DatabaseConnection,
    scope: &Scope,
    campaign_id: Uuid,
    limit: u64,
    now: DateTime<Utc>,
) -> DomainResult<Option<Batch>> {
    let txn = db.begin().await?;
    let row = find(&txn, scope, campaign_id, true).await?;
    if row.status != CampaignStatus::Running {
        return Ok(None);
    }
    let Some(approved_at) = row.approved_at else {
        return Err(DomainError::Internal(format!(
            "running campaign {} has no approval time",
            row.id
        )));
    };
    let members = scope
        .rows::<campaign_members::Entity>()
        .filter(campaign_members::Column::CampaignId.eq(campaign_id))
        .filter(campaign_members::Column::Status.eq(CampaignMemberStatus::Pending))
        .order_by_asc(campaign_members::Column::CreatedAt)
        .order_by_asc(campaign_members::Column::Id)
        .limit(limit)
        .lock_exclusive()
        .all(&txn)
        .await?;
    if members.is_empty() {
        txn.commit().await?;
        return Ok(Some(Batch {
            queued: 0,
            skipped: 0,
        }));
    }
    let contacts: Vec<&str> = members
        .iter()
        .map(|m| m.contact_global_id.as_str())
        .collect();
    let conversations: HashMap<String, String> = txn
        .query_all_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            format!(
                "{LATEST_CONVERSATION} and v.contact_global_id = \
                   any(array(select jsonb_array_elements_text($3::jsonb))) \
                 {LATEST_CONVERSATION_ORDER}"
            ),
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                DbValue::from(json!(contacts)),
            ],
        ))
        .await?
        .into_iter()
        .map(|row| {
            Ok::<_, DbErr>((
                row.try_get::<String>("", "contact_global_id")?,
                row.try_get::<String>("", "id")?,
            ))
        })
        .collect::<Result<_, _>>()?;
    let mut queue = Vec::with_capacity(members.len());
    let mut empty = Vec::new();
    for member in &members {
        let content = template::render(&row.message_template, &member.snapshot);
        if content.trim().is_empty() {
            empty.push(member.id);
            continue;
        }
        queue.push(json!({
            "outbound_id": Uuid::new_v4(),
            "member_id": member.id,
            "contact": member.contact_global_id,
            "conversation": conversations.get(&member.contact_global_id),
            "content": content.trim(),
        }));
    }
    let queued = queue.len() as u64;
    let batch = Value::Array(queue);
    let backend = txn.get_database_backend();
    let scope_values =
        || -> Vec<DbValue> { vec![scope.project_id().into(), scope.account_scope_id().into()] };
    let mut values = scope_values();
    values.extend([
        CHANNEL.into(),
        row.id.to_string().into(),
        row.approved_by.into(),
        approved_at.to_utc().into(),
        now.into(),
        DbValue::from(batch.clone()),
    ]);
    let messages = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "insert into outbound_messages \
               (id, project_id, account_scope_id, channel, contact_global_id, \
                conversation_global_id, origin_kind, origin_id, content, status, approved_by, \
                approved_at, queued_at, created_at, updated_at) \
             select x.outbound_id, $1, $2, $3, x.contact, x.conversation, 'campaign', $4, \
                    x.content, 'queued', $5, $6, $7, $7, $7 \
             from jsonb_to_recordset($8::jsonb) \
               as x(outbound_id uuid, contact text, conversation text, content text)",
            values,
        ))
        .await?
        .rows_affected();
    let mut values = scope_values();
    values.extend([now.into(), DbValue::from(batch.clone())]);
    let marked = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "update campaign_members m \
               set status = 'queued', outbound_message_id = x.outbound_id, last_event_at = $3 \
             from jsonb_to_recordset($4::jsonb) as x(outbound_id uuid, member_id uuid) \
             where m.project_id = $1 and m.account_scope_id = $2 and m.id = x.member_id \
               and m.status = 'pending'",
            values,
        ))
        .await?
        .rows_affected();
    let mut values = scope_values();
    values.extend([row.id.into(), now.into(), DbValue::from(batch)]);
    let events = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "insert into campaign_events \
               (project_id, account_scope_id, campaign_id, member_id, contact_global_id, \
                event_type, outbound_message_id, occurred_at) \
             select $1, $2, $3, x.member_id, x.contact, 'queued', x.outbound_id, $4 \
             from jsonb_to_recordset($5::jsonb) \
               as x(outbound_id uuid, member_id uuid, contact text)",
            values,
        ))
        .await?
        .rows_affected();
    if messages != queued || marked != queued || events != queued {
        // Rolled back on return: the rows we locked changed under us, which must not happen.
        return Err(DomainError::Internal(format!(
            "campaign {campaign_id}: batch of {queued} wrote {messages} messages, \
             {marked} members, {events} events"
        )));
    }
    let mut skipped = 0;
    if !empty.is_empty() {
        skipped = campaign_members::Entity::update_many()
            .col_expr(
                campaign_members::Column::Status,
                sea_orm::sea_query::Expr::value(sea_orm::ActiveEnum::to_value(
                    &CampaignMemberStatus::Skipped,
                )),
            )
            .col_expr(
                campaign_members::Column::LastEventAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(scope.filter_for::<campaign_members::Entity>())
            .filter(campaign_members::Column::Id.is_in(empty))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    txn.commit().await?;
    Ok(Some(Batch { queued, skipped }))
}

/// Finishes a running campaign with nobody pending or queued; whether it did.
async fn finish_if_done(
    db: &DatabaseConnection,
    scope: &Scope,
    campaign_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let txn = db.begin().await?;
    let row = find(&txn, scope, campaign_id, true).await?;
    if row.status != CampaignStatus::Running {
        return Ok(false);
    }
    let open = scope
        .rows::<campaign_members::Entity>()
        .filter(campaign_members::Column::CampaignId.eq(campaign_id))
        .filter(
            campaign_members::Column::Status
                .is_in([CampaignMemberStatus::Pending, CampaignMemberStatus::Queued]),
        )
        .count(&txn)
        .await?;
    if open > 0 {
        return Ok(false);
    }
    let mut active = row.into_active_model();
    active.status = Set(CampaignStatus::Finished);
    active.finished_at = Set(Some(now.into()));
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        &Actor::system("campaigns"),
        "campaign.finished",
        &row,
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Dedupe key of a campaign's dispatch job (one live per campaign).
pub fn dedupe_key(campaign_id: Uuid) -> String {
    format!("campaign:{campaign_id}")
}

/// Enqueues a dispatch job for every running campaign and every scheduled one that is due, in
/// live projects (at most one live job per campaign); returns how many were enqueued. Called
/// by the scheduler every tick.
pub async fn enqueue_due<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "insert into scheduled_jobs \
               (project_id, account_scope_id, kind, payload, dedupe_key, max_attempts) \
             select k.project_id, k.account_scope_id, $1, \
                    jsonb_build_object('campaign_id', k.id), 'campaign:' || k.id::text, 3 \
             from campaigns k \
             join projects p on p.id = k.project_id and p.archived_at is null \
             where k.status = 'running' or (k.status = 'scheduled' and k.scheduled_at <= now()) \
             on conflict (project_id, kind, dedupe_key) \
               where status in ('queued', 'running') and dedupe_key is not null \
             do nothing",
            [DISPATCH_JOB.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}
