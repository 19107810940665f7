//! Asking for a sync now.
use async_graphql::{Context, ID, Object};

use crate::graphql::context::parse_uuid;
use crate::{
    domain::conversations::status,
    graphql::{context::ContextExt, conversations::types::SyncRequest, error::IntoGqlError},
};

/// Sync mutations.
#[derive(Default)]
pub struct ConversationsMutation;

#[Object]
impl ConversationsMutation {
    /// Queues a sync of one of the active project's sources to run now ("sync now").
    async fn request_sync(
        &self,
        ctx: &Context<'_>,
        source_id: ID,
    ) -> async_graphql::Result<SyncRequest> {
        let db = ctx.db()?;
        let source_id = parse_uuid("sourceId", &source_id)?;
        let (_, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let requested = status::request_sync_now(db, &scope, source_id)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(SyncRequest {
            job_id: ID(requested.job_id.to_string()),
            already_pending: requested.already_pending,
        })
    }
}
