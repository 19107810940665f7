//! The one API: the async-graphql schema served at `/graphql` and executed in-process by the
//! Leptos server functions. Both paths go through [`execute`], so the CSRF rule and the
//! caller's identity apply identically.
pub mod audit;
pub mod campaigns;
pub mod context;
pub mod conversations;
pub mod crm;
pub mod error;
pub mod identity;
pub mod input;
pub mod loaders;
pub mod offers;
pub mod outbound;
pub mod pagination;
pub mod root;
pub mod search;
pub mod signals;
pub mod system;

use async_graphql::{
    EmptySubscription, ErrorExtensionValues, Request, Response, Schema, ServerError,
    dataloader::DataLoader,
    parser::{
        parse_query,
        types::{DocumentOperations, OperationType},
    },
};
use sea_orm::DatabaseConnection;

use crate::{
    auth::RequestAuth,
    config::Config,
    domain::identity::Identity,
    integrations::chatwoot::{ClientOptions, RetryPolicy},
};
use root::{MutationRoot, QueryRoot};

/// The schema type served by this server.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema with its limits; production hides introspection and suggestions.
pub fn build_schema(db: DatabaseConnection, identity: Identity, config: &Config) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    // No cache: the loader only batches the lookups of one moment; keys carry the scope.
    .data(DataLoader::new(
        loaders::ContactLoader { db: db.clone() },
        tokio::spawn,
    ))
    .data(DataLoader::new(
        loaders::MemberLoader { db: db.clone() },
        tokio::spawn,
    ))
    .data(DataLoader::new(
        loaders::AccountLoader { db: db.clone() },
        tokio::spawn,
    ))
    .data(db)
    .data(identity)
    // How binding reaches Chatwoot to prove a token's access: one quick try, no retries.
    .data(ClientOptions {
        timeout: std::time::Duration::from_secs(10),
        connect_timeout: std::time::Duration::from_secs(5),
        retry: RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
        reach: config.chatwoot_reach(),
    })
    .limit_depth(config.graphql_max_depth)
    .limit_complexity(config.graphql_max_complexity);
    if config.app_env.is_production() {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema's SDL, as committed in `server/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}

/// Runs one request for `auth`'s caller. A mutation from a cookie session without its CSRF
/// token, or from a read-only API token, is refused before anything executes.
pub async fn execute(schema: &AppSchema, request: Request, auth: RequestAuth) -> Response {
    let refusal = selects_mutation(&request)
        .then(|| auth.mutation_refusal())
        .flatten();
    if let Some(refusal) = refusal {
        let mut error = ServerError::new(refusal, None);
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", error::codes::FORBIDDEN);
        error.extensions = Some(extensions);
        return Response::from_errors(vec![error]);
    }
    schema.execute(request.data(auth)).await
}

/// Whether the operation the request would run is a mutation. Unparseable documents are left
/// to the executor (which rejects them); with several operations and no name, any mutation in
/// the document counts.
fn selects_mutation(request: &Request) -> bool {
    let Ok(document) = parse_query(&request.query) else {
        return false;
    };
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops
                .get(name.as_str())
                .is_some_and(|op| op.node.ty == OperationType::Mutation),
            None => ops.values().any(|op| op.node.ty == OperationType::Mutation),
        },
    }
}
