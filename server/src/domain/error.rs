//! The domain layer's error, mapped once to GraphQL codes (graphql::error) and HTTP statuses.
use sea_orm::DbErr;

/// Why a domain operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The caller is not signed in.
    #[error("authentication required")]
    Unauthenticated,
    /// The caller may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The thing does not exist (or is not visible to the caller, which reads the same).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input failed validation; nothing was written.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// The write conflicts with existing data.
    #[error("{0}")]
    Conflict(String),
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
