//! The offer's approval: submit, approve and reject on the kernel's approval state machine,
//! with the discount threshold deciding whether another member must approve.
use super::*;

/// Submits a draft under the approval policy: above the threshold it waits for another
/// member's approval (`pending_approval`); otherwise it is approved at once, recorded as an
/// automatic approval by the submitter. Needs at least one line, a recipient, and a validity
/// end (if any) in the future. Records `offer.submitted` (and `offer.approved` when automatic).
pub async fn submit_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<OfferDetail> {
    let user = actor.user_id.ok_or(DomainError::Forbidden)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if row.status != OfferStatus::Draft {
        return Err(status_conflict(row.status, "draft offers can be submitted"));
    }
    let mut checks = Checks::default();
    if items_of(&txn, scope, row.id).await?.is_empty() {
        checks.fail("items", "add at least one line before submitting");
    }
    if row.contact_global_id.is_none() {
        checks.fail("contactId", "choose the recipient before submitting");
    }
    if row.valid_until.is_some_and(|t| t.to_utc() <= now) {
        checks.fail("validUntil", "is in the past; extend it before submitting");
    }
    checks.finish()?;
    let threshold = approval_threshold(&txn, scope).await?;
    let requires = row.max_discount_pct > threshold;
    let mut active = row.clone().into_active_model();
    active.submitted_at = Set(Some(now.into()));
    active.requires_approval = Set(requires);
    if requires {
        active.status = Set(OfferStatus::PendingApproval);
    } else {
        active.status = Set(OfferStatus::Approved);
        active.approved_at = Set(Some(now.into()));
    }
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        actor,
        "offer.submitted",
        &row,
        offer_evidence(&row),
        json!({ "policy": policy("submit", threshold, &row, requires) }),
    )
    .await?;
    if !requires {
        let applied = policy("auto", threshold, &row, false);
        let approval = insert_decision(
            &txn,
            scope,
            &row,
            OfferDecision::Approved,
            user,
            None,
            &[],
            applied.clone(),
        )
        .await?;
        let mut evidence = offer_evidence(&row);
        evidence.push(EvidenceRef::new("offer_approval", approval.id));
        record(
            &txn,
            scope,
            actor,
            "offer.approved",
            &row,
            evidence,
            json!({ "policy": applied, "approvalId": approval.id }),
        )
        .await?;
    }
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

pub(super) fn check_decision(
    scope: &Scope,
    decision: &Decision,
    comment_required: bool,
) -> DomainResult<Option<String>> {
    let mut checks = Checks::default();
    let comment = if comment_required {
        checks.take(required_text(
            "comment",
            decision.comment.as_deref().unwrap_or_default(),
            MAX_NOTE_CHARS,
        ))
    } else {
        checks
            .take(optional_text(
                "comment",
                decision.comment.as_deref(),
                MAX_NOTE_CHARS,
            ))
            .flatten()
    };
    checks.take(check_evidence("evidence", scope, &decision.evidence));
    checks.finish()?;
    Ok(comment)
}

/// Approves an offer waiting for approval. The approver must be a project member, and not its
/// author when it requires approval (CONFLICT with [`SELF_APPROVAL_REFUSED`], backed by the
/// database trigger). Records the decision with the policy as applied and `offer.approved`
/// with the evidence.
pub async fn approve_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    decision: Decision,
) -> DomainResult<OfferDetail> {
    decide(db, scope, actor, id, OfferDecision::Approved, decision).await
}

/// Rejects an offer waiting for approval (a comment saying why is required); the author edits
/// it back to draft. Records the decision and `offer.rejected`.
pub async fn reject_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    decision: Decision,
) -> DomainResult<OfferDetail> {
    decide(db, scope, actor, id, OfferDecision::Rejected, decision).await
}

async fn decide(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    outcome: OfferDecision,
    decision: Decision,
) -> DomainResult<OfferDetail> {
    let approving = outcome == OfferDecision::Approved;
    let comment = check_decision(scope, &decision, !approving)?;
    let user = actor.user_id.ok_or(DomainError::Forbidden)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    let step = if approving {
        Step::Approve
    } else {
        Step::Reject
    };
    match check_step(
        step,
        approval_stage(row.status),
        row.created_by,
        Some(user),
        row.requires_approval,
    ) {
        Ok(()) => {}
        Err(Refusal::WrongStage) => {
            return Err(status_conflict(
                row.status,
                "offers waiting for approval can be approved or rejected",
            ));
        }
        Err(Refusal::OwnRecord) => {
            return Err(DomainError::Conflict(SELF_APPROVAL_REFUSED.to_owned()));
        }
    }
    crate::kernel::approval::decider(&txn, scope, actor).await?;
    let threshold = approval_threshold(&txn, scope).await?;
    let applied = policy("manual", threshold, &row, row.requires_approval);
    let approval = insert_decision(
        &txn,
        scope,
        &row,
        outcome,
        user,
        comment.clone(),
        &decision.evidence,
        applied.clone(),
    )
    .await?;
    let mut active = row.clone().into_active_model();
    if approving {
        active.status = Set(OfferStatus::Approved);
        active.approved_at = Set(Some(now.into()));
    } else {
        active.status = Set(OfferStatus::Rejected);
        active.rejected_at = Set(Some(now.into()));
    }
    let row = active.update(&txn).await?;
    let mut evidence = offer_evidence(&row);
    evidence.push(EvidenceRef::new("offer_approval", approval.id));
    evidence.extend(decision.evidence.iter().cloned());
    record(
        &txn,
        scope,
        actor,
        if approving {
            "offer.approved"
        } else {
            "offer.rejected"
        },
        &row,
        evidence,
        json!({ "comment": comment, "policy": applied, "approvalId": approval.id }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Where an offer stands in the approval workflow.
fn approval_stage(status: OfferStatus) -> ApprovalStage {
    match status {
        OfferStatus::Draft => ApprovalStage::Draft,
        OfferStatus::PendingApproval => ApprovalStage::Pending,
        _ => ApprovalStage::Decided,
    }
}
