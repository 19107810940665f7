//! The in-process GraphQL executor the Leptos server functions use (no HTTP hop): the same
//! schema, the same caller derivation, so the UI can do exactly what an API client can.
use std::sync::Arc;

use app::api::executor::{BoxFuture, Executor, GraphqlExecutor};

use crate::{auth, graphql::AppSchema};

struct InProcess {
    schema: AppSchema,
}

impl GraphqlExecutor for InProcess {
    fn execute(
        &self,
        request: async_graphql::Request,
        headers: axum::http::HeaderMap,
    ) -> BoxFuture<'_, async_graphql::Response> {
        Box::pin(async move {
            let caller = auth::caller_from_headers(&headers);
            self.schema.execute(request.data(caller)).await
        })
    }
}

/// The executor to put in Leptos context.
pub fn in_process(schema: AppSchema) -> Executor {
    Executor(Arc::new(InProcess { schema }))
}
