//! The HTTP surface: `/graphql`, `/health`, webhooks, the Leptos app and its assets.
mod client;
mod executor;
mod fair_share;
mod graphql;
mod health;
mod origin;
mod telegram;
pub mod webhooks;

use std::sync::Arc;

use axum::{
    Router,
    extract::FromRef,
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use chrono::Duration;
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use sea_orm::DatabaseConnection;
use tower_http::{limit::RequestBodyLimitLayer, trace::TraceLayer};

pub use client::TrustedProxies;
pub use fair_share::FairShare;

use crate::{
    auth::{password::PasswordHasher, session::SessionSettings},
    config::Config,
    domain::identity::{self, Identity},
    graphql::{AppSchema, build_schema},
    integrations::telegram::{TelegramClient, TelegramError},
};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Settings.
    pub config: Arc<Config>,
    /// The database pool.
    pub db: DatabaseConnection,
    /// Identity services (hashing, sessions, throttles, Telegram).
    pub identity: Identity,
    /// The GraphQL schema (shared by `/graphql` and server functions).
    pub schema: AppSchema,
    /// Leptos's own settings (site root, bundle name).
    pub leptos_options: LeptosOptions,
    /// Whose `X-Forwarded-For` names the client.
    pub proxies: Arc<TrustedProxies>,
    /// Each tenant's share of concurrent requests.
    pub fair_share: Arc<FairShare>,
}

/// Identity services as configured.
pub fn identity_from_config(config: &Config) -> Result<Identity, TelegramError> {
    let (pair_limit, client_limit, signup_limit) = identity::default_limits();
    let telegram = config
        .telegram_bot_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|token| TelegramClient::new(&config.telegram_api_base, token))
        .transpose()?;
    Ok(Identity {
        hasher: PasswordHasher::new(config.password_hash_concurrency),
        sessions: SessionSettings {
            idle_timeout: Duration::seconds(config.session_idle_timeout_secs),
            absolute_timeout: Duration::seconds(config.session_absolute_timeout_secs),
            secure_cookie: config.secure_cookie(),
        },
        pair_limit,
        client_limit,
        signup_limit,
        telegram,
    })
}

impl AppState {
    /// Builds the state from settings (already checked by [`Config::check`], so an invalid
    /// proxy list here means none) and an open pool.
    pub fn new(config: Config, db: DatabaseConnection) -> Result<Self, TelegramError> {
        let identity = identity_from_config(&config)?;
        let proxies = Arc::new(TrustedProxies::parse(&config.trusted_proxies).unwrap_or_default());
        let fair_share = Arc::new(FairShare::for_pool(config.db_max_connections));
        let schema = build_schema(db.clone(), identity.clone(), &config);
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
        Ok(Self {
            config: Arc::new(config),
            db,
            identity,
            schema,
            leptos_options,
            proxies,
            fair_share,
        })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The whole application router.
pub fn build_router(state: AppState) -> Router {
    let executor = executor::in_process(&state);
    let routes = generate_route_list(app::App);
    let shell_options = state.leptos_options.clone();
    let fallback_executor = executor.clone();
    let graphql_routes = Router::new()
        .route("/graphql", post(graphql::execute).get(graphql::graphiql))
        .layer(RequestBodyLimitLayer::new(
            state.config.graphql_max_body_bytes,
        ));
    let webhook_routes = Router::new()
        .route("/webhooks/telegram", post(telegram::receive))
        .layer(RequestBodyLimitLayer::new(256 * 1024));
    Router::new()
        .merge(graphql_routes)
        .merge(webhook_routes)
        .merge(webhooks::routes())
        .route("/health", get(health::check))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(executor.clone()),
            move || app::shell(shell_options.clone()),
        )
        // Unknown paths render the app's 404 page, which needs the executor like any page.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(fallback_executor.clone()),
            app::shell,
        ))
        .layer(axum::middleware::map_response(apply_failure_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::refuse_cross_site,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers a server function that failed because the API refused it with the refusal's 4xx
/// (named by the executor in a private header) instead of leptos's blanket 500. Any other
/// response keeps its status; the header never leaves the server.
async fn apply_failure_status(mut response: Response) -> Response {
    let Some(hint) = response
        .headers_mut()
        .remove(app::api::executor::FAILURE_STATUS_HEADER)
    else {
        return response;
    };
    let refused = hint
        .to_str()
        .ok()
        .and_then(|v| v.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(StatusCode::is_client_error);
    if let (StatusCode::INTERNAL_SERVER_ERROR, Some(status)) = (response.status(), refused) {
        *response.status_mut() = status;
    }
    response
}
