//! API types for the Chatwoot mirror: contacts, conversations, messages and sync status.
use async_graphql::{
    ComplexObject, Context, ID, InputObject, Json, SimpleObject, connection::Connection,
    dataloader::DataLoader,
};
use chrono::{DateTime, Utc};

use crate::graphql::pagination::ConnectionTotals;
use crate::{
    domain::conversations::{
        query::{self, Contact, Conversation, Cursor, Message},
        status::{JobRun, SourceSyncStatus},
    },
    graphql::{
        context::ContextExt,
        error::{IntoGqlError, validation},
        loaders::ContactLoader,
        pagination,
    },
    kernel::Scope,
};

/// A Chatwoot contact (customer).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Contact")]
pub struct ContactNode {
    /// Global id (`cwc:<project>:<account>:<contact>`).
    pub id: ID,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot contact id.
    pub contact_id: i64,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone number.
    pub phone_number: Option<String>,
    /// External identifier.
    pub identifier: Option<String>,
    /// Chatwoot custom attributes.
    pub custom_attributes: Json<serde_json::Value>,
    /// Chatwoot's additional attributes (company name, city, country, description...).
    pub additional_attributes: Json<serde_json::Value>,
    /// The company the contact gave Chatwoot (`company_name` or `company`), if any.
    pub company_name: Option<String>,
    /// Last update in Chatwoot.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<Contact> for ContactNode {
    fn from(c: Contact) -> Self {
        Self {
            id: ID(c.id),
            account_id: c.account_id,
            contact_id: c.contact_id,
            name: c.name,
            email: c.email,
            phone_number: c.phone_number,
            identifier: c.identifier,
            company_name: ["company_name", "company"].iter().find_map(|key| {
                c.data
                    .pointer(&format!("/additional_attributes/{key}"))
                    .or_else(|| c.custom_attributes.get(key))
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            }),
            additional_attributes: Json(
                c.data
                    .get("additional_attributes")
                    .filter(|v| v.is_object())
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({})),
            ),
            custom_attributes: Json(c.custom_attributes),
            updated_at: c.updated_at,
        }
    }
}

/// A Chatwoot conversation.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Conversation", complex)]
pub struct ConversationNode {
    /// Global id (`cw:<project>:<account>:<conversation>`).
    pub id: ID,
    /// Chatwoot's display id (what its URLs use).
    pub conversation_id: Option<i64>,
    /// Inbox id.
    pub inbox_id: Option<i64>,
    /// open | resolved | pending | snoozed.
    pub status: Option<String>,
    /// Assigned agent id.
    pub assignee_id: Option<i64>,
    /// Chatwoot labels.
    pub labels: Vec<String>,
    /// Last activity.
    pub last_activity_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub contact_global_id: Option<String>,
    #[graphql(skip)]
    pub scope: Scope,
}

impl ConversationNode {
    /// The API view of `c` within `scope`.
    pub fn new(c: Conversation, scope: Scope) -> Self {
        let labels = c
            .data
            .get("labels")
            .and_then(|l| l.as_array())
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: ID(c.id),
            conversation_id: c.conversation_id,
            inbox_id: c.inbox_id,
            status: c.status,
            assignee_id: c.assignee_id,
            labels,
            last_activity_at: c.last_activity_at,
            contact_global_id: c.contact_global_id,
            scope,
        }
    }
}

#[ComplexObject]
impl ConversationNode {
    /// The CRM account its contact is confirmed on, if any.
    async fn crm_account(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::crm::types::CrmAccount>> {
        let Some(contact) = &self.contact_global_id else {
            return Ok(None);
        };
        let account =
            crate::domain::crm::contacts::account_for_contact(ctx.db()?, &self.scope, contact)
                .await
                .map_err(IntoGqlError::into_gql)?;
        Ok(account.map(|a| crate::graphql::crm::types::CrmAccount::new(a, self.scope)))
    }

    /// The contact the conversation is with (batched across a listing).
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContactNode>> {
        let Some(id) = &self.contact_global_id else {
            return Ok(None);
        };
        let loader = ctx.data::<DataLoader<ContactLoader>>()?;
        Ok(loader
            .load_one((self.scope, id.clone()))
            .await?
            .map(Into::into))
    }

    /// The conversation's messages, oldest first (private notes included).
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, MessageNode, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = match after {
            Some(c) => Some(
                Cursor::decode(&c).ok_or_else(|| validation("after", "is not a valid cursor"))?,
            ),
            None => None,
        };
        let db = ctx.db()?;
        let page = query::list_messages(db, &self.scope, self.id.as_str(), first, after.as_ref())
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |m| m.cursor().encode(),
            MessageNode::from,
        ))
    }
}

