//! Bounded contexts: each folder holds one context's services and types. Services are the only
//! code that touches the ORM; resolvers and server functions call them.
pub mod demo;
pub mod error;
pub mod projects;

pub use error::DomainError;
