//! Conversations, their threads and contacts, as the Chatwoot mirror holds them.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ops;

use crate::api::text::contact_label;

use super::ops::{
    contact_query::ContactQueryContact,
    conversations_query::{
        ConversationsQueryConversations, ConversationsQueryConversationsEdgesNode,
    },
    thread_query::{
        ThreadQueryConversation, ThreadQueryConversationMessages,
        ThreadQueryConversationMessagesEdgesNode,
    },
};

/// Gives a conversation type of an operation (the list's row, the thread's head) the values
/// the pages show; both select the same fields.
macro_rules! conversation {
    ($($conversation:ty),* $(,)?) => {
        $(
            impl $conversation {
                /// The contact's global id, if the conversation has one.
                pub fn contact_id(&self) -> Option<&str> {
                    self.contact.as_ref().map(|c| c.id.as_str())
                }

                /// The contact's name (or email).
                pub fn contact_name(&self) -> String {
                    match &self.contact {
                        Some(c) => contact_label(c.name.as_deref(), c.email.as_deref()),
                        None => contact_label(None, None),
                    }
                }

                /// Status (open | pending | snoozed | resolved), blank if unknown.
                pub fn state(&self) -> &str {
                    self.status.as_deref().unwrap_or_default()
                }
            }
        )*
    };
}

conversation!(
    ConversationsQueryConversationsEdgesNode,
    ThreadQueryConversation
);
paged!(
    ConversationsQueryConversations,
    ThreadQueryConversationMessages
);

impl ConversationsQueryConversations {
    /// The conversations of the page, newest activity first.
    pub fn into_rows(self) -> impl Iterator<Item = ConversationsQueryConversationsEdgesNode> {
        self.edges.into_iter().map(|e| e.node)
    }
}

impl ThreadQueryConversationMessagesEdgesNode {
    /// Who sent it: the sender's name, else their type.
    pub fn sender(&self) -> String {
        self.sender_name
            .clone()
            .or_else(|| self.sender_type.clone())
            .unwrap_or_default()
    }

    /// incoming | outgoing | activity | template, blank if unknown.
    pub fn kind(&self) -> &str {
        self.message_type.as_deref().unwrap_or_default()
    }
}

/// Conversations, newest activity first, optionally filtered.
#[server(endpoint = "conversations/list")]
pub async fn list_conversations(
    status: Option<String>,
    text: Option<String>,
    contact_id: Option<String>,
    after: Option<String>,
) -> Result<ConversationsQueryConversations, ServerFnError> {
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
    Ok(page)
}

/// A conversation and a page of its messages.
#[server(endpoint = "conversations/thread")]
pub async fn load_thread(
    id: String,
    after: Option<String>,
) -> Result<ThreadQueryConversation, ServerFnError> {
    use ops::*;

    let conversation = crate::api::executor::run::<ThreadQuery>(thread_query::Variables {
        id,
        first: Some(100),
        after,
    })
    .await?
    .conversation;
    Ok(conversation)
}

/// One contact.
#[server(endpoint = "conversations/contact")]
pub async fn load_contact(id: String) -> Result<ContactQueryContact, ServerFnError> {
    use ops::*;

    let contact = crate::api::executor::run::<ContactQuery>(contact_query::Variables { id })
        .await?
        .contact;
    Ok(contact)
}
