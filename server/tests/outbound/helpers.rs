//! A fresh, migrated database per test with one project bound to a fake Chatwoot: two contacts
//! with one conversation each, mirrored in the database as ingestion would have written them;
//! an author and an approver; a sender that retries at once; and small query helpers.
use std::{collections::BTreeMap, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;
use server::{
    domain::{
        conversations::sources::{NewChatwootSource, bind_source},
        outbound::{
            Actor,
            messages::{self, NewMessage},
            sender::{self, BatchReport, SenderOptions},
        },
    },
    integrations::chatwoot::{ClientOptions, RetryPolicy},
    kernel::Scope,
};
use testkit::fake_chatwoot::{
    FakeChatwoot, World,
    world::{Account, Agent, Contact, Conversation, Inbox, Message},
};
pub use testkit::{TestDb, exec};
use uuid::Uuid;

/// The Chatwoot account the fake serves.
pub const ACCOUNT_ID: i64 = 7;
/// The fake's API token.
pub const TOKEN: &str = "outbound-test-token";
/// Chatwoot ids of the two contacts and their conversations' display ids.
pub const CONTACTS: [(i64, i64); 2] = [(501, 11), (502, 12)];

/// Who wrote an ingested message, and how.
#[derive(Debug, Clone, Copy)]
pub enum Written {
    /// The contact, publicly.
    Incoming,
    /// A private note.
    PrivateNote,
    /// An agent's reply.
    Outgoing,
}

/// A Chatwoot account with one API inbox, one agent and, per `(contact, display id)`, a
/// contact with one empty open conversation.
pub fn world(account_id: i64, contacts: &[(i64, i64)]) -> World {
    let now = chrono::Utc::now().timestamp() - 3_600;
    let mut account = Account {
        id: account_id,
        name: "Outbound Co".to_owned(),
        inboxes: vec![Inbox {
            id: 1,
            name: "API".to_owned(),
            channel_type: "Channel::Api".to_owned(),
        }],
        agents: vec![Agent {
            id: 1,
            name: "Agent One".to_owned(),
            email: "agent@outbound.example".to_owned(),
        }],
        contacts: BTreeMap::new(),
        conversations: BTreeMap::new(),
        messages: BTreeMap::new(),
    };
    for (contact, display) in contacts {
        account.contacts.insert(
            *contact,
            Contact {
                id: *contact,
                name: format!("Contact {contact}"),
                email: Some(format!("c{contact}@example.com")),
                phone_number: None,
                identifier: None,
                additional_attributes: json!({}),
                custom_attributes: json!({}),
                created_at: now,
                updated_at: now,
                last_activity_at: Some(now),
                contact_inboxes: vec![(1, format!("src-{contact}"))],
            },
        );
        account.conversations.insert(
            *display,
            Conversation {
                display_id: *display,
                uuid: Uuid::new_v4().to_string(),
                inbox_id: 1,
                contact_id: *contact,
                assignee_id: Some(1),
                status: "open".to_owned(),
                labels: Vec::new(),
                created_at: now,
                last_activity_at: now,
                additional_attributes: json!({}),
            },
        );
    }
    let mut world = World::new();
    world.accounts.insert(account_id, account);
    world
}

/// One project bound to a fake Chatwoot, with two contacts, an author and an approver.
pub struct Fixture {
    /// The database.
    pub test: TestDb,
    /// The fake Chatwoot.
    pub fake: FakeChatwoot,
    /// The project.
    pub scope: Scope,
    /// Writes messages.
    pub author: Actor,
    /// Approves them.
    pub approver: Actor,
    /// The first contact (`cwc:`) and its conversation (`cw:`).
    pub contact: String,
    /// The first contact's conversation.
    pub conversation: String,
    /// The second contact.
    pub other_contact: String,
}

impl Fixture {
    /// Builds it.
    pub async fn new() -> Self {
        let test = TestDb::new().await;
        let fake = FakeChatwoot::start(world(ACCOUNT_ID, &CONTACTS), TOKEN)
            .await
            .expect("fake chatwoot starts");
        let scope = test.project("outbound").await;
        bind_source(
            &test.db,
            &scope,
            NewChatwootSource {
                account_id: ACCOUNT_ID,
                base_url: fake.base_url(),
                api_access_token: TOKEN.to_owned(),
                webhook_secret: Some("secret".to_owned()),
                verify_signatures: false,
                sync_interval_seconds: 300,
                enabled: true,
            },
        )
        .await
        .expect("source bound");
        let (contact, conversation) = test
            .mirror(&scope, ACCOUNT_ID, CONTACTS[0].0, CONTACTS[0].1)
            .await;
        let (other_contact, _) = test
            .mirror(&scope, ACCOUNT_ID, CONTACTS[1].0, CONTACTS[1].1)
            .await;
        let author = test.member(&scope, "author").await.actor;
        let approver = test.member(&scope, "approver").await.actor;
        Self {
            test,
            fake,
            scope,
            author,
            approver,
            contact,
            conversation,
            other_contact,
        }
    }

    /// Drops the database and stops the fake.
    pub async fn drop(self) {
        self.fake.stop().await;
        self.test.drop().await;
    }

    /// The pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.test.db
    }

    /// A draft to `contact` by the author (conversation left to the sender).
    pub async fn draft_to(&self, contact: &str, content: &str) -> Uuid {
        messages::create_message(
            self.db(),
            &self.scope,
            &self.author,
            NewMessage {
                contact_id: contact.to_owned(),
                content: content.to_owned(),
                ..NewMessage::default()
            },
        )
        .await
        .expect("draft created")
        .id
    }

    /// A message to `contact` written, submitted and approved (so queued).
    pub async fn approved_to(&self, contact: &str, content: &str) -> Uuid {
        let id = self.draft_to(contact, content).await;
        messages::submit_message(self.db(), &self.scope, &self.author, id)
            .await
            .expect("submitted");
        messages::approve_message(self.db(), &self.scope, &self.approver, id)
            .await
            .expect("approved");
        id
    }

    /// [`Fixture::approved_to`] the first contact.
    pub async fn approved(&self, content: &str) -> Uuid {
        self.approved_to(&self.contact.clone(), content).await
    }

    /// A sender that retries at once (no backoff) and does not retry reads inline.
    pub fn options(&self, name: &str) -> SenderOptions {
        let mut options = SenderOptions::new(name, 10);
        options.base_backoff = Duration::ZERO;
        options.max_backoff = Duration::ZERO;
        options.client = ClientOptions {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            retry: RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            },
            ..ClientOptions::default()
        };
        options
    }

    /// One batch of the test sender.
    pub async fn send(&self) -> BatchReport {
        sender::process_batch(self.db(), &self.options("test-sender"))
            .await
            .expect("batch runs")
    }

    /// Messages in the fake's conversation `display`.
    pub fn posted(&self, display: i64) -> Vec<Message> {
        self.fake.with_world(|w| {
            w.account(ACCOUNT_ID)
                .and_then(|a| a.messages.get(&display).cloned())
                .unwrap_or_default()
        })
    }

    /// Messages in the first contact's conversation.
    pub fn posted_to_first(&self) -> Vec<Message> {
        self.posted(CONTACTS[0].1)
    }

    /// A message's status.
    pub async fn status(&self, id: Uuid) -> String {
        self.test
            .optional_text(&format!(
                "select status from outbound_messages where id = '{id}'"
            ))
            .await
            .expect("a status")
    }

    /// Statuses of a message's attempts, in order.
    pub async fn attempt_statuses(&self, id: Uuid) -> Vec<String> {
        let rows = self
            .db()
            .query_all_raw(Statement::from_string(
                self.db().get_database_backend(),
                format!(
                    "select status from outbound_attempts where outbound_message_id = '{id}' \
                     order by attempt_no"
                ),
            ))
            .await
            .expect("attempts");
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("status"))
            .collect()
    }

    /// Audit events with `action` about `target`.
    pub async fn audits(&self, action: &str, target: Uuid) -> i64 {
        self.test
            .scalar(&format!(
                "select count(*) from audit_events where action = '{action}' \
                 and target_id = '{target}'"
            ))
            .await
    }
}

