//! Who is calling and what they may touch. The caller is derived from request headers in one
//! place ([`resolve`]); a [`Scope`] is only ever made here, from a membership that exists.
pub mod password;
pub mod rate_limit;

pub mod secrets;
pub mod session;

use axum::http::{HeaderMap, header};
use chrono::Utc;
use entity::{api_tokens, app_users, enums::MemberRole, project_members, projects};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

pub use crate::kernel::Scope;
use secrets::{constant_time_eq, sha256_hex};
use session::{CSRF_HEADER, SessionSettings};

use crate::kernel::{DomainError, error::DomainResult};

/// Prefix of every API token, so leaked tokens are easy to recognise and scan for.
pub const API_TOKEN_PREFIX: &str = "rvi_";

/// A signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    /// User id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Instance administrator (Telegram binding).
    pub is_admin: bool,
}

impl UserRef {
    /// The audit actor string for this user.
    pub fn actor(&self) -> String {
        format!("user:{}", self.id)
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No valid credentials.
    Anonymous,
    /// A browser with a live session cookie.
    Session {
        /// The user.
        user: UserRef,
        /// Stored session id (hash of the cookie).
        session_id: String,
        /// The session's synchronizer token.
        csrf_token: String,
        /// The project the session is working in.
        active_project_id: Option<Uuid>,
    },
    /// An external tool with an API token (bound to one project).
    Token {
        /// The token's owner.
        user: UserRef,
        /// Token id.
        token_id: Uuid,
        /// The token's project.
        project_id: Uuid,
        /// Whether the token carries the `write` scope (mutations); every token may read.
        can_write: bool,
    },
}

impl Caller {
    /// The user behind the call, if any.
    pub fn user(&self) -> Option<&UserRef> {
        match self {
            Caller::Anonymous => None,
            Caller::Session { user, .. } | Caller::Token { user, .. } => Some(user),
        }
    }

    /// The audit actor string.
    pub fn actor(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".to_owned(),
            Caller::Session { user, .. } => user.actor(),
            Caller::Token { token_id, .. } => format!("token:{token_id}"),
        }
    }
}

/// Everything the API knows about a request's credentials.
#[derive(Debug, Clone)]
pub struct RequestAuth {
    /// The resolved caller.
    pub caller: Caller,
    /// The CSRF header as sent, if any.
    pub csrf_header: Option<String>,
    /// The client's address (rate-limit key), or "unknown".
    pub client_key: String,
}

impl RequestAuth {
    /// A request with no credentials (tests, system work).
    pub fn anonymous() -> Self {
        Self {
            caller: Caller::Anonymous,
            csrf_header: None,
            client_key: "unknown".to_owned(),
        }
    }

    /// Why a mutation may not run, if it may not: cookie sessions must present their CSRF
    /// token, and tokens need the `write` scope. Anonymous callers carry no ambient credential
    /// a forged request could ride on (each mutation checks who may call it).
    pub fn mutation_refusal(&self) -> Option<&'static str> {
        match &self.caller {
            Caller::Session { csrf_token, .. } => (!self
                .csrf_header
                .as_deref()
                .is_some_and(|sent| constant_time_eq(sent, csrf_token)))
            .then_some("CSRF token missing or invalid"),
            Caller::Token { can_write, .. } => (!can_write).then_some(
                "This API token is read-only: create a token with the write scope to change data",
            ),
            Caller::Anonymous => None,
        }
    }

    /// The signed-in user or UNAUTHENTICATED.
    pub fn require_user(&self) -> DomainResult<&UserRef> {
        self.caller.user().ok_or(DomainError::Unauthenticated)
    }

    /// The user of a signed-in browser session. Credentials, projects, sources and bind codes
    /// are managed by a person: an API token asking is refused, so a leaked token can never
    /// mint another credential or outlive its revocation.
    pub fn require_person(&self) -> DomainResult<&UserRef> {
        match &self.caller {
            Caller::Session { user, .. } => Ok(user),
            Caller::Token { .. } => Err(DomainError::PersonRequired),
            Caller::Anonymous => Err(DomainError::Unauthenticated),
        }
    }

    /// The caller's working project as a scope, with the caller's role in it. Sessions use
    /// their active project, tokens their own; membership is re-checked on every request.
    pub async fn require_scope<C: ConnectionTrait>(
        &self,
        db: &C,
    ) -> DomainResult<(UserRef, Scope, MemberRole)> {
        let (user, project_id) = match &self.caller {
            Caller::Anonymous => return Err(DomainError::Unauthenticated),
            Caller::Session {
                user,
                active_project_id,
                ..
            } => (user, active_project_id.ok_or(DomainError::NoActiveProject)?),
            Caller::Token {
                user, project_id, ..
            } => (user, *project_id),
        };
        let role = membership(db, user.id, project_id)
            .await?
            .ok_or(DomainError::NoActiveProject)?;
        let scope = Scope::for_project(db, project_id).await?;
        Ok((user.clone(), scope, role))
    }
}

