//! The caller's API tokens.
use async_graphql::{Context, Object};

use crate::{
    domain::identity::tokens,
    graphql::{context::ContextExt, error::IntoGqlError, identity::tokens_types::ApiToken},
};

/// Token queries.
#[derive(Default)]
pub struct TokensQuery;

#[Object]
impl TokensQuery {
    /// The caller's tokens in the active project, newest first.
    async fn api_tokens(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiToken>> {
        let db = ctx.db()?;
        let (user, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let list = tokens::list(db, &scope, &user)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(list.into_iter().map(Into::into).collect())
    }
}
