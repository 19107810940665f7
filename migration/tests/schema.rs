//! Schema tests: the SQL migrations of `migration/sql` against a real PostgreSQL with pgvector.
//!
//! Each test creates its own database (random name) on the server of `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5433/postgres`) through that server's `postgres` maintenance
//! database, runs the migrator, and drops the database when the test ends, even when it panics.

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

// ---------------------------------------------------------------------------------------------
// Migrator behaviour
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn migrations_apply_on_an_empty_database() {
    // Arrange
    let test_db = TestDb::create().await;

    // Act
    Migrator::up(&test_db.db, None)
        .await
        .expect("migrations apply");

    // Assert
    let tables: BTreeSet<String> = strings(
        &test_db.db,
        "select table_name::text from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE'",
    )
    .await
    .into_iter()
    .collect();
    let missing: Vec<&&str> = SPEC_TABLES
        .iter()
        .chain(DESIGNED_TABLES)
        .filter(|t| !tables.contains(**t))
        .collect();
    assert!(missing.is_empty(), "missing tables: {missing:?}");

    let embedding_type: String = scalar(
        &test_db.db,
        "select format_type(atttypid, atttypmod) from pg_attribute
         where attrelid = 'public.rag_chunks'::regclass and attname = 'embedding'",
    )
    .await;
    assert_eq!(embedding_type, "vector(1536)");

    let extensions = strings(
        &test_db.db,
        "select extname::text from pg_extension where extname in ('pgcrypto', 'vector') order by 1",
    )
    .await;
    assert_eq!(extensions, ["pgcrypto", "vector"]);

    let recorded = strings(
        &test_db.db,
        "select version from schema_migrations order by version",
    )
    .await;
    assert_eq!(recorded, migration_file_names());
    assert!(
        Migrator::get_pending_migrations(&test_db.db)
            .await
            .expect("status")
            .is_empty()
    );
}

#[tokio::test]
async fn running_the_migrator_twice_is_a_no_op() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let history_sql = "select version || '@' || applied_at from schema_migrations order by version";
    let objects_sql = "select (select count(*) from pg_class where relnamespace = 'public'::regnamespace)
                            + (select count(*) from pg_proc where pronamespace = 'public'::regnamespace)
                            + (select count(*) from pg_trigger t join pg_class c on c.oid = t.tgrelid
                               where c.relnamespace = 'public'::regnamespace)";
    let history_before = strings(&test_db.db, history_sql).await;
    let objects_before: i64 = scalar(&test_db.db, objects_sql).await;

    // Act
    Migrator::up(&test_db.db, None)
        .await
        .expect("second run succeeds");

    // Assert
    assert_eq!(strings(&test_db.db, history_sql).await, history_before);
    assert_eq!(
        scalar::<i64>(&test_db.db, objects_sql).await,
        objects_before
    );
    assert_eq!(history_before.len(), migration_file_names().len());
}

/// A migration file that fails on its third statement, applied the way `migration::SqlFile`
/// applies files (one `execute_unprepared` inside the migrator's per-file transaction).
struct BrokenFile;

impl MigrationName for BrokenFile {
    fn name(&self) -> &str {
        "9999_broken"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for BrokenFile {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "create table half_applied (id int primary key);
                 insert into half_applied values (1);
                 select 1 / 0;",
            )
            .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// The real migrator's files followed by [`BrokenFile`], on the same `schema_migrations` table.
struct MigratorWithBrokenFile;

#[async_trait::async_trait]
impl MigratorTrait for MigratorWithBrokenFile {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = Migrator::migrations();
        migrations.push(Box::new(BrokenFile));
        migrations
    }

    fn migration_table_name() -> DynIden {
        Migrator::migration_table_name()
    }
}

#[tokio::test]
async fn a_failing_migration_leaves_nothing_half_applied() {
    // Arrange
    let test_db = TestDb::create().await;

    // Act
    let result = MigratorWithBrokenFile::up(&test_db.db, None).await;

    // Assert
    assert!(result.is_err(), "the broken file must fail the run");
    let half_applied: Option<String> = scalar(
        &test_db.db,
        "select to_regclass('public.half_applied')::text",
    )
    .await;
    assert_eq!(
        half_applied, None,
        "the failing file's first statement was rolled back"
    );
    let recorded = strings(
        &test_db.db,
        "select version from schema_migrations order by version",
    )
    .await;
    assert_eq!(
        recorded,
        migration_file_names(),
        "earlier files stay applied, the broken one is not recorded"
    );
    Migrator::up(&test_db.db, None)
        .await
        .expect("the real migrator still runs cleanly afterwards");
}

// ---------------------------------------------------------------------------------------------
// Tenancy
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_scope_trigger_rejects_cross_scope_inserts() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;

