//! The one mapping from domain errors to GraphQL errors with `extensions.code`.
use async_graphql::{Error, ErrorExtensions, Value};

use crate::kernel::DomainError;

/// Machine-readable codes clients switch on.
pub mod codes {
    /// Not signed in.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// Signed in but not allowed.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// No such thing visible to the caller.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// Bad input; see `extensions.fields`.
    pub const VALIDATION: &str = "VALIDATION";
    /// Conflicts with existing data.
    pub const CONFLICT: &str = "CONFLICT";
    /// Too many requests.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// Something failed on our side; details are in the server log only.
    pub const INTERNAL: &str = "INTERNAL";
}

/// A validation error on one argument, for resolvers that check input before a service runs.
pub fn validation(field: &str, message: &str) -> Error {
    DomainError::Validation(vec![crate::kernel::error::FieldError::new(field, message)]).into_gql()
}

/// Converts a domain error into a client-safe GraphQL error.
pub trait IntoGqlError {
    /// The GraphQL error for this value.
    fn into_gql(self) -> Error;
}

impl IntoGqlError for DomainError {
    fn into_gql(self) -> Error {
        match self {
            DomainError::Unauthenticated => Error::new("Authentication required")
                .extend_with(|_, e| e.set("code", codes::UNAUTHENTICATED)),
            DomainError::InvalidCredentials => Error::new("Invalid username or password")
                .extend_with(|_, e| e.set("code", codes::UNAUTHENTICATED)),
            DomainError::NoActiveProject => {
                Error::new("Choose a project you are a member of first")
                    .extend_with(|_, e| e.set("code", codes::FORBIDDEN))
            }
            DomainError::RateLimited(retry_after) => {
                Error::new("Too many attempts; try again later").extend_with(move |_, e| {
                    e.set("code", codes::RATE_LIMITED);
                    e.set("retryAfterSeconds", retry_after);
                })
            }
            DomainError::PersonRequired => Error::new(
                "API tokens cannot manage tokens, projects, sources or bind codes: sign in to do this",
            )
            .extend_with(|_, e| e.set("code", codes::FORBIDDEN)),
            DomainError::Forbidden => {
                Error::new("Not allowed").extend_with(|_, e| e.set("code", codes::FORBIDDEN))
            }
            DomainError::NotFound(what) => Error::new(format!("{what} not found"))
                .extend_with(|_, e| e.set("code", codes::NOT_FOUND)),
            DomainError::Validation(fields) => {
                let list: Vec<Value> = fields
                    .iter()
                    .map(|f| {
                        let mut obj = async_graphql::indexmap::IndexMap::new();
                        obj.insert(
                            async_graphql::Name::new("field"),
                            Value::from(f.field.clone()),
                        );
                        obj.insert(
                            async_graphql::Name::new("message"),
                            Value::from(f.message.clone()),
                        );
                        Value::Object(obj)
                    })
                    .collect();
                let summary = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                Error::new(format!("Invalid input: {summary}")).extend_with(move |_, e| {
                    e.set("code", codes::VALIDATION);
                    e.set("fields", Value::List(list.clone()));
                })
            }
            DomainError::Conflict(message) => {
                Error::new(message).extend_with(|_, e| e.set("code", codes::CONFLICT))
            }
            DomainError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Error::new("Internal error").extend_with(|_, e| e.set("code", codes::INTERNAL))
            }
            DomainError::Unavailable(message) => {
                Error::new(message).extend_with(|_, e| e.set("code", codes::INTERNAL))
            }
            DomainError::Database(err) => {
                tracing::error!(error = %err, "database error");
                Error::new("Internal error").extend_with(|_, e| e.set("code", codes::INTERNAL))
            }
        }
    }
}
