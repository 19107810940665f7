//! The HTTP surface: `/graphql`, `/health`, the Leptos app and its assets.
mod executor;
mod graphql;
mod health;

use std::sync::Arc;

use axum::{
    Router,
    extract::FromRef,
    routing::{get, post},
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use sea_orm::DatabaseConnection;
use tower_http::{limit::RequestBodyLimitLayer, trace::TraceLayer};

use crate::{
    config::Config,
    graphql::{AppSchema, build_schema},
};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Settings.
    pub config: Arc<Config>,
    /// The database pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema (shared by `/graphql` and server functions).
    pub schema: AppSchema,
    /// Leptos's own settings (site root, bundle name).
    pub leptos_options: LeptosOptions,
}

impl AppState {
    /// Builds the state from settings and an open pool.
    pub fn new(config: Config, db: DatabaseConnection) -> Self {
        let schema = build_schema(db.clone(), &config);
        let leptos_options = LeptosOptions::builder()
            .output_name(config.output_name.clone())
            .site_root(config.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(config.bind_addr)
            .env(if config.app_env.is_production() {
                leptos::config::Env::PROD
            } else {
                leptos::config::Env::DEV
            })
            .build();
        Self {
            config: Arc::new(config),
            db,
            schema,
            leptos_options,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The whole application router.
pub fn build_router(state: AppState) -> Router {
    let executor = executor::in_process(state.schema.clone());
    let routes = generate_route_list(app::App);
    let shell_options = state.leptos_options.clone();
    let graphql_routes = Router::new()
        .route("/graphql", post(graphql::execute).get(graphql::graphiql))
        .layer(RequestBodyLimitLayer::new(
            state.config.graphql_max_body_bytes,
        ));
    Router::new()
        .merge(graphql_routes)
        .route("/health", get(health::check))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(executor.clone()),
            move || app::shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
