//! Schema tests: the SQL migrations of `migration/sql` against a real PostgreSQL with pgvector.
//!
//! Each test creates its own database (random name) on the server of `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5433/postgres`) through that server's `postgres` maintenance
//! database, runs the migrator, and drops the database when the test ends, even when it panics.
mod constraints;
mod entities;
mod migrator;
mod tenancy;

use std::{
    collections::{BTreeMap, BTreeSet},
    ops::Deref,
    path::Path,
};

use entity::enums;
use migration::Migrator;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn,
    QueryResult, RuntimeErr, Set, Statement, TryGetable,
    prelude::{Decimal, PgVector},
    sea_query::ColumnType,
};
use sea_orm_migration::{
    MigrationName, MigrationTrait, MigratorTrait, SchemaManager, prelude::DynIden,
};
use testkit::FreshDatabase;
use uuid::Uuid;

/// Tables named by spec/data-model.md (`schema_migrations` is the migrator's own).
const SPEC_TABLES: &[&str] = &[
    "schema_migrations",
    "projects",
    "sessions",
    "account_scopes",
    "project_sources",
    "cw_contacts",
    "cw_conversations",
    "cw_messages",
    "rag_chunks",
    "sync_watermarks",
    "job_runs",
    "app_users",
    "signup_requests",
    "app_settings",
    "audit_events",
    "evidence_items",
    "outbound_messages",
    "outbound_attempts",
    "contact_channel_policies",
    "scheduled_jobs",
    "worker_runs",
    "crm_accounts",
    "crm_account_contacts",
    "crm_opportunities",
    "crm_opportunity_stage_events",
    "signals",
    "next_best_actions",
    "offers",
    "offer_items",
    "offer_approvals",
    "campaigns",
    "campaign_segments",
    "campaign_members",
    "campaign_events",
    "health_scores",
    "risk_radar_items",
    "case_library_entries",
    "case_evidence_refs",
    "analytics_revenue_snapshots",
];

/// Tables the design adds to the spec's list.
const DESIGNED_TABLES: &[&str] = &[
    "project_members",
    "api_tokens",
    "rate_limits",
    "webhook_deliveries",
    "project_settings",
    "crm_pipeline_stages",
    "crm_health_weights",
    "signal_example_phrases",
];

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// A fresh database for one test, dropped when the value is dropped.
struct TestDb {
    fresh: FreshDatabase,
    db: DatabaseConnection,
}

impl TestDb {
    /// An empty database.
    async fn create() -> Self {
        let fresh = FreshDatabase::create("schema_test").await;
        let mut options = ConnectOptions::new(fresh.url.clone());
        options.max_connections(4).sqlx_logging(false);
        let db = Database::connect(options)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", fresh.url));
        Self { fresh, db }
    }

    /// A database with every migration applied.
    async fn migrated() -> Self {
        let test_db = Self::create().await;
        Migrator::up(&test_db.db, None)
            .await
            .expect("migrations apply");
        test_db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.fresh.drop_blocking();
    }
}

