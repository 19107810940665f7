//! A fresh, migrated database per test; projects with their scope and members; Chatwoot
//! contacts, conversations, messages, signals and health scores written straight into their
//! tables; offers and campaigns built through the services; small query helpers.
use chrono::{DateTime, Utc};
use sea_orm::prelude::Decimal;
use serde_json::{Value, json};
use server::{
    domain::{
        crm::accounts::{self, Account, NewAccount},
        offers::{NewOffer, NewOfferItem},
    },
    kernel::{Actor, Scope},
};
// Offers and campaigns share this file; each binary uses part of what it re-exports.
#[allow(unused_imports)]
pub use testkit::{Person, TestDb, chatwoot_account, conflict, contact_id, fields, not_found};
use uuid::Uuid;

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

/// Offer and campaign fixtures: settings, Chatwoot contacts, conversations and messages,
/// signals, health scores, accounts and links written straight into their tables, and the
/// usual [`World`] of an offer test.
#[allow(async_fn_in_trait)]
pub trait OfferFixtures {
    /// Sets the project's offer approval threshold (percent).
    async fn threshold(&self, scope: &Scope, percent: &str);
    /// Chatwoot contact `number` named `name` with `email`, additional attributes (e.g. city,
    /// company_name) and custom attributes.
    async fn contact(
        &self,
        scope: &Scope,
        number: i64,
        name: &str,
        email: Option<&str>,
        additional: Value,
        custom: Value,
    ) -> String;
    /// A plain contact `number` named "Contact <number>" with an email.
    async fn plain_contact(&self, scope: &Scope, number: i64) -> String;
    /// Conversation `number` of `contact` in `inbox` with Chatwoot `labels`, last active at
    /// `updated_at`.
    async fn conversation(
        &self,
        scope: &Scope,
        number: i64,
        contact: &str,
        inbox: i64,
        labels: &[&str],
        updated_at: DateTime<Utc>,
    ) -> String;
    /// Message `number` of `conversation` (`incoming`/`outgoing`, maybe private) at `at`.
    async fn message(
        &self,
        scope: &Scope,
        number: i64,
        conversation: &str,
        message_type: &str,
        private: bool,
        at: DateTime<Utc>,
    );
    /// A signal of `signal_type` about `contact` with `status`, that occurred at `at`.
    async fn signal(
        &self,
        scope: &Scope,
        contact: &str,
        signal_type: &str,
        status: &str,
        at: DateTime<Utc>,
    );
    /// A health score of `account_id` with `band`, computed at `at`.
    async fn health(&self, scope: &Scope, account_id: Uuid, band: &str, at: DateTime<Utc>);
    /// An account named `name` with `domain` and `industry`, created by the system.
    async fn account(
        &self,
        scope: &Scope,
        name: &str,
        domain: Option<&str>,
        industry: Option<&str>,
    ) -> Account;
    /// Links `contact` to `account_id` with `status` (confirmed, suggested, rejected).
    async fn link(&self, scope: &Scope, account_id: Uuid, contact: &str, status: &str);
    /// A [`World`] in a new project named `key`.
    async fn world(&self, key: &str) -> World;
}

impl OfferFixtures for TestDb {
    /// Sets the project's offer approval threshold (percent).
    async fn threshold(&self, scope: &Scope, percent: &str) {
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
    async fn contact(
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
    async fn plain_contact(&self, scope: &Scope, number: i64) -> String {
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
    async fn conversation(
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
    async fn message(
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
    async fn signal(
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
    async fn health(&self, scope: &Scope, account_id: Uuid, band: &str, at: DateTime<Utc>) {
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
    async fn account(
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
    async fn link(&self, scope: &Scope, account_id: Uuid, contact: &str, status: &str) {
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
    /// A [`World`] in a new project named `key`.
    async fn world(&self, key: &str) -> World {
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
