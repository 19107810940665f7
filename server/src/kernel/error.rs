//! The domain layer's error, mapped once to GraphQL codes (graphql::error) and HTTP statuses.
use sea_orm::DbErr;

/// Why a domain operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The caller is not signed in.
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong username or password (never says which).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The caller may not do this.
    #[error("not allowed")]
    Forbidden,
    /// An API token asked for what only a signed-in person may do (credentials, projects,
    /// sources, bind codes).
    #[error("a signed-in person is required")]
    PersonRequired,
    /// Signed in, but no project is selected (or the selected one is no longer accessible).
    #[error("no active project")]
    NoActiveProject,
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts")]
    RateLimited(i64),
    /// The thing does not exist (or is not visible to the caller, which reads the same).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input failed validation; nothing was written.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// The write conflicts with existing data.
    #[error("{0}")]
    Conflict(String),
    /// Something of ours failed (hashing, an upstream service); the message is logged, and the
    /// client gets a generic one.
    #[error("internal error: {0}")]
    Internal(String),
    /// A service we depend on could not do its part; the message is safe to show.
    #[error("{0}")]
    Unavailable(&'static str),
    /// The database failed. Its message is logged, never shown to a client.
    #[error("database error")]
    Database(#[from] DbErr),
}

/// One field's validation failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input field, as named in the API (camelCase).
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl FieldError {
    /// A failure of `field` described by `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Result of a domain operation.
pub type DomainResult<T> = Result<T, DomainError>;
