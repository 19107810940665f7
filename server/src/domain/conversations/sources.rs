//! Chatwoot project sources (`project_sources` with kind `chatwoot_account`) as the ingest
//! context needs them. Secrets (token, webhook secret) never leave this crate's services.
use std::fmt;

use entity::{enums::SourceKind, project_sources};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, SqlErr,
};
use uuid::Uuid;

use crate::kernel::{
    DomainError, Scope,
    error::{DomainResult, FieldError},
};

/// A project's binding to one Chatwoot account.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatwootSource {
    /// `project_sources.id`.
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// The project's account scope.
    pub account_scope_id: Uuid,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Key in the webhook URL `/webhooks/chatwoot/<source_key>`.
    pub source_key: String,
    /// Chatwoot base URL.
    pub base_url: String,
    /// Secret API token.
    pub api_access_token: String,
    /// Secret HMAC key for webhook signatures.
    pub webhook_secret: Option<String>,
    /// Whether webhook signatures are required.
    pub verify_signatures: bool,
    /// Seconds between scheduled syncs.
    pub sync_interval_seconds: i32,
    /// Whether sync and webhooks are active.
    pub enabled: bool,
}

impl fmt::Debug for ChatwootSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatwootSource")
            .field("id", &self.id)
            .field("project_id", &self.project_id)
            .field("account_id", &self.account_id)
            .field("base_url", &self.base_url)
            .field("verify_signatures", &self.verify_signatures)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl TryFrom<project_sources::Model> for ChatwootSource {
    type Error = DomainError;

    fn try_from(m: project_sources::Model) -> Result<Self, Self::Error> {
        // The schema checks external_id is decimal for chatwoot_account; a failure here means
        // the row is not a Chatwoot source at all.
        let account_id = m
            .external_id
            .parse::<i64>()
            .map_err(|_| DomainError::NotFound("chatwoot source"))?;
        Ok(Self {
            id: m.id,
            project_id: m.project_id,
            account_scope_id: m.account_scope_id,
            account_id,
            source_key: m.source_key,
            base_url: m.base_url,
            api_access_token: m.api_access_token,
            webhook_secret: m.webhook_secret,
            verify_signatures: m.verify_signatures,
            sync_interval_seconds: m.sync_interval_seconds,
            enabled: m.enabled,
        })
    }
}

/// The Chatwoot source `source_id` of the scope's project.
pub async fn get_source<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source_id: Uuid,
) -> DomainResult<ChatwootSource> {
    project_sources::Entity::find_by_id(source_id)
        .filter(scope.filter_for::<project_sources::Entity>())
        .filter(project_sources::Column::SourceKind.eq(SourceKind::ChatwootAccount))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("chatwoot source"))?
        .try_into()
}

/// The scope's Chatwoot sources, oldest first.
pub async fn list_sources<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
) -> DomainResult<Vec<ChatwootSource>> {
    scope
        .rows::<project_sources::Entity>()
        .filter(project_sources::Column::SourceKind.eq(SourceKind::ChatwootAccount))
        .order_by_asc(project_sources::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// The source a webhook URL names. Unscoped on purpose: the unguessable key (plus the
/// signature) is the webhook's credential, and the scope is derived from the row found.
pub async fn find_by_key<C: ConnectionTrait>(
    db: &C,
    source_key: &str,
) -> Result<Option<ChatwootSource>, DbErr> {
    let row = project_sources::Entity::find()
        .filter(project_sources::Column::SourceKind.eq(SourceKind::ChatwootAccount))
        .filter(project_sources::Column::SourceKey.eq(source_key))
        .one(db)
        .await?;
    Ok(row.and_then(|m| ChatwootSource::try_from(m).ok()))
}

/// Settings of a Chatwoot binding.
#[derive(Clone)]
pub struct NewChatwootSource {
    /// Chatwoot account id.
    pub account_id: i64,
    /// Base URL (`http(s)://...`).
    pub base_url: String,
    /// API access token.
    pub api_access_token: String,
    /// Webhook HMAC secret; `None` generates one.
    pub webhook_secret: Option<String>,
    /// Whether webhook signatures are required.
    pub verify_signatures: bool,
    /// Seconds between scheduled syncs.
    pub sync_interval_seconds: i32,
    /// Whether sync and webhooks are active.
    pub enabled: bool,
}

fn random_key() -> String {
    Uuid::new_v4().simple().to_string()
}

/// Binds the scope's project to a Chatwoot account, or updates its binding (a project has at
/// most one). A Chatwoot account bound to another project is a conflict.
pub async fn bind_source<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    new: NewChatwootSource,
) -> DomainResult<ChatwootSource> {
    let mut errors = Vec::new();
    if new.account_id <= 0 {
        errors.push(FieldError::new("accountId", "must be a positive integer"));
    }
    if !(new.base_url.starts_with("http://") || new.base_url.starts_with("https://")) {
        errors.push(FieldError::new(
            "baseUrl",
            "must start with http:// or https://",
        ));
    }
    if new.api_access_token.trim().is_empty() {
        errors.push(FieldError::new("apiAccessToken", "is required"));
    }
    if new.sync_interval_seconds <= 0 {
        errors.push(FieldError::new("syncIntervalSeconds", "must be positive"));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let existing = scope
        .rows::<project_sources::Entity>()
        .filter(project_sources::Column::SourceKind.eq(SourceKind::ChatwootAccount))
        .one(db)
        .await?;
    let secret = new
        .webhook_secret
        .clone()
        .unwrap_or_else(|| format!("{}{}", random_key(), random_key()));
    let result = match existing {
        Some(model) => {
            let mut active: project_sources::ActiveModel = model.into();
            active.external_id = Set(new.account_id.to_string());
            active.base_url = Set(new.base_url.clone());
            active.api_access_token = Set(new.api_access_token.clone());
            if new.webhook_secret.is_some() {
                active.webhook_secret = Set(Some(secret));
            }
            active.verify_signatures = Set(new.verify_signatures);
            active.sync_interval_seconds = Set(new.sync_interval_seconds);
            active.enabled = Set(new.enabled);
            active.update(db).await
        }
        None => {
            let now = chrono::Utc::now().fixed_offset();
            project_sources::ActiveModel {
                id: Set(Uuid::new_v4()),
                project_id: Set(scope.project_id()),
                account_scope_id: Set(scope.account_scope_id()),
                source_kind: Set(SourceKind::ChatwootAccount),
                external_id: Set(new.account_id.to_string()),
                source_key: Set(random_key()),
                base_url: Set(new.base_url.clone()),
                api_access_token: Set(new.api_access_token.clone()),
                webhook_secret: Set(Some(secret)),
                verify_signatures: Set(new.verify_signatures),
                sync_interval_seconds: Set(new.sync_interval_seconds),
                enabled: Set(new.enabled),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await
        }
    };
    match result {
        Ok(model) => model.try_into(),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(DomainError::Conflict(
                "this Chatwoot account is already bound to another project".to_owned(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
