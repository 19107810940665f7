//! Opportunities: deals of an account moving through the pipeline. Every stage change (the
//! first placement included) writes a stage event with a snapshot of amount and probability,
//! so the history survives later edits, stage deletions and account merges. Money is exact
//! decimal arithmetic throughout.
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    crm_accounts, crm_opportunities, crm_opportunity_stage_events, crm_pipeline_stages,
    cw_conversations, enums::CrmAccountStatus,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait, prelude::Decimal,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::{DomainResult, FieldError},
};
use crate::{
    domain::crm::{
        accounts,
        pipeline::{self, Stage},
    },
    kernel::{
        Actor, Page,
        checks::{Checks, MAX_NAME_CHARS, MAX_NOTE_CHARS, evidence_json, is_global_id_of},
        sql::{Sql, count_rows, violates_foreign_key},
    },
};

/// An opportunity.
#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    /// Opportunity id.
    pub id: Uuid,
    /// Its account.
    pub account_id: Uuid,
    /// Display name.
    pub name: String,
    /// Amount in `currency` (two decimals).
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// Current stage.
    pub stage_id: Uuid,
    /// Own win probability; `None` uses the stage's default.
    pub probability: Option<i32>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Owning project member.
    pub owner_user_id: Option<Uuid>,
    /// The conversation it came from (`cw:` id).
    pub source_conversation_global_id: Option<String>,
    /// When it entered a won or lost stage.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<crm_opportunities::Model> for Opportunity {
    fn from(m: crm_opportunities::Model) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            name: m.name,
            amount: m.amount,
            currency: m.currency,
            stage_id: m.stage_id,
            probability: m.probability,
            expected_close_date: m.expected_close_date,
            owner_user_id: m.owner_user_id,
            source_conversation_global_id: m.source_conversation_global_id,
            closed_at: m.closed_at.map(|t| t.with_timezone(&Utc)),
            lost_reason: m.lost_reason,
            created_by: m.created_by,
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// One row of an opportunity's stage history.
#[derive(Debug, Clone, PartialEq)]
pub struct StageEvent {
    /// Event id.
    pub id: Uuid,
    /// The opportunity.
    pub opportunity_id: Uuid,
    /// Stage left (`None` for the first placement or a since-deleted stage).
    pub from_stage_id: Option<Uuid>,
    /// Stage entered (`None` once that stage is deleted).
    pub to_stage_id: Option<Uuid>,
    /// Key of the stage left.
    pub from_stage_key: Option<String>,
    /// Key of the stage entered.
    pub to_stage_key: String,
    /// Who moved it.
    pub changed_by: Option<Uuid>,
    /// When.
    pub changed_at: DateTime<Utc>,
    /// The mover's note.
    pub note: Option<String>,
    /// Evidence (`[{"kind", "id"}]`).
    pub evidence_refs: Value,
    /// Amount at the time.
    pub amount: Option<Decimal>,
    /// Currency at the time.
    pub currency: Option<String>,
    /// Effective probability at the time (its own, else the entered stage's default).
    pub probability: Option<i32>,
}

impl From<crm_opportunity_stage_events::Model> for StageEvent {
    fn from(m: crm_opportunity_stage_events::Model) -> Self {
        Self {
            id: m.id,
            opportunity_id: m.opportunity_id,
            from_stage_id: m.from_stage_id,
            to_stage_id: m.to_stage_id,
            from_stage_key: m.from_stage_key,
            to_stage_key: m.to_stage_key,
            changed_by: m.changed_by,
            changed_at: m.changed_at.with_timezone(&Utc),
            note: m.note,
            evidence_refs: m.evidence_refs,
            amount: m.amount,
            currency: m.currency,
            probability: m.probability,
        }
    }
}

/// Input of [`create_opportunity`].
#[derive(Debug, Clone, Default)]
pub struct NewOpportunity {
    /// A live account of the project.
    pub account_id: Uuid,
    /// 1-200 characters.
    pub name: String,
    /// 0 or more, at most two decimals.
    pub amount: Decimal,
    /// `^[A-Z]{3}$`.
    pub currency: String,
    /// Stage to start in; the first open stage when absent.
    pub stage_id: Option<Uuid>,
    /// 0..=100; the stage's default when absent.
    pub probability: Option<i32>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// A member of the project.
    pub owner_user_id: Option<Uuid>,
    /// A `cw:` conversation of this project it came from.
    pub source_conversation_global_id: Option<String>,
}