    for ((table, wrong_scope), (_, right_scope)) in scoped_inserts(t.project_a, t.scope_b)
        .into_iter()
        .zip(scoped_inserts(t.project_a, t.scope_a))
    {
        // Act
        let err = exec_err(&test_db.db, &wrong_scope).await;
        exec(&test_db.db, &right_scope).await;

        // Assert
        assert_eq!(err.code, "23514", "{table}: {err:?}");
        assert_eq!(
            err.constraint.as_deref(),
            Some("project_scope_match"),
            "{table}"
        );
        assert!(
            err.message
                .starts_with(&format!("project scope mismatch on {table}")),
            "{table}: {}",
            err.message
        );
        let count: i64 = scalar(
            &test_db.db,
            &format!(
                "select count(*) from {table} where project_id = '{}'",
                t.project_a
            ),
        )
        .await;
        assert_eq!(count, 1, "{table}: only the right-scope row was written");
    }
}

#[tokio::test]
async fn the_scope_trigger_rejects_moving_a_row_to_another_scope_or_an_unknown_project() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    exec(
        &test_db.db,
        &format!(
            "insert into crm_accounts (project_id, account_scope_id, name) values ('{}', '{}', 'Acme')",
            t.project_a, t.scope_a
        ),
    )
    .await;

    // Act
    let moved = exec_err(
        &test_db.db,
        &format!("update crm_accounts set account_scope_id = '{}'", t.scope_b),
    )
    .await;
    let rehomed = exec_err(
        &test_db.db,
        &format!("update crm_accounts set project_id = '{}'", t.project_b),
    )
    .await;
    let unknown = exec_err(
        &test_db.db,
        &format!(
            "insert into job_runs (project_id, account_scope_id, job_name, status) values ('{}', '{}', 'x', 'running')",
            Uuid::new_v4(),
            t.scope_a
        ),
    )
    .await;
    let project_scope_change = exec_err(
        &test_db.db,
        &format!(
            "update projects set account_scope_id = '{}' where id = '{}'",
            t.scope_b, t.project_a
        ),
    )
    .await;

    // Assert
    for err in [&moved, &rehomed, &unknown, &project_scope_change] {
        assert_eq!(err.code, "23514", "{err:?}");
        assert_eq!(err.constraint.as_deref(), Some("project_scope_match"));
        assert!(err.message.starts_with("project scope mismatch"), "{err:?}");
    }
}

#[tokio::test]
async fn every_scoped_table_carries_the_scope_trigger() {
    // Arrange
    let test_db = TestDb::migrated().await;

    // Act
    let unguarded = strings(
        &test_db.db,
        "select c.relname::text
         from pg_class c
         where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relname <> 'projects'
           and exists (select 1 from pg_attribute p where p.attrelid = c.oid and p.attname = 'project_id')
           and (
             not exists (
               select 1 from pg_attribute s where s.attrelid = c.oid and s.attname = 'account_scope_id')
             or not exists (
               select 1 from pg_trigger tg join pg_proc f on f.oid = tg.tgfoid
               where tg.tgrelid = c.oid and f.proname = 'enforce_project_scope_match'
                 and (tg.tgtype & 2) <> 0   -- BEFORE
                 and (tg.tgtype & 4) <> 0   -- INSERT
                 and (tg.tgtype & 16) <> 0) -- UPDATE
           )
         order by 1",
    )
    .await;
    let scoped: i64 = scalar(
        &test_db.db,
        "select count(*) from pg_class c join pg_attribute p on p.attrelid = c.oid and p.attname = 'project_id'
         where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relname <> 'projects'",
    )
    .await;

    // Assert
    assert!(
        unguarded.is_empty(),
        "scoped tables without account_scope_id or the scope trigger: {unguarded:?}"
    );
    assert!(
        scoped >= 39,
        "expected every project table to be scoped, found {scoped}"
    );
}

