//! The in-process GraphQL executor the Leptos server functions use (no HTTP hop): the same
//! schema, the same caller derivation, so the UI can do exactly what an API client can.
use std::sync::Arc;

use app::api::executor::{BoxFuture, Executor, GraphqlExecutor};
use axum::http::request::Parts;

use crate::http::{AppState, graphql::run};

struct InProcess {
    state: AppState,
}

impl GraphqlExecutor for InProcess {
    fn execute(
        &self,
        request: async_graphql::Request,
        parts: Parts,
    ) -> BoxFuture<'_, async_graphql::Response> {
        Box::pin(async move {
            run(
                &self.state,
                request,
                &parts.headers,
                self.state
                    .proxies
                    .client_address(&parts.headers, &parts.extensions),
            )
            .await
        })
    }
}

/// The executor to put in Leptos context.
pub fn in_process(state: &AppState) -> Executor {
    Executor(Arc::new(InProcess {
        state: state.clone(),
    }))
}
