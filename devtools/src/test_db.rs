//! A database of its own for a test: created on the server `DATABASE_URL` names (its
//! maintenance database; default the project's local cluster), dropped when the test ends.
//! Callers connect and migrate with the server's own code.
use sea_orm::{ConnectionTrait, Database};

/// The maintenance database the test databases are created from.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".to_owned())
}

/// A freshly created, empty database.
#[derive(Debug, Clone)]
pub struct FreshDatabase {
    /// Its name (`<prefix>_<uuid>`).
    pub name: String,
    /// A connection URL for it.
    pub url: String,
}

impl FreshDatabase {
    /// Creates `<prefix>_<random>` next to the maintenance database. Panics when the server is
    /// unreachable: a test without its database cannot run.
    pub async fn create(prefix: &str) -> Self {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url())
            .await
            .expect("test database server reachable");
        admin
            .execute_unprepared(&format!("create database {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let base = admin_url();
        let base = base
            .rsplit_once('/')
            .map_or(base.as_str(), |(b, _)| b)
            .to_owned();
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// Drops it (callers skip this when a test fails, leaving the database for inspection).
    pub async fn drop(&self) {
        if let Ok(admin) = Database::connect(admin_url()).await {
            let _ = admin
                .execute_unprepared(&format!(
                    "drop database if exists {} with (force)",
                    self.name
                ))
                .await;
            admin.close().await.ok();
        }
    }
}
