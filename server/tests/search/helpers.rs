//! A fresh, migrated database per test, projects with their scope, messages written straight
//! into `cw_messages`, and small query helpers.
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use server::{
    domain::search::{Chunker, index::MessageText, index::index_messages_with},
    integrations::embeddings::{EmbeddingProvider, OpenAiOptions, OpenAiProvider},
    kernel::Scope,
};

use testkit::fake_openai::FakeOpenAi;
pub use testkit::{TestDb, exec, strings};

/// Chatwoot account id of every test project.
pub const ACCOUNT_ID: i64 = 7;

/// `cw:` id of a conversation in `scope`.
pub fn conversation_id(scope: &Scope, conversation: i64) -> String {
    format!("cw:{}:{ACCOUNT_ID}:{conversation}", scope.project_id())
}

/// `cwc:` id of a contact in `scope`.
pub fn contact_id(scope: &Scope, contact: i64) -> String {
    format!("cwc:{}:{ACCOUNT_ID}:{contact}", scope.project_id())
}

/// `cwmsg:` id of a message in `scope`.
pub fn message_id(scope: &Scope, message: i64) -> String {
    format!("cwmsg:{}:{ACCOUNT_ID}:{message}", scope.project_id())
}

/// An incoming message of conversation 1 (contact 1).
pub fn message(scope: &Scope, id: i64, content: &str) -> MessageText {
    MessageText {
        id: message_id(scope, id),
        conversation_global_id: Some(conversation_id(scope, 1)),
        contact_global_id: Some(contact_id(scope, 1)),
        private: false,
        message_type: Some("incoming".to_owned()),
        content: Some(content.to_owned()),
        created_at: Some(chrono::Utc::now()),
    }
}

/// Writes `messages` into `cw_messages` (and their conversations) and indexes them with
/// `chunker`, in one transaction, as ingestion does.
pub async fn ingest(db: &DatabaseConnection, scope: &Scope, messages: &[MessageText]) {
    ingest_with(db, scope, messages, &Chunker::default()).await;
}

/// [`ingest`] with a chunker.
pub async fn ingest_with(
    db: &DatabaseConnection,
    scope: &Scope,
    messages: &[MessageText],
    chunker: &Chunker,
) {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await.expect("begin");
    for m in messages {
        let (account, conversation) = parse_ids(m);
        if let Some(conv) = &m.conversation_global_id {
            txn.execute_raw(Statement::from_sql_and_values(
                txn.get_database_backend(),
                "insert into cw_conversations (id, project_id, account_scope_id, account_id, \
                   conversation_id, contact_global_id, inbox_id, data) \
                 values ($1, $2, $3, $4, $5, $6, $7, '{}') on conflict (id) do nothing",
                [
                    conv.clone().into(),
                    scope.project_id().into(),
                    scope.account_scope_id().into(),
                    account.into(),
                    conversation.into(),
                    m.contact_global_id.clone().into(),
                    // Inbox = conversation id modulo 3 + 1: something to filter by.
                    (conversation % 3 + 1).into(),
                ],
            ))
            .await
            .expect("conversation");
        }
        let message_number: i64 =
            m.id.rsplit(':')
                .next()
                .and_then(|s| s.parse().ok())
                .expect("message number");
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "insert into cw_messages (id, project_id, account_scope_id, account_id, message_id, \
               conversation_id, conversation_global_id, contact_global_id, private, message_type, \
               content, data, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '{}', $12) \
             on conflict (id) do update set content = excluded.content, \
               private = excluded.private, message_type = excluded.message_type",
            [
                m.id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account.into(),
                message_number.into(),
                conversation.into(),
                m.conversation_global_id.clone().into(),
                m.contact_global_id.clone().into(),
                m.private.into(),
                m.message_type.clone().into(),
                m.content.clone().into(),
                m.created_at.into(),
            ],
        ))
        .await
        .expect("message");
    }
    index_messages_with(&txn, scope, messages, chunker)
        .await
        .expect("index messages");
    txn.commit().await.expect("commit");
}

fn parse_ids(m: &MessageText) -> (i64, i64) {
    let conversation = m
        .conversation_global_id
        .as_deref()
        .and_then(|c| c.rsplit(':').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (ACCOUNT_ID, conversation)
}

/// An OpenAI-compatible provider pointed at the fake.
pub fn openai_provider(fake: &FakeOpenAi, max_inputs: usize) -> Arc<dyn EmbeddingProvider> {
    Arc::new(
        OpenAiProvider::new(OpenAiOptions {
            base_url: fake.base_url(),
            api_key: Some("sk-test-key".to_owned()),
            model: "fake-embedding".to_owned(),
            dimensions: Some(fake.dims()),
            max_batch_inputs: max_inputs,
            base_delay: std::time::Duration::from_millis(10),
            max_delay: std::time::Duration::from_millis(50),
            max_retries: 3,
            ..OpenAiOptions::default()
        })
        .expect("valid provider"),
    )
}