#[tokio::test]
async fn references_between_scoped_tables_cannot_cross_projects() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    let account_b = Uuid::new_v4();
    exec(
        &test_db.db,
        &format!(
            "insert into crm_accounts (id, project_id, account_scope_id, name) values ('{account_b}', '{}', '{}', 'B corp')",
            t.project_b, t.scope_b
        ),
    )
    .await;

    // Act
    let opportunity = exec_err(
        &test_db.db,
        &format!(
            "with stage as (
               insert into crm_pipeline_stages (project_id, account_scope_id, key, name, position)
               values ('{pa}', '{sa}', 'new', 'New', 0) returning id)
             insert into crm_opportunities (project_id, account_scope_id, account_id, name, currency, stage_id)
             select '{pa}', '{sa}', '{account_b}', 'Deal', 'USD', id from stage",
            pa = t.project_a,
            sa = t.scope_a
        ),
    )
    .await;
    let foreign_contact = exec_err(
        &test_db.db,
        &format!(
            "insert into outbound_messages (project_id, account_scope_id, channel, contact_global_id, content)
             values ('{}', '{}', 'whatsapp', 'cwc:{}:1:1', 'hi')",
            t.project_a, t.scope_a, t.project_b
        ),
    )
    .await;

    // Assert
    assert_eq!(opportunity.code, "23503", "{opportunity:?}");
    assert_eq!(
        opportunity.constraint.as_deref(),
        Some("crm_opportunities_account_fkey")
    );
    assert_eq!(foreign_contact.code, "23514", "{foreign_contact:?}");
    assert_eq!(
        foreign_contact.constraint.as_deref(),
        Some("outbound_messages_contact_global_id_in_project")
    );
}

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn audit_events_cannot_be_updated_or_deleted() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    exec(
        &test_db.db,
        &format!(
            r#"insert into audit_events (project_id, account_scope_id, actor, action, evidence_refs)
               values ('{}', '{}', 'user:alice', 'project.create', '[{{"kind": "project", "id": "p"}}]')"#,
            t.project_a, t.scope_a
        ),
    )
    .await;

    // Act
    let update = exec_err(
        &test_db.db,
        "update audit_events set action = 'project.delete'",
    )
    .await;
    let delete = exec_err(&test_db.db, "delete from audit_events").await;
    let truncate = exec_err(&test_db.db, "truncate audit_events").await;
    let project_delete = exec_err(
        &test_db.db,
        &format!("delete from projects where id = '{}'", t.project_a),
    )
    .await;

    // Assert
    for err in [&update, &delete, &truncate, &project_delete] {
        assert_eq!(err.code, "23001", "{err:?}");
        assert_eq!(err.constraint.as_deref(), Some("audit_events_append_only"));
        assert!(
            err.message.starts_with("audit_events is append-only"),
            "{err:?}"
        );
    }
    let action: String = scalar(&test_db.db, "select action from audit_events").await;
    assert_eq!(action, "project.create");
}

