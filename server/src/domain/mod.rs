//! The capabilities, one folder each: `identity`, `conversations` (Chatwoot sync and webhooks),
//! `search`, `crm`, `signals` (signals, next-best-actions, health, radar), `offers`,
//! `campaigns` and `outbound`. Each holds its services and types, takes a [`Scope`] and a
//! connection, and depends on the kernel, never on the layers above it.
//!
//! [`Scope`]: crate::kernel::Scope
pub mod campaigns;
pub mod conversations;
pub mod crm;
pub mod identity;
pub mod offers;
pub mod outbound;
pub mod search;
pub mod signals;

pub use crate::kernel::DomainError;
