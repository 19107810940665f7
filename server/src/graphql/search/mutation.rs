//! Embedding pipeline actions.
use async_graphql::{Context, Object, SimpleObject};

use crate::{
    domain::search,
    graphql::{context::project_scope, error::IntoGqlError},
};

/// What "retry failed" did.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct RetryFailedChunks {
    /// Failed chunks put back in the queue with fresh attempts.
    pub requeued: i64,
}

/// Embedding mutations.
#[derive(Default)]
pub struct SearchMutation;

#[Object]
impl SearchMutation {
    /// Puts every failed chunk of the active project back in the embedding queue.
    async fn retry_failed_chunks(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<RetryFailedChunks> {
        let (db, scope) = project_scope(ctx).await?;
        let requeued = search::retry_failed(db, &scope)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(RetryFailedChunks {
            requeued: i64::try_from(requeued).unwrap_or(i64::MAX),
        })
    }
}
