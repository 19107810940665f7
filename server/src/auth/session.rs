//! Cookie sessions stored in `sessions`. The cookie carries a 256-bit random value; the table
//! keeps only its SHA-256 (`session_id`), so a database leak does not hand out live sessions.
use axum::http::{HeaderMap, header};
use chrono::{Duration, Utc};
use cookie::{Cookie, SameSite};
use entity::sessions;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::auth::secrets::{random_token, sha256_hex};

/// Cookie name over plain HTTP (local development).
pub const SESSION_COOKIE: &str = "revintel_session";
/// Cookie name over TLS: the `__Host-` prefix pins it to this host, path `/`, Secure.
pub const SECURE_SESSION_COOKIE: &str = "__Host-revintel_session";
/// Header that carries the CSRF token on cookie-authenticated mutations.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How sessions behave; from configuration.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session this old ends, used or not.
    pub absolute_timeout: Duration,
    /// Served over TLS: Secure cookie with the `__Host-` prefix.
    pub secure_cookie: bool,
}

impl SessionSettings {
    /// The cookie name for this deployment.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookie {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        }
    }

    /// `Set-Cookie` value that installs `value`.
    pub fn set_cookie(&self, value: &str) -> String {
        Cookie::build((self.cookie_name(), value.to_owned()))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure_cookie)
            .max_age(cookie::time::Duration::seconds(
                self.absolute_timeout.num_seconds(),
            ))
            .build()
            .to_string()
    }

    /// `Set-Cookie` value that removes the cookie.
    pub fn clear_cookie(&self) -> String {
        Cookie::build((self.cookie_name(), ""))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure_cookie)
            .max_age(cookie::time::Duration::ZERO)
            .build()
            .to_string()
    }

    /// The session cookie's value among `headers`, if any.
    pub fn cookie_value(&self, headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == self.cookie_name())
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty())
    }
}

/// A session just created: the cookie value (shown to the client once) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Value for the session cookie.
    pub cookie_value: String,
    /// The session's synchronizer token.
    pub csrf_token: String,
    /// The stored id (hash of the cookie value).
    pub session_id: String,
}

/// Starts a session for `username` with `active_project_id`.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    username: &str,
    active_project_id: Option<Uuid>,
) -> Result<NewSession, DbErr> {
    let cookie_value = random_token(32);
    let csrf_token = random_token(32);
    let session_id = sha256_hex(&cookie_value);
    sessions::ActiveModel {
        session_id: Set(session_id.clone()),
        username: Set(username.to_owned()),
        active_project_id: Set(active_project_id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(Utc::now().into()),
        last_seen_at: Set(Utc::now().into()),
    }
    .insert(db)
    .await?;
    Ok(NewSession {
        cookie_value,
        csrf_token,
        session_id,
    })
}

/// The live session behind `cookie_value`. Expired sessions (idle or absolute) are deleted
/// and read as absent; a live one has `last_seen_at` refreshed (at most once a minute).
pub async fn find_live<C: ConnectionTrait>(
    db: &C,
    settings: &SessionSettings,
    cookie_value: &str,
) -> Result<Option<sessions::Model>, DbErr> {
    let session_id = sha256_hex(cookie_value);
    let Some(session) = sessions::Entity::find_by_id(session_id.clone())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let idle_expired = session.last_seen_at.with_timezone(&Utc) + settings.idle_timeout <= now;
    let absolute_expired =
        session.created_at.with_timezone(&Utc) + settings.absolute_timeout <= now;
    if idle_expired || absolute_expired {
        delete(db, &session_id).await?;
        return Ok(None);
    }
    if now - session.last_seen_at.with_timezone(&Utc) > Duration::seconds(60) {
        sessions::Entity::update_many()
            .col_expr(
                sessions::Column::LastSeenAt,
                sea_orm::sea_query::Expr::current_timestamp(),
            )
            .filter(sessions::Column::SessionId.eq(session_id))
            .exec(db)
            .await?;
    }
    Ok(Some(session))
}

/// Ends a session (logout, or replaced at login).
pub async fn delete<C: ConnectionTrait>(db: &C, session_id: &str) -> Result<(), DbErr> {
    sessions::Entity::delete_by_id(session_id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Points the session at another project.
pub async fn set_active_project<C: ConnectionTrait>(
    db: &C,
    session_id: &str,
    project_id: Uuid,
) -> Result<(), DbErr> {
    sessions::Entity::update_many()
        .col_expr(
            sessions::Column::ActiveProjectId,
            sea_orm::sea_query::Expr::value(project_id),
        )
        .filter(sessions::Column::SessionId.eq(session_id))
        .exec(db)
        .await?;
    Ok(())
}
