//! API types for users, sessions, signup and the Telegram binding.
use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::identity::projects_types::ProjectNode;
use crate::{
    auth::UserRef,
    domain::identity::{signup::PendingSignup, telegram_owner},
};

/// A user.
#[derive(SimpleObject, Debug, Clone)]
pub struct User {
    /// User id.
    pub id: ID,
    /// Login name.
    pub username: String,
}

impl From<UserRef> for User {
    fn from(u: UserRef) -> Self {
        Self {
            id: ID(u.id.to_string()),
            username: u.username,
        }
    }
}

/// The caller.
#[derive(SimpleObject, Debug, Clone)]
pub struct Me {
    /// Login name.
    pub username: String,
    /// Instance administrator.
    pub is_admin: bool,
    /// How the caller authenticated: SESSION or TOKEN.
    pub auth_method: String,
    /// The project requests run in (session: the switched-to project; token: its project).
    pub active_project: Option<ProjectNode>,
    /// The session's CSRF token, to send as `X-CSRF-Token` on mutations (sessions only).
    pub csrf_token: Option<String>,
}

/// A successful login.
#[derive(SimpleObject, Debug, Clone)]
pub struct LoginResult {
    /// Who logged in.
    pub user: User,
    /// The new session's CSRF token (the session itself is in the cookie just set).
    pub csrf_token: String,
}

/// A signup waiting for its PIN.
#[derive(SimpleObject, Debug, Clone)]
pub struct SignupRequest {
    /// Request id, to send back with the PIN.
    pub id: ID,
    /// Requested username.
    pub username: String,
    /// When the PIN expires.
    pub expires_at: DateTime<Utc>,
}

impl From<PendingSignup> for SignupRequest {
    fn from(p: PendingSignup) -> Self {
        Self {
            id: ID(p.id.to_string()),
            username: p.username,
            expires_at: p.expires_at,
        }
    }
}

/// Whether sign-up PINs can reach the owner.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct TelegramStatus {
    /// A bot token is configured on the server.
    pub bot_configured: bool,
    /// The owner's chat is bound.
    pub owner_bound: bool,
}

impl From<telegram_owner::TelegramStatus> for TelegramStatus {
    fn from(s: telegram_owner::TelegramStatus) -> Self {
        Self {
            bot_configured: s.bot_configured,
            owner_bound: s.owner_bound,
        }
    }
}

/// A one-time code binding the owner's Telegram chat.
#[derive(SimpleObject, Debug, Clone)]
pub struct TelegramBindCode {
    /// The code.
    pub code: String,
    /// The message to send to the bot.
    pub bot_command: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}
