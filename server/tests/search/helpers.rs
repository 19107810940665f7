//! A fresh, migrated database per test, projects with their scope, messages written straight
//! into `cw_messages`, and small query helpers.
use std::sync::Arc;

use devtools::test_db::FreshDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as DbValue};
use server::{
    config::Config,
    db,
    domain::search::{Chunker, index::MessageText, index::index_messages_with},
    integrations::embeddings::{EmbeddingProvider, OpenAiOptions, OpenAiProvider},
    kernel::Scope,
};
use uuid::Uuid;

use crate::fake_openai::FakeOpenAi;

/// Chatwoot account id of every test project.
pub const ACCOUNT_ID: i64 = 7;

/// A database of its own.
pub struct TestDb {
    /// Pool on it.
    pub db: DatabaseConnection,
    fresh: FreshDatabase,
}

impl TestDb {
    /// Creates and migrates a fresh database.
    pub async fn new() -> Self {
        let fresh = FreshDatabase::create("test_rag").await;
        let config = Config {
            database_url: fresh.url.clone(),
            db_max_connections: 8,
            ..Config::default()
        };
        let pool = db::connect(&config)
            .await
            .expect("connect to test database");
        db::migrate(&pool, &config).await.expect("migrations apply");
        Self { db: pool, fresh }
    }

    /// Drops the database (a failed test leaves its database for inspection).
    pub async fn drop(self) {
        self.db.close().await.ok();
        self.fresh.drop().await;
    }

    /// A new project (with its own account scope).
    pub async fn project(&self, key: &str) -> Scope {
        let project_id = Uuid::new_v4();
        let scope_id = Uuid::new_v4();
        exec(
            &self.db,
            "insert into account_scopes (id, scope_key, name) values ($1, $2, $2)",
            [scope_id.into(), format!("{key}-{scope_id}").into()],
        )
        .await;
        exec(
            &self.db,
            "insert into projects (id, name, account_scope_id) values ($1, $2, $3)",
            [project_id.into(), key.into(), scope_id.into()],
        )
        .await;
        Scope::for_project(&self.db, project_id)
            .await
            .expect("scope")
    }

    /// One integer.
    pub async fn scalar(&self, sql: &str) -> i64 {
        scalar(&self.db, sql).await
    }
}

/// Runs a statement with values.
pub async fn exec<const N: usize>(db: &DatabaseConnection, sql: &str, values: [DbValue; N]) {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// One integer from a query.
pub async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .expect("one row")
    .try_get_by_index::<i64>(0)
    .expect("an integer")
}

/// Strings from a query's first column.
pub async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .into_iter()
    .map(|row| row.try_get_by_index::<String>(0).expect("a string"))
    .collect()
}

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
