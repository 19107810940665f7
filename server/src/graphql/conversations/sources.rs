//! API types for project sources.
use async_graphql::{ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::conversations::binding::SourceView;

/// A Chatwoot account bound to the project. Secrets are write-only.
#[derive(SimpleObject, Debug, Clone)]
pub struct ProjectSource {
    /// Source id.
    pub id: ID,
    /// Always `chatwoot_account` today.
    pub kind: String,
    /// The Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot's base URL.
    pub base_url: String,
    /// Path to configure as Chatwoot's webhook URL (on this server).
    pub webhook_path: String,
    /// An API access token is stored.
    pub has_api_access_token: bool,
    /// A webhook secret is stored.
    pub has_webhook_secret: bool,
    /// Webhook signatures are required.
    pub verify_signatures: bool,
    /// Syncs run.
    pub enabled: bool,
    /// Seconds between scheduled syncs.
    pub sync_interval_seconds: i32,
    /// Bound at.
    pub created_at: DateTime<Utc>,
}

impl From<SourceView> for ProjectSource {
    fn from(s: SourceView) -> Self {
        Self {
            id: ID(s.id.to_string()),
            kind: "chatwoot_account".to_owned(),
            account_id: s.account_id,
            base_url: s.base_url,
            webhook_path: s.webhook_path,
            has_api_access_token: s.has_api_access_token,
            has_webhook_secret: s.has_webhook_secret,
            verify_signatures: s.verify_signatures,
            enabled: s.enabled,
            sync_interval_seconds: s.sync_interval_seconds,
            created_at: s.created_at,
        }
    }
}

/// Binding a Chatwoot account.
#[derive(InputObject, Debug, Clone)]
pub struct BindChatwootSourceInput {
    /// Chatwoot's base URL, e.g. https://chat.example.com.
    pub base_url: String,
    /// The Chatwoot account id.
    pub account_id: i64,
    /// An API access token (user or agent bot).
    pub api_access_token: String,
    /// The webhook signing secret (Chatwoot 4.11.2+).
    pub webhook_secret: Option<String>,
    /// Require webhook signatures (default true).
    #[graphql(default = true)]
    pub verify_signatures: bool,
}
