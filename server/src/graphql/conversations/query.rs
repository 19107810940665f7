//! The Chatwoot mirror: contacts, conversations with their messages, and sync status.
use async_graphql::{Context, ID, Object, connection::Connection};
use uuid::Uuid;

use crate::{
    domain::conversations::{
        query::{self, Cursor},
        status,
    },
    graphql::{
        context::ContextExt,
        conversations::types::{
            ContactFilter, ContactNode, ConversationFilter, ConversationNode, MessageNode,
            SourceSync, SyncRun,
        },
        error::{IntoGqlError, validation},
        pagination::{self, ConnectionTotals},
    },
};

fn decode_cursor(after: Option<String>) -> async_graphql::Result<Option<Cursor>> {
    match after {
        Some(c) => Cursor::decode(&c)
            .map(Some)
            .ok_or_else(|| validation("after", "is not a valid cursor")),
        None => Ok(None),
    }
}

/// Chatwoot mirror queries.
#[derive(Default)]
pub struct ConversationsQuery;

#[Object]
impl ConversationsQuery {
    /// Contacts of the active project, most recently updated first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContactFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ContactNode, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = decode_cursor(after)?;
        let db = ctx.db()?;
        let (_, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let filter = query::ContactFilter {
            text: filter.and_then(|f| f.text),
        };
        let page = query::list_contacts(db, &scope, &filter, first, after.as_ref())
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |c| c.cursor().encode(),
            ContactNode::from,
        ))
    }

    /// One contact of the active project.
    async fn contact(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ContactNode> {
        let db = ctx.db()?;
        let (_, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        query::get_contact(db, &scope, id.as_str())
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Conversations of the active project, newest activity first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        filter: Option<ConversationFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ConversationNode, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = decode_cursor(after)?;
        let filter = filter.unwrap_or_default();
        if let Some(status) = &filter.status
            && !matches!(status.as_str(), "open" | "resolved" | "pending" | "snoozed")
        {
            return Err(validation(
                "filter.status",
                "must be open, resolved, pending or snoozed",
            ));
        }
        let db = ctx.db()?;
        let (_, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let filter = query::ConversationFilter {
            status: filter.status,
            inbox_id: filter.inbox_id,
            assignee_id: filter.assignee_id,
            contact_global_id: filter.contact_id.map(|id| id.0),
            text: filter.text,
        };
        let page = query::list_conversations(db, &scope, &filter, first, after.as_ref())
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |c| c.cursor().encode(),
            |c| ConversationNode::new(c, scope),
        ))
    }

    /// One conversation of the active project.
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ConversationNode> {
        let db = ctx.db()?;
        let (_, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        query::get_conversation(db, &scope, id.as_str())
            .await
            .map(|c| ConversationNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// One message of the active project (e.g. to follow evidence to its conversation).
    async fn message(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<MessageNode> {
        let db = ctx.db()?;
        let (_, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let found = crate::domain::conversations::lookup::messages_by_ids(db, &scope, &[id.0])
            .await
            .map_err(IntoGqlError::into_gql)?;
        found
            .into_iter()
            .next()
            .map(MessageNode::from)
            .ok_or_else(|| crate::kernel::DomainError::NotFound("message").into_gql())
    }

    /// Sync status of each of the active project's sources.
    async fn sync_status(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SourceSync>> {
        let (db, scope) = crate::graphql::context::project_scope(ctx).await?;
        let list = status::sync_status(db, &scope)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Sync runs of the active project (of one source, or all), newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn sync_runs(
        &self,
        ctx: &Context<'_>,
        source_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, SyncRun, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = after
            .map(|c| {
                c.parse::<i64>()
                    .map_err(|_| validation("after", "is not a valid cursor"))
            })
            .transpose()?;
        let source_id = source_id
            .map(|id| {
                Uuid::parse_str(id.as_str())
                    .map_err(|_| validation("sourceId", "is not a valid id"))
            })
            .transpose()?;
        let db = ctx.db()?;
        let (_, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let page = status::list_job_runs(db, &scope, source_id, first, after)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |r| r.id.to_string(),
            SyncRun::from,
        ))
    }
}
