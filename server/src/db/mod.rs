//! The connection pool and schema migrations at start-up.
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use crate::config::Config;

/// Opens the pool described by the configuration, for work without a waiting user (workers,
/// migrations, commands): no statement timeout.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(config)).await
}

/// Opens the pool that serves requests: every statement on it is cancelled by the server
/// after `REVINTEL_DB_STATEMENT_TIMEOUT_MS`, so no request can hold a connection for long.
pub async fn connect_for_requests(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let timeout = config.db_statement_timeout_ms.to_string();
    let mut options = options(config);
    options.map_sqlx_postgres_opts(move |pg| pg.options([("statement_timeout", timeout.as_str())]));
    Database::connect(options).await
}

fn options(config: &Config) -> ConnectOptions {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    options
}

/// Applies pending migrations (serialised across processes by an advisory lock).
pub async fn migrate(db: &DatabaseConnection, config: &Config) -> Result<(), DbErr> {
    migration::migrate(db, &config.database_url).await
}

/// Round-trips a trivial query: the health check's view of the database.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("select 1").await.map(|_| ())
}