/// Input of [`update_opportunity`]: `None` keeps a field, `Some(None)` clears a nullable one.
/// The stage changes only through [`move_stage`].
#[derive(Debug, Clone, Default)]
pub struct OpportunityPatch {
    /// New name.
    pub name: Option<String>,
    /// New amount.
    pub amount: Option<Decimal>,
    /// New currency.
    pub currency: Option<String>,
    /// New own probability.
    pub probability: Option<Option<i32>>,
    /// New expected close date.
    pub expected_close_date: Option<Option<NaiveDate>>,
    /// New owner.
    pub owner_user_id: Option<Option<Uuid>>,
    /// New lost reason (only kept while the opportunity is in a lost stage).
    pub lost_reason: Option<Option<String>>,
}

/// Input of [`move_stage`].
#[derive(Debug, Clone, Default)]
pub struct StageMove {
    /// The stage to enter.
    pub to_stage_id: Uuid,
    /// Why, up to 2000 characters.
    pub note: Option<String>,
    /// What supports the move (messages, conversations, ...); Chatwoot ids must be this
    /// project's.
    pub evidence: Vec<EvidenceRef>,
    /// Why it was lost (kept only when entering a lost stage).
    pub lost_reason: Option<String>,
}

/// Open or closed, for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunityState {
    /// In an open stage.
    Open,
    /// In a won or lost stage.
    Closed,
}

/// Listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct OpportunityFilter {
    /// Account.
    pub account_id: Option<Uuid>,
    /// Stage.
    pub stage_id: Option<Uuid>,
    /// Owner.
    pub owner_user_id: Option<Uuid>,
    /// Open or closed.
    pub state: Option<OpportunityState>,
}

/// Amount and weighted forecast of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of amounts.
    pub amount: Decimal,
    /// Sum of amount x effective probability / 100 (exact, up to four decimals).
    pub weighted: Decimal,
}

/// One stage of the pipeline board.
#[derive(Debug, Clone)]
pub struct BoardColumn {
    /// The stage.
    pub stage: Stage,
    /// Its opportunities, most recently changed first, at most the board's per-stage limit.
    pub opportunities: Vec<Opportunity>,
    /// All opportunities in the stage.
    pub count: u64,
    /// Totals per currency, by currency code.
    pub totals: Vec<CurrencyTotal>,
}

/// Board filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    /// Only this account's opportunities.
    pub account_id: Option<Uuid>,
    /// Only this owner's opportunities.
    pub owner_user_id: Option<Uuid>,
}

/// Largest amount numeric(18,2) holds.
fn max_amount() -> Decimal {
    Decimal::new(999_999_999_999_999_999, 2)
}

/// Checks an amount: 0 or more, at most two decimals, fits numeric(18,2).
pub fn check_amount(amount: Decimal) -> Result<Decimal, FieldError> {
    let normalized = amount.normalize();
    if normalized.is_sign_negative() && !normalized.is_zero() {
        return Err(FieldError::new("amount", "must be 0 or more"));
    }
    if normalized.scale() > 2 {
        return Err(FieldError::new("amount", "use at most two decimals"));
    }
    if normalized > max_amount() {
        return Err(FieldError::new("amount", "is too large"));
    }
    Ok(normalized.abs())
}

/// Checks a currency code: three capital letters.
pub fn check_currency(raw: &str) -> Result<String, FieldError> {
    let code = raw.trim();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code.to_owned())
    } else {
        Err(FieldError::new(
            "currency",
            "use a three-letter currency code in capitals, e.g. EUR",
        ))
    }
}

fn check_probability(p: i32) -> Result<i32, FieldError> {
    if (0..=100).contains(&p) {
        Ok(p)
    } else {
        Err(FieldError::new("probability", "must be between 0 and 100"))
    }
}

async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
    lock: bool,
) -> DomainResult<crm_opportunities::Model> {
    let mut query = scope
        .rows::<crm_opportunities::Entity>()
        .filter(crm_opportunities::Column::Id.eq(id));
    if lock {
        query = query.lock_exclusive();
    }
    query
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("opportunity"))
}

async fn check_owner<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    checks: &mut Checks,
    owner: Option<Uuid>,
) -> DomainResult<()> {
    if let Some(owner) = owner
        && !scope.has_member(db, owner).await?
    {
        checks.fail("ownerUserId", "must be a member of this project");
    }
    Ok(())
}

