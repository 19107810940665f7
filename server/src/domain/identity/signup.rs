//! Signup confirmed by a PIN: a visitor asks for an account, a 6-digit PIN goes to the owner
//! through Telegram, the owner hands it to the person, who enters it. The PIN is stored as an
//! HMAC under its own salt, expires in 10 minutes, allows 5 attempts and works once.
use chrono::{DateTime, Duration, Utc};
use entity::{app_users, signup_requests};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::identity::{
    Identity, UserRef, check_new_password, insert_user, normalise_username, telegram_owner,
};
use crate::{
    auth::{
        rate_limit::{self, Admission},
        secrets::{constant_time_eq, hmac_hex, random_pin, random_token},
    },
    kernel::{
        DomainError,
        audit::{self, AuditEntry, EvidenceRef},
        error::{DomainResult, FieldError},
    },
};

/// How long a PIN is valid.
pub const PIN_TTL_MINUTES: i64 = 10;
/// Wrong PINs allowed before the request locks.
pub const MAX_PIN_ATTEMPTS: i32 = 5;

/// A pending signup as the visitor sees it.
#[derive(Debug, Clone)]
pub struct PendingSignup {
    /// Request id (the PIN step posts it back).
    pub id: Uuid,
    /// The requested username.
    pub username: String,
    /// When the PIN stops working.
    pub expires_at: DateTime<Utc>,
}

fn pin_digest(salt: &str, pin: &str) -> String {
    hmac_hex(salt.as_bytes(), pin.as_bytes())
}

/// Records a signup request and sends its PIN to the owner. Nothing is stored when the PIN
/// cannot be delivered.
pub async fn request(
    db: &DatabaseConnection,
    identity: &Identity,
    username: &str,
    password: &str,
    client_key: &str,
) -> DomainResult<PendingSignup> {
    let mut errors = Vec::new();
    let username = normalise_username(username)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(e) = check_new_password(password) {
        errors.push(e);
    }
    let Some(username) = username.filter(|_| errors.is_empty()) else {
        return Err(DomainError::Validation(errors));
    };
    let (Some(telegram), Some(owner_chat)) =
        (&identity.telegram, telegram_owner::owner_chat_id(db).await?)
    else {
        return Err(DomainError::Unavailable(
            "Sign-up is not available: the owner has not connected Telegram yet",
        ));
    };
    // Reserved before the name is looked up and counted on every request, successful or not:
    // it caps both PIN spam to the owner and probing which names exist.
    let limit_key = format!("signup:client:{client_key}");
    if let Admission::Wait(retry_after) =
        rate_limit::reserve(db, &limit_key, identity.signup_limit).await?
    {
        return Err(DomainError::RateLimited(retry_after));
    }
    let taken = app_users::Entity::find()
        .filter(app_users::Column::Username.eq(username.clone()))
        .count(db)
        .await?
        > 0;
    if taken {
        return Err(DomainError::Validation(vec![FieldError::new(
            "username",
            "is already taken",
        )]));
    }

    let password_hash = identity
        .hasher
        .hash(password)
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let pin = random_pin();
    let salt = random_token(16);
    let expires_at = Utc::now() + Duration::minutes(PIN_TTL_MINUTES);
    let id = Uuid::new_v4();
    let txn = db.begin().await?;
    signup_requests::ActiveModel {
        id: Set(id),
        username: Set(username.clone()),
        password_hash: Set(password_hash),
        pin_hash: Set(pin_digest(&salt, &pin)),
        pin_salt: Set(salt),
        attempt_count: Set(0),
        expires_at: Set(expires_at.into()),
        used_at: Set(None),
        created_at: Set(Utc::now().into()),
    }
    .insert(&txn)
    .await?;
    let text = format!(
        "Sign-up request for \"{username}\".\nPIN: {pin}\nIt expires in {PIN_TTL_MINUTES} minutes. Give it only to that person."
    );
    if let Err(e) = telegram.send_message(owner_chat, &text).await {
        tracing::warn!(error = %e, "could not deliver a signup PIN");
        txn.rollback().await?;
        return Err(DomainError::Unavailable(
            "The PIN could not be delivered to the owner; try again in a moment",
        ));
    }
    txn.commit().await?;
    Ok(PendingSignup {
        id,
        username,
        expires_at,
    })
}

/// Checks the PIN and, when right, creates the user. Wrong PINs count against the request.
pub async fn confirm(
    db: &DatabaseConnection,
    request_id: Uuid,
    pin: &str,
) -> DomainResult<UserRef> {
    let txn = db.begin().await?;
    let Some(request) = signup_requests::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Err(DomainError::NotFound("signup request"));
    };
    let pin_error = |message: &str| DomainError::Validation(vec![FieldError::new("pin", message)]);
    if request.used_at.is_some() {
        return Err(pin_error("this request was already used; sign in instead"));
    }
    if request.expires_at.with_timezone(&Utc) <= Utc::now() {
        return Err(pin_error("this PIN has expired; request a new one"));
    }
    if request.attempt_count >= MAX_PIN_ATTEMPTS {
        return Err(pin_error("too many wrong PINs; this request is locked"));
    }
    let pin = pin.trim();
    if !constant_time_eq(&pin_digest(&request.pin_salt, pin), &request.pin_hash) {
        let attempts = request.attempt_count + 1;
        let mut row = request.into_active_model();
        row.attempt_count = Set(attempts);
        row.update(&txn).await?;
        txn.commit().await?;
        let left = MAX_PIN_ATTEMPTS - attempts;
        return Err(if left > 0 {
            pin_error(&format!("wrong PIN, {left} attempt(s) left"))
        } else {
            pin_error("too many wrong PINs; this request is locked")
        });
    }
    let user = insert_user(
        &txn,
        &request.username,
        request.password_hash.clone(),
        false,
    )
    .await?;
    let mut row = request.into_active_model();
    row.used_at = Set(Some(Utc::now().into()));
    row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: None,
            actor: "system:signup".to_owned(),
            action: "auth.signup_approved",
            target_kind: Some("user"),
            target_id: Some(user.id.to_string()),
            evidence: vec![EvidenceRef::new("signup_request", request_id)],
            meta: json!({ "username": user.username }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}
