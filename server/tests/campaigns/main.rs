//! Integration tests of campaigns against a real PostgreSQL, a fresh database per test:
//! segment filters against known data, the campaign lifecycle and dispatcher, and reports.
// Campaigns and offers share their fixtures (people, contacts, Chatwoot accounts).
#[path = "../offers/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod lifecycle;
mod segments;
