//! Outbound reads: the active project's messages with their attempts, and a contact's channel
//! policies.
use async_graphql::{Context, ID, Object, connection::Connection};

use crate::{
    domain::outbound::{
        messages::{self, MessageFilter},
        policies,
    },
    graphql::{
        context::project_scope,
        error::{IntoGqlError, validation},
        outbound::types::{
            ContactChannelPolicies, OutboundMessageFilter, OutboundMessageNode, bounded,
        },
        pagination::{self, ConnectionTotals},
    },
};

/// Outbound queries.
#[derive(Default)]
pub struct OutboundQuery;

#[Object]
impl OutboundQuery {
    /// Outbound messages of the active project, newest first, with their attempts.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn outbound_messages(
        &self,
        ctx: &Context<'_>,
        filter: Option<OutboundMessageFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, OutboundMessageNode, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = after
            .map(|c| {
                pagination::decode_time_id(&c).map_err(|e| validation("after", &e.to_string()))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let filter = MessageFilter {
            status: filter.status.map(Into::into),
            origin_kind: filter.origin_kind.map(Into::into),
            origin_id: filter
                .origin_id
                .as_deref()
                .map(|o| bounded("filter.originId", o))
                .transpose()?,
            contact_id: filter
                .contact_id
                .as_deref()
                .map(|c| bounded("filter.contactId", c))
                .transpose()?,
        };
        let (db, scope) = project_scope(ctx).await?;
        let page = messages::list_messages(db, &scope, &filter, first, after)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let cursors: Vec<String> = page
            .items
            .iter()
            .map(|m| {
                let (at, id) = m.cursor();
                pagination::encode_time_id(at, id)
            })
            .collect();
        let nodes = OutboundMessageNode::many(db, scope, page.items).await?;
        Ok(pagination::connection(
            cursors.into_iter().zip(nodes).collect(),
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |(cursor, _)| cursor.clone(),
            |(_, node)| node,
        ))
    }

    /// One outbound message of the active project, with its attempts.
    async fn outbound_message(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OutboundMessageNode> {
        let id = crate::graphql::context::parse_uuid("id", &id)?;
        let (db, scope) = project_scope(ctx).await?;
        let (message, attempts) = messages::get_message_with_attempts(db, &scope, id)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(OutboundMessageNode::new(message, attempts, scope))
    }

    /// A contact's opt-outs and frequency caps by channel, with the project defaults.
    async fn contact_channel_policies(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
    ) -> async_graphql::Result<ContactChannelPolicies> {
        let contact_id = bounded("contactId", &contact_id)?;
        let (db, scope) = project_scope(ctx).await?;
        policies::contact_policies(db, &scope, &contact_id)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }
}
