//! Recording what happened to a message: attempts, audit events, blocking, failing, cancelling, and the hooks that tell campaigns and offers.
use super::*;

pub(super) async fn insert_attempt(
    txn: &DatabaseTransaction,
    row_id: Uuid,
    status: &str,
    retryable: Option<bool>,
    error: &str,
    options: &SenderOptions,
) -> Result<(), DbErr> {
    txn.execute_raw(stmt(
        txn,
        "insert into outbound_attempts (project_id, account_scope_id, outbound_message_id, \
           attempt_no, status, retryable, error, worker_id, finished_at) \
         select m.project_id, m.account_scope_id, m.id, \
           coalesce((select max(attempt_no) from outbound_attempts \
                     where outbound_message_id = m.id), 0) + 1, $2, $3, $4, $5, now() \
         from outbound_messages m where m.id = $1",
        [
            row_id.into(),
            status.into(),
            retryable.into(),
            error.into(),
            options.worker_id.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

pub(super) async fn audit_outcome(
    txn: &DatabaseTransaction,
    scope: &Scope,
    id: Uuid,
    contact: &str,
    action: &'static str,
    meta: Value,
) -> Result<(), SenderError> {
    audit::record(
        txn,
        AuditEntry {
            scope: Some(*scope),
            actor: ACTOR.to_owned(),
            action,
            target_kind: Some("outbound_message"),
            target_id: Some(id.to_string()),
            evidence: vec![
                EvidenceRef::new("outbound_message", id),
                EvidenceRef::new("contact", contact),
            ],
            meta,
        },
    )
    .await?;
    Ok(())
}

/// Ends a message `blocked` with `reason`, with a `blocked` attempt row.
pub(super) async fn block(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
    reason: &str,
    options: &SenderOptions,
) -> Result<(), SenderError> {
    insert_attempt(txn, row.id, "blocked", None, reason, options).await?;
    settle_blocked(txn, scope, row, reason).await
}

/// Blocks a leased message whose running attempt never posted: that attempt ends `blocked`.
pub(super) async fn block_leased(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
    reason: &str,
    attempt_id: i64,
) -> Result<(), SenderError> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_attempts set status = 'blocked', error = $2, finished_at = now() \
         where id = $1 and status = 'running'",
        [attempt_id.into(), reason.into()],
    ))
    .await?;
    settle_blocked(txn, scope, row, reason).await
}

/// Marks the message blocked, runs its origin's hooks and audits it.
async fn settle_blocked(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
    reason: &str,
) -> Result<(), SenderError> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set status = 'blocked', blocked_reason = $2, \
           locked_by = null, lease_expires_at = null, next_attempt_at = null where id = $1",
        [row.id.into(), reason.into()],
    ))
    .await?;
    hooks(
        txn,
        row.project_id,
        row.id,
        row.origin_kind,
        Outcome::Blocked(reason),
    )
    .await?;
    audit_outcome(
        txn,
        scope,
        row.id,
        &row.contact,
        "outbound.message.blocked",
        json!({ "reason": reason, "channel": row.channel }),
    )
    .await
}

/// Ends a message `failed` with `error`; `with_attempt` records the refusal as an attempt.
pub(super) async fn fail(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
    error: &str,
    with_attempt: bool,
    options: &SenderOptions,
) -> Result<(), SenderError> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set status = 'failed', last_error = $2, \
           locked_by = null, lease_expires_at = null, next_attempt_at = null where id = $1",
        [row.id.into(), error.into()],
    ))
    .await?;
    if with_attempt {
        insert_attempt(txn, row.id, "failed", Some(false), error, options).await?;
    }
    hooks(
        txn,
        row.project_id,
        row.id,
        row.origin_kind,
        Outcome::Failed,
    )
    .await?;
    audit_outcome(
        txn,
        scope,
        row.id,
        &row.contact,
        "outbound.message.failed",
        json!({ "error": error, "attempts": row.attempts }),
    )
    .await
}

/// Cancels a message whose campaign was cancelled (or no longer exists).
pub(super) async fn cancel(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
) -> Result<(), SenderError> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set status = 'cancelled', blocked_reason = 'campaign_cancelled', \
           locked_by = null, lease_expires_at = null, next_attempt_at = null where id = $1",
        [row.id.into()],
    ))
    .await?;
    hooks(
        txn,
        row.project_id,
        row.id,
        row.origin_kind,
        Outcome::Cancelled,
    )
    .await?;
    audit_outcome(
        txn,
        scope,
        row.id,
        &row.contact,
        "outbound.message.cancelled",
        json!({ "reason": "campaign_cancelled", "campaignId": row.origin_id }),
    )
    .await
}

