//! Clients for the outside world (Chatwoot, embedding providers, Telegram).
pub mod chatwoot;
pub mod telegram;
