//! Typed access to what every resolver reads from the GraphQL context.
use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::{auth::RequestAuth, domain::identity::Identity};

/// Accessors for the per-schema and per-request data.
pub trait ContextExt {
    /// The database pool.
    fn db(&self) -> async_graphql::Result<&DatabaseConnection>;
    /// The request's credentials (anonymous when the request carried none).
    fn auth(&self) -> async_graphql::Result<&RequestAuth>;
    /// Identity services.
    fn identity(&self) -> async_graphql::Result<&Identity>;
}

impl ContextExt for Context<'_> {
    fn db(&self) -> async_graphql::Result<&DatabaseConnection> {
        self.data::<DatabaseConnection>()
    }

    fn auth(&self) -> async_graphql::Result<&RequestAuth> {
        self.data::<RequestAuth>()
    }

    fn identity(&self) -> async_graphql::Result<&Identity> {
        self.data::<Identity>()
    }
}

/// The pool and the caller's working project (UNAUTHENTICATED / NO_ACTIVE_PROJECT otherwise):
/// what every project-scoped resolver starts with.
pub async fn project_scope<'a>(
    ctx: &'a Context<'_>,
) -> async_graphql::Result<(&'a DatabaseConnection, crate::auth::Scope)> {
    let db = ctx.db()?;
    let (_, scope, _) = ctx
        .auth()?
        .require_scope(db)
        .await
        .map_err(crate::graphql::error::IntoGqlError::into_gql)?;
    Ok((db, scope))
}
