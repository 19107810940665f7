//! RAG over conversations (issue 5): messages become token-counted chunks (`rag_chunks`) and
//! evidence (`evidence_items`) in a job that ingestion enqueues with them; the embed worker gives
//! chunks vectors under leases; search fuses vector neighbours with full text.
//!
//! - [`chunking`]: normalisation, the indexing rule (which messages), splitting, hashing.
//! - [`index`]: the ingestion hook ([`index::index_messages`]) and backfill.
//! - [`worker`]: claim / reuse / embed / write, retries and the background loop.
//! - [`search`]: hybrid search with tenant-safe recall.
//! - [`status`]: counts, failed chunks, retry.
//! - [`maintenance`]: ivfflat rebuilds.
//!
//! Services for the API (all filter by the caller's [`Scope`](crate::kernel::Scope)):
//! [`query::search`], [`status::embedding_status`], [`status::failed_chunks`],
//! [`status::retry_failed`]; [`provider`] is the process's embedding provider.
pub mod chunking;
pub mod index;
pub mod maintenance;
pub mod query;
pub mod status;
pub mod worker;

use std::sync::{Arc, OnceLock};

pub use chunking::{Chunker, MessageRule};
pub use index::{IndexReport, index_messages, reindex_project};
pub use query::{SearchFilter, SearchHit, SearchOutcome, search, search_with};
pub use status::{
    EmbeddingStatusCounts, FailedChunk, embedding_status, failed_chunks, indexing_backlog,
    retry_failed,
};
pub use worker::{BatchOutcome, EmbedOptions, EmbedWorker, process_one_batch};

use crate::{
    config::Config,
    integrations::embeddings::{self, EmbeddingError, EmbeddingProvider, HashingProvider},
};

static PROVIDER: OnceLock<Arc<dyn EmbeddingProvider>> = OnceLock::new();
static PREVIOUS: OnceLock<Vec<Arc<dyn EmbeddingProvider>>> = OnceLock::new();

/// The process's embedding provider (set by [`start`]; the offline hashing provider before
/// that, and in tests).
pub fn provider() -> Arc<dyn EmbeddingProvider> {
    PROVIDER
        .get_or_init(|| Arc::new(HashingProvider::default()))
        .clone()
}

/// Makes `provider` the process's embedding provider (first call wins; [`start`] calls it).
pub fn install_provider(provider: Arc<dyn EmbeddingProvider>) -> bool {
    PROVIDER.set(provider).is_ok()
}

/// Providers of other models this process can still run (the built-in ones that are not the
/// configured provider): search uses them to keep answering from old vectors during a model
/// switch ([`query::search_across_models`]).
pub fn previous_providers() -> Vec<Arc<dyn EmbeddingProvider>> {
    PREVIOUS.get().cloned().unwrap_or_default()
}

/// Search in the caller's project with the process's providers: the configured one, plus
/// older models' while the project still has their vectors.
pub async fn search_live(
    db: &sea_orm::DatabaseConnection,
    scope: &crate::kernel::Scope,
    query: &str,
    first: usize,
    filter: &SearchFilter,
) -> crate::kernel::error::DomainResult<SearchOutcome> {
    query::search_across_models(
        db,
        scope,
        provider().as_ref(),
        &previous_providers(),
        query,
        first,
        filter,
        &query::SearchOptions::default(),
    )
    .await
}

/// Sets up RAG for this process from the configuration: builds the provider (failing on
/// settings that cannot work), installs it and the matching chunker for ingestion, and starts
/// the embed worker when `run_worker` (this process runs background work) and
/// `REVINTEL_EMBEDDING_WORKER` are both on. Keep the returned worker alive; dropping it stops
/// the loops.
pub fn start(
    db: &sea_orm::DatabaseConnection,
    config: &Config,
    name: &str,
    run_worker: bool,
) -> Result<Option<EmbedWorker>, EmbeddingError> {
    let provider = embeddings::from_config(config)?;
    if !install_provider(provider.clone()) {
        tracing::warn!("embedding provider already set in this process; keeping the first");
    }
    let _ = PREVIOUS.set(embeddings::other_builtin_providers(
        config,
        provider.model_id(),
    ));
    Chunker::from_config(config, provider.as_ref()).install();
    tracing::info!(
        provider = %config.embedding_provider,
        model = provider.model_id(),
        "embeddings configured"
    );
    if !(run_worker && config.embedding_worker) {
        return Ok(None);
    }
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned());
    let options = EmbedOptions::new(
        format!("{name}@{host}:{}", std::process::id()),
        config.embedding_batch_size.max(1),
    );
    Ok(Some(EmbedWorker::spawn(
        db.clone(),
        provider,
        options,
        worker::LoopOptions::default(),
    )))
}