#[tokio::test]
async fn audit_events_require_evidence() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let insert = |refs: &str| {
        format!(
            "insert into audit_events (actor, action, evidence_refs) values ('system:test', 'auth.login', {refs})"
        )
    };

    // Act
    let empty = exec_err(&test_db.db, &insert("'[]'")).await;
    let object = exec_err(&test_db.db, &insert(r#"'{"kind": "session"}'"#)).await;
    let missing = exec_err(&test_db.db, &insert("null")).await;
    exec(
        &test_db.db,
        &insert(r#"'[{"kind": "session", "id": "s1"}]'"#),
    )
    .await;

    // Assert
    for err in [&empty, &object] {
        assert_eq!(err.code, "23514", "{err:?}");
        assert_eq!(
            err.constraint.as_deref(),
            Some("audit_events_evidence_required")
        );
    }
    assert_eq!(missing.code, "23502", "{missing:?}");
    let count: i64 = scalar(&test_db.db, "select count(*) from audit_events").await;
    assert_eq!(count, 1);
}

// ---------------------------------------------------------------------------------------------
// Constraints and indexes of the spec
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_listed_unique_constraints_hold() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    let source = |p: Uuid, s: Uuid, key: &str, account: &str| {
        format!(
            "insert into project_sources (project_id, account_scope_id, source_kind, external_id, source_key, base_url, api_access_token)
             values ('{p}', '{s}', 'chatwoot_account', '{account}', '{key}', 'http://127.0.0.1:3100', 'secret')"
        )
    };
    let contact = |p: Uuid, s: Uuid| {
        format!(
            "insert into cw_contacts (id, project_id, account_scope_id, account_id, contact_id, data)
             values ('cwc:{p}:7:42', '{p}', '{s}', 7, 42, '{{}}')"
        )
    };
    let chunk = |p: Uuid, s: Uuid| {
        format!(
            "insert into rag_chunks (project_id, account_scope_id, message_global_id, chunk_index, text)
             values ('{p}', '{s}', 'cwmsg:{p}:7:1', 0, 'hello')"
        )
    };
    exec(&test_db.db, &source(t.project_a, t.scope_a, "key-a", "7")).await;
    exec(&test_db.db, &contact(t.project_a, t.scope_a)).await;
    exec(&test_db.db, &chunk(t.project_a, t.scope_a)).await;
    exec(
        &test_db.db,
        "insert into app_users (username, password_hash) values ('alice', 'x')",
    )
    .await;

    // Act
    let same_account_other_project =
        exec_err(&test_db.db, &source(t.project_b, t.scope_b, "key-b", "7")).await;
    let second_source_same_project =
        exec_err(&test_db.db, &source(t.project_a, t.scope_a, "key-c", "8")).await;
    let same_contact_other_project = exec_err(&test_db.db, &contact(t.project_b, t.scope_b)).await;
    let same_chunk = exec_err(&test_db.db, &chunk(t.project_a, t.scope_a)).await;
    let same_username = exec_err(
        &test_db.db,
        "insert into app_users (username, password_hash) values ('alice', 'y')",
    )
    .await;

    // Assert
    for (err, constraint) in [
        (
            &same_account_other_project,
            "project_sources_source_kind_external_id_key",
        ),
        (
            &second_source_same_project,
            "project_sources_project_id_source_kind_key",
        ),
        (
            &same_contact_other_project,
            "cw_contacts_account_id_contact_id_key",
        ),
        (&same_chunk, "rag_chunks_message_global_id_chunk_index_key"),
        (&same_username, "app_users_username_key"),
    ] {
        assert_eq!(err.code, "23505", "{constraint}: {err:?}");
        assert_eq!(err.constraint.as_deref(), Some(constraint), "{err:?}");
    }
}

#[tokio::test]
async fn the_spec_indexes_exist() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let expected = [
        ("cw_contacts", "(account_id, contact_id)", true),
        ("cw_contacts", "(updated_at DESC NULLS LAST)", false),
        ("cw_messages", "(conversation_id)", false),
        ("cw_messages", "(created_at DESC)", false),
        ("cw_messages", "(conversation_global_id)", false),
        ("cw_messages", "(contact_global_id)", false),
        ("cw_messages", "(account_id, created_at DESC)", false),
        ("rag_chunks", "(conversation_global_id)", false),
        ("rag_chunks", "(message_global_id)", false),
        ("rag_chunks", "(embedding_status, created_at DESC)", false),
        ("rag_chunks", "(text_hash)", false),
        ("rag_chunks", "(message_global_id, chunk_index)", true),
        ("signup_requests", "(username, created_at DESC)", false),
        ("signup_requests", "(expires_at)", false),
        (
            "cw_conversations",
            "(project_id, updated_at DESC NULLS LAST)",
            false,
        ),
        (
            "cw_messages",
            "(project_id, conversation_global_id, created_at)",
            false,
        ),
        ("rag_chunks", "(project_id, embedding_status)", false),
    ];

    // Act
    let definitions = strings(
        &test_db.db,
        "select indexdef from pg_indexes where schemaname = 'public'",
    )
    .await;

    // Assert
    for (table, columns, unique) in expected {
        let suffix = format!(" ON public.{table} USING btree {columns}");
        let found = definitions
            .iter()
            .any(|d| d.ends_with(&suffix) && d.starts_with("CREATE UNIQUE INDEX") == unique);
        assert!(
            found,
            "missing {}index on {table} {columns}",
            if unique { "unique " } else { "" }
        );
    }
}

