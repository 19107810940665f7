//! The fake's data: accounts with inboxes, agents, contacts, conversations and messages, plus the
//! few mutations tests and the dev server need (new messages, edits, status changes).
use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Everything the fake Chatwoot knows. Contact and message ids are global (as in Chatwoot,
/// where they are table ids); conversation ids are per-account display ids.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Accounts by id.
    pub accounts: BTreeMap<i64, Account>,
    pub(crate) next_contact_id: i64,
    pub(crate) next_message_id: i64,
    pub(crate) next_attachment_id: i64,
}

/// One Chatwoot account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Account id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Inboxes (channels).
    pub inboxes: Vec<Inbox>,
    /// Agents who reply and write private notes.
    pub agents: Vec<Agent>,
    /// Contacts by id, resolved and anonymous.
    pub contacts: BTreeMap<i64, Contact>,
    /// Conversations by display id.
    pub conversations: BTreeMap<i64, Conversation>,
    /// Messages of each conversation (by display id), in id order.
    pub messages: BTreeMap<i64, Vec<Message>>,
}

/// An inbox.
#[derive(Debug, Clone)]
pub struct Inbox {
    /// Inbox id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Chatwoot channel class, e.g. `Channel::WebWidget`.
    pub channel_type: String,
}

/// An agent (a Chatwoot user).
#[derive(Debug, Clone)]
pub struct Agent {
    /// User id.
    pub id: i64,
    /// Full name.
    pub name: String,
    /// Login email.
    pub email: String,
}

/// A contact. Anonymous web-widget visitors have no email, phone or identifier.
#[derive(Debug, Clone)]
pub struct Contact {
    /// Contact id.
    pub id: i64,
    /// Name (anonymous visitors get names like `small-frost-826`).
    pub name: String,
    /// Email address.
    pub email: Option<String>,
    /// Phone number (E.164).
    pub phone_number: Option<String>,
    /// External identifier.
    pub identifier: Option<String>,
    /// `additional_attributes` (company, city, browser, ...).
    pub additional_attributes: Value,
    /// `custom_attributes` (plan, seats, ...).
    pub custom_attributes: Value,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Unix seconds of the latest conversation activity.
    pub last_activity_at: Option<i64>,
    /// `(inbox_id, source_id)` pairs.
    pub contact_inboxes: Vec<(i64, String)>,
}

impl Contact {
    /// Chatwoot's contact list returns only contacts with an identifier, email or phone.
    pub fn is_resolved(&self) -> bool {
        self.email.is_some() || self.phone_number.is_some() || self.identifier.is_some()
    }
}

/// A conversation.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Per-account display id (what URLs and payloads call `id`).
    pub display_id: i64,
    /// Conversation uuid.
    pub uuid: String,
    /// Inbox.
    pub inbox_id: i64,
    /// The contact.
    pub contact_id: i64,
    /// Assigned agent.
    pub assignee_id: Option<i64>,
    /// open | resolved | pending | snoozed.
    pub status: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the latest activity.
    pub last_activity_at: i64,
    /// `additional_attributes`.
    pub additional_attributes: Value,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The conversation's contact.
    Contact(i64),
    /// An agent.
    Agent(i64),
}

/// An attachment of a message.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Attachment id.
    pub id: i64,
    /// image | file | audio | video.
    pub file_type: String,
    /// File extension.
    pub extension: String,
    /// Bytes.
    pub file_size: i64,
}

/// A message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Message id (global).
    pub id: i64,
    /// Conversation display id.
    pub conversation_id: i64,
    /// Inbox.
    pub inbox_id: i64,
    /// Text; `None` for attachment-only messages.
    pub content: Option<String>,
    /// 0 incoming, 1 outgoing, 2 activity, 3 template.
    pub message_type: i32,
    /// Private note.
    pub private: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last edit (equal to `created_at` when never edited).
    pub updated_at: i64,
    /// Author; activity messages have none.
    pub sender: Option<Sender>,
    /// sent | delivered | read | failed.
    pub status: String,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// `content_attributes`.
    pub content_attributes: Value,
}

/// Message counts of one account, as a sync should reproduce them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Contacts returned by the contact list (resolved ones).
    pub listed_contacts: usize,
    /// All contacts, including anonymous ones seen only as a conversation's sender.
    pub contacts: usize,
    /// Conversations.
    pub conversations: usize,
    /// Messages.
    pub messages: usize,
}

