//! `POST /webhooks/telegram`: updates from the bot, authenticated by the secret token Telegram
//! sends in `X-Telegram-Bot-Api-Secret-Token` (set with setWebhook's `secret_token`).
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};

use crate::http::AppState;
use crate::{
    auth::secrets::constant_time_eq, domain::identity::telegram_owner,
    integrations::telegram::Update,
};

/// Applies one update; 404 when no webhook secret is configured, 401 on a wrong secret, 400 on
/// a body that is not an update.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(expected) = state
        .config
        .telegram_webhook_secret
        .as_deref()
        .filter(|s| !s.is_empty())
    else {
        return StatusCode::NOT_FOUND;
    };
    let sent = headers
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !constant_time_eq(sent, expected) {
        tracing::warn!("telegram webhook with a wrong secret token");
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(update) = serde_json::from_slice::<Update>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    match telegram_owner::handle_update(&state.db, &state.identity, &update).await {
        Ok(bound) => {
            tracing::info!(
                update_id = update.update_id,
                bound,
                "telegram update applied"
            );
            StatusCode::OK
        }
        Err(e) => {
            tracing::error!(error = %e, "telegram update failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
