//! Integration tests of the outbound pipeline (issue 7) against a real PostgreSQL (a fresh
//! database per test) and the fake Chatwoot: approval, send-time checks, delivery exactly once
//! across retries and dead senders, opt-out and opt-in, campaign and offer messages, and
//! tenant isolation.
mod helpers;

mod approval;
mod checks;
mod delivery;
mod isolation;
mod origins;
mod policies;
