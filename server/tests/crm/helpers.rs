//! A fresh, migrated database per test, projects with their scope, members, Chatwoot contacts
//! and conversations written straight into the mirror tables, and small query helpers.
use devtools::test_db::FreshDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as DbValue};
use serde_json::json;
use server::{
    config::Config,
    db,
    domain::crm::accounts::{self, Account, NewAccount},
    kernel::{Actor, Scope},
};
use uuid::Uuid;

/// A database of its own.
pub struct TestDb {
    /// Pool on it.
    pub db: DatabaseConnection,
    fresh: FreshDatabase,
}

impl TestDb {
    /// Creates and migrates a fresh database.
    pub async fn new() -> Self {
        let fresh = FreshDatabase::create("test_crm").await;
        let config = Config {
            database_url: fresh.url.clone(),
            db_max_connections: 4,
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

    /// A new user who is a member of `scope`'s project.
    pub async fn member(&self, scope: &Scope, username: &str) -> Uuid {
        let id = self.user(username).await;
        exec(
            &self.db,
            "insert into project_members (project_id, user_id, account_scope_id, role) \
             values ($1, $2, $3, 'member')",
            [
                scope.project_id().into(),
                id.into(),
                scope.account_scope_id().into(),
            ],
        )
        .await;
        id
    }

    /// A new user of no project.
    pub async fn user(&self, username: &str) -> Uuid {
        let id = Uuid::new_v4();
        exec(
            &self.db,
            "insert into app_users (id, username, password_hash) values ($1, $2, 'x')",
            [id.into(), format!("{username}-{}", id.simple()).into()],
        )
        .await;
        id
    }

    /// A Chatwoot contact with an optional email and `additional_attributes.company_name`.
    pub async fn contact(
        &self,
        scope: &Scope,
        number: i64,
        email: Option<&str>,
        company: Option<&str>,
    ) -> String {
        let id = contact_id(scope, number);
        let mut additional = json!({ "city": "Berlin" });
        if let Some(company) = company {
            additional["company_name"] = json!(company);
        }
        exec(
            &self.db,
            "insert into cw_contacts (id, project_id, account_scope_id, account_id, contact_id, \
               name, email, data) values ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                chatwoot_account(scope).into(),
                number.into(),
                format!("Contact {number}").into(),
                email.map(str::to_owned).into(),
                json!({ "id": number, "email": email, "additional_attributes": additional }).into(),
            ],
        )
        .await;
        id
    }

    /// A Chatwoot conversation.
    pub async fn conversation(&self, scope: &Scope, number: i64) -> String {
        let id = format!(
            "cw:{}:{}:{number}",
            scope.project_id(),
            chatwoot_account(scope)
        );
        exec(
            &self.db,
            "insert into cw_conversations (id, project_id, account_scope_id, account_id, \
               conversation_id, data) values ($1, $2, $3, $4, $5, '{}')",
            [
                id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                chatwoot_account(scope).into(),
                number.into(),
            ],
        )
        .await;
        id
    }

    /// An account named `name` with `domain`, created by the system.
    pub async fn account(&self, scope: &Scope, name: &str, domain: Option<&str>) -> Account {
        accounts::create_account(
            &self.db,
            scope,
            &Actor::system("test"),
            NewAccount {
                name: name.to_owned(),
                domain: domain.map(str::to_owned),
                ..NewAccount::default()
            },
        )
        .await
        .expect("account created")
    }

    /// One integer.
    pub async fn scalar(&self, sql: &str) -> i64 {
        self.db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("one row")
            .try_get_by_index::<i64>(0)
            .expect("an integer")
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

/// Chatwoot account id of a project's contacts (contact ids are unique per Chatwoot account
/// across projects, so each project gets its own).
pub fn chatwoot_account(scope: &Scope) -> i64 {
    i64::from_str_radix(&scope.project_id().simple().to_string()[..7], 16).expect("hex")
}

/// `cwc:` id of contact `number` in `scope`.
pub fn contact_id(scope: &Scope, number: i64) -> String {
    format!(
        "cwc:{}:{}:{number}",
        scope.project_id(),
        chatwoot_account(scope)
    )
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

/// Fixtures of health scores and the risk radar (issue 6): contact links, conversations with a
/// status, messages, signals and opportunities written straight into their tables.
impl TestDb {
    /// Links `contact` to `account_id`, confirmed.
    pub async fn confirmed_link(&self, scope: &Scope, account_id: Uuid, contact: &str) {
        exec(
            &self.db,
            "insert into crm_account_contacts (project_id, account_scope_id, account_id, \
               contact_global_id, link_status) values ($1, $2, $3, $4, 'confirmed')",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account_id.into(),
                contact.into(),
            ],
        )
        .await;
    }

    /// Conversation `number` of `contact` with Chatwoot `status` (open, pending, resolved, ...).
    pub async fn contact_conversation(
        &self,
        scope: &Scope,
        number: i64,
        contact: &str,
        status: &str,
    ) -> String {
        let id = self.conversation(scope, number).await;
        exec(
            &self.db,
            "update cw_conversations set contact_global_id = $2, status = $3 where id = $1",
            [id.clone().into(), contact.into(), status.into()],
        )
        .await;
        id
    }

    /// Message `number` (`incoming` or `outgoing`, maybe a private note) of `conversation`,
    /// written at `at`.
    pub async fn cw_message(
        &self,
        scope: &Scope,
        number: i64,
        conversation: &str,
        message_type: &str,
        private: bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> String {
        let id = format!(
            "cwmsg:{}:{}:{number}",
            scope.project_id(),
            chatwoot_account(scope)
        );
        exec(
            &self.db,
            "insert into cw_messages (id, project_id, account_scope_id, account_id, message_id, \
               conversation_global_id, private, message_type, content, data, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, 'text', '{}', $9)",
            [
                id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                chatwoot_account(scope).into(),
                number.into(),
                conversation.into(),
                private.into(),
                message_type.into(),
                at.into(),
            ],
        )
        .await;
        id
    }

    /// A signal of `signal_type` with `status` and `confidence` that occurred at `at`.
    pub async fn signal_row(
        &self,
        scope: &Scope,
        account_id: Option<Uuid>,
        signal_type: &str,
        status: &str,
        confidence: f64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Uuid {
        let id = Uuid::new_v4();
        exec(
            &self.db,
            "insert into signals (id, project_id, account_scope_id, signal_type, status, \
               confidence, account_id, summary, evidence_refs, dedupe_key, occurred_at) \
             values ($1, $2, $3, $4, $5, $6, $7, 'We are thinking about cancelling', \
               '[{\"kind\": \"message\", \"id\": \"m\"}]', $8, $9)",
            [
                id.into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                signal_type.into(),
                status.into(),
                confidence.into(),
                account_id.into(),
                format!("{signal_type}:{id}").into(),
                at.into(),
            ],
        )
        .await;
        id
    }

    /// An opportunity of `account_id` in the default stage `stage_key` (lead ... won, lost),
    /// closed at `closed_at`.
    pub async fn opportunity_in(
        &self,
        scope: &Scope,
        account_id: Uuid,
        stage_key: &str,
        closed_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Uuid {
        server::domain::crm::pipeline::ensure_default_stages(&self.db, scope)
            .await
            .expect("stages");
        let id = Uuid::new_v4();
        exec(
            &self.db,
            "insert into crm_opportunities (id, project_id, account_scope_id, account_id, name, \
               currency, stage_id, closed_at) \
             select $1, $2, $3, $4, 'Deal', 'EUR', s.id, $6 from crm_pipeline_stages s \
             where s.project_id = $2 and s.key = $5",
            [
                id.into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account_id.into(),
                stage_key.into(),
                closed_at.into(),
            ],
        )
        .await;
        id
    }
}
