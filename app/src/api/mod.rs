//! Server functions and the UI types they return. Each runs a typed GraphQL operation through
//! the in-process executor, so the UI has exactly the permissions an API client has.
#[cfg(feature = "ssr")]
pub mod executor;
pub mod projects;

/// Why a server function failed, in words a person can act on (GraphQL error messages are
/// already client-safe: the server never puts database text in them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Sign-in needed.
    #[error("Please sign in")]
    Unauthenticated,
    /// Not allowed.
    #[error("You do not have access to this")]
    Forbidden,
    /// Anything else the API reported.
    #[error("{0}")]
    Api(String),
    /// The API could not be reached or answered something unexpected.
    #[error("The server could not complete the request")]
    Internal,
}
