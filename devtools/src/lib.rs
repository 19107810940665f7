//! DEVELOPMENT AND TEST FIXTURES ONLY: nothing in this crate is deployed or used by production
//! code paths.
//!
//! [`fake_telegram`] is a fake Telegram Bot API that records `sendMessage` calls (signup PINs).
//!
//! [`fake_chatwoot`] is a small Chatwoot look-alike built on axum. It speaks Chatwoot's real REST
//! shapes (contacts 15 per page, conversations 25 per page under `data.meta`/`data.payload`,
//! messages paged by message id) and builds Chatwoot's real webhook bodies, over a world produced
//! by a deterministic generator. Tests start it on `127.0.0.1:0`; the `fake-chatwoot` binary
//! serves it for local development so the demo workspace can be filled by the real sync.
pub mod fake_chatwoot;
pub mod fake_telegram;

pub use fake_chatwoot::{FakeChatwoot, Faults, Scenario, World};
