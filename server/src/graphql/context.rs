//! Typed access to what every resolver reads from the GraphQL context.
use async_graphql::Context;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    auth::RequestAuth,
    domain::identity::Identity,
    graphql::error::{IntoGqlError, validation},
    kernel::{Actor, Scope},
};

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
) -> async_graphql::Result<(&'a DatabaseConnection, Scope)> {
    let db = ctx.db()?;
    let (_, scope, _) = ctx
        .auth()?
        .require_scope(db)
        .await
        .map_err(IntoGqlError::into_gql)?;
    Ok((db, scope))
}

/// The pool, the caller's working project and the actor its writes are recorded as: the
/// caller's audit string (`user:` or `token:`) with the user behind it.
pub async fn acting<'a>(
    ctx: &'a Context<'_>,
) -> async_graphql::Result<(&'a DatabaseConnection, Scope, Actor)> {
    let db = ctx.db()?;
    let auth = ctx.auth()?;
    let (user, scope, _) = auth
        .require_scope(db)
        .await
        .map_err(IntoGqlError::into_gql)?;
    Ok((db, scope, Actor::new(auth.caller.actor(), Some(user.id))))
}

/// Parses an optional `ID` argument that must be a UUID when given.
pub fn optional_uuid(
    field: &str,
    id: Option<&async_graphql::ID>,
) -> async_graphql::Result<Option<Uuid>> {
    id.map(|id| parse_uuid(field, id)).transpose()
}

/// Parses an `ID` argument that must be a UUID.
pub fn parse_uuid(field: &str, id: &async_graphql::ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| validation(field, "is not a valid id"))
}
