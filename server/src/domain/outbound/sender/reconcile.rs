//! Before posting again: finding a message an unfinished attempt may already have posted (by its marker).
use super::*;

/// Looks for an earlier attempt's message in Chatwoot. Found: records `sent` (`None`
/// returned). Not found: closes a dead attempt and re-runs the send-time checks, returning the
/// message ready to post (or `None` when the checks refused it). Chatwoot unreachable: puts the
/// message off without posting.
#[allow(clippy::too_many_arguments)]
pub(super) async fn reconcile(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    clients: &mut Clients,
    attempt_id: i64,
    running: bool,
    started_at: DateTime<Utc>,
    report: &mut BatchReport,
) -> Result<Option<Claimed>, SenderError> {
    let display = claimed.source.as_ref().and_then(|s| {
        claimed
            .conversation_id
            .as_deref()
            .and_then(|c| display_id(claimed.scope.project_id(), s.account_id, c))
            .map(|d| (s, d))
    });
    // Without a source or a conversation the earlier attempt could not have posted anything.
    let found = match display {
        Some((source, display)) => {
            if !renew(db, claimed.message_id, options).await? {
                report.lost += 1;
                return Ok(None);
            }
            let looked = match clients.get(source, &options.client) {
                Ok(client) => {
                    find_marker(
                        &client,
                        display,
                        claimed,
                        started_at,
                        options.reconcile_pages,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match looked {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(message = %claimed.message_id, error = %e,
                        "could not check Chatwoot for an earlier attempt; retrying later");
                    put_off(db, options, claimed, running, &e).await?;
                    report.deferred += 1;
                    return Ok(None);
                }
            }
        }
        None => None,
    };
    if let Some(chatwoot_id) = found {
        let delivered = if running {
            Delivered::FoundForDeadAttempt(attempt_id)
        } else {
            Delivered::FoundAfterFailure
        };
        if record_sent(db, options, claimed, delivered, chatwoot_id).await? {
            report.sent += 1;
            report.reconciled += 1;
        } else {
            report.lost += 1;
        }
        return Ok(None);
    }

    // Not in Chatwoot: close the dead attempt, then check the message again from scratch.
    let txn = db.begin().await?;
    let row = txn
        .query_one_raw(stmt(
            &txn,
            &format!(
                "select {ROW_COLUMNS} from outbound_messages m \
                 where m.id = $1 and m.locked_by = $2 and m.status = 'queued' for update"
            ),
            [claimed.message_id.into(), options.worker_id.clone().into()],
        ))
        .await?;
    let Some(row) = row.as_ref().map(Row::read).transpose()? else {
        txn.commit().await?;
        report.lost += 1;
        return Ok(None);
    };
    let mut row = row;
    if running {
        txn.execute_raw(stmt(
            &txn,
            "update outbound_attempts set status = 'failed', retryable = true, finished_at = now(), \
               error = 'the sender stopped before recording the outcome; the message is not in \
               Chatwoot' where id = $1 and status = 'running'",
            [attempt_id.into()],
        ))
        .await?;
        txn.execute_raw(stmt(
            &txn,
            "update outbound_messages set attempts = attempts + 1 where id = $1",
            [row.id.into()],
        ))
        .await?;
        row.attempts += 1;
    }
    let next = prepare(&txn, &claimed.scope, row, options, report).await?;
    txn.commit().await?;
    Ok(next)
}

/// Reads the conversation newest first, back to the attempt's start, for the message
/// `claimed` posted: its marker, or (for a Chatwoot that drops `content_attributes`) an
/// outgoing public message with the same text and no marker, written since the attempt began.
/// `Some(chatwoot id)` when found.
pub(super) async fn find_marker(
    client: &ChatwootClient,
    display_id: i64,
    claimed: &Claimed,
    since: DateTime<Utc>,
    pages: usize,
) -> Result<Option<Option<i64>>, ChatwootError> {
    let marker = claimed.message_id.to_string();
    // Chatwoot's clock may differ from the database's.
    let since = since.timestamp() - 60;
    let mut cursor = MessagesCursor::Latest;
    for _ in 0..pages.max(1) {
        let page = client.messages(display_id, cursor).await?;
        for message in page.payload.iter().rev() {
            if is_ours(message, &marker, &claimed.content, since) {
                return Ok(Some(message.get("id").and_then(lenient_i64)));
            }
        }
        let oldest_id = page
            .payload
            .iter()
            .filter_map(|m| m.get("id").and_then(lenient_i64))
            .min();
        let oldest_at = page
            .payload
            .iter()
            .filter_map(|m| m.get("created_at").and_then(lenient_i64))
            .min();
        match (oldest_id, oldest_at) {
            (Some(id), Some(at)) if page.payload.len() >= PAGE_SIZE && at >= since => {
                cursor = MessagesCursor::Before(id);
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// The marker a Chatwoot message carries, if any (`content_attributes` may come as JSON text).
pub(super) fn marker_of(message: &Value) -> Option<String> {
    let attributes = message.get("content_attributes")?;
    let parsed;
    let attributes = match attributes {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).ok()?;
            &parsed
        }
        other => other,
    };
    attributes
        .get(MARKER_KEY)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

pub(super) fn is_ours(message: &Value, marker: &str, content: &str, since_unix: i64) -> bool {
    if let Some(found) = marker_of(message) {
        return found == marker;
    }
    let outgoing = match message.get("message_type") {
        Some(Value::String(t)) => t == "outgoing",
        Some(v) => lenient_i64(v) == Some(1),
        None => false,
    };
    let public = !message
        .get("private")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let same_text = message
        .get("content")
        .and_then(Value::as_str)
        .is_some_and(|c| c.trim() == content.trim());
    let recent = message
        .get("created_at")
        .and_then(lenient_i64)
        .is_some_and(|at| at >= since_unix);
    outgoing && public && same_text && recent
}