fn stmt(sql: &str) -> Statement {
    Statement::from_string(DbBackend::Postgres, sql.to_owned())
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    if let Err(e) = db.execute_unprepared(sql).await {
        panic!("{sql}\nfailed: {e}");
    }
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<QueryResult> {
    db.query_all_raw(stmt(sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"))
}

async fn scalar<T: TryGetable>(db: &DatabaseConnection, sql: &str) -> T {
    let row = db
        .query_one_raw(stmt(sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"))
        .unwrap_or_else(|| panic!("{sql}\nreturned no row"));
    row.try_get_by_index(0)
        .unwrap_or_else(|e| panic!("{sql}\nfirst column: {e}"))
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    rows(db, sql)
        .await
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
        .collect()
}

/// What Postgres reported for a failed statement.
#[derive(Debug)]
struct PgError {
    code: String,
    constraint: Option<String>,
    message: String,
}

fn pg_error(err: &DbErr) -> PgError {
    if let DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) = err
        && let sea_orm::sqlx::Error::Database(db_err) = e.deref()
    {
        return PgError {
            code: db_err.code().map(|c| c.into_owned()).unwrap_or_default(),
            constraint: db_err.constraint().map(str::to_owned),
            message: db_err.message().to_owned(),
        };
    }
    panic!("not a database error: {err}")
}

/// Runs `sql`, which must fail, and returns the database's error.
async fn exec_err(db: &DatabaseConnection, sql: &str) -> PgError {
    match db.execute_unprepared(sql).await {
        Ok(_) => panic!("expected this statement to fail, it succeeded:\n{sql}"),
        Err(e) => pg_error(&e),
    }
}

fn migration_file_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("migration/sql is readable")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .map(|name| name.trim_end_matches(".sql").to_owned())
        .collect();
    names.sort();
    names
}

/// Two account scopes, each with one project.
struct Tenants {
    project_a: Uuid,
    scope_a: Uuid,
    project_b: Uuid,
    scope_b: Uuid,
}

async fn two_tenants(db: &DatabaseConnection) -> Tenants {
    let t = Tenants {
        project_a: Uuid::new_v4(),
        scope_a: Uuid::new_v4(),
        project_b: Uuid::new_v4(),
        scope_b: Uuid::new_v4(),
    };
    exec(
        db,
        &format!(
            "insert into account_scopes (id, scope_key, name) values
               ('{sa}', 'scope-a', 'Scope A'), ('{sb}', 'scope-b', 'Scope B');
             insert into projects (id, name, account_scope_id) values
               ('{pa}', 'Project A', '{sa}'), ('{pb}', 'Project B', '{sb}');",
            sa = t.scope_a,
            sb = t.scope_b,
            pa = t.project_a,
            pb = t.project_b,
        ),
    )
    .await;
    t
}

/// A minimal valid insert into a sample of scoped tables, for project `p` written with scope `s`.
fn scoped_inserts(p: Uuid, s: Uuid) -> Vec<(&'static str, String)> {
    let evidence = r#"[{"kind": "message", "id": "x"}]"#;
    vec![
        ("project_sources", format!(
            "insert into project_sources (project_id, account_scope_id, source_kind, external_id, source_key, base_url, api_access_token)
             values ('{p}', '{s}', 'chatwoot_account', '1', 'key-{p}', 'http://127.0.0.1:3100', 'secret')")),
        ("cw_contacts", format!(
            "insert into cw_contacts (id, project_id, account_scope_id, account_id, contact_id, data)
             values ('cwc:{p}:1:1', '{p}', '{s}', 1, 1, '{{}}')")),
        ("cw_conversations", format!(
            "insert into cw_conversations (id, project_id, account_scope_id, account_id, conversation_id, contact_global_id, data)
             values ('cw:{p}:1:1', '{p}', '{s}', 1, 1, 'cwc:{p}:1:1', '{{}}')")),
        ("cw_messages", format!(
            "insert into cw_messages (id, project_id, account_scope_id, account_id, message_id, conversation_id, conversation_global_id, contact_global_id, content, data)
             values ('cwmsg:{p}:1:1', '{p}', '{s}', 1, 1, 1, 'cw:{p}:1:1', 'cwc:{p}:1:1', 'hello', '{{}}')")),
        ("rag_chunks", format!(
            "insert into rag_chunks (project_id, account_scope_id, conversation_global_id, message_global_id, chunk_index, text, text_hash)
             values ('{p}', '{s}', 'cw:{p}:1:1', 'cwmsg:{p}:1:1', 0, 'hello', 'h')")),
        ("sync_watermarks", format!(
            "insert into sync_watermarks (project_id, account_scope_id, source) values ('{p}', '{s}', 'chatwoot:1')")),
        ("job_runs", format!(
            "insert into job_runs (project_id, account_scope_id, job_name, status) values ('{p}', '{s}', 'chatwoot_sync', 'running')")),
        ("evidence_items", format!(
            "insert into evidence_items (project_id, account_scope_id, source_kind, source_id, search_text)
             values ('{p}', '{s}', 'message', 'cwmsg:{p}:1:1', 'hello')")),
        ("scheduled_jobs", format!(
            "insert into scheduled_jobs (project_id, account_scope_id, kind) values ('{p}', '{s}', 'chatwoot_sync')")),
        ("outbound_messages", format!(
            "insert into outbound_messages (project_id, account_scope_id, channel, contact_global_id, content)
             values ('{p}', '{s}', 'whatsapp', 'cwc:{p}:1:1', 'hi')")),
        ("contact_channel_policies", format!(
            "insert into contact_channel_policies (project_id, account_scope_id, contact_global_id, channel, opted_out, opted_out_at)
             values ('{p}', '{s}', 'cwc:{p}:1:1', 'whatsapp', true, now())")),
        ("project_settings", format!(
            "insert into project_settings (project_id, account_scope_id) values ('{p}', '{s}')")),
        ("crm_accounts", format!(
            "insert into crm_accounts (project_id, account_scope_id, name) values ('{p}', '{s}', 'Acme')")),
        ("crm_pipeline_stages", format!(
            "insert into crm_pipeline_stages (project_id, account_scope_id, key, name, position) values ('{p}', '{s}', 'new', 'New', 0)")),
        ("signals", format!(
            "insert into signals (project_id, account_scope_id, signal_type, confidence, evidence_refs, dedupe_key)
             values ('{p}', '{s}', 'buying_intent', 0.9, '{evidence}', 'buying_intent:1')")),
        ("campaigns", format!(
            "insert into campaigns (project_id, account_scope_id, name, channel) values ('{p}', '{s}', 'Spring', 'whatsapp')")),
        ("case_library_entries", format!(
            "insert into case_library_entries (project_id, account_scope_id, title) values ('{p}', '{s}', 'A save')")),
        ("analytics_revenue_snapshots", format!(
            "insert into analytics_revenue_snapshots (project_id, account_scope_id, snapshot_date, currency)
             values ('{p}', '{s}', current_date, 'USD')")),
        ("audit_events", format!(
            "insert into audit_events (project_id, account_scope_id, actor, action, evidence_refs)
             values ('{p}', '{s}', 'system:test', 'test.scope', '{evidence}')")),
    ]
}
