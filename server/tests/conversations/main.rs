//! Integration tests of Chatwoot ingestion against a real PostgreSQL (a fresh database per
//! test) and the fake Chatwoot from `devtools` on loopback: the sync, the client's retries,
//! the job queue, webhooks and the read services the API uses. No test sleeps to wait for a
//! worker: jobs are driven with `execute_one`.
mod helpers;

mod client;
mod jobs;
mod query;
mod sync;
mod webhooks;
