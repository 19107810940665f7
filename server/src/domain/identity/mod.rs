//! Users, login and logout, PIN-confirmed signup and the Telegram owner binding.
pub mod demo;
pub mod members;
pub mod projects;
pub mod settings;
pub mod signup;
pub mod telegram_owner;
pub mod tokens;

use chrono::Duration;
use entity::{app_users, project_members};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, SqlErr, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{
        UserRef,
        password::PasswordHasher,
        rate_limit::{self, Admission, Limit},
        session::{self, NewSession, SessionSettings},
    },
    integrations::telegram::TelegramClient,
    kernel::{
        DomainError,
        audit::{self, AuditEntry, EvidenceRef},
        error::{DomainResult, FieldError},
    },
};

/// Identity settings and collaborators, shared by resolvers (cheap to clone).
#[derive(Clone)]
pub struct Identity {
    /// Password hashing (bounded).
    pub hasher: PasswordHasher,
    /// Cookie and timeout rules.
    pub sessions: SessionSettings,
    /// Login attempts for one account from one client address.
    pub pair_limit: Limit,
    /// Failed login attempts from one client address, whatever the account.
    pub client_limit: Limit,
    /// Signup requests per client address.
    pub signup_limit: Limit,
    /// The bot that carries PINs to the owner, when configured.
    pub telegram: Option<TelegramClient>,
}

/// Lower-cases and checks a username: 3-40 of a-z, 0-9, `.`, `_`, `-`.
pub fn normalise_username(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim().to_lowercase();
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !(3..=40).contains(&name.chars().count()) || !valid_chars {
        return Err(FieldError::new(
            "username",
            "use 3-40 characters: letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(name)
}

/// Checks a new password: 10-128 characters.
pub fn check_new_password(password: &str) -> Result<(), FieldError> {
    let len = password.chars().count();
    if len < 10 {
        return Err(FieldError::new("password", "use at least 10 characters"));
    }
    if len > 128 {
        return Err(FieldError::new("password", "use at most 128 characters"));
    }
    Ok(())
}

/// A login that succeeded.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The user.
    pub user: UserRef,
    /// The new session (its cookie value goes to the client once).
    pub session: NewSession,
}

/// Checks credentials and starts a fresh session. Each attempt is reserved per (account,
/// client) and per client before the password is hashed, and past the free attempts the next
/// must wait ever longer; a guesser elsewhere cannot lock the real user out. The answer never
/// says whether the user exists. Any session the client presented is ended, so a planted id
/// can never become a logged-in one.
pub async fn login(
    db: &DatabaseConnection,
    identity: &Identity,
    username: &str,
    password: &str,
    client_key: &str,
    presented_session_id: Option<&str>,
) -> DomainResult<LoggedIn> {
    if username.len() > 200 || password.len() > 1024 {
        return Err(DomainError::InvalidCredentials);
    }
    let name = username.trim().to_lowercase();
    let pair_key = format!("login:pair:{client_key}:{name}");
    let client_key = format!("login:client:{client_key}");
    for (key, limit) in [
        (&client_key, identity.client_limit),
        (&pair_key, identity.pair_limit),
    ] {
        if let Admission::Wait(retry_after) = rate_limit::reserve(db, key, limit).await? {
            return Err(DomainError::RateLimited(retry_after));
        }
    }
    let user = app_users::Entity::find()
        .filter(app_users::Column::Username.eq(name.clone()))
        .filter(app_users::Column::DisabledAt.is_null())
        .one(db)
        .await?;
    let verified = identity
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let Some(user) = user.filter(|_| verified) else {
        tracing::info!(username = %name, "login failed");
        return Err(DomainError::InvalidCredentials);
    };
    rate_limit::reset(db, &pair_key).await?;
    rate_limit::refund(db, &client_key).await?;

    let first_project = project_members::Entity::find()
        .filter(project_members::Column::UserId.eq(user.id))
        .order_by_asc(project_members::Column::CreatedAt)
        .one(db)
        .await?
        .map(|m| m.project_id);
    let txn = db.begin().await?;
    if let Some(old) = presented_session_id {
        session::delete(&txn, old).await?;
    }
    let new_session = session::create(&txn, &user.username, first_project).await?;
    let user_ref = UserRef {
        id: user.id,
        username: user.username,
        is_admin: user.is_admin,
    };
    audit::record(
        &txn,
        AuditEntry {
            scope: None,
            actor: user_ref.actor(),
            action: "auth.login",
            target_kind: Some("user"),
            target_id: Some(user_ref.id.to_string()),
            evidence: vec![EvidenceRef::new("session", &new_session.session_id[..16])],
            meta: json!({ "username": user_ref.username }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(LoggedIn {
        user: user_ref,
        session: new_session,
    })
}

/// Ends the session and records it.
pub async fn logout(db: &DatabaseConnection, user: &UserRef, session_id: &str) -> DomainResult<()> {
    let txn = db.begin().await?;
    session::delete(&txn, session_id).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: None,
            actor: user.actor(),
            action: "auth.logout",
            target_kind: Some("user"),
            target_id: Some(user.id.to_string()),
            evidence: vec![EvidenceRef::new(
                "session",
                &session_id[..16.min(session_id.len())],
            )],
            meta: json!({ "username": user.username }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Creates a user directly (the documented first-user command and the demo seed).
pub async fn create_user<C: ConnectionTrait>(
    db: &C,
    hasher: &PasswordHasher,
    username: &str,
    password: &str,
    is_admin: bool,
) -> DomainResult<UserRef> {
    let username = normalise_username(username).map_err(|e| DomainError::Validation(vec![e]))?;
    check_new_password(password).map_err(|e| DomainError::Validation(vec![e]))?;
    let hash = hasher
        .hash(password)
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    insert_user(db, &username, hash, is_admin).await
}

async fn insert_user<C: ConnectionTrait>(
    db: &C,
    username: &str,
    password_hash: String,
    is_admin: bool,
) -> DomainResult<UserRef> {
    let inserted = app_users::ActiveModel {
        id: Set(Uuid::new_v4()),
        username: Set(username.to_owned()),
        password_hash: Set(password_hash),
        is_admin: Set(is_admin),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(user) => Ok(UserRef {
            id: user.id,
            username: user.username,
            is_admin: user.is_admin,
        }),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(
            DomainError::Validation(vec![FieldError::new("username", "is already taken")]),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Default throttles, as (pair, client, signup): 5 attempts per account and client and 30 per
/// client in 15 minutes, then a delay from 30 s doubling up to 15 minutes; 10 sign-up requests
/// per client an hour, then from a minute up to an hour.
pub fn default_limits() -> (Limit, Limit, Limit) {
    let quarter = Duration::minutes(15).num_seconds();
    let hour = Duration::hours(1).num_seconds();
    (
        Limit {
            free: 5,
            window_secs: quarter,
            base_delay_secs: 30,
            max_delay_secs: quarter,
        },
        Limit {
            free: 30,
            window_secs: quarter,
            base_delay_secs: 30,
            max_delay_secs: quarter,
        },
        Limit {
            free: 10,
            window_secs: hour,
            base_delay_secs: 60,
            max_delay_secs: hour,
        },
    )
}
