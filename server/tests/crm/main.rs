//! Integration tests of the CRM services (issue 6) against a real PostgreSQL, a fresh database
//! per test: accounts and merges, contact suggestions and links, the pipeline, opportunities
//! with their stage history, the board's forecast, and tenant isolation.
#[allow(dead_code)]
mod helpers;

mod accounts;
mod contacts;
mod isolation;
mod opportunities;
mod pipeline;
