//! Integration tests of the HTTP surface against a real PostgreSQL (a fresh database per test).

mod chatwoot;
mod crm;
mod fuzz;
mod graphql;
mod health;
mod identity;
mod isolation;
mod offers;
mod outbound;
mod pages;
mod schema_sdl;
mod search;
mod settings;
