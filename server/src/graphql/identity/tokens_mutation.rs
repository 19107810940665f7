//! Creating and revoking API tokens.
use async_graphql::{Context, ID, InputObject, Object};

use crate::graphql::context::parse_uuid;
use crate::{
    domain::identity::tokens,
    graphql::{
        context::ContextExt,
        error::IntoGqlError,
        identity::tokens_types::{ApiToken, ApiTokenScope, CreatedApiToken},
    },
};

/// A new token.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// Label (1-80 characters).
    pub name: String,
    /// Lifetime in days (1-3650); omitted = until revoked.
    pub expires_in_days: Option<i32>,
    /// What the token may do; omitted = `[READ]`. `WRITE` includes reading.
    pub scopes: Option<Vec<ApiTokenScope>>,
}

/// Token mutations.
#[derive(Default)]
pub struct TokensMutation;

#[Object]
impl TokensMutation {
    /// Creates a token for the active project; its secret is returned this once. Only a
    /// signed-in person may: a token cannot mint tokens.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> async_graphql::Result<CreatedApiToken> {
        let db = ctx.db()?;
        let auth = ctx.auth()?;
        auth.require_person().map_err(IntoGqlError::into_gql)?;
        let can_write = input
            .scopes
            .unwrap_or_default()
            .contains(&ApiTokenScope::Write);
        let (user, scope, _) = auth
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let created = tokens::create(
            db,
            &scope,
            &user,
            &auth.caller.actor(),
            &input.name,
            input.expires_in_days,
            can_write,
        )
        .await
        .map_err(IntoGqlError::into_gql)?;
        Ok(CreatedApiToken {
            token: created.secret,
            api_token: created.token.into(),
        })
    }

    /// Revokes one of the caller's tokens.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiToken> {
        let db = ctx.db()?;
        let id = parse_uuid("id", &id)?;
        let auth = ctx.auth()?;
        auth.require_person().map_err(IntoGqlError::into_gql)?;
        let (user, scope, _) = auth
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        tokens::revoke(db, &scope, &user, &auth.caller.actor(), id)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }
}
