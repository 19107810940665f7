//! Background work: a Postgres job queue (`scheduled_jobs` -> `worker_runs`) claimed under
//! leases, the worker pool that runs it, the scheduler that enqueues periodic syncs, and the
//! job kinds. Runs inside `serve` (unless `REVINTEL_WORKERS=false`) and as `server worker`.
pub mod jobs;
pub mod queue;
pub mod runner;
pub mod scheduler;

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::{sync::watch, task::JoinHandle};

pub use runner::{
    Executed, JobContext, JobError, JobRegistry, PoolSettings, WorkerPool, WorkerSettings,
    execute_one,
};

use crate::{
    config::Config,
    domain::conversations::sync::SyncOptions,
    integrations::chatwoot::{ClientOptions, RetryPolicy},
};

/// Sync settings taken from the configuration.
pub fn sync_options(config: &Config) -> SyncOptions {
    SyncOptions {
        client: ClientOptions {
            timeout: Duration::from_secs(config.chatwoot_timeout_seconds.max(1)),
            connect_timeout: Duration::from_secs(config.chatwoot_timeout_seconds.clamp(1, 10)),
            retry: RetryPolicy::default(),
            reach: config.chatwoot_reach(),
        },
        full_rescan_after: Duration::from_secs(config.chatwoot_full_rescan_hours.max(1) * 3_600),
        message_concurrency: config.chatwoot_message_concurrency.max(1),
        ..SyncOptions::default()
    }
}

/// Every job kind this server runs.
pub fn registry(config: &Config) -> JobRegistry {
    let mut registry = JobRegistry::new();
    jobs::register_chatwoot_sync(&mut registry, sync_options(config));
    jobs::register_rag_index(&mut registry);
    jobs::register_signal_detection(
        &mut registry,
        crate::domain::signals::detection::DetectOptions {
            similarity_threshold: config.signal_similarity_threshold.clamp(0.0, 1.0),
        },
    );
    jobs::register_crm_refresh(&mut registry);
    jobs::register_campaign_dispatch(&mut registry);
    registry
}

/// Worker settings taken from the configuration.
pub fn worker_settings(config: &Config, name: &str) -> WorkerSettings {
    WorkerSettings {
        lease: Duration::from_secs(config.worker_lease_seconds.max(3)),
        ..WorkerSettings::named(name)
    }
}

/// The worker pool, the scheduler and the outbound sender of one process.
pub struct Background {
    pool: WorkerPool,
    scheduler: JoinHandle<()>,
    sender: Option<crate::domain::outbound::sender::OutboundSender>,
    stop: watch::Sender<bool>,
}

impl Background {
    /// Starts the pool, the scheduler and (unless `REVINTEL_OUTBOUND_SENDER=false`) the
    /// outbound sender as configured.
    pub fn start(db: DatabaseConnection, config: &Config, name: &str) -> Self {
        let sender = crate::domain::outbound::sender::start(&db, config, name);
        let pool = WorkerPool::start(
            db.clone(),
            registry(config),
            PoolSettings {
                concurrency: config.worker_concurrency.max(1),
                worker: worker_settings(config, name),
                poll_interval: Duration::from_secs(config.worker_poll_seconds.max(1)),
                shutdown_grace: Duration::from_secs(10),
            },
        );
        let (stop, stop_rx) = watch::channel(false);
        let scheduler = scheduler::spawn(
            db,
            Duration::from_secs(config.scheduler_tick_seconds.max(1)),
            Duration::from_secs(config.crm_refresh_minutes.max(1) * 60),
            stop_rx,
        );
        tracing::info!(
            concurrency = config.worker_concurrency,
            "workers and scheduler started"
        );
        Self {
            pool,
            scheduler,
            sender,
            stop,
        }
    }

    /// Stops the scheduler and the sender and drains the pool.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.scheduler.await;
        if let Some(sender) = self.sender {
            sender.shutdown().await;
        }
        self.pool.shutdown().await;
        tracing::info!("workers stopped");
    }
}
