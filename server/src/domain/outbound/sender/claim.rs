//! Claiming due messages under a lease (the sender's own queue over `outbound_messages`): the claim query, deferring and leasing.
use super::*;

pub(super) const CLAIM: &str = "select {cols} from outbound_messages m \
    where m.status = 'queued' and m.channel = $2 \
      and (m.next_attempt_at is null or m.next_attempt_at <= now()) \
      and (m.locked_by is null or m.lease_expires_at is null or m.lease_expires_at < now()) \
      and exists (select 1 from projects p where p.id = m.project_id and p.archived_at is null) \
    order by m.next_attempt_at nulls first, m.created_at \
    limit $1 \
    for update of m skip locked";

/// Claims up to `options.batch_size` due messages: defers, blocks, cancels or fails those the
/// send-time checks refuse, and leases the rest (to post, or to reconcile first), in one
/// transaction.
pub async fn claim(
    db: &DatabaseConnection,
    options: &SenderOptions,
) -> Result<(Vec<Claimed>, BatchReport), SenderError> {
    let mut report = BatchReport::default();
    let txn = db.begin().await?;
    let rows = txn
        .query_all_raw(stmt(
            &txn,
            &CLAIM.replace("{cols}", ROW_COLUMNS),
            [
                i64::try_from(options.batch_size).unwrap_or(i64::MAX).into(),
                crate::domain::outbound::CHATWOOT_CHANNEL.into(),
            ],
        ))
        .await?
        .iter()
        .map(Row::read)
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        txn.commit().await?;
        return Ok((Vec::new(), report));
    }
    let mut last = last_attempts(&txn, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let mut scopes: HashMap<Uuid, Scope> = HashMap::new();
    let mut claimed = Vec::new();
    for row in rows {
        let scope = match scopes.get(&row.project_id) {
            Some(scope) => *scope,
            None => {
                let scope = Scope::for_project(&txn, row.project_id).await?;
                scopes.insert(row.project_id, scope);
                scope
            }
        };
        if row.origin_kind == OutboundOriginKind::Campaign
            && campaign_status(&txn, &row).await?.as_deref() == Some("paused")
        {
            defer(&txn, row.id, options.campaign_pause_delay, false).await?;
            report.deferred += 1;
            continue;
        }
        if let Some(attempt) = last
            .remove(&row.id)
            .filter(LastAttempt::may_have_reached_chatwoot)
        {
            lease(&txn, row.id, options).await?;
            let source = list_sources(&txn, &scope).await?.into_iter().next();
            report.claimed += 1;
            claimed.push(Claimed {
                message_id: row.id,
                scope,
                contact_id: row.contact,
                origin_kind: row.origin_kind,
                content: row.content,
                conversation_id: row.conversation,
                attempts: row.attempts,
                max_attempts: row.max_attempts,
                work: Work::Reconcile {
                    attempt_id: attempt.id,
                    running: attempt.status == "running",
                    started_at: attempt.started_at,
                },
                source,
            });
            continue;
        }
        if let Some(c) = prepare(&txn, &scope, row, options, &mut report).await? {
            report.claimed += 1;
            claimed.push(c);
        }
    }
    txn.commit().await?;
    Ok((claimed, report))
}

pub(super) async fn last_attempts(
    txn: &DatabaseTransaction,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, LastAttempt>, DbErr> {
    let rows = txn
        .query_all_raw(stmt(
            txn,
            "select distinct on (a.outbound_message_id) a.outbound_message_id, a.id, \
               a.status, a.retryable, a.http_status, a.started_at \
             from outbound_attempts a \
             where a.outbound_message_id = \
               any(array(select (jsonb_array_elements_text($1::jsonb))::uuid)) \
             order by a.outbound_message_id, a.attempt_no desc",
            [DbValue::Json(Some(Box::new(json!(ids))))],
        ))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert(
            row.try_get::<Uuid>("", "outbound_message_id")?,
            LastAttempt {
                id: row.try_get("", "id")?,
                status: row.try_get("", "status")?,
                retryable: row.try_get("", "retryable")?,
                http_status: row.try_get("", "http_status")?,
                started_at: row.try_get("", "started_at")?,
            },
        );
    }
    Ok(out)
}

/// The status of a campaign message's campaign; `None` when the campaign does not exist.
pub(super) async fn campaign_status(
    txn: &DatabaseTransaction,
    row: &Row,
) -> Result<Option<String>, DbErr> {
    let Some(campaign) = row
        .origin_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id.trim()).ok())
    else {
        return Ok(None);
    };
    let status = txn
        .query_one_raw(stmt(
            txn,
            "select status from campaigns where project_id = $1 and id = $2",
            [row.project_id.into(), campaign.into()],
        ))
        .await?;
    status
        .map(|r| r.try_get::<String>("", "status"))
        .transpose()
}

/// Puts a message off by `delay` without counting an attempt. `release` also ends this
/// sender's lease (the send-time checks run only on messages nothing unresolved is pending on;
/// before them, a dead sender's mark must stay until its attempt is reconciled).
pub(super) async fn defer(
    txn: &DatabaseTransaction,
    id: Uuid,
    delay: Duration,
    release: bool,
) -> Result<(), DbErr> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set next_attempt_at = now() + make_interval(secs => $2), \
           locked_by = case when $3 then null else locked_by end, \
           lease_expires_at = case when $3 then null else lease_expires_at end \
         where id = $1",
        [id.into(), secs(delay), release.into()],
    ))
    .await?;
    Ok(())
}

pub(super) async fn lease(
    txn: &DatabaseTransaction,
    id: Uuid,
    options: &SenderOptions,
) -> Result<(), DbErr> {
    txn.execute_raw(stmt(
        txn,
        "update outbound_messages set locked_by = $2, \
           lease_expires_at = now() + make_interval(secs => $3) where id = $1",
        [
            id.into(),
            options.worker_id.clone().into(),
            secs(options.effective_lease()),
        ],
    ))
    .await?;
    Ok(())
}
