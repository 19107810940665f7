//! A database of its own for each test: created on the server `DATABASE_URL` names (its
//! maintenance database; default the project's local cluster), migrated with the server's own
//! code, dropped when the test passed (a failed test leaves it for inspection). [`TestDb`] adds
//! the builders every capability's tests start from (projects, users, members) and small
//! query helpers that panic with the SQL when it fails.
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, Value as DbValue};
use serde_json::Value;
use server::{
    config::Config,
    db,
    kernel::{Actor, Scope},
};
use uuid::Uuid;

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

    /// [`FreshDatabase::drop`] from a `Drop` impl: `Drop` cannot await, and the test's runtime
    /// may be the one blocked there, so the drop runs on a thread with a runtime of its own.
    pub fn drop_blocking(&self) {
        let database = self.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the cleanup");
            runtime.block_on(database.drop());
        })
        .join();
        if dropped.is_err() {
            eprintln!("could not drop the test database {}", self.name);
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

/// A migrated database of its own, with a pool on it.
pub struct TestDb {
    /// Pool on it.
    pub db: DatabaseConnection,
    /// The configuration the pool was made with (its database URL included).
    pub config: Config,
    fresh: FreshDatabase,
}

/// A person of a project: their id and the actor their writes are recorded as.
#[derive(Debug, Clone)]
pub struct Person {
    /// `app_users.id`.
    pub id: Uuid,
    /// `user:<id>`.
    pub actor: Actor,
}

impl TestDb {
    /// Creates and migrates a fresh database (a pool of 8).
    pub async fn new() -> Self {
        Self::with_pool(8).await
    }

    /// Creates and migrates a fresh database with a pool of `max_connections`.
    pub async fn with_pool(max_connections: u32) -> Self {
        let fresh = FreshDatabase::create("test").await;
        let config = Config {
            database_url: fresh.url.clone(),
            db_max_connections: max_connections,
            ..Config::default()
        };
        let pool = db::connect(&config)
            .await
            .expect("connect to test database");
        db::migrate(&pool, &config).await.expect("migrations apply");
        Self {
            db: pool,
            config,
            fresh,
        }
    }

    /// Drops the database (tests call it at the end, so a failed test leaves its database).
    pub async fn drop(self) {
        self.db.close().await.ok();
        self.fresh.drop().await;
    }

    /// A new project named `key` (with its own account scope).
    pub async fn project(&self, key: &str) -> Scope {
        self.project_with_id(Uuid::new_v4(), Uuid::new_v4(), key)
            .await
    }

    /// A project with fixed ids, so databases built alike hold identical rows.
    pub async fn project_with_id(&self, project_id: Uuid, scope_id: Uuid, key: &str) -> Scope {
        self.exec(
            "insert into account_scopes (id, scope_key, name) values ($1, $2, $2)",
            [scope_id.into(), format!("{key}-{scope_id}").into()],
        )
        .await;
        self.exec(
            "insert into projects (id, name, account_scope_id) values ($1, $2, $3)",
            [project_id.into(), key.into(), scope_id.into()],
        )
        .await;
        Scope::for_project(&self.db, project_id)
            .await
            .expect("scope")
    }

    /// A new user of no project (its username is `username` plus a unique suffix).
    pub async fn user(&self, username: &str) -> Uuid {
        let id = Uuid::new_v4();
        self.exec(
            "insert into app_users (id, username, password_hash) values ($1, $2, 'x')",
            [id.into(), format!("{username}-{}", id.simple()).into()],
        )
        .await;
        id
    }

    /// A new user who is a member of `scope`'s project.
    pub async fn member(&self, scope: &Scope, username: &str) -> Person {
        let id = self.user(username).await;
        self.exec(
            "insert into project_members (project_id, user_id, account_scope_id, role) \
             values ($1, $2, $3, 'member')",
            [
                scope.project_id().into(),
                id.into(),
                scope.account_scope_id().into(),
            ],
        )
        .await;
        Person {
            id,
            actor: Actor::new(format!("user:{id}"), Some(id)),
        }
    }

    /// Runs a statement with values.
    pub async fn exec<const N: usize>(&self, sql: &str, values: [DbValue; N]) {
        exec(&self.db, sql, values).await;
    }

    /// One integer.
    pub async fn scalar(&self, sql: &str) -> i64 {
        scalar(&self.db, sql).await
    }

    /// One text (null as "").
    pub async fn text(&self, sql: &str) -> String {
        one_row(&self.db, sql)
            .await
            .try_get_by_index::<Option<String>>(0)
            .expect("a text")
            .unwrap_or_default()
    }

    /// One text, or none for null.
    pub async fn optional_text(&self, sql: &str) -> Option<String> {
        one_row(&self.db, sql)
            .await
            .try_get_by_index::<Option<String>>(0)
            .expect("a text")
    }

    /// Runs `sql` (several statements allowed), expecting success.
    pub async fn run(&self, sql: &str) {
        self.db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// One json value.
    pub async fn json(&self, sql: &str) -> Value {
        one_row(&self.db, sql)
            .await
            .try_get_by_index::<Value>(0)
            .expect("a json value")
    }

    /// Rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("select count(*) from {table}")).await
    }

    /// Audit events with `action`.
    pub async fn audits(&self, action: &str) -> i64 {
        self.scalar(&format!(
            "select count(*) from audit_events where action = '{action}'"
        ))
        .await
    }
}

/// Runs a statement with values (panics with the SQL when it fails).
pub async fn exec<const N: usize>(db: &DatabaseConnection, sql: &str, values: [DbValue; N]) {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn one_row(db: &DatabaseConnection, sql: &str) -> sea_orm::QueryResult {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .unwrap_or_else(|| panic!("{sql}: no row"))
}

/// One integer from a query.
pub async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    one_row(db, sql)
        .await
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