/// The user's role in a live (not archived) project, if a member.
pub async fn membership<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    project_id: Uuid,
) -> Result<Option<MemberRole>, DbErr> {
    let member = project_members::Entity::find()
        .filter(project_members::Column::UserId.eq(user_id))
        .filter(project_members::Column::ProjectId.eq(project_id))
        .one(db)
        .await?;
    let Some(member) = member else {
        return Ok(None);
    };
    let live = projects::Entity::find_by_id(project_id)
        .one(db)
        .await?
        .is_some_and(|p| p.archived_at.is_none());
    Ok(live.then_some(member.role))
}

/// Builds the request's auth from its headers: a Bearer API token, else the session cookie.
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    settings: &SessionSettings,
    headers: &HeaderMap,
    client_key: String,
) -> Result<RequestAuth, DbErr> {
    let csrf_header = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let caller = if let Some(token) = bearer_token(headers) {
        resolve_token(db, &token).await?
    } else if let Some(cookie_value) = settings.cookie_value(headers) {
        resolve_session(db, settings, &cookie_value).await?
    } else {
        Caller::Anonymous
    };
    Ok(RequestAuth {
        caller,
        csrf_header,
        client_key,
    })
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

async fn active_user<C: ConnectionTrait>(
    db: &C,
    filter: sea_orm::Condition,
) -> Result<Option<UserRef>, DbErr> {
    Ok(app_users::Entity::find()
        .filter(filter)
        .filter(app_users::Column::DisabledAt.is_null())
        .one(db)
        .await?
        .map(|u| UserRef {
            id: u.id,
            username: u.username,
            is_admin: u.is_admin,
        }))
}

async fn resolve_session<C: ConnectionTrait>(
    db: &C,
    settings: &SessionSettings,
    cookie_value: &str,
) -> Result<Caller, DbErr> {
    let Some(session) = session::find_live(db, settings, cookie_value).await? else {
        return Ok(Caller::Anonymous);
    };
    let filter =
        sea_orm::Condition::all().add(app_users::Column::Username.eq(session.username.clone()));
    let Some(user) = active_user(db, filter).await? else {
        return Ok(Caller::Anonymous);
    };
    Ok(Caller::Session {
        user,
        session_id: session.session_id,
        csrf_token: session.csrf_token,
        active_project_id: session.active_project_id,
    })
}

async fn resolve_token<C: ConnectionTrait>(db: &C, token: &str) -> Result<Caller, DbErr> {
    if !token.starts_with(API_TOKEN_PREFIX) {
        return Ok(Caller::Anonymous);
    }
    let now = Utc::now();
    let Some(row) = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(sha256_hex(token)))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(Caller::Anonymous);
    };
    if row
        .expires_at
        .is_some_and(|at| at.with_timezone(&Utc) <= now)
    {
        return Ok(Caller::Anonymous);
    }
    let filter = sea_orm::Condition::all().add(app_users::Column::Id.eq(row.user_id));
    let Some(user) = active_user(db, filter).await? else {
        return Ok(Caller::Anonymous);
    };
    // Throttled so a busy integration does not write on every request.
    if row
        .last_used_at
        .is_none_or(|at| now - at.with_timezone(&Utc) > chrono::Duration::seconds(60))
    {
        api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::LastUsedAt, Expr::current_timestamp())
            .filter(api_tokens::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(Caller::Token {
        user,
        token_id: row.id,
        project_id: row.project_id,
        can_write: row.scopes.iter().any(|s| s == "write"),
    })
}
