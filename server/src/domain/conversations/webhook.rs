//! Applying a verified Chatwoot webhook: the delivery is recorded in `webhook_deliveries`
//! (unique per source and `X-Chatwoot-Delivery`) and its rows are upserted through the same
//! normaliser and store as the REST sync, in one transaction: a replay writes nothing, and a
//! failure leaves nothing behind for Chatwoot's retry to trip over.
use chrono::Utc;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait, Value as DbValue,
};
use serde_json::Value;

use crate::domain::conversations::{
    ids::AccountRef,
    normalize::{self, ContactRow, ConversationRow, MessageRow, NormalizeError},
    sources::ChatwootSource,
    store::{self, Written},
};
use crate::{
    integrations::chatwoot::payload::{EventKind, WebhookEnvelope},
    kernel::Scope,
};

/// What applying a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Rows were upserted.
    Applied {
        /// The event.
        event: String,
        /// Rows inserted or changed.
        written: u64,
    },
    /// Recorded but not applied (typing, inbox events, ...).
    Ignored {
        /// The event.
        event: String,
    },
}

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// This delivery id was already received for the source.
    #[error("delivery already received")]
    Duplicate,
    /// The body names another Chatwoot account than the source's.
    #[error("the body belongs to another Chatwoot account")]
    WrongAccount,
    /// The body is JSON but not a usable Chatwoot payload.
    #[error("invalid payload: {0}")]
    Invalid(#[from] NormalizeError),
    /// The database failed.
    #[error("database error")]
    Database(#[from] DbErr),
}

#[derive(Default)]
struct Rows {
    contacts: Vec<ContactRow>,
    conversations: Vec<ConversationRow>,
    messages: Vec<MessageRow>,
}

fn rows_for(account: &AccountRef, envelope: &WebhookEnvelope) -> Result<Rows, NormalizeError> {
    let data = envelope.data();
    let mut rows = Rows::default();
    match envelope.kind() {
        EventKind::Message => {
            let mut message = normalize::message(account, &data, None)?;
            if envelope.event == "message_updated" && data.get("updated_at").is_none() {
                // The body carries no edit time; the delivery is the best evidence of one.
                message.updated_at = Some(Utc::now());
            }
            if let Some(conversation) = data
                .get("conversation")
                .filter(|c| c.is_object())
                .and_then(|c| normalize::conversation(account, c).ok())
            {
                rows.contacts.extend(conversation.sender);
                rows.conversations.push(conversation.row);
            }
            rows.messages.push(message);
        }
        EventKind::Conversation => {
            let conversation = normalize::conversation(account, &data)?;
            let link = conversation.link();
            // Nested messages use the REST form.
            if let Some(Value::Array(messages)) = data.get("messages") {
                for raw in messages {
                    if let Ok(row) = normalize::message(account, raw, Some(&link)) {
                        rows.messages.push(row);
                    }
                }
            }
            rows.contacts.extend(conversation.sender);
            rows.conversations.push(conversation.row);
        }
        EventKind::Contact => rows.contacts.push(normalize::contact(account, &data)?),
        EventKind::Ignored => {}
    }
    Ok(rows)
}

/// What identifies a delivery: either key seen before makes it a duplicate.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// `X-Chatwoot-Delivery`, or the body's digest when Chatwoot sent none.
    pub id: &'a str,
    /// sha256 of "{timestamp}.{body}" when the delivery was signed.
    pub signed_digest: Option<&'a str>,
}

/// Records and applies one verified delivery for `source`.
pub async fn apply_webhook(
    db: &DatabaseConnection,
    scope: &Scope,
    source: &ChatwootSource,
    delivery: Delivery<'_>,
    envelope: &WebhookEnvelope,
) -> Result<WebhookOutcome, WebhookError> {
    if envelope
        .account_id()
        .is_some_and(|id| id != source.account_id)
    {
        return Err(WebhookError::WrongAccount);
    }
    let account = AccountRef {
        project_id: scope.project_id(),
        account_id: source.account_id,
    };
    let rows = rows_for(&account, envelope)?;
    let ignored = envelope.kind() == EventKind::Ignored;
    let txn = db.begin().await?;
    let recorded = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "insert into webhook_deliveries \
               (project_id, account_scope_id, source_id, delivery_id, signed_digest, event, \
                payload, status, processed_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, now()) \
             on conflict do nothing returning id",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                source.id.into(),
                delivery.id.into(),
                delivery.signed_digest.map(str::to_owned).into(),
                envelope.event.clone().into(),
                DbValue::Json(Some(Box::new(Value::Object(envelope.body.clone())))),
                if ignored { "ignored" } else { "processed" }.into(),
            ],
        ))
        .await?;
    if recorded.is_none() {
        return Err(WebhookError::Duplicate);
    }
    let mut written = Written::default();
    written.add(store::upsert_contacts(&txn, scope, rows.contacts).await?);
    written.add(store::upsert_conversations(&txn, scope, &rows.conversations).await?);
    written.add(
        store::upsert_messages(&txn, scope, &rows.messages)
            .await?
            .written,
    );
    txn.commit().await?;
    Ok(if ignored {
        WebhookOutcome::Ignored {
            event: envelope.event.clone(),
        }
    } else {
        WebhookOutcome::Applied {
            event: envelope.event.clone(),
            written: written.inserted + written.updated,
        }
    })
}
