//! Project settings: the Chatwoot source, Telegram status, API tokens and the audit log.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ops;

/// A bound Chatwoot account (secrets are never sent back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRow {
    /// Source id.
    pub id: String,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot base URL.
    pub base_url: String,
    /// Path to give Chatwoot as the webhook URL.
    pub webhook_path: String,
    /// An access token is stored.
    pub has_api_access_token: bool,
    /// A webhook secret is stored.
    pub has_webhook_secret: bool,
    /// Signatures required.
    pub verify_signatures: bool,
}

/// A token row (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    /// Token id.
    pub id: String,
    /// Label.
    pub name: String,
    /// Recognisable prefix.
    pub prefix: String,
    /// Created (date).
    pub created_on: String,
    /// Last used (date), if ever.
    pub last_used_on: Option<String>,
    /// Expires (date), if set.
    pub expires_on: Option<String>,
    /// Revoked.
    pub revoked: bool,
}

/// Everything the settings page shows at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// Project name.
    pub project_name: String,
    /// The viewer is an instance admin.
    pub is_admin: bool,
    /// Bound sources.
    pub sources: Vec<SourceRow>,
    /// The viewer's tokens.
    pub tokens: Vec<TokenRow>,
    /// A bot token is configured.
    pub telegram_bot_configured: bool,
    /// The owner chat is bound.
    pub telegram_owner_bound: bool,
}

/// A token just created: its secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedTokenView {
    /// Label.
    pub name: String,
    /// The full secret.
    pub token: String,
}

/// A Telegram bind code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindCodeView {
    /// What to send to the bot.
    pub bot_command: String,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

/// One audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Event id.
    pub id: String,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// Evidence references, `kind:id`.
    pub evidence: Vec<String>,
}

/// A page of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPageView {
    /// Rows, newest first.
    pub rows: Vec<AuditRow>,
    /// Cursor for the next page.
    pub next: Option<String>,
    /// Matching rows in all.
    pub total: i64,
}

#[cfg(feature = "ssr")]
fn date(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_owned()
}

/// The settings of the working project.
#[server(endpoint = "identity/settings")]
pub async fn load_settings() -> Result<SettingsView, ServerFnError> {
    use ops::*;

    let data = crate::api::executor::run::<SettingsQuery>(settings_query::Variables {}).await?;
    let me = data.me.ok_or(crate::api::ApiError::Unauthenticated)?;
    Ok(SettingsView {
        project_name: me.active_project.map(|p| p.name).unwrap_or_default(),
        is_admin: me.is_admin,
        sources: data
            .project_sources
            .into_iter()
            .map(|s| SourceRow {
                id: s.id,
                account_id: s.account_id,
                base_url: s.base_url,
                webhook_path: s.webhook_path,
                has_api_access_token: s.has_api_access_token,
                has_webhook_secret: s.has_webhook_secret,
                verify_signatures: s.verify_signatures,
            })
            .collect(),
        tokens: data
            .api_tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                prefix: t.prefix,
                created_on: date(&t.created_at),
                last_used_on: t.last_used_at.as_deref().map(date),
                expires_on: t.expires_at.as_deref().map(date),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        telegram_bot_configured: data.telegram_status.bot_configured,
        telegram_owner_bound: data.telegram_status.owner_bound,
    })
}

/// Creates an API token; its secret is returned this once.
#[server(endpoint = "identity/create-token")]
pub async fn create_token(
    name: String,
    expires_in_days: Option<String>,
    csrf: String,
) -> Result<CreatedTokenView, ServerFnError> {
    use ops::*;

    let expires_in_days = match expires_in_days
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(days) => Some(days.parse::<i64>().map_err(|_| {
            crate::api::executor::invalid_input(
                "Invalid input: expiresInDays: must be a whole number of days".to_owned(),
            )
        })?),
        None => None,
    };
    let created = crate::api::executor::run_mutation::<CreateApiTokenMutation>(
        create_api_token_mutation::Variables {
            input: create_api_token_mutation::CreateApiTokenInput {
                name,
                expires_in_days,
            },
        },
        &csrf,
    )
    .await?
    .create_api_token;
    Ok(CreatedTokenView {
        name: created.api_token.name,
        token: created.token,
    })
}

/// Revokes one of the user's tokens.
#[server(endpoint = "identity/revoke-token")]
pub async fn revoke_token(id: String, csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<RevokeApiTokenMutation>(
        revoke_api_token_mutation::Variables { id },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Makes a code for the owner to send to the bot (admins).
#[server(endpoint = "identity/telegram-code")]
pub async fn create_bind_code(csrf: String) -> Result<BindCodeView, ServerFnError> {
    use ops::*;

    let code = crate::api::executor::run_mutation::<CreateTelegramBindCodeMutation>(
        create_telegram_bind_code_mutation::Variables {},
        &csrf,
    )
    .await?
    .create_telegram_bind_code;
    Ok(BindCodeView {
        bot_command: code.bot_command,
        expires_at: code.expires_at,
    })
}

/// A page of the working project's audit log, optionally for one action.
#[server(endpoint = "identity/audit")]
pub async fn audit_page(
    action: Option<String>,
    after: Option<String>,
) -> Result<AuditPageView, ServerFnError> {
    use ops::*;

    let filter =
        action
            .filter(|a| !a.trim().is_empty())
            .map(|a| audit_events_query::AuditEventFilter {
                action: Some(a.trim().to_owned()),
                actor: None,
                from: None,
                to: None,
            });
    let page = crate::api::executor::run::<AuditEventsQuery>(audit_events_query::Variables {
        first: Some(25),
        after,
        filter,
    })
    .await?
    .audit_events;
    Ok(AuditPageView {
        rows: page
            .edges
            .into_iter()
            .map(|e| AuditRow {
                id: e.node.id,
                at: e.node.created_at,
                actor: e.node.actor,
                action: e.node.action,
                target: match (e.node.target_kind, e.node.target_id) {
                    (Some(kind), Some(id)) => format!("{kind} {id}"),
                    (Some(kind), None) => kind,
                    _ => String::new(),
                },
                evidence: e
                    .node
                    .evidence
                    .into_iter()
                    .map(|r| format!("{}:{}", r.kind, r.id))
                    .collect(),
            })
            .collect(),
        next: page
            .page_info
            .end_cursor
            .filter(|_| page.page_info.has_next_page),
        total: page.total_count,
    })
}
