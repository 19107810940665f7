//! Fresh databases, a project with a fixed id, sources bound to the fake, table dumps.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use server::{
    domain::conversations::{
        SyncOptions,
        sources::{ChatwootSource, NewChatwootSource, bind_source},
    },
    integrations::chatwoot::{ClientOptions, RetryPolicy},
    kernel::Scope,
};
use testkit::fake_chatwoot::{FakeChatwoot, Scenario, generate};
pub use testkit::{scalar, strings};
use uuid::Uuid;

/// The Chatwoot account the fake serves.
pub const ACCOUNT_ID: i64 = 7;
/// The fake's API token.
pub const TOKEN: &str = "test-token";
/// Webhook secret of bound sources.
pub const SECRET: &str = "webhook-secret-for-tests";

/// Project id used by every test database, so two databases synced from the same fake can be
/// compared row for row.
pub fn project_id() -> Uuid {
    Uuid::from_u128(0x6f1c2a44_0b7e_4c35_9d8e_2f0a1b3c4d5e)
}

/// A migrated database of its own (the shared `testkit::TestDb`), with the test project.
pub struct TestDb {
    inner: testkit::TestDb,
    /// The project's scope.
    pub scope: Scope,
}

impl std::ops::Deref for TestDb {
    type Target = testkit::TestDb;

    fn deref(&self) -> &testkit::TestDb {
        &self.inner
    }
}

impl TestDb {
    /// A fresh database with the test project.
    pub async fn new() -> Self {
        let inner = testkit::TestDb::new().await;
        let scope = create_project(&inner.db, project_id(), "test").await;
        Self { inner, scope }
    }

    /// Drops the database (tests call it at the end; a failed test leaves its database for
    /// inspection).
    pub async fn drop(self) {
        self.inner.drop().await;
    }
}

/// Creates an account scope and a project with id `project_id` (the scope id is derived from
/// it, so databases built alike hold identical rows).
pub async fn create_project(db: &DatabaseConnection, project_id: Uuid, key: &str) -> Scope {
    let scope_id = Uuid::from_u128(project_id.as_u128() ^ 0x5c09e);
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "insert into account_scopes (id, scope_key, name) values ($1, $2, $2)",
        [scope_id.into(), format!("{key}-{scope_id}").into()],
    ))
    .await
    .expect("account scope");
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "insert into projects (id, name, account_scope_id) values ($1, $2, $3)",
        [
            project_id.into(),
            format!("Project {key}").into(),
            scope_id.into(),
        ],
    ))
    .await
    .expect("project");
    Scope::for_project(db, project_id).await.expect("scope")
}

/// Every row of the Chatwoot mirror, as JSON text in id order.
pub async fn dump(db: &DatabaseConnection) -> Vec<String> {
    let mut rows = Vec::new();
    for table in ["cw_contacts", "cw_conversations", "cw_messages"] {
        rows.extend(
            strings(
                db,
                &format!("select row_to_json(t)::text from {table} t order by id"),
            )
            .await,
        );
    }
    rows
}

/// Asserts two dumps are equal, reporting the first difference instead of both dumps.
pub fn assert_same_rows(actual: &[String], expected: &[String]) {
    if let Some((i, (a, e))) = actual
        .iter()
        .zip(expected)
        .enumerate()
        .find(|(_, (a, e))| a != e)
    {
        panic!("row {i} differs:\n actual:   {a}\n expected: {e}");
    }
    assert_eq!(actual.len(), expected.len(), "row counts differ");
}

/// The fake serving the small scenario.
pub async fn small_fake() -> FakeChatwoot {
    FakeChatwoot::start(generate(&Scenario::small(ACCOUNT_ID)), TOKEN)
        .await
        .expect("fake chatwoot starts")
}

/// Binds the test project to the fake's account.
pub async fn bind(test: &TestDb, base_url: &str, token: &str, verify: bool) -> ChatwootSource {
    bind_source(
        &test.db,
        &test.scope,
        NewChatwootSource {
            account_id: ACCOUNT_ID,
            base_url: base_url.to_owned(),
            api_access_token: token.to_owned(),
            webhook_secret: Some(SECRET.to_owned()),
            verify_signatures: verify,
            sync_interval_seconds: 300,
            enabled: true,
        },
    )
    .await
    .expect("source binds")
}

/// Sync options with quick retries so failure tests stay fast.
pub fn fast_options() -> SyncOptions {
    SyncOptions {
        client: ClientOptions {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(2),
            retry: RetryPolicy {
                max_retries: 2,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(20),
                max_retry_after: Duration::from_secs(5),
            },
            ..ClientOptions::default()
        },
        ..SyncOptions::default()
    }
}
