//! The schema migrator: applies `migration/sql/NNNN_name.sql` in order, each file in its own
//! transaction (Postgres), recording applied files in `schema_migrations`.
//!
//! A file that fails rolls back whole: its statements and its `schema_migrations` row commit
//! together or not at all. Applied files are never re-run, so running the migrator twice is a
//! no-op. Concurrent starts (several server replicas) are serialised by [`migrate`] with an
//! advisory lock.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectOptions, Database, DatabaseConnection, Statement},
};

include!(concat!(env!("OUT_DIR"), "/migration_files.rs"));

/// Name of the table that records applied migration files.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

/// Arbitrary constant key for `pg_advisory_lock`, so only one process migrates at a time.
const MIGRATION_LOCK_KEY: i64 = 0x7265_7669_6e74_656c; // "revintel"

/// One SQL file of `migration/sql`, applied verbatim.
pub struct SqlFile {
    name: &'static str,
    sql: &'static str,
}

impl MigrationName for SqlFile {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlFile {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Simple-query protocol: a file may hold many statements.
        manager
            .get_connection()
            .execute_unprepared(self.sql)
            .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// The project's migrator over the embedded SQL files.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        MIGRATION_FILES
            .iter()
            .map(|(name, sql)| Box::new(SqlFile { name, sql }) as Box<dyn MigrationTrait>)
            .collect()
    }

    fn migration_table_name() -> DynIden {
        Alias::new(MIGRATIONS_TABLE).into_iden()
    }
}

/// Applies every pending migration while holding a database-wide advisory lock, so replicas
/// that start together do not race. `database_url` opens the lock's own connection.
pub async fn migrate(db: &DatabaseConnection, database_url: &str) -> Result<(), DbErr> {
    let mut options = ConnectOptions::new(database_url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let lock_conn = Database::connect(options).await?;
    let backend = lock_conn.get_database_backend();
    lock_conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "select pg_advisory_lock($1)",
            [MIGRATION_LOCK_KEY.into()],
        ))
        .await?;
    let result = Migrator::up(db, None).await;
    let unlock = lock_conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "select pg_advisory_unlock($1)",
            [MIGRATION_LOCK_KEY.into()],
        ))
        .await;
    lock_conn.close().await?;
    result?;
    unlock.map(|_| ())
}
