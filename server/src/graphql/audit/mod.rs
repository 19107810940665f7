//! The audit trail's part of the schema (read-only).
pub mod query;
pub mod types;
