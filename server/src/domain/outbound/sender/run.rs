//! The background sender: a loop that processes batches until it is stopped.
use super::*;

/// A running sender loop; stops when shut down or dropped.
pub struct OutboundSender {
    task: Option<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl OutboundSender {
    /// Starts the loop: a batch, then another at once while there is work, else a pause of
    /// `idle`.
    pub fn spawn(db: DatabaseConnection, options: SenderOptions, idle: Duration) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let options = Arc::new(options);
        let task = tokio::spawn(run_loop(db, options, idle, stop_rx));
        Self {
            task: Some(task),
            stop,
        }
    }

    /// Stops after the current batch (an unfinished message's lease expires and it is
    /// reconciled by the next sender).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for OutboundSender {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

pub(super) async fn run_loop(
    db: DatabaseConnection,
    options: Arc<SenderOptions>,
    idle: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        let wait = match process_batch(&db, &options).await {
            Ok(report) if report.is_idle() => Some(idle),
            Ok(report) => {
                tracing::debug!(?report, "outbound batch");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbound batch failed");
                Some(idle)
            }
        };
        if let Some(wait) = wait {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => break,
            }
        }
    }
}

/// Starts this process's sender when `REVINTEL_OUTBOUND_SENDER` is on (keep the returned
/// handle; dropping it stops the loop).
pub fn start(db: &DatabaseConnection, config: &Config, name: &str) -> Option<OutboundSender> {
    if !config.outbound_sender {
        return None;
    }
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned());
    let mut options = SenderOptions::new(
        format!("outbound-{name}@{host}:{}", std::process::id()),
        config.outbound_batch_size,
    );
    options.client = crate::workers::sync_options(config).client;
    // The sender backs off on its own; one inline retry of a reconciliation read is enough and
    // keeps the lease (sized from the longest call) short.
    options.client.retry.max_retries = 1;
    tracing::info!(batch = options.batch_size, "outbound sender started");
    Some(OutboundSender::spawn(
        db.clone(),
        options,
        Duration::from_secs(config.outbound_poll_seconds.max(1)),
    ))
}
