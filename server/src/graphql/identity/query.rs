//! Who am I, and can sign-up PINs reach the owner.
use async_graphql::{Context, Object};

use crate::{
    auth::Caller,
    domain::identity::{projects, telegram_owner},
    graphql::{
        context::ContextExt,
        error::IntoGqlError,
        identity::types::{Me, TelegramStatus},
    },
    kernel::Scope,
};

/// Identity queries.
#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The caller, or null when not signed in.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Me>> {
        let db = ctx.db()?;
        let auth = ctx.auth()?;
        let (user, method, csrf) = match &auth.caller {
            Caller::Anonymous => return Ok(None),
            Caller::Session {
                user, csrf_token, ..
            } => (user, "SESSION", Some(csrf_token.clone())),
            Caller::Token { user, .. } => (user, "TOKEN", None),
        };
        let active_project = match auth.require_scope(db).await {
            Ok((_, scope, _)) => Some(active(db, &scope).await?),
            Err(_) => None,
        };
        Ok(Some(Me {
            username: user.username.clone(),
            is_admin: user.is_admin,
            auth_method: method.to_owned(),
            active_project,
            csrf_token: csrf,
        }))
    }

    /// Whether a bot is configured and the owner's chat bound (signed-in users).
    async fn telegram_status(&self, ctx: &Context<'_>) -> async_graphql::Result<TelegramStatus> {
        let db = ctx.db()?;
        ctx.auth()?.require_user().map_err(IntoGqlError::into_gql)?;
        telegram_owner::status(db, ctx.identity()?)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }
}

async fn active(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
) -> async_graphql::Result<crate::graphql::identity::projects_types::ProjectNode> {
    projects::get(db, scope)
        .await
        .map(Into::into)
        .map_err(IntoGqlError::into_gql)
}
