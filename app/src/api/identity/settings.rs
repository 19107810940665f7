//! Project settings: the Chatwoot source, Telegram status, API tokens and the audit log.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ops;

use super::ops::{
    audit_events_query::{AuditEventsQueryAuditEvents, AuditEventsQueryAuditEventsEdgesNode},
    create_api_token_mutation::CreateApiTokenMutationCreateApiToken,
    create_telegram_bind_code_mutation::CreateTelegramBindCodeMutationCreateTelegramBindCode,
    settings_query::{self, SettingsQueryApiTokens},
};
use crate::api::text::date;

impl settings_query::ResponseData {
    /// The working project's name.
    pub fn project_name(&self) -> String {
        self.me
            .as_ref()
            .and_then(|me| me.active_project.as_ref())
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }

    /// Whether the viewer is an instance admin.
    pub fn is_admin(&self) -> bool {
        self.me.as_ref().is_some_and(|me| me.is_admin)
    }
}

impl SettingsQueryApiTokens {
    /// Created (date).
    pub fn created_on(&self) -> &str {
        date(&self.created_at)
    }

    /// Last used (date), if ever.
    pub fn last_used_on(&self) -> Option<&str> {
        self.last_used_at.as_deref().map(date)
    }

    /// Expires (date), if set.
    pub fn expires_on(&self) -> Option<&str> {
        self.expires_at.as_deref().map(date)
    }

    /// Whether it was revoked.
    pub fn revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    /// What it may do, for a person: "read" or "read and write".
    pub fn access(&self) -> &'static str {
        if self
            .scopes
            .iter()
            .any(|s| matches!(s, settings_query::ApiTokenScope::WRITE))
        {
            "read and write"
        } else {
            "read only"
        }
    }
}

impl AuditEventsQueryAuditEventsEdgesNode {
    /// On what: `kind id`, `kind`, or nothing.
    pub fn target(&self) -> String {
        match (&self.target_kind, &self.target_id) {
            (Some(kind), Some(id)) => format!("{kind} {id}"),
            (Some(kind), None) => kind.clone(),
            _ => String::new(),
        }
    }

    /// Evidence references, `kind:id`.
    pub fn evidence_refs(&self) -> Vec<String> {
        self.evidence
            .iter()
            .map(|r| format!("{}:{}", r.kind, r.id))
            .collect()
    }
}

paged!(AuditEventsQueryAuditEvents);

/// The settings of the working project.
#[server(endpoint = "identity/settings")]
pub async fn load_settings() -> Result<settings_query::ResponseData, ServerFnError> {
    use ops::*;

    let data = crate::api::executor::run::<SettingsQuery>(settings_query::Variables {}).await?;
    if data.me.is_none() {
        return Err(crate::api::ApiError::Unauthenticated.into());
    }
    Ok(data)
}

/// Creates an API token; its secret is returned this once.
#[server(endpoint = "identity/create-token")]
pub async fn create_token(
    name: String,
    expires_in_days: Option<String>,
    can_write: Option<String>,
    csrf: String,
) -> Result<CreateApiTokenMutationCreateApiToken, ServerFnError> {
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
                // An unticked checkbox sends nothing: read-only unless asked for.
                scopes: Some(if can_write.is_some() {
                    vec![
                        create_api_token_mutation::ApiTokenScope::READ,
                        create_api_token_mutation::ApiTokenScope::WRITE,
                    ]
                } else {
                    vec![create_api_token_mutation::ApiTokenScope::READ]
                }),
            },
        },
        &csrf,
    )
    .await?
    .create_api_token;
    Ok(created)
}

/// Saves the project's rules from the settings form (owners and admins). Days and minutes
/// are what people type; the API takes seconds.
#[server(endpoint = "identity/update-settings")]
#[allow(clippy::too_many_arguments)]
pub async fn update_project_settings(
    outbound_four_eyes: Option<String>,
    offer_discount_approval_threshold: String,
    default_frequency_cap: Option<String>,
    frequency_window_days: Option<String>,
    opt_out_phrases: Option<String>,
    sync_interval_minutes: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use crate::api::convert::int;
    use ops::*;

    let threshold = offer_discount_approval_threshold
        .trim()
        .parse::<f64>()
        .map_err(|_| {
            crate::api::executor::invalid_input(
                "Invalid input: offerDiscountApprovalThreshold: enter a percentage".to_owned(),
            )
        })?;
    let days = int("defaultFrequencyWindowSeconds", frequency_window_days)?;
    let minutes = int("syncIntervalSeconds", sync_interval_minutes)?;
    let phrases = opt_out_phrases
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    crate::api::executor::run_mutation::<UpdateProjectSettingsMutation>(
        update_project_settings_mutation::Variables {
            input: update_project_settings_mutation::UpdateProjectSettingsInput {
                // An unticked checkbox sends nothing: off.
                outbound_four_eyes: Some(outbound_four_eyes.is_some()),
                offer_discount_approval_threshold: Some(threshold),
                default_frequency_cap: int("defaultFrequencyCap", default_frequency_cap)?,
                default_frequency_window_seconds: days.map(|d| d.saturating_mul(86_400)),
                opt_out_phrases: Some(phrases),
                sync_interval_seconds: minutes.map(|m| m.saturating_mul(60)),
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
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
pub async fn create_bind_code(
    csrf: String,
) -> Result<CreateTelegramBindCodeMutationCreateTelegramBindCode, ServerFnError> {
    use ops::*;

    let code = crate::api::executor::run_mutation::<CreateTelegramBindCodeMutation>(
        create_telegram_bind_code_mutation::Variables {},
        &csrf,
    )
    .await?
    .create_telegram_bind_code;
    Ok(code)
}

/// A page of the working project's audit log, optionally for one action.
#[server(endpoint = "identity/audit")]
pub async fn audit_page(
    action: Option<String>,
    after: Option<String>,
) -> Result<AuditEventsQueryAuditEvents, ServerFnError> {
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
    Ok(page)
}
