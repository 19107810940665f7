//! Conversations mirrored from Chatwoot: the list, threads, contacts, and the sources they
//! come from with their sync status.
pub mod sources;
pub mod threads;

pub use self::{sources::*, threads::*};

/// The capability's typed GraphQL operations (both builds: pages render their types).
pub mod ops {
    operations!("graphql/conversations.graphql":
        ConversationsQuery,
        ThreadQuery,
        ContactQuery,
        SyncStatusQuery,
        RequestSyncMutation,
        BindChatwootSourceMutation,
    );
}
