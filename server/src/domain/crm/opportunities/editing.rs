//! Writing opportunities: input checks, create, update and stage moves with their history.
use super::*;

/// Largest amount numeric(18,2) holds.
pub(super) fn max_amount() -> Decimal {
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

pub(super) fn check_probability(p: i32) -> Result<i32, FieldError> {
    if (0..=100).contains(&p) {
        Ok(p)
    } else {
        Err(FieldError::new("probability", "must be between 0 and 100"))
    }
}

pub(super) async fn find<C: ConnectionTrait>(
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

pub(super) async fn check_owner<C: ConnectionTrait>(
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

pub(super) async fn check_conversation<C: ConnectionTrait>(
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
pub(super) fn stage_gone(e: DbErr) -> DomainError {
    if violates_foreign_key(&e, "crm_opportunities_stage_fkey") {
        DomainError::Conflict("The stage was just deleted; reload the pipeline".to_owned())
    } else {
        e.into()
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn stage_event(
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

pub(super) async fn first_open_stage<C: ConnectionTrait>(
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
