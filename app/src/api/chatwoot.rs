//! Conversations, threads, contacts and sync status for the UI.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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

/// Where one source's sync stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRow {
    /// Source id.
    pub source_id: String,
    /// Chatwoot account.
    pub account_id: i64,
    /// Chatwoot URL.
    pub base_url: String,
    /// queued | running, when a sync is pending.
    pub pending: Option<String>,
    /// The pending job's last error (it retries).
    pub pending_error: Option<String>,
    /// Latest run: running | ok | failed.
    pub last_status: Option<String>,
    /// Rows the latest run wrote.
    pub last_processed: i32,
    /// Per-kind counts of the latest run.
    pub last_counts: String,
    /// The latest run's error.
    pub last_error: Option<String>,
    /// Latest run's start (RFC 3339).
    pub last_started: Option<String>,
    /// Newest activity synced (RFC 3339).
    pub watermark: Option<String>,
}

impl SyncRow {
    /// A sync is queued or running: the view keeps refreshing.
    pub fn in_progress(&self) -> bool {
        self.pending.is_some() || self.last_status.as_deref() == Some("running")
    }
}

#[cfg(feature = "ssr")]
mod ops {
    use graphql_client::GraphQLQuery;

    /// DateTime arrives as RFC 3339.
    pub type DateTime = String;
    /// Free-form JSON.
    #[allow(clippy::upper_case_acronyms)]
    pub type JSON = serde_json::Value;

    /// Chatwoot mirror operations (app/graphql/chatwoot.graphql).
    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "../server/schema.graphql",
        query_path = "graphql/chatwoot.graphql"
    )]
    pub struct ConversationsQuery;
    /// See [`ConversationsQuery`].
    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "../server/schema.graphql",
        query_path = "graphql/chatwoot.graphql"
    )]
    pub struct ThreadQuery;
    /// See [`ConversationsQuery`].
    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "../server/schema.graphql",
        query_path = "graphql/chatwoot.graphql"
    )]
    pub struct ContactQuery;
    /// See [`ConversationsQuery`].
    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "../server/schema.graphql",
        query_path = "graphql/chatwoot.graphql"
    )]
    pub struct SyncStatusQuery;
    /// See [`ConversationsQuery`].
    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "../server/schema.graphql",
        query_path = "graphql/chatwoot.graphql"
    )]
    pub struct RequestSyncMutation;
}

#[cfg(feature = "ssr")]
fn contact_label(name: Option<String>, email: Option<String>) -> String {
    name.filter(|n| !n.is_empty())
        .or(email)
        .unwrap_or_else(|| "Unknown contact".to_owned())
}

/// Conversations, newest activity first, optionally filtered.
#[server(endpoint = "chatwoot/conversations")]
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
    let page = super::executor::run::<ConversationsQuery>(conversations_query::Variables {
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
#[server(endpoint = "chatwoot/thread")]
pub async fn load_thread(id: String, after: Option<String>) -> Result<Thread, ServerFnError> {
    use ops::*;

    let c = super::executor::run::<ThreadQuery>(thread_query::Variables {
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
#[server(endpoint = "chatwoot/contact")]
pub async fn load_contact(id: String) -> Result<ContactView, ServerFnError> {
    use ops::*;

    let c = super::executor::run::<ContactQuery>(contact_query::Variables { id })
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

/// Sync status of every source of the working project.
#[server(endpoint = "chatwoot/sync-status")]
pub async fn sync_status() -> Result<Vec<SyncRow>, ServerFnError> {
    use ops::*;

    let rows = super::executor::run::<SyncStatusQuery>(sync_status_query::Variables {})
        .await?
        .sync_status;
    Ok(rows
        .into_iter()
        .map(|s| {
            let run = s.latest_run;
            SyncRow {
                source_id: s.source_id,
                account_id: s.account_id,
                base_url: s.base_url,
                pending: s.pending_status,
                pending_error: s.pending_error,
                last_status: run.as_ref().map(|r| r.status.clone()),
                last_processed: run.as_ref().map_or(0, |r| r.processed_count as i32),
                last_counts: run
                    .as_ref()
                    .and_then(|r| r.meta.get("counts").cloned())
                    .and_then(|c| c.as_object().cloned())
                    .map(|c| {
                        c.iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                last_error: run.as_ref().and_then(|r| r.error.clone()),
                last_started: run.map(|r| r.started_at),
                watermark: s.watermark_at,
            }
        })
        .collect())
}

/// Queues a sync of a source now.
#[server(endpoint = "chatwoot/sync-now")]
pub async fn sync_now(source_id: String, csrf: String) -> Result<bool, ServerFnError> {
    use ops::*;

    let requested = super::executor::run_mutation::<RequestSyncMutation>(
        request_sync_mutation::Variables { source_id },
        &csrf,
    )
    .await?
    .request_sync;
    Ok(requested.already_pending)
}
