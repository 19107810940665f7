//! Integration tests of signals against a real PostgreSQL, a fresh database per test:
//! detection on a labelled set, next-best-actions and their lifecycle, health scores and the
//! risk radar.
// Signals read CRM accounts: the same fixtures as the CRM tests.
#[path = "../crm/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod detection;
mod health;
