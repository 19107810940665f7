//! Filling the demo workspace the real way: bind the demo project to a (fake, in development)
//! Chatwoot account and run the sync once. Used by `server seed-demo-chatwoot`.
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use uuid::Uuid;

use crate::domain::conversations::{
    sources::{NewChatwootSource, bind_source},
    sync::{SyncFailure, SyncOptions, SyncReport, run_sync},
};
use crate::{
    domain::identity::demo::DEMO_SCOPE_KEY,
    kernel::{DomainError, Scope},
};

/// Why the demo could not be filled.
#[derive(Debug, thiserror::Error)]
pub enum DemoSyncError {
    /// There is no demo project yet.
    #[error("no demo project: run `server seed-demo` first")]
    NoDemoProject,
    /// The binding failed.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The sync failed.
    #[error(transparent)]
    Sync(#[from] SyncFailure),
}

/// Binds the demo project to Chatwoot account `account_id` at `base_url` (signatures on,
/// a generated webhook secret) and runs one full sync.
pub async fn seed_demo_chatwoot(
    db: &DatabaseConnection,
    base_url: &str,
    account_id: i64,
    token: &str,
    options: &SyncOptions,
) -> Result<SyncReport, DemoSyncError> {
    let scope = demo_scope(db).await?;
    let source = bind_source(
        db,
        &scope,
        NewChatwootSource {
            account_id,
            base_url: base_url.to_owned(),
            api_access_token: token.to_owned(),
            webhook_secret: None,
            verify_signatures: true,
            sync_interval_seconds: 300,
            enabled: true,
        },
    )
    .await?;
    tracing::info!(
        source_id = %source.id,
        webhook_path = %format!("/webhooks/chatwoot/{}", source.source_key),
        "demo project bound to Chatwoot account {account_id}"
    );
    Ok(run_sync(db, &scope, source.id, options).await?)
}

/// The demo project's scope.
pub async fn demo_scope(db: &DatabaseConnection) -> Result<Scope, DemoSyncError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select p.id from projects p join account_scopes s on s.id = p.account_scope_id \
             where s.scope_key = $1 and p.archived_at is null order by p.created_at limit 1",
            [DEMO_SCOPE_KEY.into()],
        ))
        .await
        .map_err(DomainError::from)?
        .ok_or(DemoSyncError::NoDemoProject)?;
    let project_id: Uuid = row.try_get("", "id").map_err(DomainError::from)?;
    Ok(Scope::for_project(db, project_id).await?)
}
