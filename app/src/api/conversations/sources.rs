//! The project's Chatwoot sources: binding one, and where each one's sync stands.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ops;

/// Where one source's sync stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRow {
    /// Source id.
    pub source_id: String,
    /// Chatwoot account.
    pub account_id: i64,
    /// Chatwoot URL.
    pub base_url: String,
    /// queued | running, when a sync is pending.
    pub pending: Option<String>,
    /// The pending job's last error (it retries).
    pub pending_error: Option<String>,
    /// Latest run: running | ok | failed.
    pub last_status: Option<String>,
    /// Rows the latest run wrote.
    pub last_processed: i32,
    /// Per-kind counts of the latest run.
    pub last_counts: String,
    /// The latest run's error.
    pub last_error: Option<String>,
    /// Latest run's start (RFC 3339).
    pub last_started: Option<String>,
    /// Newest activity synced (RFC 3339).
    pub watermark: Option<String>,
}

impl SyncRow {
    /// A sync is queued or running: the view keeps refreshing.
    pub fn in_progress(&self) -> bool {
        self.pending.is_some() || self.last_status.as_deref() == Some("running")
    }
}

/// Sync status of every source of the working project.
#[server(endpoint = "conversations/sync-status")]
pub async fn sync_status() -> Result<Vec<SyncRow>, ServerFnError> {
    use ops::*;

    let rows = crate::api::executor::run::<SyncStatusQuery>(sync_status_query::Variables {})
        .await?
        .sync_status;
    Ok(rows
        .into_iter()
        .map(|s| {
            let run = s.latest_run;
            SyncRow {
                source_id: s.source_id,
                account_id: s.account_id,
                base_url: s.base_url,
                pending: s.pending_status,
                pending_error: s.pending_error,
                last_status: run.as_ref().map(|r| r.status.clone()),
                last_processed: run.as_ref().map_or(0, |r| r.processed_count as i32),
                last_counts: run
                    .as_ref()
                    .and_then(|r| r.meta.get("counts").cloned())
                    .and_then(|c| c.as_object().cloned())
                    .map(|c| {
                        c.iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                last_error: run.as_ref().and_then(|r| r.error.clone()),
                last_started: run.map(|r| r.started_at),
                watermark: s.watermark_at,
            }
        })
        .collect())
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
