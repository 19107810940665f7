//! The `crm` capability's part of the schema: its root fields, mutations and API types.
pub mod mutation;
pub mod query;
pub mod types;
