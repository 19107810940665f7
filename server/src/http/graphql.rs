//! `POST /graphql` (single requests only; batches are refused) and GraphiQL on `GET /graphql`
//! outside production. GET never executes an operation, so it can never run a mutation.
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, request::Parts},
    response::{Html, IntoResponse, Response},
};

use crate::http::AppState;
use crate::{auth, graphql};

/// Resolves the caller from the request and runs one GraphQL request for them.
pub(crate) async fn run(
    state: &AppState,
    request: async_graphql::Request,
    headers: &HeaderMap,
    client: String,
) -> async_graphql::Response {
    match auth::resolve(&state.db, &state.identity.sessions, headers, client).await {
        Ok(auth) => graphql::execute(&state.schema, request, auth).await,
        Err(e) => {
            tracing::error!(error = %e, "resolving the caller failed");
            let mut error = async_graphql::ServerError::new("Internal error", None);
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", graphql::error::codes::INTERNAL);
            error.extensions = Some(extensions);
            async_graphql::Response::from_errors(vec![error])
        }
    }
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
