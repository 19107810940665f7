//! The Chatwoot client's error, classified once into retryable and fatal.
use std::time::Duration;

/// Why a Chatwoot call failed. `Display` is the message recorded on a failed job run, so it
/// says what to fix and never carries the token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChatwootError {
    /// 401/403: the token is wrong, revoked or lacks access to the account.
    #[error(
        "Chatwoot rejected the API access token (HTTP {status}); check the token configured \
         for this source"
    )]
    Unauthorized {
        /// 401 or 403.
        status: u16,
    },
    /// 404: unknown account (or resource) at this base URL.
    #[error("Chatwoot answered 404 for {path}; check the account id and base URL of this source")]
    NotFound {
        /// Path of the request (no query, no secrets).
        path: String,
    },
    /// 429 from Chatwoot's rate limiter.
    #[error("Chatwoot rate limit hit (HTTP 429){}", after_text(*retry_after))]
    RateLimited {
        /// What `Retry-After` asked for.
        retry_after: Option<Duration>,
    },
    /// 5xx.
    #[error("Chatwoot server error (HTTP {status}){}", after_text(*retry_after))]
    Server {
        /// The status.
        status: u16,
        /// What `Retry-After` asked for, if sent.
        retry_after: Option<Duration>,
    },
    /// The request did not complete in time.
    #[error("Chatwoot did not answer in time")]
    Timeout,
    /// Connection refused, reset, DNS, TLS...
    #[error("could not reach Chatwoot: {0}")]
    Transport(String),
    /// Another 4xx: our request is wrong; retrying will not help.
    #[error("Chatwoot refused the request (HTTP {status})")]
    Rejected {
        /// The status.
        status: u16,
    },
    /// The body was not the shape Chatwoot documents.
    #[error("unexpected response from Chatwoot: {0}")]
    Decode(String),
    /// The source's settings cannot work (bad base URL, non-numeric account id).
    #[error("invalid Chatwoot source settings: {0}")]
    Config(String),
}

fn after_text(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| {
        format!("; retry after {}s", d.as_secs_f64().ceil() as u64)
    })
}

impl ChatwootError {
    /// True for failures that may go away by themselves (429, 5xx, timeouts, transport).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Timeout | Self::Transport(_)
        )
    }

    /// The HTTP status Chatwoot answered with, when it answered at all.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { status }
            | Self::Server { status, .. }
            | Self::Rejected { status, .. } => Some(*status),
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { .. } => Some(429),
            Self::Timeout | Self::Transport(_) | Self::Decode(_) | Self::Config(_) => None,
        }
    }

    /// Whether a write that failed this way may still have been applied: a 5xx can come from a
    /// proxy after Rails committed, a timeout or a reset connection may hide a success. A 429
    /// comes from the rate limiter before the app, and other 4xx answers are refusals.
    pub fn may_have_been_applied(&self) -> bool {
        matches!(
            self,
            Self::Server { .. } | Self::Timeout | Self::Transport(_) | Self::Decode(_)
        )
    }

    /// The delay Chatwoot asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_and_not_found_are_fatal_and_say_what_to_check() {
        let unauthorized = ChatwootError::Unauthorized { status: 401 };
        assert!(!unauthorized.is_retryable());
        assert!(unauthorized.to_string().contains("API access token"));
        let not_found = ChatwootError::NotFound {
            path: "/api/v1/accounts/9/contacts".into(),
        };
        assert!(!not_found.is_retryable());
        assert!(not_found.to_string().contains("account id"));
    }

    #[test]
    fn rate_limits_and_server_errors_are_retryable_with_their_delay() {
        let limited = ChatwootError::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
        };
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(30)));
        assert!(limited.to_string().contains("retry after 30s"));
        assert!(
            ChatwootError::Server {
                status: 502,
                retry_after: None
            }
            .is_retryable()
        );
        assert!(ChatwootError::Timeout.is_retryable());
    }
}
