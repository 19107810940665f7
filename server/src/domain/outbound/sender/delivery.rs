//! Posting claimed messages to Chatwoot, one batch at a time.
use super::*;

/// The body of the one POST of a message: its text, public and outgoing, with the marker a
/// reconciliation looks for (`content_attributes` is stored by Chatwoot; `echo_id` is only
/// relayed to live clients, but costs nothing).
pub fn post_body(message_id: Uuid, content: &str) -> Value {
    json!({
        "content": content,
        "message_type": "outgoing",
        "private": false,
        "echo_id": message_id.to_string(),
        "content_attributes": { MARKER_KEY: message_id.to_string() },
    })
}

/// Caches one client per source for a batch.
#[derive(Default)]
pub(super) struct Clients(HashMap<Uuid, ChatwootClient>);

impl Clients {
    pub(super) fn get(
        &mut self,
        source: &ChatwootSource,
        options: &ClientOptions,
    ) -> Result<ChatwootClient, ChatwootError> {
        if let Some(client) = self.0.get(&source.id) {
            return Ok(client.clone());
        }
        let client = ChatwootClient::new(
            &source.base_url,
            source.account_id,
            &source.api_access_token,
            options,
        )?;
        self.0.insert(source.id, client.clone());
        Ok(client)
    }
}

/// Posts a claimed message once, without recording anything (the sender's own step; tests
/// call it alone to play a sender that dies right after posting). Refuses a message that must
/// be reconciled first.
pub async fn post_claimed(
    claimed: &Claimed,
    options: &SenderOptions,
) -> Result<Value, ChatwootError> {
    let Work::Send { display_id, .. } = claimed.work else {
        return Err(ChatwootError::Config(
            "an earlier attempt must be reconciled before posting".to_owned(),
        ));
    };
    let source = claimed
        .source
        .as_ref()
        .ok_or_else(|| ChatwootError::Config("no Chatwoot source".to_owned()))?;
    let client = Clients::default().get(source, &options.client)?;
    client
        .create_message(display_id, &post_body(claimed.message_id, &claimed.content))
        .await
}

/// Renews this sender's lease on `id` right before a Chatwoot call; false when the lease is
/// gone (expired and maybe taken over, or the message settled): then nothing may be posted.
pub(super) async fn renew<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    options: &SenderOptions,
) -> Result<bool, DbErr> {
    let result = db
        .execute_raw(stmt(
            db,
            "update outbound_messages set lease_expires_at = now() + make_interval(secs => $3) \
             where id = $1 and locked_by = $2 and status = 'queued' and lease_expires_at > now()",
            [
                id.into(),
                options.worker_id.clone().into(),
                secs(options.effective_lease()),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// What the last look before a POST found.
enum LastLook {
    /// Still approved, not opted out, within its cap, and the lease renewed: post it.
    Post,
    /// Blocked now (recorded); nothing may be posted.
    Blocked,
    /// The lease is gone; someone else owns the message now.
    Lost,
}

/// Checks approval, opt-out and the frequency cap again and renews the lease, in the one
/// transaction that holds the message's row: an opt-out recorded after the batch was claimed
/// still stops the message, and no opt-out can land between this check and the POST's lease.
async fn last_look(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: &Claimed,
    attempt_id: i64,
) -> Result<LastLook, SenderError> {
    let txn = db.begin().await?;
    let row = txn
        .query_one_raw(stmt(
            &txn,
            &format!(
                "select {ROW_COLUMNS} from outbound_messages m \
                 where m.id = $1 and m.status = 'queued' and m.locked_by = $2 \
                   and m.lease_expires_at > now() for update of m"
            ),
            [claimed.message_id.into(), options.worker_id.clone().into()],
        ))
        .await?
        .map(|r| Row::read(&r))
        .transpose()?;
    let Some(row) = row else {
        txn.commit().await?;
        return Ok(LastLook::Lost);
    };
    let refusal = if !row.approved {
        Some("not_approved")
    } else if opted_out(&txn, &row).await? {
        Some("opted_out")
    } else if over_cap(&txn, &claimed.scope, &row).await? {
        Some("frequency_cap")
    } else {
        None
    };
    let look = match refusal {
        Some(reason) => {
            block_leased(&txn, &claimed.scope, &row, reason, attempt_id).await?;
            LastLook::Blocked
        }
        None if renew(&txn, row.id, options).await? => LastLook::Post,
        None => LastLook::Lost,
    };
    txn.commit().await?;
    Ok(look)
}

/// Claims one batch and delivers it. Tests call it until it reports idle. A message whose
/// delivery fails on the database is left to its lease (it is reconciled once the lease
/// expires) and the batch goes on with the others.
pub async fn process_batch(
    db: &DatabaseConnection,
    options: &SenderOptions,
) -> Result<BatchReport, SenderError> {
    let (claimed, mut report) = claim(db, options).await?;
    let mut clients = Clients::default();
    for c in claimed {
        let id = c.message_id;
        if let Err(e) = deliver(db, options, c, &mut clients, &mut report).await {
            tracing::warn!(message = %id, error = %e, "outbound delivery interrupted");
            report.lost += 1;
        }
    }
    Ok(report)
}

/// Delivers one claimed message: reconciles first when it must, then posts and records.
pub async fn deliver_claimed(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: Claimed,
) -> Result<BatchReport, SenderError> {
    let mut report = BatchReport::default();
    deliver(db, options, claimed, &mut Clients::default(), &mut report).await?;
    Ok(report)
}

pub(super) async fn deliver(
    db: &DatabaseConnection,
    options: &SenderOptions,
    claimed: Claimed,
    clients: &mut Clients,
    report: &mut BatchReport,
) -> Result<(), SenderError> {
    let claimed = match claimed.work {
        Work::Send { .. } => claimed,
        Work::Reconcile {
            attempt_id,
            running,
            started_at,
        } => match reconcile(
            db, options, &claimed, clients, attempt_id, running, started_at, report,
        )
        .await?
        {
            Some(next) => next,
            None => return Ok(()),
        },
    };
    let Work::Send {
        attempt_id,
        display_id,
    } = claimed.work
    else {
        return Ok(());
    };
    let client = match claimed
        .source
        .as_ref()
        .map(|s| clients.get(s, &options.client))
    {
        Some(Ok(client)) => client,
        Some(Err(e)) => {
            return record_failure(db, options, &claimed, attempt_id, &e, report).await;
        }
        None => {
            let e = ChatwootError::Config("no Chatwoot source".to_owned());
            return record_failure(db, options, &claimed, attempt_id, &e, report).await;
        }
    };
    match last_look(db, options, &claimed, attempt_id).await? {
        LastLook::Post => {}
        LastLook::Blocked => {
            report.blocked += 1;
            return Ok(());
        }
        LastLook::Lost => {
            report.lost += 1;
            return Ok(());
        }
    }
    let body = post_body(claimed.message_id, &claimed.content);
    match client.create_message(display_id, &body).await {
        Ok(response) => {
            let chatwoot_id = response.get("id").and_then(lenient_i64);
            if record_sent(
                db,
                options,
                &claimed,
                Delivered::Posted(attempt_id),
                chatwoot_id,
            )
            .await?
            {
                report.sent += 1;
            } else {
                report.lost += 1;
            }
            Ok(())
        }
        Err(e) => record_failure(db, options, &claimed, attempt_id, &e, report).await,
    }
}
