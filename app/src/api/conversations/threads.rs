//! Conversations, their threads and contacts, as the Chatwoot mirror holds them.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ops;

/// A conversation row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRow {
    /// Global id.
    pub id: String,
    /// Chatwoot display id.
    pub display_id: Option<i64>,
    /// Status.
    pub status: String,
    /// Inbox id.
    pub inbox_id: Option<i64>,
    /// Labels.
    pub labels: Vec<String>,
    /// Last activity (RFC 3339).
    pub last_activity: Option<String>,
    /// Contact global id.
    pub contact_id: Option<String>,
    /// Contact name (or email).
    pub contact_name: String,
}

/// A page of conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationPage {
    /// Rows.
    pub rows: Vec<ConversationRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching conversations.
    pub total: i64,
}

/// A message in a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRow {
    /// Global id.
    pub id: String,
    /// Who sent it.
    pub sender: String,
    /// Contact | User | AgentBot.
    pub sender_type: String,
    /// Private note.
    pub private: bool,
    /// incoming | outgoing | activity | template.
    pub kind: String,
    /// Text.
    pub content: Option<String>,
    /// Attachments.
    pub attachment_count: i32,
    /// Sent at (RFC 3339).
    pub created_at: Option<String>,
}

/// A conversation with a page of its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// The conversation.
    pub conversation: ConversationRow,
    /// Messages, oldest first.
    pub messages: Vec<MessageRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Messages in all.
    pub total: i64,
}

/// A contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    /// Global id.
    pub id: String,
    /// Chatwoot contact id.
    pub contact_id: i64,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone_number: Option<String>,
    /// External identifier.
    pub identifier: Option<String>,
}

#[cfg(feature = "ssr")]
fn contact_label(name: Option<String>, email: Option<String>) -> String {
    name.filter(|n| !n.is_empty())
        .or(email)
        .unwrap_or_else(|| "Unknown contact".to_owned())
}

/// Conversations, newest activity first, optionally filtered.
#[server(endpoint = "conversations/list")]
pub async fn list_conversations(
    status: Option<String>,
    text: Option<String>,
    contact_id: Option<String>,
    after: Option<String>,
) -> Result<ConversationPage, ServerFnError> {
    use ops::*;

    let filter = conversations_query::ConversationFilter {
        status: status.filter(|s| !s.is_empty()),
        inbox_id: None,
        assignee_id: None,
        contact_id: contact_id.filter(|c| !c.is_empty()),
        text: text.filter(|t| !t.trim().is_empty()),
    };
    let page = crate::api::executor::run::<ConversationsQuery>(conversations_query::Variables {
        filter: Some(filter),
        first: Some(25),
        after,
    })
    .await?
    .conversations;
    Ok(ConversationPage {
        rows: page
            .edges
            .into_iter()
            .map(|e| {
                let c = e.node;
                let (contact_id, contact_name) = match c.contact {
                    Some(contact) => (Some(contact.id), contact_label(contact.name, contact.email)),
                    None => (None, "Unknown contact".to_owned()),
                };
                ConversationRow {
                    id: c.id,
                    display_id: c.conversation_id,
                    status: c.status.unwrap_or_default(),
                    inbox_id: c.inbox_id,
                    labels: c.labels,
                    last_activity: c.last_activity_at,
                    contact_id,
                    contact_name,
                }
            })
            .collect(),
        next: page
            .page_info
            .end_cursor
            .filter(|_| page.page_info.has_next_page),
        total: page.total_count,
    })
}

/// A conversation and a page of its messages.
#[server(endpoint = "conversations/thread")]
pub async fn load_thread(id: String, after: Option<String>) -> Result<Thread, ServerFnError> {
    use ops::*;

    let c = crate::api::executor::run::<ThreadQuery>(thread_query::Variables {
        id,
        first: Some(100),
        after,
    })
    .await?
    .conversation;
    let (contact_id, contact_name) = match c.contact {
        Some(contact) => (Some(contact.id), contact_label(contact.name, contact.email)),
        None => (None, "Unknown contact".to_owned()),
    };
    Ok(Thread {
        conversation: ConversationRow {
            id: c.id,
            display_id: c.conversation_id,
            status: c.status.unwrap_or_default(),
            inbox_id: c.inbox_id,
            labels: c.labels,
            last_activity: c.last_activity_at,
            contact_id,
            contact_name,
        },
        messages: c
            .messages
            .edges
            .into_iter()
            .map(|e| {
                let m = e.node;
                MessageRow {
                    id: m.id,
                    sender: m
                        .sender_name
                        .unwrap_or_else(|| m.sender_type.clone().unwrap_or_default()),
                    sender_type: m.sender_type.unwrap_or_default(),
                    private: m.private,
                    kind: m.message_type.unwrap_or_default(),
                    content: m.content,
                    attachment_count: m.attachment_count as i32,
                    created_at: m.created_at,
                }
            })
            .collect(),
        next: c
            .messages
            .page_info
            .end_cursor
            .filter(|_| c.messages.page_info.has_next_page),
        total: c.messages.total_count,
    })
}

/// One contact.
#[server(endpoint = "conversations/contact")]
pub async fn load_contact(id: String) -> Result<ContactView, ServerFnError> {
    use ops::*;

    let c = crate::api::executor::run::<ContactQuery>(contact_query::Variables { id })
        .await?
        .contact;
    Ok(ContactView {
        id: c.id,
        contact_id: c.contact_id,
        name: c.name,
        email: c.email,
        phone_number: c.phone_number,
        identifier: c.identifier,
    })
}
