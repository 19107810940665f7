//! Clients for the outside world (Chatwoot, embedding providers, Telegram).
pub mod chatwoot;
pub mod embeddings;
pub mod telegram;
