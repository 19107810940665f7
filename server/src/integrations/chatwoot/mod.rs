//! Chatwoot: the REST client the sync uses, webhook envelopes and signature verification.
//! Shapes follow Chatwoot's own views (see shared/notes/chatwoot-api.md), not convenience.
pub mod client;
pub mod error;
pub mod payload;
pub mod reach;
pub mod signature;

pub use client::{ChatwootClient, ClientOptions, MessagesCursor, RetryPolicy};
pub use error::ChatwootError;
pub use reach::Reach;
