//! `POST /webhooks/chatwoot/{source_key}`: Chatwoot's account webhooks.
//!
//! When the source has `verify_signatures` on, the request must carry `X-Chatwoot-Timestamp`
//! within the allowed skew, `X-Chatwoot-Signature: sha256=<hex>` over "{timestamp}.{raw body}"
//! with the source's secret, and `X-Chatwoot-Delivery`. A delivery is a duplicate when its id
//! or, for a signed one, what its signature covers (timestamp and body) was seen before, so a
//! captured request re-sent under a new delivery id is refused too. Refusals are 4xx, logged,
//! and write nothing; a replayed delivery is 409. Applying an event is a handful of
//! upserts in one transaction, so the answer stays fast.
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tower_http::limit::RequestBodyLimitLayer;

use crate::http::AppState;
use crate::{
    domain::conversations::{
        sources::find_by_key,
        webhook::{Delivery, WebhookError, WebhookOutcome, apply_webhook},
    },
    integrations::chatwoot::{payload::WebhookEnvelope, signature},
    kernel::Scope,
};

/// Chatwoot bodies are small; anything near this is not a Chatwoot event.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The Chatwoot webhook route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/chatwoot/{source_key}", post(receive))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

fn refuse(status: StatusCode, reason: &'static str) -> Response {
    tracing::warn!(%status, reason, "chatwoot webhook refused");
    reply(status, json!({ "error": reason }))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Verifies and applies one delivery.
pub async fn receive(
    State(state): State<AppState>,
    Path(source_key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let source = match find_by_key(&state.db, &source_key).await {
        Ok(Some(source)) if source.enabled => source,
        Ok(_) => return refuse(StatusCode::NOT_FOUND, "unknown webhook source"),
        Err(e) => {
            tracing::error!(error = %e, "chatwoot webhook: source lookup failed");
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "internal error" }),
            );
        }
    };
    let delivery = header(&headers, "x-chatwoot-delivery").map(str::to_owned);
    if delivery.as_ref().is_some_and(|d| d.len() > 200) {
        return refuse(StatusCode::BAD_REQUEST, "X-Chatwoot-Delivery is too long");
    }
    let mut signed_digest = None;
    if source.verify_signatures {
        let Some(secret) = source.webhook_secret.as_deref().filter(|s| !s.is_empty()) else {
            tracing::error!(source_id = %source.id, "signature verification is on but no secret is set");
            return refuse(StatusCode::UNAUTHORIZED, "signature cannot be verified");
        };
        let Some(timestamp) = header(&headers, "x-chatwoot-timestamp") else {
            return refuse(StatusCode::UNAUTHORIZED, "missing X-Chatwoot-Timestamp");
        };
        let Ok(sent_at) = timestamp.parse::<i64>() else {
            return refuse(StatusCode::UNAUTHORIZED, "malformed X-Chatwoot-Timestamp");
        };
        let skew = (chrono::Utc::now().timestamp() - sent_at).abs();
        if skew > state.config.webhook_max_skew_seconds {
            return refuse(StatusCode::UNAUTHORIZED, "stale X-Chatwoot-Timestamp");
        }
        let Some(sent_signature) = header(&headers, "x-chatwoot-signature") else {
            return refuse(StatusCode::UNAUTHORIZED, "missing X-Chatwoot-Signature");
        };
        if !signature::verify(secret.as_bytes(), timestamp, &body, sent_signature) {
            return refuse(StatusCode::UNAUTHORIZED, "bad X-Chatwoot-Signature");
        }
        if delivery.is_none() {
            return refuse(StatusCode::BAD_REQUEST, "missing X-Chatwoot-Delivery");
        }
        let mut covered = Sha256::new();
        covered.update(timestamp.as_bytes());
        covered.update(b".");
        covered.update(&body);
        signed_digest = Some(hex::encode(covered.finalize()));
    }
    // Unsigned (older) Chatwoot sends no delivery id: the body itself identifies the event.
    let delivery_id =
        delivery.unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(&body))));
    let envelope = match WebhookEnvelope::parse(&body) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::warn!(error = %e, "chatwoot webhook refused");
            return reply(StatusCode::BAD_REQUEST, json!({ "error": e.to_string() }));
        }
    };
    let scope = match Scope::for_project(&state.db, source.project_id).await {
        Ok(scope) => scope,
        Err(_) => return refuse(StatusCode::NOT_FOUND, "unknown webhook source"),
    };
    let delivery = Delivery {
        id: &delivery_id,
        signed_digest: signed_digest.as_deref(),
    };
    match apply_webhook(&state.db, &scope, &source, delivery, &envelope).await {
        Ok(WebhookOutcome::Applied { event, written }) => {
            tracing::info!(%event, written, delivery = %delivery_id, "chatwoot webhook applied");
            reply(StatusCode::OK, json!({ "status": "applied" }))
        }
        Ok(WebhookOutcome::Ignored { event }) => {
            tracing::debug!(%event, "chatwoot webhook ignored");
            reply(StatusCode::OK, json!({ "status": "ignored" }))
        }
        Err(WebhookError::Duplicate) => refuse(StatusCode::CONFLICT, "delivery already received"),
        Err(WebhookError::WrongAccount) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body belongs to another Chatwoot account",
        ),
        Err(WebhookError::Invalid(e)) => {
            tracing::warn!(error = %e, "chatwoot webhook refused");
            reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": e.to_string() }),
            )
        }
        Err(WebhookError::Database(e)) => {
            tracing::error!(error = %e, "chatwoot webhook: database error");
            reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "internal error" }),
            )
        }
    }
}