#[tokio::test]
async fn the_vector_indexes_exist_with_cosine_ops() {
    // Arrange
    let test_db = TestDb::migrated().await;

    // Act
    let ivfflat: String = scalar(
        &test_db.db,
        "select indexdef from pg_indexes where indexname = 'rag_chunks_embedding_ivfflat_idx'",
    )
    .await;
    let ivfflat_options: String = scalar(
        &test_db.db,
        "select array_to_string(reloptions, ',') from pg_class where relname = 'rag_chunks_embedding_ivfflat_idx'",
    )
    .await;
    let has_hnsw: bool = scalar(
        &test_db.db,
        "select exists (select 1 from pg_am where amname = 'hnsw')",
    )
    .await;
    let hnsw: Option<String> = scalar(
        &test_db.db,
        "select (select indexdef from pg_indexes where indexname = 'rag_chunks_embedding_hnsw_idx')",
    )
    .await;

    // Assert
    assert!(
        ivfflat.contains("USING ivfflat (embedding vector_cosine_ops)"),
        "{ivfflat}"
    );
    assert_eq!(ivfflat_options, "lists=100");
    assert!(has_hnsw, "pgvector 0.8 provides the hnsw access method");
    let hnsw = hnsw.expect("the hnsw index is created when hnsw exists");
    assert!(
        hnsw.contains("USING hnsw (embedding vector_cosine_ops)"),
        "{hnsw}"
    );
}

#[tokio::test]
async fn evidence_items_are_searchable_by_full_text() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    exec(
        &test_db.db,
        &format!(
            "insert into evidence_items (project_id, account_scope_id, source_kind, source_id, search_text) values
               ('{p}', '{s}', 'message', 'm1', 'The blender arrived broken, I want a refund'),
               ('{p}', '{s}', 'message', 'm2', 'Thanks, the delivery was quick')",
            p = t.project_a,
            s = t.scope_a
        ),
    )
    .await;

    // Act
    let hits = strings(
        &test_db.db,
        "select source_id from evidence_items where search_tsv @@ plainto_tsquery('simple', 'refund blender')",
    )
    .await;
    let gin: i64 = scalar(
        &test_db.db,
        "select count(*) from pg_indexes where tablename = 'evidence_items' and indexdef like '%USING gin (search_tsv)%'",
    )
    .await;

    // Assert
    assert_eq!(hits, ["m1"]);
    assert_eq!(gin, 1);
}

// ---------------------------------------------------------------------------------------------
// Entities agree with the schema
// ---------------------------------------------------------------------------------------------

/// The Postgres type (as `format_type` prints it) a SeaORM column type stands for.
fn pg_type_of(column_type: &ColumnType) -> String {
    match column_type {
        ColumnType::Text => "text".into(),
        ColumnType::Uuid => "uuid".into(),
        ColumnType::Integer => "integer".into(),
        ColumnType::BigInteger => "bigint".into(),
        ColumnType::Boolean => "boolean".into(),
        ColumnType::JsonBinary => "jsonb".into(),
        ColumnType::TimestampWithTimeZone => "timestamp with time zone".into(),
        ColumnType::Date => "date".into(),
        ColumnType::Double => "double precision".into(),
        ColumnType::Decimal(Some((precision, scale))) => format!("numeric({precision},{scale})"),
        ColumnType::Char(Some(len)) => format!("character({len})"),
        ColumnType::Vector(Some(dims)) => format!("vector({dims})"),
        other => format!("{other:?}"),
    }
}

/// Differences between an entity and its table: columns, types, nullability, primary key.
async fn entity_mismatches<E: EntityTrait + Default>(db: &DatabaseConnection) -> Vec<String> {
    let table = E::default().table_name().to_owned();
    let mut problems = Vec::new();
    let mut db_columns: BTreeMap<String, (String, bool, bool)> = rows(
        db,
        &format!(
            "select attname::text, format_type(atttypid, atttypmod), attnotnull, attgenerated <> ''
             from pg_attribute
             where attrelid = to_regclass('public.{table}') and attnum > 0 and not attisdropped"
        ),
    )
    .await
    .iter()
    .map(|row| {
        (
            row.try_get_by_index(0).expect("name"),
            (
                row.try_get_by_index(1).expect("type"),
                row.try_get_by_index(2).expect("notnull"),
                row.try_get_by_index(3).expect("generated"),
            ),
        )
    })
    .collect();
    if db_columns.is_empty() {
        return vec![format!("{table}: no such table")];
    }
    for column in E::Column::iter() {
        let name = column.as_str();
        let def = column.def();
        match db_columns.remove(name) {
            None => problems.push(format!("{table}.{name}: not in the database")),
            Some((pg_type, not_null, generated)) => {
                if generated {
                    problems.push(format!("{table}.{name}: generated column mapped"));
                }
                let expected = pg_type_of(def.get_column_type());
                if expected != pg_type {
                    problems.push(format!(
                        "{table}.{name}: entity says {expected}, database has {pg_type}"
                    ));
                }
                if def.is_null() == not_null {
                    problems.push(format!(
                        "{table}.{name}: entity nullable = {}, database not null = {not_null}",
                        def.is_null()
                    ));
                }
            }
        }
    }
    for (name, (_, _, generated)) in db_columns {
        if !generated {
            problems.push(format!("{table}.{name}: missing from the entity"));
        }
    }
    let entity_pk: BTreeSet<String> = E::PrimaryKey::iter()
        .map(|key| key.into_column().as_str().to_owned())
        .collect();
    let db_pk: BTreeSet<String> = strings(
        db,
        &format!(
            "select a.attname::text from pg_index i
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
             where i.indrelid = 'public.{table}'::regclass and i.indisprimary"
        ),
    )
    .await
    .into_iter()
    .collect();
    if entity_pk != db_pk {
        problems.push(format!(
            "{table}: primary key {entity_pk:?} in the entity, {db_pk:?} in the database"
        ));
    }
    problems
}

