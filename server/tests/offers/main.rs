//! Integration tests of offers and campaigns (issue 7) against a real PostgreSQL, a fresh
//! database per test: exact offer totals, the approval policy and the four-eyes rule (in the
//! service and in the database), hand-off to the outbound pipeline, segment filters against
//! known data, the campaign lifecycle and dispatcher, reports, and tenant isolation.
mod helpers;

mod approvals;
mod campaigns;
mod isolation;
mod segments;
mod sending;
mod totals;