/// What a final status means for the campaign member or offer the message carries, written
/// in the same transaction as that status.
pub(super) async fn hooks(
    txn: &DatabaseTransaction,
    project_id: Uuid,
    message_id: Uuid,
    origin: OutboundOriginKind,
    outcome: Outcome<'_>,
) -> Result<(), DbErr> {
    match origin {
        OutboundOriginKind::Campaign => {
            let (member_status, event) = match outcome {
                Outcome::Sent => ("sent", Some("sent")),
                Outcome::Failed => ("failed", Some("failed")),
                Outcome::Blocked("opted_out") => ("opted_out", Some("opted_out")),
                Outcome::Blocked(_) | Outcome::Cancelled => ("skipped", None),
            };
            let meta = match outcome {
                Outcome::Blocked(reason) => json!({ "reason": reason }),
                _ => json!({}),
            };
            txn.execute_raw(stmt(
                txn,
                "with m as ( \
                   update campaign_members set status = $3, last_event_at = now() \
                   where project_id = $1 and outbound_message_id = $2 \
                   returning id, project_id, account_scope_id, campaign_id, contact_global_id \
                 ) \
                 insert into campaign_events (project_id, account_scope_id, campaign_id, \
                   member_id, contact_global_id, event_type, outbound_message_id, meta) \
                 select m.project_id, m.account_scope_id, m.campaign_id, m.id, \
                   m.contact_global_id, $4::text, $2, $5::jsonb \
                 from m where $4::text is not null",
                [
                    project_id.into(),
                    message_id.into(),
                    member_status.into(),
                    event.map(str::to_owned).into(),
                    DbValue::Json(Some(Box::new(meta))),
                ],
            ))
            .await?;
        }
        OutboundOriginKind::Offer if outcome == Outcome::Sent => {
            txn.execute_raw(stmt(
                txn,
                "update offers set status = 'sent', sent_at = now() \
                 where project_id = $1 and outbound_message_id = $2 and status = 'approved'",
                [project_id.into(), message_id.into()],
            ))
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// How a message was found to be in Chatwoot.
#[derive(Debug, Clone, Copy)]
pub(super) enum Delivered {
    /// The running attempt posted it just now.
    Posted(i64),
    /// A dead sender's running attempt had posted it (found by reconciliation).
    FoundForDeadAttempt(i64),
    /// An attempt that failed ambiguously had in fact posted it (found by reconciliation).
    FoundAfterFailure,
}

/// Records `sent` while this sender still holds the lease: the message, the attempt (the
/// running one, or a new `sent` row saying it was found), the hooks and the audit. False when
/// the lease was lost (nothing written).
pub(super) async fn record_sent(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    delivered: Delivered,
    chatwoot_id: Option<i64>,
) -> Result<bool, SenderError> {
    let (attempt_id, counted, note) = match delivered {
        Delivered::Posted(id) => (Some(id), 1, None),
        Delivered::FoundForDeadAttempt(id) => (
            Some(id),
            1,
            Some("found in Chatwoot after its sender stopped; not posted again"),
        ),
        // The failed attempt was counted when it failed.
        Delivered::FoundAfterFailure => (
            None,
            0,
            Some("found in Chatwoot: an earlier attempt that failed ambiguously had delivered it"),
        ),
    };
    let txn = db.begin().await?;
    let updated = txn
        .execute_raw(stmt(
            &txn,
            "update outbound_messages set status = 'sent', sent_at = now(), \
               chatwoot_message_id = $3, attempts = attempts + $4, last_error = null, \
               locked_by = null, lease_expires_at = null, next_attempt_at = null \
             where id = $1 and locked_by = $2 and status = 'queued'",
            [
                claimed.message_id.into(),
                options.worker_id.clone().into(),
                chatwoot_id.into(),
                counted.into(),
            ],
        ))
        .await?;
    if updated.rows_affected() != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    match attempt_id {
        Some(id) => {
            txn.execute_raw(stmt(
                &txn,
                "update outbound_attempts set status = 'sent', finished_at = now(), \
                   http_status = case when $3::text is null then 200 else http_status end, \
                   chatwoot_message_id = $2, error = $3 \
                 where id = $1",
                [
                    id.into(),
                    chatwoot_id.into(),
                    note.map(str::to_owned).into(),
                ],
            ))
            .await?;
        }
        None => {
            txn.execute_raw(stmt(
                &txn,
                "insert into outbound_attempts (project_id, account_scope_id, \
                   outbound_message_id, attempt_no, status, worker_id, chatwoot_message_id, \
                   error, finished_at) \
                 select m.project_id, m.account_scope_id, m.id, \
                   coalesce((select max(attempt_no) from outbound_attempts \
                             where outbound_message_id = m.id), 0) + 1, \
                   'sent', $2, $3, $4, now() \
                 from outbound_messages m where m.id = $1",
                [
                    claimed.message_id.into(),
                    options.worker_id.clone().into(),
                    chatwoot_id.into(),
                    note.map(str::to_owned).into(),
                ],
            ))
            .await?;
        }
    }
    hooks(
        &txn,
        claimed.scope.project_id(),
        claimed.message_id,
        claimed.origin_kind,
        Outcome::Sent,
    )
    .await?;
    audit_outcome(
        &txn,
        &claimed.scope,
        claimed.message_id,
        &claimed.contact_id,
        "outbound.message.sent",
        json!({
            "chatwootMessageId": chatwoot_id,
            "conversationId": claimed.conversation_id,
            "reconciled": note.is_some(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The wait before the next try after `attempts` tries: exponential with jitter, never
/// shorter than Chatwoot's `Retry-After`.
pub fn retry_delay(options: &SenderOptions, attempts: i32, error: &ChatwootError) -> Duration {
    let n = u32::try_from(attempts.max(1) - 1).unwrap_or(0);
    let delay = backoff(options.base_backoff, options.max_backoff, n);
    match error.retry_after() {
        Some(after) => delay.max(after),
        None => delay,
    }
}

/// Records a failed POST while this sender still holds the lease. Retryable failures wait and
/// stay queued: a possibly-applied one always (the next claim reconciles it, and gives up only
/// once it is known not to be in Chatwoot), a clean one until the attempts run out. Anything
/// else fails the message now.
pub(super) async fn record_failure(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    attempt_id: i64,
    error: &ChatwootError,
    report: &mut BatchReport,
) -> Result<(), SenderError> {
    let attempts = claimed.attempts + 1;
    let retry =
        error.is_retryable() && (error.may_have_been_applied() || attempts < claimed.max_attempts);
    let text = error.to_string();
    let http_status = error.http_status().map(i32::from);
    let txn = db.begin().await?;
    let updated = if retry {
        txn.execute_raw(stmt(
            &txn,
            "update outbound_messages set attempts = attempts + 1, last_error = $3, \
               next_attempt_at = now() + make_interval(secs => $4), \
               locked_by = null, lease_expires_at = null \
             where id = $1 and locked_by = $2 and status = 'queued'",
            [
                claimed.message_id.into(),
                options.worker_id.clone().into(),
                text.clone().into(),
                secs(retry_delay(options, attempts, error)),
            ],
        ))
        .await?
    } else {
        txn.execute_raw(stmt(
            &txn,
            "update outbound_messages set status = 'failed', attempts = attempts + 1, \
               last_error = $3, locked_by = null, lease_expires_at = null, \
               next_attempt_at = null \
             where id = $1 and locked_by = $2 and status = 'queued'",
            [
                claimed.message_id.into(),
                options.worker_id.clone().into(),
                text.clone().into(),
            ],
        ))
        .await?
    };
    if updated.rows_affected() != 1 {
        txn.rollback().await?;
        report.lost += 1;
        return Ok(());
    }
    txn.execute_raw(stmt(
        &txn,
        "update outbound_attempts set status = 'failed', retryable = $2, http_status = $3, \
           error = $4, finished_at = now() where id = $1",
        [
            attempt_id.into(),
            retry.into(),
            http_status.into(),
            text.clone().into(),
        ],
    ))
    .await?;
    if retry {
        report.retry_scheduled += 1;
    } else {
        hooks(
            &txn,
            claimed.scope.project_id(),
            claimed.message_id,
            claimed.origin_kind,
            Outcome::Failed,
        )
        .await?;
        audit_outcome(
            &txn,
            &claimed.scope,
            claimed.message_id,
            &claimed.contact_id,
            "outbound.message.failed",
            json!({ "error": text, "httpStatus": http_status, "attempts": attempts }),
        )
        .await?;
        report.failed += 1;
    }
    txn.commit().await?;
    Ok(())
}

/// Puts off a message whose reconciliation could not reach Chatwoot: nothing is posted, the
/// lease ends now, and it is looked at again after a backoff. A dead attempt keeps the
/// message marked as held (`locked_by`), so it cannot be cancelled while it may be delivered.
pub(super) async fn put_off(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    running: bool,
    error: &ChatwootError,
) -> Result<(), DbErr> {
    let delay = retry_delay(options, claimed.attempts.max(1), error);
    db.execute_raw(stmt(
        db,
        "update outbound_messages set next_attempt_at = now() + make_interval(secs => $3), \
           lease_expires_at = case when $4 then now() else null end, \
           locked_by = case when $4 then locked_by else null end \
         where id = $1 and locked_by = $2 and status = 'queued'",
        [
            claimed.message_id.into(),
            options.worker_id.clone().into(),
            secs(delay),
            running.into(),
        ],
    ))
    .await?;
    Ok(())
}
