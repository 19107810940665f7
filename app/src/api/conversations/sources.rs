//! The project's Chatwoot sources: binding one, and where each one's sync stands.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ops;

use super::ops::sync_status_query::{
    SyncStatusQuerySyncStatus, SyncStatusQuerySyncStatusLatestRun,
};

/// Where one source's sync stands, read off the API's answer.
impl SyncStatusQuerySyncStatus {
    /// A sync is queued or running: the view keeps refreshing.
    pub fn in_progress(&self) -> bool {
        self.pending_status.is_some() || self.last_status() == Some("running")
    }

    /// Latest run: running | ok | failed.
    pub fn last_status(&self) -> Option<&str> {
        self.run().map(|r| r.status.as_str())
    }

    /// Rows the latest run wrote.
    pub fn last_processed(&self) -> i32 {
        self.run().map_or(0, |r| r.processed_count as i32)
    }

    /// Per-kind counts of the latest run (`kind: n, ...`).
    pub fn last_counts(&self) -> String {
        self.run()
            .and_then(|r| r.meta.get("counts"))
            .and_then(|c| c.as_object())
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }

    /// The latest run, if any.
    fn run(&self) -> Option<&SyncStatusQuerySyncStatusLatestRun> {
        self.latest_run.as_ref()
    }

    /// The latest run's error.
    pub fn last_error(&self) -> Option<String> {
        self.run().and_then(|r| r.error.clone())
    }

    /// Latest run's start (RFC 3339).
    pub fn last_started(&self) -> Option<String> {
        self.run().map(|r| r.started_at.clone())
    }
}

/// Sync status of every source of the working project.
#[server(endpoint = "conversations/sync-status")]
pub async fn sync_status() -> Result<Vec<SyncStatusQuerySyncStatus>, ServerFnError> {
    use ops::*;

    Ok(
        crate::api::executor::run::<SyncStatusQuery>(sync_status_query::Variables {})
            .await?
            .sync_status,
    )
}

/// Queues a sync of a source now.
#[server(endpoint = "conversations/sync-now")]
pub async fn sync_now(source_id: String, csrf: String) -> Result<bool, ServerFnError> {
    use ops::*;

    let requested = crate::api::executor::run_mutation::<RequestSyncMutation>(
        request_sync_mutation::Variables { source_id },
        &csrf,
    )
    .await?
    .request_sync;
    Ok(requested.already_pending)
}

/// Binds a Chatwoot account to the working project.
#[server(endpoint = "conversations/bind-source")]
pub async fn bind_chatwoot(
    base_url: String,
    account_id: String,
    api_access_token: String,
    webhook_secret: Option<String>,
    verify_signatures: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    let account_id: i64 = account_id.trim().parse().map_err(|_| {
        crate::api::executor::invalid_input("Invalid input: accountId: must be a number".to_owned())
    })?;
    crate::api::executor::run_mutation::<BindChatwootSourceMutation>(
        bind_chatwoot_source_mutation::Variables {
            input: bind_chatwoot_source_mutation::BindChatwootSourceInput {
                base_url,
                account_id,
                api_access_token,
                webhook_secret: webhook_secret.filter(|s| !s.trim().is_empty()),
                // An unchecked box sends nothing.
                verify_signatures: verify_signatures.is_some(),
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}
