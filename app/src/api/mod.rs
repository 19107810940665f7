//! Server functions and the UI types they return, one module per capability. Each runs a
//! typed GraphQL operation through the in-process executor, so the UI has exactly the
//! permissions an API client has.
/// Declares the typed operations of one GraphQL file (`$path`, relative to app/), with the
/// schema's custom scalars in scope for the generated types. Both builds have them: the
/// server functions return the generated response types and the pages render them.
macro_rules! operations {
    ($path:tt: $($name:ident),* $(,)?) => {
        pub use crate::api::scalars::*;
        $(
            #[doc = concat!("An operation of app/", $path, ".")]
            #[derive(graphql_client::GraphQLQuery)]
            #[graphql(
                schema_path = "../server/schema.graphql",
                query_path = $path,
                response_derives = "Debug, Clone, PartialEq, Serialize, Deserialize"
            )]
            pub struct $name;
        )*
    };
}

/// Gives each listed connection type (one with `page_info { has_next_page end_cursor }`) a
/// `next()`: the cursor of the page after it, if there is one.
macro_rules! paged {
    ($($page:ty),* $(,)?) => {
        $(
            impl $page {
                /// Cursor for the next page.
                pub fn next(&self) -> Option<String> {
                    self.page_info
                        .end_cursor
                        .clone()
                        .filter(|_| self.page_info.has_next_page)
                }
            }
        )*
    };
}

pub mod campaigns;
pub mod conversations;
#[cfg(feature = "ssr")]
pub mod convert;
pub mod crm;
#[cfg(feature = "ssr")]
pub mod executor;
pub mod identity;
pub mod offers;
pub mod outbound;
pub mod records;
pub mod scalars;
pub mod search;
pub mod signals;
pub mod text;

use leptos::prelude::ServerFnError;

/// Why a server function failed, in words a person can act on (GraphQL error messages are
/// already client-safe: the server never puts database text in them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Sign-in needed.
    #[error("Please sign in")]
    Unauthenticated,
    /// The username and password did not match.
    #[error("Invalid username or password")]
    InvalidCredentials,
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

// `ServerFnError: From<E: Error>` already turns an ApiError into `ServerError(message)`.

impl ApiError {
    /// The error for a GraphQL error with `extensions.code` `code` and message `message`.
    pub fn from_graphql(code: Option<&str>, message: String) -> Self {
        match code {
            // The server words a failed login differently from a missing session; keep it.
            Some("UNAUTHENTICATED") if message == "Invalid username or password" => {
                ApiError::InvalidCredentials
            }
            Some("UNAUTHENTICATED") => ApiError::Unauthenticated,
            Some("FORBIDDEN") => ApiError::Forbidden,
            _ => ApiError::Api(message),
        }
    }
}

/// The HTTP status a server function answers with when the API refused with `code`: the
/// caller's mistakes and refusals are 4xx, only our own faults are 500.
pub fn status_for_code(code: Option<&str>) -> u16 {
    match code {
        Some("UNAUTHENTICATED") => 401,
        Some("FORBIDDEN") => 403,
        Some("NOT_FOUND") => 404,
        Some("CONFLICT") => 409,
        Some("VALIDATION") => 422,
        Some("RATE_LIMITED") => 429,
        Some("INTERNAL") => 500,
        _ => 400,
    }
}

/// The message of a server function error, without framework prefixes.
pub fn error_text(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        _ => "The server could not be reached; try again".to_owned(),
    }
}

/// The part of a validation message that concerns `field` (the API words them as
/// `Invalid input: field: message; other: message`).
pub fn field_error(message: &str, field: &str) -> Option<String> {
    let rest = message.strip_prefix("Invalid input: ")?;
    rest.split("; ")
        .find_map(|part| part.strip_prefix(field).and_then(|m| m.strip_prefix(": ")))
        .map(str::to_owned)
}

/// Whether an error message is only about fields (so the form shows it beside them).
pub fn is_field_message(message: &str) -> bool {
    message.starts_with("Invalid input: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_codes_become_errors_with_the_status_a_client_expects() {
        let cases = [
            (
                Some("UNAUTHENTICATED"),
                "Authentication required",
                401,
                "Please sign in",
            ),
            (
                Some("UNAUTHENTICATED"),
                "Invalid username or password",
                401,
                "Invalid username or password",
            ),
            (
                Some("FORBIDDEN"),
                "Not allowed",
                403,
                "You do not have access to this",
            ),
            (Some("NOT_FOUND"), "Offer not found", 404, "Offer not found"),
            (
                Some("VALIDATION"),
                "Invalid input: name: is required",
                422,
                "Invalid input: name: is required",
            ),
            (Some("CONFLICT"), "Already exists", 409, "Already exists"),
            (Some("RATE_LIMITED"), "Slow down", 429, "Slow down"),
            (Some("INTERNAL"), "Internal error", 500, "Internal error"),
            (None, "Unknown argument", 400, "Unknown argument"),
        ];
        for (code, message, status, shown) in cases {
            let error = ApiError::from_graphql(code, message.to_owned());
            assert_eq!(status_for_code(code), status, "{code:?}");
            assert_eq!(error.to_string(), shown, "{code:?}");
        }
    }

    #[test]
    fn field_errors_are_picked_out_of_the_api_summary() {
        let message =
            "Invalid input: username: is already taken; password: use at least 10 characters";
        assert_eq!(
            field_error(message, "username").as_deref(),
            Some("is already taken")
        );
        assert_eq!(
            field_error(message, "password").as_deref(),
            Some("use at least 10 characters")
        );
        assert_eq!(field_error(message, "pin"), None);
        assert_eq!(field_error("Not allowed", "username"), None);
    }
}
