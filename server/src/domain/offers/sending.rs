//! After approval: handing an offer to outbound, recording the customer's answer, expiry.
use super::{approval::check_decision, *};

/// Hands an approved offer to the outbound pipeline: renders it ([`render::message_text`]),
/// inserts one queued, approved message (origin `offer`) into the recipient's latest
/// conversation and stores its id on the offer, which stays `approved` until the sender marks
/// it `sent`. CONFLICT when it is not approved, past its validity, or already queued (a new
/// message is allowed only after the previous one failed, was blocked or was cancelled).
/// Records `offer.send_queued`.
pub async fn send_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<OfferDetail> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if row.status != OfferStatus::Approved {
        return Err(status_conflict(row.status, "approved offers can be sent"));
    }
    if let Some(previous) = row.outbound_message_id {
        let live = outbound_messages::Entity::find_by_id(previous)
            .filter(scope.filter_for::<outbound_messages::Entity>())
            .filter(outbound_messages::Column::Status.is_not_in([
                OutboundStatus::Failed,
                OutboundStatus::Blocked,
                OutboundStatus::Cancelled,
            ]))
            .count(&txn)
            .await?;
        if live > 0 {
            return Err(DomainError::Conflict(
                "This offer is already queued for sending".to_owned(),
            ));
        }
    }
    if row.valid_until.is_some_and(|t| t.to_utc() <= now) {
        return Err(DomainError::Conflict(
            "This offer's validity has ended; it can no longer be sent".to_owned(),
        ));
    }
    let (Some(contact), Some(approved_at)) = (row.contact_global_id.clone(), row.approved_at)
    else {
        return Err(DomainError::Conflict(
            "This offer has no recipient or approval".to_owned(),
        ));
    };
    let approvals = approvals_of(&txn, scope, row.id).await?;
    let approved_by = approvals
        .iter()
        .rev()
        .find(|a| a.decision == OfferDecision::Approved)
        .map(|a| a.decided_by);
    let items = items_of(&txn, scope, row.id).await?;
    let offer: Offer = row.clone().into();
    let message_id = handoff::queue(
        &txn,
        scope,
        Handoff {
            contact_global_id: contact.clone(),
            origin_kind: OutboundOriginKind::Offer,
            origin_id: row.id,
            content: render::message_text(&offer, &items),
            created_by: actor.user_id,
            approved_by,
            approved_at: approved_at.to_utc(),
        },
    )
    .await?;
    let mut active = row.into_active_model();
    active.outbound_message_id = Set(Some(message_id));
    let row = active.update(&txn).await?;
    let mut evidence = offer_evidence(&row);
    evidence.push(EvidenceRef::new("outbound_message", message_id));
    evidence.push(EvidenceRef::new("contact", &contact));
    record(
        &txn,
        scope,
        actor,
        "offer.send_queued",
        &row,
        evidence,
        json!({ "outboundMessageId": message_id, "contactId": contact }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Records the customer's answer to a sent offer (`accepted` or `declined`), by the person who
/// received it, with what supports it. Records `offer.accepted` or `offer.declined`.
pub async fn record_answer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    accepted: bool,
    answer: Decision,
) -> DomainResult<OfferDetail> {
    let comment = check_decision(scope, &answer, false)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if row.status != OfferStatus::Sent {
        return Err(status_conflict(
            row.status,
            "sent offers can be accepted or declined",
        ));
    }
    let mut active = row.into_active_model();
    active.status = Set(if accepted {
        OfferStatus::Accepted
    } else {
        OfferStatus::Declined
    });
    active.closed_at = Set(Some(now.into()));
    let row = active.update(&txn).await?;
    let mut evidence = offer_evidence(&row);
    evidence.extend(answer.evidence.iter().cloned());
    record(
        &txn,
        scope,
        actor,
        if accepted {
            "offer.accepted"
        } else {
            "offer.declined"
        },
        &row,
        evidence,
        json!({ "comment": comment, "recordedBy": actor.user_id }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Most offers one [`expire_due`] call expires (the next call takes the rest).
pub const EXPIRE_BATCH: i64 = 500;

/// Expires approved and sent offers of live projects whose validity ended before `now`:
/// status `expired`, `closed_at = now`, a still-queued outbound message cancelled (an expired
/// offer must not reach the customer), and `offer.expired` recorded by `system:offers`. Safe
/// to run from every process at once (rows are claimed with SKIP LOCKED). Returns how many
/// expired.
pub async fn expire_due(db: &DatabaseConnection, now: DateTime<Utc>) -> DomainResult<u64> {
    let txn = db.begin().await?;
    let expired = offers::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "update offers o set status = 'expired', closed_at = $1 \
             where o.id in ( \
               select x.id from offers x \
               join projects p on p.id = x.project_id and p.archived_at is null \
               where x.status in ('approved', 'sent') and x.valid_until < $1 \
               order by x.valid_until, x.id limit $2 \
               for update of x skip locked) \
             returning o.*",
            [now.into(), EXPIRE_BATCH.into()],
        ))
        .all(&txn)
        .await?;
    let actor = Actor::system("offers");
    let mut scopes = std::collections::HashMap::new();
    for row in &expired {
        let scope = match scopes.get(&row.project_id) {
            Some(scope) => *scope,
            None => {
                let scope = Scope::for_project(&txn, row.project_id).await?;
                scopes.insert(row.project_id, scope);
                scope
            }
        };
        let mut cancelled = None;
        if let Some(message) = row.outbound_message_id {
            let result = txn
                .execute_raw(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    "update outbound_messages set status = 'cancelled' \
                     where project_id = $1 and id = $2 \
                       and status in ('draft', 'pending_approval', 'approved', 'queued')",
                    [scope.project_id().into(), message.into()],
                ))
                .await?;
            cancelled = (result.rows_affected() > 0).then_some(message);
        }
        record(
            &txn,
            &scope,
            &actor,
            "offer.expired",
            row,
            offer_evidence(row),
            json!({
                "validUntil": row.valid_until.map(|t| t.to_utc()),
                "cancelledOutboundMessageId": cancelled,
            }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(expired.len() as u64)
}
