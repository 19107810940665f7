//! Chatwoot ingestion: the normaliser (payload -> `cw_*` rows with the spec's global ids),
//! batched idempotent upserts, the resumable REST sync with its watermark, webhook
//! application, the read side the API needs (listings, sync status, "sync now") and the
//! demo binding.
pub mod binding;
pub mod demo;
pub mod ids;
pub mod lookup;
pub mod normalize;
pub mod query;
pub mod sources;
pub mod status;
pub mod store;
pub mod sync;
pub mod webhook;

pub use ids::{AccountRef, watermark_source};
pub use query::{
    Contact, ContactFilter, Conversation, ConversationFilter, Cursor, Message, get_contact,
    get_conversation, list_contacts, list_conversations, list_messages,
};
pub use status::{
    SourceSyncStatus, SyncRequested, list_job_runs, request_sync, request_sync_now,
    source_sync_status, sync_status,
};
pub use sync::{SyncError, SyncMode, SyncOptions, SyncReport, run_sync};
