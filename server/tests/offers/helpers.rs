//! A fresh, migrated database per test; projects with their scope and members; Chatwoot
//! contacts, conversations, messages, signals and health scores written straight into their
//! tables; offers and campaigns built through the services; small query helpers.
use chrono::{DateTime, Utc};
use devtools::test_db::FreshDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as DbValue, prelude::Decimal};
use serde_json::{Value, json};
use server::{
    config::Config,
    db,
    domain::{
        crm::accounts::{self, Account, NewAccount},
        offers::{NewOffer, NewOfferItem},
    },
    kernel::{Actor, DomainError, Scope},
};
use uuid::Uuid;

/// A database of its own.
pub struct TestDb {
    /// Pool on it.
    pub db: DatabaseConnection,
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
    /// Creates and migrates a fresh database.
    pub async fn new() -> Self {
        let fresh = FreshDatabase::create("test_offers").await;
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

    /// A new member of `scope`'s project.
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

    /// A new user of no project.
    pub async fn user(&self, username: &str) -> Uuid {
        let id = Uuid::new_v4();
        self.exec(
            "insert into app_users (id, username, password_hash) values ($1, $2, 'x')",
            [id.into(), format!("{username}-{}", id.simple()).into()],
        )
        .await;
        id
    }

    /// Sets the project's offer approval threshold (percent).
    pub async fn threshold(&self, scope: &Scope, percent: &str) {
        self.exec(
            "insert into project_settings (project_id, account_scope_id, \
               offer_discount_approval_threshold) values ($1, $2, $3::numeric)",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                percent.into(),
            ],
        )
        .await;
    }

