//! The revenue-intelligence server: configuration, database, the GraphQL API, the Leptos app
//! (SSR + hydration) and, as they land, webhooks and workers.
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod integrations;
pub mod kernel;
pub mod telemetry;
pub mod workers;

pub use http::{AppState, build_router};
