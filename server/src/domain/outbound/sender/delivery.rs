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
pub(super) async fn renew(
    db: &DatabaseConnection,
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
    if !renew(db, claimed.message_id, options).await? {
        report.lost += 1;
        return Ok(());
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
