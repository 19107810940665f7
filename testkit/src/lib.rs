//! TEST SUPPORT ONLY, used by every test binary: a fresh migrated database per test
//! ([`TestDb`]), the whole app behind its router ([`spawn_app`]), builders for projects, users
//! and members, Chatwoot global ids, readers of a service's refusals, and the fakes the tests
//! talk to over loopback (Chatwoot and Telegram from `devtools`, an OpenAI-compatible
//! embeddings server here).
pub mod app;
pub mod chatwoot;
pub mod database;
pub mod fake_openai;
pub mod ids;
pub mod outcomes;

pub use app::{As, Session, TestApp, spawn_app, spawn_app_in};
pub use database::{FreshDatabase, Person, TestDb, admin_url, exec, scalar, strings};
pub use devtools::{FakeChatwoot, Faults, Scenario, World, fake_chatwoot, fake_telegram};
pub use ids::{chatwoot_account, contact_id, conversation_id, message_id};
pub use outcomes::{conflict, fields, not_found};
