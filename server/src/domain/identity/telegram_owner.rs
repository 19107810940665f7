//! Which Telegram chat receives signup PINs: bound by the owner sending `/start <code>` to the
//! bot (the code is shown to an admin), or set by the `server telegram-set-owner` command.
use chrono::{DateTime, Duration, Utc};
use entity::app_settings;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::identity::{Identity, UserRef};
use crate::{
    auth::secrets::{constant_time_eq, random_token, sha256_hex},
    integrations::telegram::Update,
    kernel::{
        DomainError,
        audit::{self, AuditEntry, EvidenceRef},
        error::DomainResult,
    },
};

const OWNER_CHAT_KEY: &str = "telegram.owner_chat_id";
const BIND_CODE_KEY: &str = "telegram.bind_code";
/// How long a bind code works.
pub const BIND_CODE_TTL_MINUTES: i64 = 15;

#[derive(Serialize, Deserialize)]
struct StoredBindCode {
    hash: String,
    expires_at: DateTime<Utc>,
}

/// The Telegram side as an admin sees it.
#[derive(Debug, Clone, Copy)]
pub struct TelegramStatus {
    /// A bot token is configured.
    pub bot_configured: bool,
    /// An owner chat is bound.
    pub owner_bound: bool,
}

/// A code for the owner to send to the bot.
#[derive(Debug, Clone)]
pub struct BindCode {
    /// The code (shown once).
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

async fn put_setting<C: ConnectionTrait>(db: &C, key: &str, value: &str) -> DomainResult<()> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "insert into app_settings (key, value) values ($1, $2)
         on conflict (key) do update set value = excluded.value",
        [key.into(), value.into()],
    ))
    .await?;
    Ok(())
}

/// The bound owner chat, if any.
pub async fn owner_chat_id<C: ConnectionTrait>(db: &C) -> DomainResult<Option<i64>> {
    Ok(app_settings::Entity::find_by_id(OWNER_CHAT_KEY.to_owned())
        .one(db)
        .await?
        .and_then(|s| s.value.parse().ok()))
}

/// Whether a bot is configured and an owner bound.
pub async fn status(db: &DatabaseConnection, identity: &Identity) -> DomainResult<TelegramStatus> {
    Ok(TelegramStatus {
        bot_configured: identity.telegram.is_some(),
        owner_bound: owner_chat_id(db).await?.is_some(),
    })
}

/// Makes a fresh bind code (admins only); the previous one stops working.
pub async fn create_bind_code(db: &DatabaseConnection, admin: &UserRef) -> DomainResult<BindCode> {
    if !admin.is_admin {
        return Err(DomainError::Forbidden);
    }
    let code = random_token(9);
    let expires_at = Utc::now() + Duration::minutes(BIND_CODE_TTL_MINUTES);
    let stored = serde_json::to_string(&StoredBindCode {
        hash: sha256_hex(&code),
        expires_at,
    })
    .map_err(|e| DomainError::Internal(e.to_string()))?;
    put_setting(db, BIND_CODE_KEY, &stored).await?;
    Ok(BindCode { code, expires_at })
}

/// Binds the owner chat directly (the admin command).
pub async fn set_owner_chat(
    db: &DatabaseConnection,
    chat_id: i64,
    actor: &str,
) -> DomainResult<()> {
    let txn = db.begin().await?;
    put_setting(&txn, OWNER_CHAT_KEY, &chat_id.to_string()).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: None,
            actor: actor.to_owned(),
            action: "telegram.owner_bound",
            target_kind: Some("telegram_chat"),
            target_id: Some(chat_id.to_string()),
            evidence: vec![EvidenceRef::new("telegram_chat", chat_id)],
            meta: json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Applies one webhook update: `/start <code>` with the live code binds that chat as owner.
/// Returns whether it bound. Anything else is ignored.
pub async fn handle_update(
    db: &DatabaseConnection,
    identity: &Identity,
    update: &Update,
) -> DomainResult<bool> {
    let Some(message) = &update.message else {
        return Ok(false);
    };
    let Some(code) = message
        .text
        .as_deref()
        .and_then(|t| t.strip_prefix("/start "))
        .map(str::trim)
    else {
        return Ok(false);
    };
    let Some(stored) = app_settings::Entity::find_by_id(BIND_CODE_KEY.to_owned())
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let Ok(stored) = serde_json::from_str::<StoredBindCode>(&stored.value) else {
        return Ok(false);
    };
    if stored.expires_at <= Utc::now() || !constant_time_eq(&sha256_hex(code), &stored.hash) {
        return Ok(false);
    }
    set_owner_chat(db, message.chat.id, "system:telegram").await?;
    app_settings::Entity::delete_by_id(BIND_CODE_KEY.to_owned())
        .exec(db)
        .await?;
    if let Some(client) = &identity.telegram {
        let reply = "This chat now receives sign-up PINs for Revenue Intelligence.";
        if let Err(e) = client.send_message(message.chat.id, reply).await {
            tracing::warn!(error = %e, "could not confirm the Telegram binding");
        }
    }
    Ok(true)
}