    /// Chatwoot contact `number` named `name` with `email`, additional attributes (e.g. city,
    /// company_name) and custom attributes.
    pub async fn contact(
        &self,
        scope: &Scope,
        number: i64,
        name: &str,
        email: Option<&str>,
        additional: Value,
        custom: Value,
    ) -> String {
        let id = contact_id(scope, number);
        self.exec(
            "insert into cw_contacts (id, project_id, account_scope_id, account_id, contact_id, \
               name, email, custom_attributes, data) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                chatwoot_account(scope).into(),
                number.into(),
                name.into(),
                email.map(str::to_owned).into(),
                custom.into(),
                json!({ "id": number, "additional_attributes": additional }).into(),
            ],
        )
        .await;
        id
    }

    /// A plain contact `number` named "Contact <number>" with an email.
    pub async fn plain_contact(&self, scope: &Scope, number: i64) -> String {
        self.contact(
            scope,
            number,
            &format!("Contact {number}"),
            Some(&format!("c{number}@example.com")),
            json!({}),
            json!({}),
        )
        .await
    }

    /// Conversation `number` of `contact` in `inbox` with Chatwoot `labels`, last active at
    /// `updated_at`.
    pub async fn conversation(
        &self,
        scope: &Scope,
        number: i64,
        contact: &str,
        inbox: i64,
        labels: &[&str],
        updated_at: DateTime<Utc>,
    ) -> String {
        let id = format!(
            "cw:{}:{}:{number}",
            scope.project_id(),
            chatwoot_account(scope)
        );
        self.exec(
            "insert into cw_conversations (id, project_id, account_scope_id, account_id, \
               conversation_id, contact_global_id, inbox_id, status, data, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9)",
            [
                id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                chatwoot_account(scope).into(),
                number.into(),
                contact.into(),
                inbox.into(),
                json!({ "labels": labels }).into(),
                updated_at.into(),
            ],
        )
        .await;
        id
    }

    /// Message `number` of `conversation` (`incoming`/`outgoing`, maybe private) at `at`.
    pub async fn message(
        &self,
        scope: &Scope,
        number: i64,
        conversation: &str,
        message_type: &str,
        private: bool,
        at: DateTime<Utc>,
    ) {
        self.exec(
            "insert into cw_messages (id, project_id, account_scope_id, account_id, message_id, \
               conversation_global_id, private, message_type, content, data, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, 'hello', '{}', $9)",
            [
                format!(
                    "cwmsg:{}:{}:{number}",
                    scope.project_id(),
                    chatwoot_account(scope)
                )
                .into(),
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
    }

    /// A signal of `signal_type` about `contact` with `status`, that occurred at `at`.
    pub async fn signal(
        &self,
        scope: &Scope,
        contact: &str,
        signal_type: &str,
        status: &str,
        at: DateTime<Utc>,
    ) {
        let id = Uuid::new_v4();
        self.exec(
            "insert into signals (id, project_id, account_scope_id, signal_type, status, \
               confidence, contact_global_id, evidence_refs, dedupe_key, occurred_at) \
             values ($1, $2, $3, $4, $5, 0.9, $6, '[{\"kind\": \"message\", \"id\": \"m\"}]', \
               $7, $8)",
            [
                id.into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                signal_type.into(),
                status.into(),
                contact.into(),
                format!("{signal_type}:{id}").into(),
                at.into(),
            ],
        )
        .await;
    }

    /// A health score of `account_id` with `band`, computed at `at`.
    pub async fn health(&self, scope: &Scope, account_id: Uuid, band: &str, at: DateTime<Utc>) {
        self.exec(
            "insert into health_scores (project_id, account_scope_id, account_id, score, band, \
               computed_at) values ($1, $2, $3, 50, $4, $5)",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account_id.into(),
                band.into(),
                at.into(),
            ],
        )
        .await;
    }

    /// An account named `name` with `domain` and `industry`, created by the system.
    pub async fn account(
        &self,
        scope: &Scope,
        name: &str,
        domain: Option<&str>,
        industry: Option<&str>,
    ) -> Account {
        accounts::create_account(
            &self.db,
            scope,
            &Actor::system("test"),
            NewAccount {
                name: name.to_owned(),
                domain: domain.map(str::to_owned),
                industry: industry.map(str::to_owned),
                ..NewAccount::default()
            },
        )
        .await
        .expect("account created")
    }

    /// Links `contact` to `account_id` with `status` (confirmed, suggested, rejected).
    pub async fn link(&self, scope: &Scope, account_id: Uuid, contact: &str, status: &str) {
        self.exec(
            "insert into crm_account_contacts (project_id, account_scope_id, account_id, \
               contact_global_id, link_status) values ($1, $2, $3, $4, $5)",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account_id.into(),
                contact.into(),
                status.into(),
            ],
        )
        .await;
    }

    /// Runs a statement with values.
    pub async fn exec<const N: usize>(&self, sql: &str, values: [DbValue; N]) {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                sql,
                values,
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
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

    /// One text (null as "").
    pub async fn text(&self, sql: &str) -> String {
        self.db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("one row")
            .try_get_by_index::<Option<String>>(0)
            .expect("a text")
            .unwrap_or_default()
    }

    /// One json value.
    pub async fn json(&self, sql: &str) -> Value {
        self.db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("one row")
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

/// A decimal from text.
pub fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// A line of `quantity` x `unit_price` at `discount` percent.
pub fn line(name: &str, quantity: &str, unit_price: &str, discount: &str) -> NewOfferItem {
    NewOfferItem {
        name: name.to_owned(),
        quantity: dec(quantity),
        unit_price: dec(unit_price),
        discount_pct: dec(discount),
        ..NewOfferItem::default()
    }
}

/// A new offer for `account_id` to `contact` with `items`, in EUR.
pub fn offer_for(account_id: Uuid, contact: &str, items: Vec<NewOfferItem>) -> NewOffer {
    NewOffer {
        title: "Annual plan".to_owned(),
        account_id: Some(account_id),
        contact_global_id: Some(contact.to_owned()),
        currency: Some("EUR".to_owned()),
        items,
        ..NewOffer::default()
    }
}

/// The sorted field names of a validation failure (panics on any other outcome).
pub fn fields<T: std::fmt::Debug>(result: Result<T, DomainError>) -> Vec<String> {
    match result {
        Err(DomainError::Validation(errors)) => {
            let mut fields: Vec<_> = errors.into_iter().map(|e| e.field).collect();
            fields.sort();
            fields
        }
        other => panic!("expected validation, got {other:?}"),
    }
}

/// The message of a conflict (panics on any other outcome).
pub fn conflict<T: std::fmt::Debug>(result: Result<T, DomainError>) -> String {
    match result {
        Err(DomainError::Conflict(message)) => message,
        other => panic!("expected conflict, got {other:?}"),
    }
}

/// Whether the outcome is NotFound.
pub fn not_found<T: std::fmt::Debug>(result: Result<T, DomainError>) -> bool {
    matches!(result, Err(DomainError::NotFound(_)))
}

/// A project with two members, an account and a contact confirmed on it with one
/// conversation: the usual stage of an offer test.
pub struct World {
    /// The project.
    pub scope: Scope,
    /// Writes offers.
    pub author: Person,
    /// Approves them.
    pub approver: Person,
    /// The account offers are for.
    pub account: Account,
    /// The recipient, confirmed on the account.
    pub contact: String,
}

impl TestDb {
    /// A [`World`] in a new project named `key`.
    pub async fn world(&self, key: &str) -> World {
        let scope = self.project(key).await;
        let author = self.member(&scope, "author").await;
        let approver = self.member(&scope, "approver").await;
        let account = self
            .account(&scope, "Acme", Some("acme.com"), Some("Retail"))
            .await;
        let contact = self
            .contact(
                &scope,
                1,
                "Ann Lee",
                Some("ann@acme.com"),
                json!({}),
                json!({}),
            )
            .await;
        self.link(&scope, account.id, &contact, "confirmed").await;
        World {
            scope,
            author,
            approver,
            account,
            contact,
        }
    }
}
