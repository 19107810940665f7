//! The bridge from server functions to the GraphQL schema, with no HTTP hop.
use std::{future::Future, pin::Pin, sync::Arc};

use graphql_client::GraphQLQuery;
use leptos::prelude::use_context;

use super::ApiError;

/// Header the API reads the CSRF token from.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A boxed future, so the executor trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Executes GraphQL requests against the server's schema; implemented by the server, which
/// derives the caller's identity from the same request parts an HTTP request would carry.
pub trait GraphqlExecutor: Send + Sync + 'static {
    /// Runs one request on behalf of the client whose request is `parts`.
    fn execute(
        &self,
        request: async_graphql::Request,
        parts: http::request::Parts,
    ) -> BoxFuture<'_, async_graphql::Response>;
}

/// The executor as put in Leptos context by the server.
#[derive(Clone)]
pub struct Executor(pub Arc<dyn GraphqlExecutor>);

/// Runs the typed query `Q` with `variables` for the current request's caller.
pub async fn run<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    execute::<Q>(variables, None).await
}

/// Runs the typed mutation `Q`, presenting `csrf_token` (from the submitted form) as the
/// `X-CSRF-Token` header, exactly as an API client would.
pub async fn run_mutation<Q: GraphQLQuery>(
    variables: Q::Variables,
    csrf_token: &str,
) -> Result<Q::ResponseData, ApiError> {
    execute::<Q>(variables, Some(csrf_token)).await
}

/// Response header through which a server function that failed names the 4xx status it
/// should answer with; the server's router applies it (and always removes it).
pub const FAILURE_STATUS_HEADER: &str = "x-revintel-failure-status";

/// Records that the call was refused with `status`, so a server function that fails with it
/// answers 4xx rather than leptos's 500 (clients and logs then see whose fault it was). It is
/// only a hint: the router applies it to failed server functions alone, so a page that
/// rendered anyway, a function that recovered, or a plain form's redirect keep their status.
pub fn set_failure_status(status: u16) {
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&status.to_string()),
    ) {
        options.insert_header(http::HeaderName::from_static(FAILURE_STATUS_HEADER), value);
    }
}

/// A refusal of input the server function checked itself (worded like the API's
/// `Invalid input: field: message`), answered with 422 like the API's own.
pub fn invalid_input(message: String) -> ApiError {
    set_failure_status(422);
    ApiError::Api(message)
}

async fn execute<Q: GraphQLQuery>(
    variables: Q::Variables,
    csrf_token: Option<&str>,
) -> Result<Q::ResponseData, ApiError> {
    let Executor(executor) = use_context::<Executor>().ok_or_else(|| {
        tracing::error!("no GraphQL executor in context");
        ApiError::Internal
    })?;
    let mut parts = use_context::<http::request::Parts>()
        .unwrap_or_else(|| http::Request::new(()).into_parts().0);
    if let Some(token) = csrf_token {
        let value = http::HeaderValue::from_str(token)
            .map_err(|_| ApiError::Api("Invalid form token".to_owned()))?;
        parts.headers.insert(CSRF_HEADER, value);
    }
    let body = Q::build_query(variables);
    let variables = serde_json::to_value(&body.variables).map_err(|e| {
        tracing::error!(error = %e, "variables did not serialise");
        ApiError::Internal
    })?;
    let request = async_graphql::Request::new(body.query)
        .operation_name(body.operation_name)
        .variables(async_graphql::Variables::from_json(variables));
    let response = executor.execute(request, parts).await;
    // Cookies the API sets (login, logout) reach the browser through the page's response.
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        for cookie in response.http_headers.get_all(http::header::SET_COOKIE) {
            options.append_header(http::header::SET_COOKIE, cookie.clone());
        }
    }
    if let Some(error) = response.errors.into_iter().next() {
        let code = error
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            });
        set_failure_status(super::status_for_code(code.as_deref()));
        return Err(ApiError::from_graphql(code.as_deref(), error.message));
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
