//! Liveness of the API and its database, for tools that only speak GraphQL.
use async_graphql::{Context, Object, SimpleObject};
use sea_orm::DatabaseConnection;

use crate::db;

/// API health.
#[derive(SimpleObject)]
pub struct Health {
    /// Whether the database answered.
    pub database: bool,
    /// The server's version.
    pub version: String,
}

/// System queries.
#[derive(Default)]
pub struct SystemQuery;

#[Object]
impl SystemQuery {
    /// Whether the server and its database are up.
    async fn health(&self, ctx: &Context<'_>) -> async_graphql::Result<Health> {
        let db = ctx.data::<DatabaseConnection>()?;
        Ok(Health {
            database: db::ping(db).await.is_ok(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }
}