/// A Chatwoot message.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Message")]
pub struct MessageNode {
    /// Global id (`cwmsg:<project>:<account>:<message>`).
    pub id: ID,
    /// Chatwoot message id.
    pub message_id: Option<i64>,
    /// The conversation's global id.
    pub conversation_id: Option<String>,
    /// The contact's global id.
    pub contact_id: Option<String>,
    /// Contact | User | AgentBot.
    pub sender_type: Option<String>,
    /// Sender's name, as Chatwoot sent it.
    pub sender_name: Option<String>,
    /// A private note (agents only).
    pub private: bool,
    /// incoming | outgoing | activity | template.
    pub message_type: Option<String>,
    /// Text (may be empty for attachment-only messages).
    pub content: Option<String>,
    /// Number of attachments.
    pub attachment_count: i32,
    /// Sent at.
    pub created_at: Option<DateTime<Utc>>,
    /// Last edit.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<Message> for MessageNode {
    fn from(m: Message) -> Self {
        let sender_name = m
            .data
            .get("sender")
            .and_then(|s| s.get("name"))
            .and_then(|n| n.as_str())
            .map(str::to_owned);
        let attachment_count = m
            .data
            .get("attachments")
            .and_then(|a| a.as_array())
            .map_or(0, |a| a.len() as i32);
        Self {
            id: ID(m.id),
            message_id: m.message_id,
            conversation_id: m.conversation_global_id,
            contact_id: m.contact_global_id,
            sender_type: m.sender_type,
            sender_name,
            private: m.private,
            message_type: m.message_type,
            content: m.content,
            attachment_count,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Narrows the conversation listing.
#[derive(InputObject, Debug, Clone, Default)]
pub struct ConversationFilter {
    /// open | resolved | pending | snoozed.
    pub status: Option<String>,
    /// Inbox id.
    pub inbox_id: Option<i64>,
    /// Assigned agent id.
    pub assignee_id: Option<i64>,
    /// A contact's global id.
    pub contact_id: Option<ID>,
    /// Words in the messages or the contact's name/email.
    pub text: Option<String>,
}

/// Narrows the contact listing.
#[derive(InputObject, Debug, Clone, Default)]
pub struct ContactFilter {
    /// Words in the name, email, phone or identifier.
    pub text: Option<String>,
}

/// One sync run.
#[derive(SimpleObject, Debug, Clone)]
pub struct SyncRun {
    /// Run id.
    pub id: ID,
    /// running | ok | failed.
    pub status: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Rows written so far.
    pub processed_count: i32,
    /// Why it failed.
    pub error: Option<String>,
    /// Per-kind counts and progress.
    pub meta: Json<serde_json::Value>,
    /// Last progress update.
    pub updated_at: DateTime<Utc>,
}

impl From<JobRun> for SyncRun {
    fn from(r: JobRun) -> Self {
        Self {
            id: ID(r.id.to_string()),
            status: format!("{:?}", r.status).to_lowercase(),
            started_at: r.started_at,
            finished_at: r.finished_at,
            processed_count: r.processed_count,
            error: r.error,
            meta: Json(r.meta),
            updated_at: r.updated_at,
        }
    }
}

/// Where a source's sync stands.
#[derive(SimpleObject, Debug, Clone)]
pub struct SourceSync {
    /// Source id.
    pub source_id: ID,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot base URL.
    pub base_url: String,
    /// Syncs run.
    pub enabled: bool,
    /// The latest run.
    pub latest_run: Option<SyncRun>,
    /// Watermark: newest activity synced.
    pub watermark_at: Option<DateTime<Utc>>,
    /// When the last complete pass finished.
    pub last_completed_at: Option<DateTime<Utc>>,
    /// A queued or running sync job's status.
    pub pending_status: Option<String>,
    /// When the pending job runs.
    pub pending_run_at: Option<DateTime<Utc>>,
    /// Its attempts so far.
    pub pending_attempts: Option<i32>,
    /// Its last error (retries back off).
    pub pending_error: Option<String>,
}

impl From<SourceSyncStatus> for SourceSync {
    fn from(s: SourceSyncStatus) -> Self {
        Self {
            source_id: ID(s.source.id.to_string()),
            account_id: s.source.account_id,
            base_url: s.source.base_url,
            enabled: s.source.enabled,
            latest_run: s.latest_run.map(Into::into),
            watermark_at: s.watermark.as_ref().and_then(|w| w.cursor_ts),
            last_completed_at: s.watermark.as_ref().and_then(|w| w.last_completed_at),
            pending_status: s.pending.as_ref().map(|p| p.status.clone()),
            pending_run_at: s.pending.as_ref().map(|p| p.run_at),
            pending_attempts: s.pending.as_ref().map(|p| p.attempts),
            pending_error: s.pending.and_then(|p| p.last_error),
        }
    }
}

/// A queued sync.
#[derive(SimpleObject, Debug, Clone)]
pub struct SyncRequest {
    /// The job that will run it.
    pub job_id: ID,
    /// A sync was already queued or running (moved up, not duplicated).
    pub already_pending: bool,
}
