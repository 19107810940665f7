//! The bridge from server functions to the GraphQL schema, with no HTTP hop.
use std::{future::Future, pin::Pin, sync::Arc};

use graphql_client::GraphQLQuery;
use leptos::prelude::use_context;

use super::ApiError;

/// A boxed future, so the executor trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Executes GraphQL requests against the server's schema; implemented by the server, which
/// derives the caller's identity from the same headers an HTTP request would carry.
pub trait GraphqlExecutor: Send + Sync + 'static {
    /// Runs one request on behalf of the client that sent `headers`.
    fn execute(
        &self,
        request: async_graphql::Request,
        headers: http::HeaderMap,
    ) -> BoxFuture<'_, async_graphql::Response>;
}

/// The executor as put in Leptos context by the server.
#[derive(Clone)]
pub struct Executor(pub Arc<dyn GraphqlExecutor>);

/// Runs the typed operation `Q` with `variables` for the current request's caller.
pub async fn run<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let Executor(executor) = use_context::<Executor>().ok_or_else(|| {
        tracing::error!("no GraphQL executor in context");
        ApiError::Internal
    })?;
    let headers = use_context::<http::request::Parts>()
        .map(|parts| parts.headers)
        .unwrap_or_default();
    let body = Q::build_query(variables);
    let variables = serde_json::to_value(&body.variables).map_err(|e| {
        tracing::error!(error = %e, "variables did not serialise");
        ApiError::Internal
    })?;
    let request = async_graphql::Request::new(body.query)
        .operation_name(body.operation_name)
        .variables(async_graphql::Variables::from_json(variables));
    let response = executor.execute(request, headers).await;
    if let Some(error) = response.errors.into_iter().next() {
        let code = error
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            });
        return Err(match code.as_deref() {
            Some("UNAUTHENTICATED") => ApiError::Unauthenticated,
            Some("FORBIDDEN") => ApiError::Forbidden,
            _ => ApiError::Api(error.message),
        });
    }
    let data = response.data.into_json().map_err(|e| {
        tracing::error!(error = %e, "response data is not JSON");
        ApiError::Internal
    })?;
    serde_json::from_value(data).map_err(|e| {
        tracing::error!(error = %e, "response does not match the operation's types");
        ApiError::Internal
    })
}
