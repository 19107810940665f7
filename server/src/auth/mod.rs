//! Identity of the caller, derived from request headers in one place. Sessions, CSRF and API
//! tokens land with the identity issue; until then every caller is anonymous.
pub mod scope;

use axum::http::HeaderMap;

pub use scope::Scope;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials were presented.
    Anonymous,
}

/// Builds the caller from a request's headers (cookie or bearer token once supported).
pub fn caller_from_headers(_headers: &HeaderMap) -> Caller {
    Caller::Anonymous
}