macro_rules! check_entities {
    ($db:expr, $problems:ident, $tables:ident, [$($module:ident),* $(,)?]) => {
        $(
            $tables.insert(stringify!($module).to_owned());
            $problems.extend(entity_mismatches::<entity::$module::Entity>($db).await);
        )*
    };
}

#[tokio::test]
async fn entities_match_the_database_schema() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let mut problems = Vec::new();
    let mut entity_tables = BTreeSet::new();

    // Act
    check_entities!(
        &test_db.db,
        problems,
        entity_tables,
        [
            account_scopes,
            analytics_revenue_snapshots,
            api_tokens,
            app_settings,
            app_users,
            audit_events,
            campaign_events,
            campaign_members,
            campaign_segments,
            campaigns,
            case_evidence_refs,
            case_library_entries,
            contact_channel_policies,
            crm_account_contacts,
            crm_accounts,
            crm_health_weights,
            crm_opportunities,
            crm_opportunity_stage_events,
            crm_pipeline_stages,
            cw_contacts,
            cw_conversations,
            cw_messages,
            evidence_items,
            health_scores,
            job_runs,
            next_best_actions,
            offer_approvals,
            offer_items,
            offers,
            outbound_attempts,
            outbound_messages,
            project_members,
            project_settings,
            project_sources,
            projects,
            rag_chunks,
            rag_index_builds,
            rate_limits,
            risk_radar_items,
            scheduled_jobs,
            sessions,
            signal_example_phrases,
            signals,
            signup_requests,
            sync_watermarks,
            webhook_deliveries,
            worker_runs,
        ]
    );
    let db_tables: BTreeSet<String> = strings(
        &test_db.db,
        "select table_name::text from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'schema_migrations'",
    )
    .await
    .into_iter()
    .collect();

    // Assert
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(entity_tables, db_tables, "one entity per table");
}

/// Allowed values of the single-column CHECK constraint on `table.column`.
async fn check_values(db: &DatabaseConnection, table: &str, column: &str) -> BTreeSet<String> {
    let definitions = strings(
        db,
        &format!(
            "select pg_get_constraintdef(c.oid) from pg_constraint c
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
             where c.conrelid = 'public.{table}'::regclass and c.contype = 'c'
               and array_length(c.conkey, 1) = 1 and a.attname = '{column}'"
        ),
    )
    .await;
    let mut values = BTreeSet::new();
    for definition in definitions {
        for piece in definition.split("'::text").filter(|p| p.contains('\'')) {
            let value = &piece[piece.rfind('\'').expect("a quote") + 1..];
            values.insert(value.to_owned());
        }
    }
    values
}

macro_rules! check_enums {
    ($db:expr, $problems:ident, [$(($table:literal, $column:literal, $enum:ty)),* $(,)?]) => {
        $(
            let in_db = check_values($db, $table, $column).await;
            let in_rust: BTreeSet<String> = <$enum>::iter().map(|v| v.to_value()).collect();
            if in_db != in_rust {
                $problems.push(format!(
                    "{}.{}: CHECK allows {:?}, {} has {:?}",
                    $table, $column, in_db, stringify!($enum), in_rust
                ));
            }
        )*
    };
}

