//! The CRM tests' fixtures on the shared `testkit::TestDb`: Chatwoot contacts and conversations
//! written straight into the mirror tables, accounts, links, signals and opportunities.
use serde_json::json;
use server::{
    domain::crm::accounts::{self, Account, NewAccount},
    kernel::{Actor, Scope},
};
pub use testkit::{TestDb, chatwoot_account, contact_id, exec};
use uuid::Uuid;

/// CRM fixtures written straight into their tables: Chatwoot contacts and conversations,
/// accounts, contact links, messages, signals and opportunities.
#[allow(async_fn_in_trait)]
pub trait CrmFixtures {
    /// A Chatwoot contact with an optional email and `additional_attributes.company_name`.
    async fn contact(
        &self,
        scope: &Scope,
        number: i64,
        email: Option<&str>,
        company: Option<&str>,
    ) -> String;
    /// A Chatwoot conversation.
    async fn conversation(&self, scope: &Scope, number: i64) -> String;
    /// An account named `name` with `domain`, created by the system.
    async fn account(&self, scope: &Scope, name: &str, domain: Option<&str>) -> Account;
    /// Links `contact` to `account_id`, confirmed.
    async fn confirmed_link(&self, scope: &Scope, account_id: Uuid, contact: &str);
    /// Conversation `number` of `contact` with Chatwoot `status` (open, pending, resolved, ...).
    async fn contact_conversation(
        &self,
        scope: &Scope,
        number: i64,
        contact: &str,
        status: &str,
    ) -> String;
    /// Message `number` (`incoming` or `outgoing`, maybe a private note) of `conversation`,
    /// written at `at`.
    async fn cw_message(
        &self,
        scope: &Scope,
        number: i64,
        conversation: &str,
        message_type: &str,
        private: bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> String;
    /// A signal of `signal_type` with `status` and `confidence` that occurred at `at`.
    async fn signal_row(
        &self,
        scope: &Scope,
        account_id: Option<Uuid>,
        signal_type: &str,
        status: &str,
        confidence: f64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Uuid;
    /// An opportunity of `account_id` in the default stage `stage_key` (lead ... won, lost),
    /// closed at `closed_at`.
    async fn opportunity_in(
        &self,
        scope: &Scope,
        account_id: Uuid,
        stage_key: &str,
        closed_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Uuid;
}

impl CrmFixtures for TestDb {
    /// A Chatwoot contact with an optional email and `additional_attributes.company_name`.
    async fn contact(
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
    async fn conversation(&self, scope: &Scope, number: i64) -> String {
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
    async fn account(&self, scope: &Scope, name: &str, domain: Option<&str>) -> Account {
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
    /// Links `contact` to `account_id`, confirmed.
    async fn confirmed_link(&self, scope: &Scope, account_id: Uuid, contact: &str) {
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
    async fn contact_conversation(
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
    async fn cw_message(
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
    async fn signal_row(
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
    async fn opportunity_in(
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
