//! The `identity` capability's part of the schema: sessions and sign-up, projects and their
//! members, API tokens.
pub mod mutation;
pub mod projects_mutation;
pub mod projects_query;
pub mod projects_types;
pub mod query;
pub mod settings;
pub mod tokens_mutation;
pub mod tokens_query;
pub mod tokens_types;
pub mod types;
