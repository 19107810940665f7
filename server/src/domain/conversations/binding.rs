//! External sources bound to a project: a Chatwoot account feeds exactly one project. Secrets
//! (API token, webhook secret) are write-only: nothing returns them once stored.
use chrono::{DateTime, Utc};
use entity::{
    enums::{MemberRole, SourceKind},
    project_sources,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, QueryOrder, Set, SqlErr,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{UserRef, secrets::random_token},
    integrations::chatwoot::{ChatwootClient, ChatwootError, ClientOptions},
    kernel::{
        DomainError, Scope,
        audit::{self, AuditEntry, EvidenceRef},
        error::{DomainResult, FieldError},
    },
};

/// A bound source as the API shows it (secrets reduced to whether they are set).
#[derive(Debug, Clone)]
pub struct SourceView {
    /// Source id.
    pub id: Uuid,
    /// The Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot's base URL.
    pub base_url: String,
    /// Path Chatwoot should post webhooks to.
    pub webhook_path: String,
    /// An API access token is stored.
    pub has_api_access_token: bool,
    /// A webhook secret is stored.
    pub has_webhook_secret: bool,
    /// Webhook signatures are required.
    pub verify_signatures: bool,
    /// Syncs run.
    pub enabled: bool,
    /// Seconds between scheduled syncs.
    pub sync_interval_seconds: i32,
    /// When it was bound.
    pub created_at: DateTime<Utc>,
}

impl From<project_sources::Model> for SourceView {
    fn from(m: project_sources::Model) -> Self {
        Self {
            id: m.id,
            account_id: m.external_id.parse().unwrap_or_default(),
            base_url: m.base_url,
            webhook_path: format!("/webhooks/chatwoot/{}", m.source_key),
            has_api_access_token: !m.api_access_token.is_empty(),
            has_webhook_secret: m.webhook_secret.as_deref().is_some_and(|s| !s.is_empty()),
            verify_signatures: m.verify_signatures,
            enabled: m.enabled,
            sync_interval_seconds: m.sync_interval_seconds,
            created_at: m.created_at.with_timezone(&Utc),
        }
    }
}

/// What binding a Chatwoot account takes.
#[derive(Debug, Clone)]
pub struct BindChatwoot {
    /// Chatwoot's base URL (http or https).
    pub base_url: String,
    /// The Chatwoot account id.
    pub account_id: i64,
    /// A Chatwoot API access token (user or agent bot).
    pub api_access_token: String,
    /// The webhook signing secret, when Chatwoot signs (4.11.2+).
    pub webhook_secret: Option<String>,
    /// Require signatures on webhooks (default on).
    pub verify_signatures: bool,
}

fn validate(input: &BindChatwoot) -> Result<(String, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let base_url = input.base_url.trim().trim_end_matches('/').to_owned();
    match reqwest::Url::parse(&base_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
        _ => errors.push(FieldError::new(
            "baseUrl",
            "enter the http(s) address of your Chatwoot",
        )),
    }
    if input.account_id <= 0 {
        errors.push(FieldError::new(
            "accountId",
            "must be a positive Chatwoot account id",
        ));
    }
    let token = input.api_access_token.trim();
    if token.is_empty() || token.len() > 512 {
        errors.push(FieldError::new(
            "apiAccessToken",
            "paste the API access token from Chatwoot",
        ));
    }
    let secret = input
        .webhook_secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if secret.as_deref().is_some_and(|s| s.len() > 512) {
        errors.push(FieldError::new("webhookSecret", "is too long"));
    }
    if input.verify_signatures && secret.is_none() {
        errors.push(FieldError::new(
            "webhookSecret",
            "is required while signature verification is on",
        ));
    }
    if errors.is_empty() {
        Ok((base_url, secret))
    } else {
        Err(errors)
    }
}

/// Asks Chatwoot, with the given token, for the account's first page of contacts: binding
/// needs proof that the token can read that account, so nobody can claim an account id that
/// belongs to another team. The refusal names the field to fix and never what was found.
async fn prove_access(
    base_url: &str,
    input: &BindChatwoot,
    client: &ClientOptions,
) -> Result<(), FieldError> {
    let cannot_reach = || {
        FieldError::new(
            "baseUrl",
            "no Chatwoot answered for this account at this address",
        )
    };
    let chatwoot = ChatwootClient::new(
        base_url,
        input.account_id,
        input.api_access_token.trim(),
        client,
    )
    .map_err(|e| match e {
        ChatwootError::Config(_) => FieldError::new(
            "baseUrl",
            "must be a public address of your Chatwoot (an operator can allow a private network)",
        ),
        _ => cannot_reach(),
    })?;
    match chatwoot.contacts(1, None).await {
        Ok(_) => Ok(()),
        Err(ChatwootError::Unauthorized { .. } | ChatwootError::NotFound { .. }) => {
            Err(FieldError::new(
                "apiAccessToken",
                "this token cannot read that Chatwoot account",
            ))
        }
        Err(e) => {
            tracing::info!(error = %e, "binding refused: Chatwoot did not answer");
            Err(cannot_reach())
        }
    }
}

/// Binds a Chatwoot account to the project (owners and admins), once Chatwoot has shown that
/// the token reads that account. A Chatwoot account can feed one project only, and a project
/// has one Chatwoot account.
pub async fn bind_chatwoot(
    db: &DatabaseConnection,
    scope: &Scope,
    user: &UserRef,
    role: MemberRole,
    actor: &str,
    input: BindChatwoot,
    client: &ClientOptions,
) -> DomainResult<SourceView> {
    if role == MemberRole::Member {
        return Err(DomainError::Forbidden);
    }
    let (base_url, secret) = validate(&input).map_err(DomainError::Validation)?;
    prove_access(&base_url, &input, client)
        .await
        .map_err(|e| DomainError::Validation(vec![e]))?;
    let txn = db.begin().await?;
    let inserted = project_sources::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        source_kind: Set(SourceKind::ChatwootAccount),
        external_id: Set(input.account_id.to_string()),
        source_key: Set(random_token(18)),
        base_url: Set(base_url),
        api_access_token: Set(input.api_access_token.trim().to_owned()),
        webhook_secret: Set(secret),
        verify_signatures: Set(input.verify_signatures),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let source = match inserted {
        Ok(source) => source,
        Err(e) => {
            if let Some(SqlErr::UniqueConstraintViolation(message)) = e.sql_err() {
                if message.contains("project_sources_source_kind_external_id_key") {
                    return Err(DomainError::Conflict(
                        "This Chatwoot account is already bound".to_owned(),
                    ));
                }
                if message.contains("project_sources_project_id_source_kind_key") {
                    return Err(DomainError::Conflict(
                        "This project already has a Chatwoot account bound".to_owned(),
                    ));
                }
            }
            return Err(e.into());
        }
    };
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.to_owned(),
            action: "source.bound",
            target_kind: Some("project_source"),
            target_id: Some(source.id.to_string()),
            evidence: vec![EvidenceRef::new("project_source", source.id)],
            meta: json!({ "account_id": input.account_id, "base_url": source.base_url, "by": user.username }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(source.into())
}

/// The project's sources.
pub async fn list<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<Vec<SourceView>> {
    Ok(scope
        .rows::<project_sources::Entity>()
        .order_by_asc(project_sources::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
