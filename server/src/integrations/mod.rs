//! Clients for the outside world (Chatwoot, embedding providers, Telegram) live here.
