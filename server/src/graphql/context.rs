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
