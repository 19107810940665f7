//! Conversations mirrored from Chatwoot: the list, threads, contacts, and the sources they
//! come from with their sync status.
pub mod sources;
pub mod threads;

pub use self::{sources::*, threads::*};

#[cfg(feature = "ssr")]
mod ops {
    use graphql_client::GraphQLQuery;

    pub use crate::api::scalars::*;

    macro_rules! op {
        ($name:ident) => {
            /// An operation of app/graphql/conversations.graphql.
            #[derive(GraphQLQuery)]
            #[graphql(
                schema_path = "../server/schema.graphql",
                query_path = "graphql/conversations.graphql",
                response_derives = "Debug"
            )]
            pub struct $name;
        };
    }
    op!(ConversationsQuery);
    op!(ThreadQuery);
    op!(ContactQuery);
    op!(SyncStatusQuery);
    op!(RequestSyncMutation);
    op!(BindChatwootSourceMutation);
}