#[tokio::test]
async fn status_enums_match_the_check_constraints() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let mut problems: Vec<String> = Vec::new();

    // Act
    check_enums!(
        &test_db.db,
        problems,
        [
            ("project_sources", "source_kind", enums::SourceKind),
            ("rag_chunks", "embedding_status", enums::EmbeddingStatus),
            ("job_runs", "status", enums::JobRunStatus),
            ("project_members", "role", enums::MemberRole),
            ("evidence_items", "source_kind", enums::EvidenceSourceKind),
            (
                "case_evidence_refs",
                "source_kind",
                enums::EvidenceSourceKind
            ),
            ("webhook_deliveries", "status", enums::WebhookDeliveryStatus),
            ("scheduled_jobs", "status", enums::ScheduledJobStatus),
            ("worker_runs", "status", enums::WorkerRunStatus),
            ("outbound_messages", "status", enums::OutboundStatus),
            (
                "outbound_messages",
                "origin_kind",
                enums::OutboundOriginKind
            ),
            ("outbound_attempts", "status", enums::OutboundAttemptStatus),
            ("crm_accounts", "status", enums::CrmAccountStatus),
            (
                "crm_account_contacts",
                "link_status",
                enums::AccountContactLinkStatus
            ),
            (
                "crm_account_contacts",
                "link_source",
                enums::AccountContactLinkSource
            ),
            ("signals", "signal_type", enums::SignalType),
            ("signal_example_phrases", "signal_type", enums::SignalType),
            ("signals", "status", enums::SignalStatus),
            ("signals", "detector", enums::SignalDetector),
            ("next_best_actions", "status", enums::NbaStatus),
            ("crm_health_weights", "measure", enums::HealthMeasure),
            ("health_scores", "band", enums::HealthBand),
            ("health_scores", "previous_band", enums::HealthBand),
            ("health_scores", "trend", enums::HealthTrend),
            ("risk_radar_items", "kind", enums::RiskKind),
            ("risk_radar_items", "status", enums::RiskItemStatus),
            ("risk_radar_items", "from_band", enums::HealthBand),
            ("risk_radar_items", "to_band", enums::HealthBand),
            ("offers", "status", enums::OfferStatus),
            ("offer_approvals", "decision", enums::OfferDecision),
            ("campaigns", "status", enums::CampaignStatus),
            ("campaign_members", "status", enums::CampaignMemberStatus),
            ("campaign_events", "event_type", enums::CampaignEventType),
            ("case_library_entries", "case_type", enums::CaseType),
            ("case_library_entries", "status", enums::CaseStatus),
            (
                "analytics_revenue_snapshots",
                "granularity",
                enums::SnapshotGranularity
            ),
        ]
    );

    // Assert
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn entities_round_trip_vectors_enums_and_money() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    let embedding: Vec<f32> = (0..1536).map(|i| i as f32 / 1536.0).collect();
    let chunk = entity::rag_chunks::ActiveModel {
        project_id: Set(t.project_a),
        account_scope_id: Set(t.scope_a),
        message_global_id: Set(Some(format!("cwmsg:{}:1:1", t.project_a))),
        chunk_index: Set(Some(0)),
        text: Set("hello".to_owned()),
        embedding: Set(Some(PgVector::from(embedding.clone()))),
        embedding_status: Set(enums::EmbeddingStatus::Ready),
        ..Default::default()
    };
    let offer = entity::offers::ActiveModel {
        project_id: Set(t.project_a),
        account_scope_id: Set(t.scope_a),
        title: Set("Annual plan".to_owned()),
        currency: Set("EUR".to_owned()),
        total: Set(Decimal::new(123_456, 2)),
        status: Set(enums::OfferStatus::Draft),
        ..Default::default()
    };

    // Act
    let chunk = chunk.insert(&test_db.db).await.expect("insert a chunk");
    let offer = offer.insert(&test_db.db).await.expect("insert an offer");
    let chunk = entity::rag_chunks::Entity::find_by_id(chunk.id)
        .one(&test_db.db)
        .await
        .expect("select")
        .expect("the chunk");
    let offer = entity::offers::Entity::find_by_id(offer.id)
        .one(&test_db.db)
        .await
        .expect("select")
        .expect("the offer");

    // Assert
    assert_eq!(chunk.embedding.expect("an embedding").to_vec(), embedding);
    assert_eq!(chunk.embedding_status, enums::EmbeddingStatus::Ready);
    assert_eq!(offer.total, Decimal::new(123_456, 2));
    assert_eq!(offer.currency, "EUR");
    assert_eq!(offer.status, enums::OfferStatus::Draft);
}
