//! Asking for a sync now.
use async_graphql::{Context, ID, Object};

use super::parse_uuid;
use crate::{
    domain::ingest::status,
    graphql::{context::ContextExt, error::IntoGqlError, types::chatwoot::SyncRequest},
};

/// Sync mutations.
#[derive(Default)]
pub struct SyncMutation;

#[Object]
impl SyncMutation {
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
