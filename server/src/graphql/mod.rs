//! The one API: the async-graphql schema served at `/graphql` and executed in-process by the
//! Leptos server functions.
pub mod error;
pub mod pagination;
pub mod query;
pub mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::config::Config;
use query::QueryRoot;

/// The schema type served by this server.
pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Builds the schema with its limits; production hides introspection and suggestions.
pub fn build_schema(db: DatabaseConnection, config: &Config) -> AppSchema {
    let mut builder = Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .data(db)
        .limit_depth(config.graphql_max_depth)
        .limit_complexity(config.graphql_max_complexity);
    if config.app_env.is_production() {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema's SDL, as committed in `server/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .finish()
        .sdl()
}
