//! The connection pool and schema migrations at start-up.
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use crate::config::Config;

/// Opens the pool described by the configuration.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Applies pending migrations (serialised across processes by an advisory lock).
pub async fn migrate(db: &DatabaseConnection, config: &Config) -> Result<(), DbErr> {
    migration::migrate(db, &config.database_url).await
}

/// Round-trips a trivial query: the health check's view of the database.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("select 1").await.map(|_| ())
}