/// The `revintel_outbound_id` marker of a fake message.
pub fn marker(message: &Message) -> Option<String> {
    message
        .content_attributes
        .get(server::domain::outbound::sender::MARKER_KEY)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// The Chatwoot mirror as ingestion writes it: a contact with its conversation, and messages.
#[allow(async_fn_in_trait)]
pub trait OutboundFixtures {
    /// Mirrors Chatwoot contact `contact` (of `account`) and its conversation `display` as
    /// ingestion writes them; returns their global ids.
    async fn mirror(
        &self,
        scope: &Scope,
        account: i64,
        contact: i64,
        display: i64,
    ) -> (String, String);
    /// A message of `conversation` (by `contact`, or an agent's) written by ingestion.
    async fn inbound(
        &self,
        scope: &Scope,
        number: i64,
        conversation: &str,
        contact: &str,
        written: Written,
        content: &str,
    ) -> String;
}

impl OutboundFixtures for TestDb {
    /// Mirrors Chatwoot contact `contact` (of `account`) and its conversation `display` as
    /// ingestion writes them; returns their global ids.
    async fn mirror(
        &self,
        scope: &Scope,
        account: i64,
        contact: i64,
        display: i64,
    ) -> (String, String) {
        let contact_id = format!("cwc:{}:{account}:{contact}", scope.project_id());
        let conversation_id = format!("cw:{}:{account}:{display}", scope.project_id());
        exec(
            &self.db,
            "insert into cw_contacts (id, project_id, account_scope_id, account_id, contact_id, \
               name, data) values ($1, $2, $3, $4, $5, $6, '{}')",
            [
                contact_id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account.into(),
                contact.into(),
                format!("Contact {contact}").into(),
            ],
        )
        .await;
        exec(
            &self.db,
            "insert into cw_conversations (id, project_id, account_scope_id, account_id, \
               conversation_id, contact_global_id, inbox_id, status, data, updated_at) \
             values ($1, $2, $3, $4, $5, $6, 1, 'open', '{}', now())",
            [
                conversation_id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account.into(),
                display.into(),
                contact_id.clone().into(),
            ],
        )
        .await;
        (contact_id, conversation_id)
    }

    /// A message of `conversation` (by `contact`, or an agent's) written by ingestion.
    async fn inbound(
        &self,
        scope: &Scope,
        number: i64,
        conversation: &str,
        contact: &str,
        written: Written,
        content: &str,
    ) -> String {
        let (message_type, private) = match written {
            Written::Incoming => ("incoming", false),
            Written::PrivateNote => ("incoming", true),
            Written::Outgoing => ("outgoing", false),
        };
        let id = format!("cwmsg:{}:{ACCOUNT_ID}:{number}", scope.project_id());
        exec(
            &self.db,
            "insert into cw_messages (id, project_id, account_scope_id, account_id, message_id, \
               conversation_global_id, contact_global_id, private, message_type, content, \
               data, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '{}', now())",
            [
                id.clone().into(),
                scope.project_id().into(),
                scope.account_scope_id().into(),
                ACCOUNT_ID.into(),
                number.into(),
                conversation.into(),
                contact.into(),
                private.into(),
                message_type.into(),
                content.into(),
            ],
        )
        .await;
        id
    }
}