async fn check_conversation<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    checks: &mut Checks,
    id: &str,
) -> DomainResult<()> {
    let exists = is_global_id_of(scope.project_id(), "cw", id)
        && cw_conversations::Entity::find_by_id(id.to_owned())
            .filter(scope.filter_for::<cw_conversations::Entity>())
            .count(db)
            .await?
            > 0;
    if !exists {
        checks.fail(
            "sourceConversationId",
            "must be a conversation of this project",
        );
    }
    Ok(())
}

/// A stage deleted between our read and our write reads as a conflict, not a failure.
fn stage_gone(e: DbErr) -> DomainError {
    if violates_foreign_key(&e, "crm_opportunities_stage_fkey") {
        DomainError::Conflict("The stage was just deleted; reload the pipeline".to_owned())
    } else {
        e.into()
    }
}

#[allow(clippy::too_many_arguments)]
fn stage_event(
    scope: &Scope,
    opportunity: &crm_opportunities::Model,
    from: Option<&crm_pipeline_stages::Model>,
    to: &crm_pipeline_stages::Model,
    actor: &Actor,
    at: DateTime<Utc>,
    note: Option<String>,
    evidence: &[EvidenceRef],
) -> crm_opportunity_stage_events::ActiveModel {
    crm_opportunity_stage_events::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        opportunity_id: Set(opportunity.id),
        from_stage_id: Set(from.map(|s| s.id)),
        to_stage_id: Set(Some(to.id)),
        from_stage_key: Set(from.map(|s| s.key.clone())),
        to_stage_key: Set(to.key.clone()),
        changed_by: Set(actor.user_id),
        changed_at: Set(at.into()),
        note: Set(note),
        evidence_refs: Set(evidence_json(evidence)),
        amount: Set(Some(opportunity.amount)),
        currency: Set(Some(opportunity.currency.clone())),
        probability: Set(Some(
            opportunity.probability.unwrap_or(to.default_probability),
        )),
        created_at: Set(at.into()),
    }
}

/// Creates an opportunity in its first stage, writes its first stage event (from no stage)
/// and records `crm.opportunity.created`.
pub async fn create_opportunity(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewOpportunity,
) -> DomainResult<Opportunity> {
    let mut checks = Checks::default();
    // A failed check leaves a default behind, which finish() then refuses.
    let name = checks
        .take(crate::kernel::checks::required_text(
            "name",
            &input.name,
            MAX_NAME_CHARS,
        ))
        .unwrap_or_default();
    let amount = checks.take(check_amount(input.amount)).unwrap_or_default();
    let currency = checks
        .take(check_currency(&input.currency))
        .unwrap_or_default();
    if let Some(p) = input.probability {
        checks.take(check_probability(p));
    }
    check_owner(db, scope, &mut checks, input.owner_user_id).await?;
    let conversation = input
        .source_conversation_global_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if let Some(conversation) = &conversation {
        check_conversation(db, scope, &mut checks, conversation).await?;
    }
    let account = accounts::find(db, scope, input.account_id, false).await?;
    let stage = match input.stage_id {
        Some(id) => match pipeline::find_stage(db, scope, id).await {
            Ok(stage) => Some(stage),
            Err(DomainError::NotFound(_)) => {
                checks.fail("stageId", "must be a stage of this pipeline");
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    checks.finish()?;

    let txn = db.begin().await?;
    // Re-read under a share lock: a merge or archive running now finishes first, so the new
    // opportunity never lands on an account that was just merged away.
    let account = crm_accounts::Entity::find_by_id(account.id)
        .filter(scope.filter_for::<crm_accounts::Entity>())
        .lock_shared()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    if account.status != CrmAccountStatus::Active {
        return Err(DomainError::Conflict(
            "Opportunities can only be added to active accounts".to_owned(),
        ));
    }
    let stage = match stage {
        Some(stage) => stage,
        None => first_open_stage(&txn, scope).await?,
    };
    let now = Utc::now();
    let closed = stage.is_won || stage.is_lost;
    let row = crm_opportunities::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        account_id: Set(account.id),
        name: Set(name),
        amount: Set(amount),
        currency: Set(currency),
        stage_id: Set(stage.id),
        probability: Set(input.probability),
        expected_close_date: Set(input.expected_close_date),
        owner_user_id: Set(input.owner_user_id),
        source_conversation_global_id: Set(conversation.clone()),
        closed_at: Set(closed.then(|| now.into())),
        lost_reason: Set(None),
        created_by: Set(actor.user_id),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
    }
    .insert(&txn)
    .await
    .map_err(stage_gone)?;
    let mut evidence = vec![EvidenceRef::new("opportunity", row.id)];
    if let Some(conversation) = &conversation {
        evidence.push(EvidenceRef::new("conversation", conversation));
    }
    let event_evidence: Vec<EvidenceRef> = evidence[1..].to_vec();
    stage_event(scope, &row, None, &stage, actor, now, None, &event_evidence)
        .insert(&txn)
        .await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "crm.opportunity.created",
            target_kind: Some("opportunity"),
            target_id: Some(row.id.to_string()),
            evidence,
            meta: json!({
                "accountId": row.account_id,
                "name": row.name,
                "stage": stage.key,
                "amount": row.amount.to_string(),
                "currency": row.currency,
            }),
        },
    )
    .await?;
    crate::domain::signals::enqueue_refresh(&txn, scope, &[row.account_id]).await?;
    txn.commit().await?;
    Ok(row.into())
}

