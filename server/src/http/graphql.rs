//! `POST /graphql` (single requests only; batches are refused) and GraphiQL on `GET /graphql`
//! outside production. GET never executes an operation, so it can never run a mutation.
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
};

use super::AppState;
use crate::auth;

/// Executes one GraphQL request for the caller its headers identify.
pub async fn execute(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let caller = auth::caller_from_headers(&headers);
    state
        .schema
        .execute(request.into_inner().data(caller))
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