/// A message to add with [`World::add_message`].
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Text.
    pub content: Option<String>,
    /// 0 incoming, 1 outgoing, 2 activity, 3 template.
    pub message_type: i32,
    /// Private note.
    pub private: bool,
    /// Author.
    pub sender: Option<Sender>,
    /// Unix seconds.
    pub at: i64,
}

/// Names of message types, as webhook bodies spell them.
pub fn message_type_name(message_type: i32) -> &'static str {
    match message_type {
        0 => "incoming",
        1 => "outgoing",
        2 => "activity",
        _ => "template",
    }
}

/// Unix seconds as Chatwoot's webhook ISO-8601 form (`2025-01-06T09:00:00.000Z`).
pub fn iso(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl World {
    /// An empty world; ids start where a busy Chatwoot's might.
    pub fn new() -> Self {
        Self {
            accounts: BTreeMap::new(),
            next_contact_id: 1_001,
            next_message_id: 50_001,
            next_attachment_id: 9_001,
        }
    }

    /// The account, if it exists.
    pub fn account(&self, account_id: i64) -> Option<&Account> {
        self.accounts.get(&account_id)
    }

    /// What a complete sync of `account_id` must reproduce.
    pub fn totals(&self, account_id: i64) -> Option<Totals> {
        let account = self.accounts.get(&account_id)?;
        Some(Totals {
            listed_contacts: account
                .contacts
                .values()
                .filter(|c| c.is_resolved())
                .count(),
            contacts: account.contacts.len(),
            conversations: account.conversations.len(),
            messages: account.messages.values().map(Vec::len).sum(),
        })
    }

    /// Every message id of the account, ascending.
    pub fn message_ids(&self, account_id: i64) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .accounts
            .get(&account_id)
            .map(|a| a.messages.values().flatten().map(|m| m.id).collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    /// Finds a message by id.
    pub fn message(&self, account_id: i64, message_id: i64) -> Option<&Message> {
        self.accounts
            .get(&account_id)?
            .messages
            .values()
            .flatten()
            .find(|m| m.id == message_id)
    }

    pub(crate) fn take_message_id(&mut self) -> i64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    pub(crate) fn take_contact_id(&mut self) -> i64 {
        let id = self.next_contact_id;
        self.next_contact_id += 1;
        id
    }

    pub(crate) fn take_attachment_id(&mut self) -> i64 {
        let id = self.next_attachment_id;
        self.next_attachment_id += 1;
        id
    }

    /// Appends a message to a conversation, bumping its (and, for incoming ones, its contact's)
    /// last activity the way Chatwoot does. Returns the new message id.
    pub fn add_message(
        &mut self,
        account_id: i64,
        display_id: i64,
        new: NewMessage,
    ) -> Option<i64> {
        let id = self.take_message_id();
        let account = self.accounts.get_mut(&account_id)?;
        let conversation = account.conversations.get_mut(&display_id)?;
        conversation.last_activity_at = conversation.last_activity_at.max(new.at);
        let inbox_id = conversation.inbox_id;
        let contact_id = conversation.contact_id;
        if new.message_type == 0
            && let Some(contact) = account.contacts.get_mut(&contact_id)
        {
            contact.last_activity_at = Some(contact.last_activity_at.unwrap_or(0).max(new.at));
        }
        account
            .messages
            .entry(display_id)
            .or_default()
            .push(Message {
                id,
                conversation_id: display_id,
                inbox_id,
                content: new.content,
                message_type: new.message_type,
                private: new.private,
                created_at: new.at,
                updated_at: new.at,
                sender: new.sender,
                status: "sent".to_owned(),
                attachments: Vec::new(),
                content_attributes: json!({}),
            });
        Some(id)
    }

    /// Replaces a message's `content_attributes` (what a POST sent along). False when the
    /// message does not exist.
    pub fn set_content_attributes(
        &mut self,
        account_id: i64,
        message_id: i64,
        attributes: Value,
    ) -> bool {
        let Some(account) = self.accounts.get_mut(&account_id) else {
            return false;
        };
        match account
            .messages
            .values_mut()
            .flatten()
            .find(|m| m.id == message_id)
        {
            Some(message) => {
                message.content_attributes = attributes;
                true
            }
            None => false,
        }
    }

    /// Replaces a message's text in place (an edit). Chatwoot does not bump the conversation's
    /// activity for edits, so only webhooks or a full re-scan reveal them.
    pub fn edit_message(
        &mut self,
        account_id: i64,
        message_id: i64,
        content: &str,
        at: i64,
    ) -> bool {
        let Some(account) = self.accounts.get_mut(&account_id) else {
            return false;
        };
        for message in account.messages.values_mut().flatten() {
            if message.id == message_id {
                message.content = Some(content.to_owned());
                message.updated_at = at;
                return true;
            }
        }
        false
    }

    /// Edits `n` text messages chosen deterministically (every k-th one) and returns their ids.
    pub fn apply_scripted_edits(&mut self, account_id: i64, n: usize, at: i64) -> Vec<i64> {
        let Some(account) = self.accounts.get(&account_id) else {
            return Vec::new();
        };
        let candidates: Vec<(i64, String)> = account
            .messages
            .values()
            .flatten()
            .filter(|m| m.message_type <= 1)
            .filter_map(|m| m.content.clone().map(|c| (m.id, c)))
            .collect();
        if candidates.is_empty() || n == 0 {
            return Vec::new();
        }
        let step = (candidates.len() / n).max(1);
        let picked: Vec<(i64, String)> = candidates.into_iter().step_by(step).take(n).collect();
        picked
            .into_iter()
            .filter(|(id, content)| {
                let edited = format!("{content} (edited: corrected the details above)");
                self.edit_message(account_id, *id, &edited, at)
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// Changes a conversation's status (an activity message is added, as Chatwoot does).
    pub fn set_status(&mut self, account_id: i64, display_id: i64, status: &str, at: i64) -> bool {
        let Some(account) = self.accounts.get_mut(&account_id) else {
            return false;
        };
        let Some(conversation) = account.conversations.get_mut(&display_id) else {
            return false;
        };
        conversation.status = status.to_owned();
        self.add_message(
            account_id,
            display_id,
            NewMessage {
                content: Some(format!("Conversation was marked {status}")),
                message_type: 2,
                private: false,
                sender: None,
                at,
            },
        )
        .is_some()
    }
}

/// JSON renderings in Chatwoot's shapes.
impl Account {
    fn inbox(&self, id: i64) -> Option<&Inbox> {
        self.inboxes.iter().find(|i| i.id == id)
    }

    fn agent(&self, id: i64) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    /// `api/v1/models/_contact` (with `contact_inboxes` on the `/contacts` endpoints).
    pub fn contact_json(&self, contact: &Contact, with_contact_inboxes: bool) -> Value {
        let mut v = json!({
            "availability_status": "offline",
            "email": contact.email,
            "id": contact.id,
            "name": contact.name,
            "phone_number": contact.phone_number,
            "identifier": contact.identifier,
            "thumbnail": "",
            "additional_attributes": contact.additional_attributes,
            "custom_attributes": contact.custom_attributes,
            "created_at": contact.created_at,
            "updated_at": contact.updated_at,
        });
        if let Some(at) = contact.last_activity_at {
            v["last_activity_at"] = json!(at);
        }
        if with_contact_inboxes {
            v["contact_inboxes"] = contact
                .contact_inboxes
                .iter()
                .map(|(inbox_id, source_id)| {
                    json!({
                        "source_id": source_id,
                        "inbox": self.inbox(*inbox_id).map(|i| self.inbox_json(i)),
                    })
                })
                .collect();
        }
        v
    }

    fn inbox_json(&self, inbox: &Inbox) -> Value {
        json!({
            "id": inbox.id,
            "avatar_url": "",
            "channel_id": inbox.id,
            "name": inbox.name,
            "channel_type": inbox.channel_type,
            "provider": null,
        })
    }

    /// `api/v1/models/_agent`.
    pub fn agent_json(&self, agent: &Agent) -> Value {
        json!({
            "id": agent.id,
            "account_id": self.id,
            "availability_status": "online",
            "auto_offline": true,
            "confirmed": true,
            "email": agent.email,
            "available_name": agent.name,
            "name": agent.name,
            "role": "agent",
            "thumbnail": "",
            "custom_role_id": null,
        })
    }

    fn sender_push_json(&self, sender: Option<Sender>) -> Option<Value> {
        match sender? {
            Sender::Contact(id) => {
                let c = self.contacts.get(&id)?;
                Some(json!({
                    "additional_attributes": c.additional_attributes,
                    "custom_attributes": c.custom_attributes,
                    "email": c.email,
                    "id": c.id,
                    "identifier": c.identifier,
                    "name": c.name,
                    "phone_number": c.phone_number,
                    "thumbnail": "",
                    "type": "contact",
                }))
            }
            Sender::Agent(id) => {
                let a = self.agent(id)?;
                Some(json!({
                    "id": a.id,
                    "name": a.name,
                    "available_name": a.name,
                    "avatar_url": "",
                    "type": "user",
                    "availability_status": "online",
                    "thumbnail": "",
                }))
            }
        }
    }

    fn attachment_json(&self, message: &Message, a: &Attachment) -> Value {
        json!({
            "id": a.id,
            "message_id": message.id,
            "file_type": a.file_type,
            "account_id": self.id,
            "extension": a.extension,
            "data_url": format!("https://chatwoot.example/rails/active_storage/blobs/{}/file.{}", a.id, a.extension),
            "thumb_url": format!("https://chatwoot.example/rails/active_storage/representations/{}/thumb.{}", a.id, a.extension),
            "file_size": a.file_size,
            "width": null,
            "height": null,
        })
    }

    /// A message as the REST messages endpoint renders it (integer `message_type`, unix
    /// `created_at`).
    pub fn message_json(&self, message: &Message) -> Value {
        let (sender_type, sender_id) = match message.sender {
            Some(Sender::Contact(id)) => (Some("Contact"), Some(id)),
            Some(Sender::Agent(id)) => (Some("User"), Some(id)),
            None => (None, None),
        };
        let mut v = json!({
            "id": message.id,
            "content": message.content,
            "inbox_id": message.inbox_id,
            "conversation_id": message.conversation_id,
            "message_type": message.message_type,
            "content_type": "text",
            "status": message.status,
            "content_attributes": message.content_attributes,
            "created_at": message.created_at,
            "private": message.private,
            "source_id": null,
            "sender_type": sender_type,
            "sender_id": sender_id,
        });
        if let Some(sender) = self.sender_push_json(message.sender) {
            v["sender"] = sender;
        }
        if !message.attachments.is_empty() {
            v["attachments"] = message
                .attachments
                .iter()
                .map(|a| self.attachment_json(message, a))
                .collect();
        }
        v
    }

    /// A conversation as the conversations list renders it.
    pub fn conversation_json(&self, c: &Conversation) -> Value {
        let contact = self.contacts.get(&c.contact_id);
        let inbox = self.inbox(c.inbox_id);
        let messages = self.messages.get(&c.display_id);
        let last = messages.and_then(|m| m.last());
        let last_non_activity = messages.and_then(|m| m.iter().rev().find(|m| m.message_type != 2));
        let first_reply = messages
            .and_then(|m| m.iter().find(|m| m.message_type == 1 && !m.private))
            .map_or(0, |m| m.created_at);
        let unread = messages.map_or(0, |m| {
            m.iter().rev().take_while(|m| m.message_type == 0).count()
        });
        let mut meta = json!({
            "sender": contact.map(|ct| self.contact_json(ct, false)),
            "channel": inbox.map(|i| i.channel_type.clone()),
            "hmac_verified": false,
        });
        if let Some(agent) = c.assignee_id.and_then(|id| self.agent(id)) {
            meta["assignee"] = self.agent_json(agent);
        }
        json!({
            "meta": meta,
            "id": c.display_id,
            "messages": last.map(|m| vec![self.message_json(m)]).unwrap_or_default(),
            "account_id": self.id,
            "uuid": c.uuid,
            "additional_attributes": c.additional_attributes,
            "agent_last_seen_at": c.last_activity_at,
            "assignee_last_seen_at": c.last_activity_at,
            "can_reply": true,
            "contact_last_seen_at": c.last_activity_at,
            "custom_attributes": {},
            "inbox_id": c.inbox_id,
            "labels": c.labels,
            "muted": false,
            "snoozed_until": null,
            "status": c.status,
            "created_at": c.created_at,
            "timestamp": c.last_activity_at,
            "first_reply_created_at": first_reply,
            "unread_count": unread,
            "last_non_activity_message": last_non_activity.map(|m| self.message_json(m)),
            "last_activity_at": c.last_activity_at,
            "priority": null,
            "waiting_since": 0,
            "sla_policy_id": null,
        })
    }

    /// A conversation as webhook bodies embed it (`push_event_data`: REST-form messages).
    pub fn conversation_push_json(&self, c: &Conversation) -> Value {
        let mut v = self.conversation_json(c);
        let contact = self.contacts.get(&c.contact_id);
        if let Some(obj) = v.as_object_mut() {
            obj.remove("last_non_activity_message");
            obj.insert(
                "channel".to_owned(),
                json!(self.inbox(c.inbox_id).map(|i| i.channel_type.clone())),
            );
            obj.insert(
                "contact_inbox".to_owned(),
                json!({
                    "id": c.display_id,
                    "contact_id": c.contact_id,
                    "inbox_id": c.inbox_id,
                    "source_id": contact
                        .and_then(|ct| ct.contact_inboxes.first())
                        .map(|(_, s)| s.clone()),
                    "hmac_verified": false,
                    "pubsub_token": null,
                }),
            );
            obj.insert("updated_at".to_owned(), json!(c.last_activity_at));
        }
        v
    }

    /// The `meta` of the messages endpoint.
    pub fn messages_meta_json(&self, c: &Conversation) -> Value {
        json!({
            "labels": c.labels,
            "additional_attributes": c.additional_attributes,
            "contact": self.contacts.get(&c.contact_id).map(|ct| self.contact_json(ct, false)),
            "assignee": c.assignee_id.and_then(|id| self.agent(id)).map(|a| self.agent_json(a)),
            "agent_last_seen_at": c.last_activity_at,
            "assignee_last_seen_at": c.last_activity_at,
        })
    }

    /// A `message_created` / `message_updated` webhook body: string `message_type`, ISO
    /// `created_at`, plus `sender`, `contact`, `inbox`, `conversation` and `account`.
    pub fn message_webhook_json(&self, message: &Message, event: &str) -> Option<Value> {
        let conversation = self.conversations.get(&message.conversation_id)?;
        let inbox = self.inbox(message.inbox_id)?;
        let contact = self.contacts.get(&conversation.contact_id)?;
        let mut sender = self.sender_push_json(message.sender);
        if let Some(s) = sender.as_mut().and_then(Value::as_object_mut)
            && s.get("type").and_then(Value::as_str) == Some("user")
        {
            s.insert(
                "email".to_owned(),
                json!(self.agent(message.sender_id()?)?.email),
            );
        }
        let mut v = json!({
            "event": event,
            "id": message.id,
            "content": message.content,
            "created_at": iso(message.created_at),
            "message_type": message_type_name(message.message_type),
            "content_type": "text",
            "content_attributes": message.content_attributes,
            "source_id": null,
            "private": message.private,
            "additional_attributes": {},
            "sender": sender,
            "contact": {
                "id": contact.id,
                "name": contact.name,
                "email": contact.email,
                "phone_number": contact.phone_number,
                "identifier": contact.identifier,
                "type": "contact",
            },
            "inbox": { "id": inbox.id, "name": inbox.name },
            "conversation": self.conversation_push_json(conversation),
            "account": { "id": self.id, "name": self.name },
        });
        if !message.attachments.is_empty() {
            v["attachments"] = message
                .attachments
                .iter()
                .map(|a| self.attachment_json(message, a))
                .collect();
        }
        if message.updated_at != message.created_at {
            v["updated_at"] = json!(iso(message.updated_at));
        }
        Some(v)
    }

    /// A `conversation_*` webhook body (`push_event_data` plus `event` and, for updates,
    /// `changed_attributes`).
    pub fn conversation_webhook_json(
        &self,
        c: &Conversation,
        event: &str,
        changed_attributes: Option<Value>,
    ) -> Value {
        let mut v = self.conversation_push_json(c);
        v["event"] = json!(event);
        if let Some(changed) = changed_attributes {
            v["changed_attributes"] = changed;
        }
        v
    }

    /// A `contact_created` / `contact_updated` webhook body.
    pub fn contact_webhook_json(
        &self,
        contact: &Contact,
        event: &str,
        changed_attributes: Option<Value>,
    ) -> Value {
        let mut v = json!({
            "event": event,
            "id": contact.id,
            "name": contact.name,
            "avatar": "",
            "type": "contact",
            "account": { "id": self.id, "name": self.name },
            "additional_attributes": contact.additional_attributes,
            "custom_attributes": contact.custom_attributes,
            "email": contact.email,
            "identifier": contact.identifier,
            "phone_number": contact.phone_number,
            "thumbnail": "",
        });
        if let Some(changed) = changed_attributes {
            v["changed_attributes"] = changed;
        }
        v
    }
}

impl Message {
    fn sender_id(&self) -> Option<i64> {
        match self.sender? {
            Sender::Contact(id) | Sender::Agent(id) => Some(id),
        }
    }
}