async fn first_open_stage<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
) -> DomainResult<crm_pipeline_stages::Model> {
    pipeline::ensure_default_stages(db, scope).await?;
    scope
        .rows::<crm_pipeline_stages::Entity>()
        .filter(crm_pipeline_stages::Column::IsWon.eq(false))
        .filter(crm_pipeline_stages::Column::IsLost.eq(false))
        .order_by_asc(crm_pipeline_stages::Column::Position)
        .one(db)
        .await?
        .ok_or(DomainError::Conflict(
            "The pipeline has no open stage".to_owned(),
        ))
}

/// Changes the given fields (not the stage: see [`move_stage`]).
pub async fn update_opportunity(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    patch: OpportunityPatch,
) -> DomainResult<Opportunity> {
    let mut checks = Checks::default();
    let name = patch.name.as_deref().and_then(|n| {
        checks.take(crate::kernel::checks::required_text(
            "name",
            n,
            MAX_NAME_CHARS,
        ))
    });
    let amount = patch.amount.and_then(|a| checks.take(check_amount(a)));
    let currency = patch
        .currency
        .as_deref()
        .and_then(|c| checks.take(check_currency(c)));
    if let Some(Some(p)) = patch.probability {
        checks.take(check_probability(p));
    }
    let lost_reason = patch.lost_reason.as_ref().map(|r| {
        checks
            .take(crate::kernel::checks::optional_text(
                "lostReason",
                r.as_deref(),
                MAX_NOTE_CHARS,
            ))
            .flatten()
    });
    if let Some(owner) = patch.owner_user_id {
        check_owner(db, scope, &mut checks, owner).await?;
    }
    checks.finish()?;

    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    let in_lost_stage = pipeline::find_stage(&txn, scope, row.stage_id)
        .await?
        .is_lost;
    let mut active = row.clone().into_active_model();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(amount) = amount {
        active.amount = Set(amount);
    }
    if let Some(currency) = currency {
        active.currency = Set(currency);
    }
    if let Some(p) = patch.probability {
        active.probability = Set(p);
    }
    if let Some(date) = patch.expected_close_date {
        active.expected_close_date = Set(date);
    }
    if let Some(owner) = patch.owner_user_id {
        active.owner_user_id = Set(owner);
    }
    if let Some(reason) = lost_reason
        && in_lost_stage
    {
        active.lost_reason = Set(reason);
    }
    let row = if active.is_changed() {
        let changed: Vec<&str> = [
            ("name", active.name.is_set()),
            ("amount", active.amount.is_set()),
            ("currency", active.currency.is_set()),
            ("probability", active.probability.is_set()),
            ("expectedCloseDate", active.expected_close_date.is_set()),
            ("ownerUserId", active.owner_user_id.is_set()),
            ("lostReason", active.lost_reason.is_set()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect();
        let row = active.update(&txn).await?;
        audit::record(
            &txn,
            AuditEntry {
                scope: Some(*scope),
                actor: actor.audit.clone(),
                action: "crm.opportunity.updated",
                target_kind: Some("opportunity"),
                target_id: Some(row.id.to_string()),
                evidence: vec![
                    EvidenceRef::new("opportunity", row.id),
                    EvidenceRef::new("account", row.account_id),
                ],
                meta: json!({
                    "fields": changed,
                    "amount": row.amount.to_string(),
                    "currency": row.currency,
                    "probability": row.probability,
                }),
            },
        )
        .await?;
        crate::domain::signals::enqueue_refresh(&txn, scope, &[row.account_id]).await?;
        row
    } else {
        row
    };
    txn.commit().await?;
    Ok(row.into())
}

/// Moves an opportunity to another stage: writes a stage event (from/to, who, note, evidence,
/// amount/currency/probability snapshot) and records `crm.opportunity.stage_changed` with the
/// evidence. Entering a won or lost stage sets `closed_at` (and the lost reason for lost);
/// entering an open stage clears both. Moving to the stage it is in writes nothing.
pub async fn move_stage(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    opportunity_id: Uuid,
    input: StageMove,
) -> DomainResult<Opportunity> {
    let mut checks = Checks::default();
    let note = checks
        .take(crate::kernel::checks::optional_text(
            "note",
            input.note.as_deref(),
            MAX_NOTE_CHARS,
        ))
        .flatten();
    let lost_reason = checks
        .take(crate::kernel::checks::optional_text(
            "lostReason",
            input.lost_reason.as_deref(),
            MAX_NOTE_CHARS,
        ))
        .flatten();
    checks.take(crate::kernel::checks::check_evidence(
        "evidence",
        scope,
        &input.evidence,
    ));
    checks.finish()?;

    let txn = db.begin().await?;
    let row = find(&txn, scope, opportunity_id, true).await?;
    let to = match pipeline::find_stage(&txn, scope, input.to_stage_id).await {
        Ok(stage) => stage,
        Err(DomainError::NotFound(_)) => {
            return Err(DomainError::Validation(vec![FieldError::new(
                "toStageId",
                "must be a stage of this pipeline",
            )]));
        }
        Err(e) => return Err(e),
    };
    if row.stage_id == to.id {
        return Ok(row.into());
    }
    let from = pipeline::find_stage(&txn, scope, row.stage_id).await?;
    let now = Utc::now();
    let was_closed = from.is_won || from.is_lost;
    let mut active = row.clone().into_active_model();
    active.stage_id = Set(to.id);
    if to.is_won || to.is_lost {
        active.closed_at = Set(Some(now.into()));
    } else if was_closed {
        active.closed_at = Set(None);
    }
    active.lost_reason = Set(if to.is_lost { lost_reason } else { None });
    let row = active.update(&txn).await.map_err(stage_gone)?;
    let event = stage_event(
        scope,
        &row,
        Some(&from),
        &to,
        actor,
        now,
        note.clone(),
        &input.evidence,
    )
    .insert(&txn)
    .await?;
    let mut evidence = vec![
        EvidenceRef::new("opportunity", row.id),
        EvidenceRef::new("opportunity_stage_event", event.id),
    ];
    evidence.extend(input.evidence.iter().cloned());
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "crm.opportunity.stage_changed",
            target_kind: Some("opportunity"),
            target_id: Some(row.id.to_string()),
            evidence,
            meta: json!({
                "from": from.key,
                "to": to.key,
                "note": note,
                "stageEventId": event.id,
            }),
        },
    )
    .await?;
    // The account's health reads its opportunities' state.
    crate::domain::signals::enqueue_refresh(&txn, scope, &[row.account_id]).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// One opportunity of the scope.
pub async fn get_opportunity<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<Opportunity> {
    Ok(find(db, scope, id, false).await?.into())
}

impl Opportunity {
    /// Its position in [`list_opportunities`] (created_at, id).
    pub fn cursor(&self) -> (DateTime<Utc>, Uuid) {
        (self.created_at, self.id)
    }
}

/// Opportunities matching `filter`, newest first, `first` at a time after the keyset `after`
/// (from [`Opportunity::cursor`]).
pub async fn list_opportunities<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &OpportunityFilter,
    first: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> DomainResult<Page<Opportunity>> {
    let mut sql = Sql::scoped(scope, "o");
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("o.account_id = {p}"));
    }
    if let Some(stage) = filter.stage_id {
        let p = sql.param(stage);
        sql.and(format!("o.stage_id = {p}"));
    }
    if let Some(owner) = filter.owner_user_id {
        let p = sql.param(owner);
        sql.and(format!("o.owner_user_id = {p}"));
    }
    if let Some(state) = filter.state {
        let closed = "exists (select 1 from crm_pipeline_stages s \
             where s.project_id = o.project_id and s.id = o.stage_id and (s.is_won or s.is_lost))";
        sql.and(match state {
            OpportunityState::Closed => closed.to_owned(),
            OpportunityState::Open => format!("not {closed}"),
        });
    }
    let total_count = count_rows(db, "crm_opportunities o", &sql).await?;
    if let Some((at, id)) = after {
        let t = sql.param(at);
        let i = sql.param(id);
        sql.and(format!("(o.created_at, o.id) < ({t}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = crm_opportunities::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select o.* from crm_opportunities o where {} \
                 order by o.created_at desc, o.id desc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// An opportunity's stage history, oldest first.
pub async fn stage_history<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    opportunity_id: Uuid,
) -> DomainResult<Vec<StageEvent>> {
    find(db, scope, opportunity_id, false).await?;
    Ok(scope
        .rows::<crm_opportunity_stage_events::Entity>()
        .filter(crm_opportunity_stage_events::Column::OpportunityId.eq(opportunity_id))
        .order_by_asc(crm_opportunity_stage_events::Column::ChangedAt)
        .order_by_asc(crm_opportunity_stage_events::Column::CreatedAt)
        .order_by_asc(crm_opportunity_stage_events::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The pipeline board: every stage in order with up to `per_stage` of its opportunities
/// (most recently changed first), its count, and per currency the total amount and the
/// weighted forecast (amount x (own probability, else the stage default) / 100), over all of
/// the stage's opportunities matching `filter`.
pub async fn pipeline_board<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &BoardFilter,
    per_stage: u64,
) -> DomainResult<Vec<BoardColumn>> {
    let stages = pipeline::list_stages(db, scope).await?;
    let mut sql = Sql::scoped(scope, "o");
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("o.account_id = {p}"));
    }
    if let Some(owner) = filter.owner_user_id {
        let p = sql.param(owner);
        sql.and(format!("o.owner_user_id = {p}"));
    }

    // Sums stay numeric in SQL; the one division happens in Decimal, both exact.
    let totals = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select o.stage_id, o.currency::text as currency, count(*) as n, \
                   sum(o.amount) as amount, \
                   sum(o.amount * coalesce(o.probability, s.default_probability)) as weighted_x100 \
                 from crm_opportunities o \
                 join crm_pipeline_stages s on s.project_id = o.project_id and s.id = o.stage_id \
                 where {} group by o.stage_id, o.currency",
                sql.where_clause()
            ),
            sql.values.clone(),
        ))
        .await?;
    let mut by_stage: BTreeMap<Uuid, (u64, Vec<CurrencyTotal>)> = BTreeMap::new();
    for row in totals {
        let stage_id: Uuid = row.try_get("", "stage_id")?;
        let n: i64 = row.try_get("", "n")?;
        let weighted_x100: Decimal = row.try_get("", "weighted_x100")?;
        let entry = by_stage.entry(stage_id).or_default();
        entry.0 += n.max(0) as u64;
        entry.1.push(CurrencyTotal {
            currency: row.try_get("", "currency")?,
            amount: row.try_get("", "amount")?,
            weighted: (weighted_x100 / Decimal::ONE_HUNDRED).normalize(),
        });
    }

    let limit = sql.param(i64::try_from(per_stage).unwrap_or(i64::MAX));
    let rows = crm_opportunities::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select * from ( \
                   select o.*, row_number() over \
                     (partition by o.stage_id order by o.updated_at desc, o.id desc) as board_rank \
                   from crm_opportunities o where {} \
                 ) ranked where board_rank <= {limit} order by stage_id, board_rank",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    let mut listed: BTreeMap<Uuid, Vec<Opportunity>> = BTreeMap::new();
    for row in rows {
        listed.entry(row.stage_id).or_default().push(row.into());
    }

    Ok(stages
        .into_iter()
        .map(|stage| {
            let (count, mut totals) = by_stage.remove(&stage.id).unwrap_or_default();
            totals.sort_by(|a, b| a.currency.cmp(&b.currency));
            BoardColumn {
                opportunities: listed.remove(&stage.id).unwrap_or_default(),
                count,
                totals,
                stage,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_take_two_decimals_at_most() {
        assert_eq!(
            check_amount(Decimal::new(1050, 2)),
            Ok(Decimal::new(105, 1))
        );
        assert_eq!(
            check_amount(Decimal::new(10500, 3)),
            Ok(Decimal::new(105, 1))
        );
        assert!(check_amount(Decimal::new(1001, 3)).is_err());
        assert!(check_amount(Decimal::new(-1, 0)).is_err());
        assert!(check_amount(Decimal::ZERO).is_ok());
        assert!(check_amount(max_amount()).is_ok());
        assert!(check_amount(max_amount() + Decimal::new(1, 2)).is_err());
    }

    #[test]
    fn currencies_are_three_capitals() {
        assert!(check_currency("EUR").is_ok());
        for bad in ["eur", "EU", "EURO", "E1R", ""] {
            assert!(check_currency(bad).is_err(), "{bad}");
        }
    }
}
