//! The checks made again at send time: the contact's latest conversation, opt-outs and frequency caps.
use super::*;

/// The final states the sender (and its hooks) know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome<'a> {
    Sent,
    Failed,
    Blocked(&'a str),
    Cancelled,
}

/// Re-checks a message (locked by the caller's transaction) and leases it with a running
/// attempt when it may go out; otherwise writes why not. `None` when it is not to be posted.
pub(super) async fn prepare(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: Row,
    options: &SenderOptions,
    report: &mut BatchReport,
) -> Result<Option<Claimed>, SenderError> {
    if row.origin_kind == OutboundOriginKind::Campaign {
        match campaign_status(txn, &row).await?.as_deref() {
            Some("paused") => {
                defer(txn, row.id, options.campaign_pause_delay, true).await?;
                report.deferred += 1;
                return Ok(None);
            }
            Some("cancelled") | None => {
                cancel(txn, scope, &row).await?;
                report.cancelled += 1;
                return Ok(None);
            }
            Some(_) => {}
        }
    }
    if !row.approved {
        block(txn, scope, &row, "not_approved", options).await?;
        report.blocked += 1;
        return Ok(None);
    }
    if opted_out(txn, &row).await? {
        block(txn, scope, &row, "opted_out", options).await?;
        report.blocked += 1;
        return Ok(None);
    }
    if over_cap(txn, scope, &row).await? {
        block(txn, scope, &row, "frequency_cap", options).await?;
        report.blocked += 1;
        return Ok(None);
    }
    if row.attempts >= row.max_attempts {
        let error = format!("gave up after {} attempts", row.attempts);
        fail(txn, scope, &row, &error, false, options).await?;
        report.failed += 1;
        return Ok(None);
    }
    let Some(source) = list_sources(txn, scope).await?.into_iter().next() else {
        fail(
            txn,
            scope,
            &row,
            "the project has no Chatwoot source to send through",
            true,
            options,
        )
        .await?;
        report.failed += 1;
        return Ok(None);
    };
    if !source.enabled {
        defer(txn, row.id, options.source_disabled_delay, true).await?;
        report.deferred += 1;
        return Ok(None);
    }
    let conversation = match &row.conversation {
        Some(c) => Some(c.clone()),
        None => latest_conversation(txn, &row, source.account_id).await?,
    };
    let display_id = conversation
        .as_deref()
        .and_then(|c| display_id(row.project_id, source.account_id, c));
    let (Some(conversation), Some(display_id)) = (conversation, display_id) else {
        let error = if row.conversation.is_some() {
            "the message's conversation is not in the project's Chatwoot account"
        } else {
            "the contact has no conversation to post into"
        };
        fail(txn, scope, &row, error, true, options).await?;
        report.failed += 1;
        return Ok(None);
    };
    let attempt = txn
        .query_one_raw(stmt(
            txn,
            "with m as ( \
               update outbound_messages set locked_by = $2, \
                 lease_expires_at = now() + make_interval(secs => $3), \
                 conversation_global_id = $4 \
               where id = $1 returning project_id, account_scope_id, id \
             ) \
             insert into outbound_attempts (project_id, account_scope_id, outbound_message_id, \
               attempt_no, status, worker_id) \
             select m.project_id, m.account_scope_id, m.id, \
               coalesce((select max(attempt_no) from outbound_attempts \
                         where outbound_message_id = $1), 0) + 1, 'running', $2 \
             from m returning id",
            [
                row.id.into(),
                options.worker_id.clone().into(),
                secs(options.effective_lease()),
                conversation.clone().into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("outbound message to lease".to_owned()))?;
    Ok(Some(Claimed {
        message_id: row.id,
        scope: *scope,
        contact_id: row.contact,
        origin_kind: row.origin_kind,
        content: row.content,
        conversation_id: Some(conversation),
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        work: Work::Send {
            attempt_id: attempt.try_get("", "id")?,
            display_id,
        },
        source: Some(source),
    }))
}

/// The Chatwoot display id of `conversation` when it is a `cw:` id of the project and of the
/// source's account.
pub(super) fn display_id(project_id: Uuid, account_id: i64, conversation: &str) -> Option<i64> {
    if !is_global_id_of(project_id, "cw", conversation) {
        return None;
    }
    let mut parts = conversation.rsplit(':');
    let display = parts.next()?.parse::<i64>().ok()?;
    let account = parts.next()?.parse::<i64>().ok()?;
    (account == account_id).then_some(display)
}

/// The contact's most recently active conversation in the source's account.
pub(super) async fn latest_conversation(
    txn: &DatabaseTransaction,
    row: &Row,
    account_id: i64,
) -> Result<Option<String>, DbErr> {
    let found = txn
        .query_one_raw(stmt(
            txn,
            "select id from cw_conversations \
             where project_id = $1 and contact_global_id = $2 and account_id = $3 \
             order by updated_at desc nulls last, created_at desc, id desc limit 1",
            [
                row.project_id.into(),
                row.contact.clone().into(),
                account_id.into(),
            ],
        ))
        .await?;
    found.map(|r| r.try_get::<String>("", "id")).transpose()
}

pub(super) async fn opted_out(txn: &DatabaseTransaction, row: &Row) -> Result<bool, DbErr> {
    let found = txn
        .query_one_raw(stmt(
            txn,
            "select exists (select 1 from contact_channel_policies \
               where project_id = $1 and contact_global_id = $2 and opted_out \
                 and channel in ($3, 'all')) as opted_out",
            [
                row.project_id.into(),
                row.contact.clone().into(),
                row.channel.clone().into(),
            ],
        ))
        .await?;
    Ok(match found {
        Some(r) => r.try_get("", "opted_out")?,
        None => false,
    })
}

/// Whether sending `row` now would exceed the contact's cap on its channel: the channel's own
/// cap, else the `all` cap, else the project default. Counts messages sent within the window
/// and those being sent right now, plus this one; serialised per contact and channel so two
/// senders cannot both take the last slot.
pub(super) async fn over_cap(
    txn: &DatabaseTransaction,
    scope: &Scope,
    row: &Row,
) -> Result<bool, SenderError> {
    txn.execute_raw(stmt(
        txn,
        "select pg_advisory_xact_lock(hashtextextended($1, 0))",
        [format!(
            "outbound:{}:{}:{}",
            row.project_id, row.contact, row.channel
        )
        .into()],
    ))
    .await?;
    let own = txn
        .query_one_raw(stmt(
            txn,
            "select frequency_cap, frequency_window_seconds from contact_channel_policies \
             where project_id = $1 and contact_global_id = $2 and channel in ($3, 'all') \
               and frequency_cap is not null \
             order by (channel = 'all') limit 1",
            [
                row.project_id.into(),
                row.contact.clone().into(),
                row.channel.clone().into(),
            ],
        ))
        .await?;
    let (cap, window) = match own {
        Some(r) => (
            r.try_get::<i32>("", "frequency_cap")?,
            r.try_get::<i32>("", "frequency_window_seconds")?,
        ),
        None => {
            let settings = policies::settings(txn, scope).await?;
            (settings.frequency_cap, settings.frequency_window_seconds)
        }
    };
    let recent = txn
        .query_one_raw(stmt(
            txn,
            "select count(*) as n from outbound_messages \
             where project_id = $1 and contact_global_id = $2 and channel = $3 and id <> $4 \
               and ((status = 'sent' and sent_at > now() - make_interval(secs => $5)) \
                 or (status = 'queued' and locked_by is not null and lease_expires_at > now()))",
            [
                row.project_id.into(),
                row.contact.clone().into(),
                row.channel.clone().into(),
                row.id.into(),
                f64::from(window).into(),
            ],
        ))
        .await?;
    let recent = match recent {
        Some(r) => r.try_get::<i64>("", "n")?,
        None => 0,
    };
    Ok(recent + 1 > i64::from(cap))
}
