//! Personal API tokens for external tools: shown once, stored as SHA-256, bound to one project.
use chrono::{DateTime, Duration, Utc};
use entity::api_tokens;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{
        API_TOKEN_PREFIX, UserRef,
        secrets::{random_token, sha256_hex},
    },
    kernel::{
        DomainError, Scope,
        audit::{self, AuditEntry, EvidenceRef},
        error::{DomainResult, FieldError},
    },
};

/// A token as listed (never the secret).
#[derive(Debug, Clone)]
pub struct TokenView {
    /// Token id.
    pub id: Uuid,
    /// The owner's label.
    pub name: String,
    /// First characters, to recognise it.
    pub prefix: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used (refreshed at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Stops working at.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked at.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Carries the `write` scope (every token reads).
    pub can_write: bool,
}

impl From<api_tokens::Model> for TokenView {
    fn from(m: api_tokens::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            prefix: m.token_prefix,
            created_at: m.created_at.with_timezone(&Utc),
            last_used_at: m.last_used_at.map(|t| t.with_timezone(&Utc)),
            expires_at: m.expires_at.map(|t| t.with_timezone(&Utc)),
            revoked_at: m.revoked_at.map(|t| t.with_timezone(&Utc)),
            can_write: m.scopes.iter().any(|s| s == WRITE),
        }
    }
}

/// A token just created: the only time its secret exists outside the client.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    /// The full token (show once).
    pub secret: String,
    /// Its listing.
    pub token: TokenView,
}

/// The scope that lets a token run mutations; `read` is always held.
const WRITE: &str = "write";

/// Creates a token for `user` in the scope's project, valid for `expires_in_days` (or forever),
/// read-only unless `can_write`.
pub async fn create(
    db: &DatabaseConnection,
    scope: &Scope,
    user: &UserRef,
    actor: &str,
    name: &str,
    expires_in_days: Option<i32>,
    can_write: bool,
) -> DomainResult<CreatedToken> {
    let name = name.trim();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 80 {
        errors.push(FieldError::new("name", "use 1-80 characters"));
    }
    if expires_in_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        errors.push(FieldError::new(
            "expiresInDays",
            "must be between 1 and 3650",
        ));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let secret = format!("{API_TOKEN_PREFIX}{}", random_token(32));
    let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
    let txn = db.begin().await?;
    let row =
        api_tokens::ActiveModel {
            id: Set(Uuid::new_v4()),
            project_id: Set(scope.project_id()),
            account_scope_id: Set(scope.account_scope_id()),
            user_id: Set(user.id),
            name: Set(name.to_owned()),
            token_prefix: Set(prefix),
            token_hash: Set(sha256_hex(&secret)),
            created_at: Set(Utc::now().into()),
            last_used_at: Set(None),
            expires_at: Set(
                expires_in_days.map(|d| (Utc::now() + Duration::days(i64::from(d))).into())
            ),
            revoked_at: Set(None),
            scopes: Set(if can_write {
                vec!["read".to_owned(), WRITE.to_owned()]
            } else {
                vec!["read".to_owned()]
            }),
        }
        .insert(&txn)
        .await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.to_owned(),
            action: "token.created",
            target_kind: Some("api_token"),
            target_id: Some(row.id.to_string()),
            evidence: vec![EvidenceRef::new("api_token", row.id)],
            meta: json!({ "name": row.name, "prefix": row.token_prefix, "scopes": row.scopes }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedToken {
        secret,
        token: row.into(),
    })
}

/// The user's tokens in the scope's project, newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    user: &UserRef,
) -> DomainResult<Vec<TokenView>> {
    Ok(scope
        .rows::<api_tokens::Entity>()
        .filter(api_tokens::Column::UserId.eq(user.id))
        .order_by_desc(api_tokens::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Revokes one of the user's tokens; someone else's token reads as not found.
pub async fn revoke(
    db: &DatabaseConnection,
    scope: &Scope,
    user: &UserRef,
    actor: &str,
    id: Uuid,
) -> DomainResult<TokenView> {
    let txn = db.begin().await?;
    let row = api_tokens::Entity::find_by_id(id)
        .filter(scope.filter_for::<api_tokens::Entity>())
        .filter(api_tokens::Column::UserId.eq(user.id))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("API token"))?;
    if row.revoked_at.is_some() {
        return Ok(row.into());
    }
    let mut active = row.into_active_model();
    active.revoked_at = Set(Some(Utc::now().into()));
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.to_owned(),
            action: "token.revoked",
            target_kind: Some("api_token"),
            target_id: Some(row.id.to_string()),
            evidence: vec![EvidenceRef::new("api_token", row.id)],
            meta: json!({ "name": row.name }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}
