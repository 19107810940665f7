//! `POST /graphql` (single requests only; batches are refused) and GraphiQL on `GET /graphql`
//! outside production. GET never executes an operation, so it can never run a mutation.
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, request::Parts},
    response::{Html, IntoResponse, Response},
};

use crate::http::{AppState, FairShare};
use crate::{auth, graphql};

/// Resolves the caller from the request and runs one GraphQL request for them, within their
/// tenant's share of concurrent requests.
pub(crate) async fn run(
    state: &AppState,
    request: async_graphql::Request,
    headers: &HeaderMap,
    client: String,
) -> async_graphql::Response {
    let auth = match auth::resolve(&state.db, &state.identity.sessions, headers, client).await {
        Ok(auth) => auth,
        Err(e) => {
            tracing::error!(error = %e, "resolving the caller failed");
            return refusal("Internal error", graphql::error::codes::INTERNAL);
        }
    };
    let tenant = FairShare::tenant_of(&auth);
    let Some(_slot) = state.fair_share.acquire(&tenant).await else {
        tracing::warn!(%tenant, "request refused: the tenant's share of the pool is busy");
        return refusal(
            "Too many requests at once for this project; try again in a moment",
            graphql::error::codes::RATE_LIMITED,
        );
    };
    graphql::execute(&state.schema, request, auth).await
}

fn refusal(message: &str, code: &str) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

/// Executes one GraphQL request for the caller its headers identify.
pub async fn execute(
    State(state): State<AppState>,
    parts: Parts,
    request: GraphQLRequest,
) -> GraphQLResponse {
    run(
        &state,
        request.into_inner(),
        &parts.headers,
        state
            .proxies
            .client_address(&parts.headers, &parts.extensions),
    )
    .await
    .into()
}

/// Serves GraphiQL in development and test; 404 in production.
pub async fn graphiql(State(state): State<AppState>) -> Response {
    if state.config.app_env.is_production() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response()
}
