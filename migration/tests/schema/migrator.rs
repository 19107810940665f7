//! Migrator behaviour: applying on an empty database, idempotence, all-or-nothing.
use super::*;

// ---------------------------------------------------------------------------------------------
// Migrator behaviour
// ---------------------------------------------------------------------------------------------

#[tokio::test]
pub(super) async fn migrations_apply_on_an_empty_database() {
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
pub(super) async fn running_the_migrator_twice_is_a_no_op() {
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
pub(super) struct BrokenFile;

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
pub(super) struct MigratorWithBrokenFile;

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
pub(super) async fn a_failing_migration_leaves_nothing_half_applied() {
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
