//! Integration tests of offers against a real PostgreSQL, a fresh database per test: exact
//! offer totals, the approval policy and the four-eyes rule (in the service and in the
//! database), hand-off to the outbound pipeline, and tenant isolation of offers and campaigns.
#[allow(dead_code)]
mod helpers;

mod approvals;
mod isolation;
mod sending;
mod totals;
