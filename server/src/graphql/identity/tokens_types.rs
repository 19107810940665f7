//! API types for API tokens.
use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::identity::tokens::TokenView;

/// What a token may do.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ApiTokenScope {
    /// Run queries.
    Read,
    /// Also run mutations.
    Write,
}

/// A personal API token (its secret is never readable after creation).
#[derive(SimpleObject, Debug, Clone)]
pub struct ApiToken {
    /// Token id.
    pub id: ID,
    /// Label.
    pub name: String,
    /// First characters, to recognise it.
    pub prefix: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// What it may do.
    pub scopes: Vec<ApiTokenScope>,
}

impl From<TokenView> for ApiToken {
    fn from(t: TokenView) -> Self {
        Self {
            id: ID(t.id.to_string()),
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            scopes: if t.can_write {
                vec![ApiTokenScope::Read, ApiTokenScope::Write]
            } else {
                vec![ApiTokenScope::Read]
            },
        }
    }
}

/// A token just created.
#[derive(SimpleObject, Debug, Clone)]
pub struct CreatedApiToken {
    /// The secret: shown this once, send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// The token's listing.
    pub api_token: ApiToken,
}
