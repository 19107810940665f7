//! Bounded contexts: each folder holds one context's services and types. Services are the only
//! code that touches the ORM; resolvers and server functions call them.
pub mod audit;
pub mod campaigns;
pub mod crm;
pub mod demo;
pub mod error;
pub mod identity;
pub mod ingest;
pub mod offers;
pub mod outbound;
pub mod outbound_handoff;
pub mod projects;
pub mod rag;
pub mod tokens;

pub use error::DomainError;
