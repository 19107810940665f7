//! The embed worker: claims chunks under a lease, reuses vectors already computed for the same
//! text and model, embeds the rest, writes them back; on failure records the error and backs
//! off, and gives up (`failed`) after the maximum attempts.
//!
//! Protocol (safe with any number of workers in any number of processes):
//! - **Claim**: one statement picks `pending` chunks that are due (`next_attempt_at` null or
//!   past) and `processing` chunks whose lease expired (a dead worker's), `FOR UPDATE SKIP
//!   LOCKED`, and marks them `processing` with `locked_by` and `lease_expires_at`. Two workers
//!   never hold the same chunk: the second skips rows the first has locked, and after commit
//!   they are no longer claimable until the lease runs out.
//! - **Finish**: every write is conditional on `locked_by = me`, `processing` and the
//!   `text_hash` embedded, so a worker that lost its lease (or whose chunk was edited
//!   meanwhile) writes nothing: a chunk is never embedded twice at once, and never stored with
//!   a vector of an older text.
//! - **Reuse**: a claimed chunk whose `text_hash` already has a vector for the current model
//!   in the same project takes it in SQL (no provider call, no vector through the client);
//!   identical texts within a batch are sent once.
//! - **Errors**: a 400/413/422 answer for a multi-input request is bisected so one bad input
//!   fails alone; that input is `failed` at once (retrying cannot help). Retryable and
//!   configuration errors add an attempt, keep the error, and set `next_attempt_at` to an
//!   exponential backoff with jitter, never sooner than the provider's `Retry-After`; at
//!   `max_attempts` the chunk is `failed`. `retry_failed` puts failed chunks back.
//! - **Model switch**: [`requeue_stale_model`] turns `ready` chunks of another model back to
//!   `pending` without touching their vectors; search compares the query only with vectors of
//!   the current model and answers the rest from full text until they are re-embedded. During
//!   a rolling deploy with two models configured at once the two would take turns; deploy the
//!   switch to every process at once.
//!
//! A crash mid-batch loses nothing: the chunks stay `processing` until the lease expires and
//! are claimed again. Attempts are counted on failure, not on claim, so a crash does not use
//! up attempts.
use std::{sync::Arc, time::Duration};

use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value as DbValue};
use serde_json::json;
use tokio::{sync::watch, task::JoinHandle};
use uuid::Uuid;

use crate::integrations::embeddings::{
    EmbeddingError, EmbeddingProvider, ErrorClass, pad_to_column,
};

/// How a worker claims and retries.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// Written to `locked_by` (unique per worker: host/process/task).
    pub worker_id: String,
    /// Chunks claimed per batch.
    pub batch_size: usize,
    /// How long a claim is valid; a batch must finish well within it.
    pub lease: Duration,
    /// Attempts before a chunk is `failed`.
    pub max_attempts: i32,
    /// First retry delay (doubles per attempt).
    pub base_backoff: Duration,
    /// Cap of the retry delay.
    pub max_backoff: Duration,
}

impl EmbedOptions {
    /// Defaults for a worker named `worker_id` claiming `batch_size` chunks.
    pub fn new(worker_id: impl Into<String>, batch_size: usize) -> Self {
        Self {
            worker_id: worker_id.into(),
            batch_size: batch_size.max(1),
            // Inline retries wait at most ~30 s per request; a batch is a few requests.
            lease: Duration::from_secs(300),
            max_attempts: 8,
            base_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3_600),
        }
    }
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Chunks claimed.
    pub claimed: usize,
    /// Chunks written with a vector from the provider.
    pub embedded: usize,
    /// Chunks written with a vector reused from the same text and model.
    pub reused: usize,
    /// Texts sent to the provider (after de-duplication).
    pub provider_inputs: usize,
    /// Chunks rescheduled after an error.
    pub retry_scheduled: usize,
    /// Chunks that ended `failed`.
    pub failed: usize,
    /// Chunks whose lease was lost (or whose text changed) before the write: nothing written.
    pub lost: usize,
    /// The provider's error when the whole provider failed (configuration or outage).
    pub provider_error: Option<String>,
    /// True when the error says nothing will work until the settings change.
    pub config_error: bool,
}

impl BatchOutcome {
    /// Nothing was claimable.
    pub fn is_idle(&self) -> bool {
        self.claimed == 0
    }
}

/// A claimed chunk.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Chunk id.
    pub id: Uuid,
    /// Its project.
    pub project_id: Uuid,
    /// Text to embed.
    pub text: String,
    /// Hash of the text (the write is conditional on it).
    pub text_hash: Option<String>,
    /// Failed attempts so far.
    pub attempts: i32,
}

const CLAIM: &str = r#"
with expired as (
  select id from rag_chunks
  where embedding_status = 'processing' and lease_expires_at < now()
  order by lease_expires_at
  limit $1
  for update skip locked
), due as (
  select id from rag_chunks
  where embedding_status = 'pending' and (next_attempt_at is null or next_attempt_at <= now())
  order by created_at
  limit $1
  for update skip locked
), picked as (
  select id from expired
  union all
  select id from due
  limit $1
)
update rag_chunks c set
  embedding_status = 'processing',
  locked_by = $2,
  lease_expires_at = now() + make_interval(secs => $3)
-- An array of ids makes this a primary-key lookup; a join with `picked` may be planned as a
-- hash join over the whole table.
where c.id = any(array(select id from picked))
returning c.id, c.project_id, c.text, c.text_hash, c.embedding_attempts
"#;

/// Claims up to `limit` chunks for `worker_id` under a lease of `lease`.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    worker_id: &str,
    limit: usize,
    lease: Duration,
) -> Result<Vec<Claimed>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            CLAIM,
            [
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
                worker_id.into(),
                lease.as_secs_f64().into(),
            ],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Claimed {
                id: row.try_get("", "id")?,
                project_id: row.try_get("", "project_id")?,
                text: row.try_get("", "text")?,
                text_hash: row.try_get("", "text_hash")?,
                attempts: row.try_get("", "embedding_attempts")?,
            })
        })
        .collect()
}

/// Claimed chunks whose text already has a vector of `model` in their project take it. The
/// lookup is driven by the `text_hash` index (`= any(array)`), the only index its conditions
/// can use, so a stale plan cannot turn it into a scan of every vector the project has.
const REUSE: &str = r#"
with claimed as (
  select id, project_id, text_hash from rag_chunks
  where id = any(array(select (jsonb_array_elements_text($3::jsonb))::uuid))
    and locked_by = $1 and embedding_status = 'processing' and text_hash is not null
), src as (
  select distinct on (e.project_id, e.text_hash) e.project_id, e.text_hash, e.embedding
  from rag_chunks e
  where e.text_hash = any(array(select text_hash from claimed))
    and e.embedding_model = $2 and e.embedding is not null
  order by e.project_id, e.text_hash, e.last_embedded_at desc nulls last
)
update rag_chunks c set
  embedding = src.embedding,
  embedding_model = $2,
  embedding_status = 'ready',
  last_embedded_at = now(),
  embedding_error = null,
  next_attempt_at = null,
  locked_by = null,
  lease_expires_at = null
from claimed, src
where c.id = any(array(select id from claimed))
  and c.id = claimed.id and src.project_id = claimed.project_id
  and src.text_hash = claimed.text_hash
returning c.id
"#;

/// Embeds up to `limit` chunks as `worker_id` with default retry settings.
pub async fn process_one_batch(
    db: &DatabaseConnection,
    provider: &dyn EmbeddingProvider,
    worker_id: &str,
    limit: usize,
) -> Result<BatchOutcome, DbErr> {
    process_batch(db, provider, &EmbedOptions::new(worker_id, limit)).await
}

/// One claim -> reuse -> embed -> write cycle. Tests call it until it reports idle.
pub async fn process_batch(
    db: &DatabaseConnection,
    provider: &dyn EmbeddingProvider,
    options: &EmbedOptions,
) -> Result<BatchOutcome, DbErr> {
    let claimed = claim(db, &options.worker_id, options.batch_size, options.lease).await?;
    let mut outcome = BatchOutcome {
        claimed: claimed.len(),
        ..BatchOutcome::default()
    };
    if claimed.is_empty() {
        return Ok(outcome);
    }
    finish_batch(db, provider, options, claimed, &mut outcome).await?;
    Ok(outcome)
}

/// Completes a claimed batch (split out so tests can claim, "crash", and let another worker
/// finish).
pub async fn finish_batch(
    db: &DatabaseConnection,
    provider: &dyn EmbeddingProvider,
    options: &EmbedOptions,
    claimed: Vec<Claimed>,
    outcome: &mut BatchOutcome,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let model = provider.model_id().to_owned();
    let ids: Vec<String> = claimed.iter().map(|c| c.id.to_string()).collect();
    let reused = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            REUSE,
            [
                options.worker_id.clone().into(),
                model.clone().into(),
                DbValue::Json(Some(Box::new(json!(ids)))),
            ],
        ))
        .await?;
    let mut done = std::collections::HashSet::with_capacity(reused.len());
    for row in reused {
        done.insert(row.try_get::<Uuid>("", "id")?);
    }
    outcome.reused = done.len();
    let rest: Vec<Claimed> = claimed
        .into_iter()
        .filter(|c| !done.contains(&c.id))
        .collect();
    if rest.is_empty() {
        return Ok(());
    }

    // One provider input per distinct text.
    let mut texts: Vec<String> = Vec::new();
    let mut slot_of: std::collections::HashMap<&str, usize> = Default::default();
    let mut slots = Vec::with_capacity(rest.len());
    for c in &rest {
        let slot = *slot_of.entry(c.text.as_str()).or_insert_with(|| {
            texts.push(c.text.clone());
            texts.len() - 1
        });
        slots.push(slot);
    }
    outcome.provider_inputs = texts.len();
    let results = embed_isolating(provider, &texts).await;

    let mut successes: Vec<(&Claimed, &Vec<f32>)> = Vec::new();
    let mut failures: Vec<(&Claimed, &EmbeddingError)> = Vec::new();
    for (c, slot) in rest.iter().zip(slots) {
        match &results[slot] {
            Ok(v) => successes.push((c, v)),
            Err(e) => failures.push((c, e)),
        }
    }
    if !successes.is_empty() {
        let written = write_vectors(db, &options.worker_id, &model, &successes).await?;
        outcome.embedded = written;
        outcome.lost += successes.len() - written;
    }
    if !failures.is_empty() {
        let first = failures[0].1;
        if failures.len() == rest.len() {
            outcome.provider_error = Some(first.to_string());
            outcome.config_error = first.class() == ErrorClass::FatalConfig;
        }
        let (scheduled, failed) = write_failures(db, options, &failures).await?;
        outcome.retry_scheduled = scheduled;
        outcome.failed = failed;
        outcome.lost += failures.len() - scheduled - failed;
    }
    Ok(())
}

/// Embeds `texts`; when a multi-input request is refused as invalid, splits it in halves until
/// the bad inputs are alone, so one bad text does not fail its whole batch.
async fn embed_isolating(
    provider: &dyn EmbeddingProvider,
    texts: &[String],
) -> Vec<Result<Vec<f32>, EmbeddingError>> {
    let mut results: Vec<Option<Result<Vec<f32>, EmbeddingError>>> = vec![None; texts.len()];
    let mut work = Vec::with_capacity(4);
    work.push(0..texts.len());
    while let Some(range) = work.pop() {
        match provider.embed(&texts[range.clone()]).await {
            Ok(vectors) if vectors.len() == range.len() => {
                for (i, v) in range.zip(vectors) {
                    results[i] = Some(Ok(v));
                }
            }
            Ok(vectors) => {
                let e = EmbeddingError::Decode(format!(
                    "{} vectors for {} inputs",
                    vectors.len(),
                    range.len()
                ));
                for i in range {
                    results[i] = Some(Err(e.clone()));
                }
            }
            Err(e) if e.class() == ErrorClass::FatalInput && range.len() > 1 => {
                let mid = range.start + range.len() / 2;
                work.push(mid..range.end);
                work.push(range.start..mid);
            }
            Err(e) => {
                for i in range {
                    results[i] = Some(Err(e.clone()));
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(EmbeddingError::Decode("no result".to_owned()))))
        .collect()
}

async fn write_vectors(
    db: &DatabaseConnection,
    worker_id: &str,
    model: &str,
    rows: &[(&Claimed, &Vec<f32>)],
) -> Result<usize, DbErr> {
    // Vectors go as binary parameters (no float formatting/parsing); 3 parameters a row.
    const ROWS_PER_STATEMENT: usize = 500;
    let mut written = 0;
    for part in rows.chunks(ROWS_PER_STATEMENT) {
        let mut values: Vec<DbValue> = Vec::with_capacity(2 + part.len() * 3);
        values.push(worker_id.into());
        values.push(model.into());
        let mut tuples = Vec::with_capacity(part.len());
        let mut ids = Vec::with_capacity(part.len());
        for (i, (c, v)) in part.iter().enumerate() {
            let base = 3 + i * 3;
            tuples.push(format!(
                "(${}::uuid, ${}::text, ${}::vector)",
                base,
                base + 1,
                base + 2
            ));
            ids.push(format!("${base}::uuid"));
            values.push(c.id.into());
            values.push(c.text_hash.clone().into());
            values.push(DbValue::Vector(Some(sea_orm::prelude::PgVector::from(
                pad_to_column((*v).clone()),
            ))));
        }
        let sql = format!(
            "update rag_chunks c set \
               embedding = v.e, embedding_model = $2, embedding_status = 'ready', \
               last_embedded_at = now(), embedding_error = null, next_attempt_at = null, \
               locked_by = null, lease_expires_at = null \
             from (values {}) as v(id, h, e) \
             where c.id = any(array[{}]) and c.id = v.id and c.locked_by = $1 \
               and c.embedding_status = 'processing' and c.text_hash is not distinct from v.h",
            tuples.join(", "),
            ids.join(", ")
        );
        let result = db
            .execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                sql,
                values,
            ))
            .await?;
        written += usize::try_from(result.rows_affected()).unwrap_or(0);
    }
    Ok(written)
}

/// The delay before attempt `attempts + 1`: `base * 2^(attempts-1)` capped, +-20% jitter,
/// never shorter than what the provider asked for.
pub fn retry_delay(options: &EmbedOptions, attempts: i32, error: &EmbeddingError) -> Duration {
    let n = u32::try_from(attempts.max(1) - 1).unwrap_or(0).min(30);
    let exp = options
        .base_backoff
        .saturating_mul(2u32.saturating_pow(n))
        .min(options.max_backoff);
    let jitter: f64 = rand::rng().random_range(0.8..=1.2);
    let delay = exp.mul_f64(jitter);
    match error.retry_after() {
        Some(after) => delay.max(after),
        None => delay,
    }
}

async fn write_failures(
    db: &DatabaseConnection,
    options: &EmbedOptions,
    rows: &[(&Claimed, &EmbeddingError)],
) -> Result<(usize, usize), DbErr> {
    let docs: Vec<serde_json::Value> = rows
        .iter()
        .map(|(c, e)| {
            let attempts = c.attempts + 1;
            let fatal = e.class() == ErrorClass::FatalInput || attempts >= options.max_attempts;
            json!({
                "id": c.id,
                "error": e.to_string(),
                "fatal": fatal,
                "delay": retry_delay(options, attempts, e).as_secs_f64(),
            })
        })
        .collect();
    let result = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "update rag_chunks c set \
               embedding_attempts = c.embedding_attempts + 1, \
               embedding_error = v.error, \
               embedding_status = case when v.fatal then 'failed' else 'pending' end, \
               next_attempt_at = case when v.fatal then null \
                                      else now() + make_interval(secs => v.delay) end, \
               locked_by = null, lease_expires_at = null \
             from jsonb_to_recordset($2::jsonb) as v(id uuid, error text, fatal boolean, \
                                                    delay float8) \
             where c.id = any(array(select (x->>'id')::uuid from jsonb_array_elements($2::jsonb) x)) \
               and c.id = v.id and c.locked_by = $1 and c.embedding_status = 'processing' \
             returning v.fatal",
            [
                options.worker_id.clone().into(),
                DbValue::Json(Some(Box::new(serde_json::Value::Array(docs)))),
            ],
        ))
        .await?;
    let mut scheduled = 0;
    let mut failed = 0;
    for row in result {
        if row.try_get::<bool>("", "fatal")? {
            failed += 1;
        } else {
            scheduled += 1;
        }
    }
    Ok((scheduled, failed))
}

/// Turns up to `limit` `ready` chunks embedded by another model than `model` back into
/// `pending` (vectors kept until replaced). Returns how many; call until 0.
pub async fn requeue_stale_model<C: ConnectionTrait>(
    db: &C,
    model: &str,
    limit: usize,
) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "update rag_chunks set embedding_status = 'pending', embedding_attempts = 0, \
               embedding_error = null, next_attempt_at = null \
             where id in (select id from rag_chunks \
                          where embedding_status = 'ready' \
                            and embedding_model is distinct from $1 \
                          limit $2 for update skip locked)",
            [
                model.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// A running embed worker (one or more tasks); stops when shut down or dropped.
pub struct EmbedWorker {
    tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

/// Loop settings of [`EmbedWorker::spawn`].
#[derive(Debug, Clone)]
pub struct LoopOptions {
    /// Concurrent batch loops in this process.
    pub concurrency: usize,
    /// Sleep when there is no work (new chunks wait at most this long).
    pub idle: Duration,
    /// Sleep after a configuration error (bad key, unknown model).
    pub config_error_pause: Duration,
    /// How often to check whether the ivfflat index needs a rebuild.
    pub maintenance_every: Duration,
    /// How often to check whether the HNSW index should enter or leave bulk mode.
    pub bulk_check_every: Duration,
}

impl Default for LoopOptions {
    fn default() -> Self {
        Self {
            concurrency: 2,
            idle: Duration::from_secs(2),
            config_error_pause: Duration::from_secs(60),
            maintenance_every: Duration::from_secs(3_600),
            bulk_check_every: Duration::from_secs(30),
        }
    }
}

impl EmbedWorker {
    /// Starts `loops.concurrency` batch loops named `{name}-{n}`; the first one also
    /// re-queues chunks of another model at start and keeps the ivfflat index sized.
    pub fn spawn(
        db: DatabaseConnection,
        provider: Arc<dyn EmbeddingProvider>,
        options: EmbedOptions,
        loops: LoopOptions,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let tasks = (0..loops.concurrency.max(1))
            .map(|n| {
                let mut options = options.clone();
                options.worker_id = format!("{}-{n}", options.worker_id);
                tokio::spawn(run_loop(
                    db.clone(),
                    provider.clone(),
                    options,
                    loops.clone(),
                    n == 0,
                    stop_rx.clone(),
                ))
            })
            .collect();
        Self { tasks, stop }
    }

    /// Stops the loops after their current batch (an unfinished batch's lease expires).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for EmbedWorker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Sleeps `d` unless stopped first; true when stopped.
async fn pause(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

async fn run_loop(
    db: DatabaseConnection,
    provider: Arc<dyn EmbeddingProvider>,
    options: EmbedOptions,
    loops: LoopOptions,
    leader: bool,
    mut stop: watch::Receiver<bool>,
) {
    if leader {
        if let Err(e) =
            crate::domain::search::maintenance::prepare_model_switch(&db, provider.model_id()).await
        {
            tracing::warn!(error = %e, "HNSW bulk-mode check before a model switch failed");
        }
        loop {
            match requeue_stale_model(&db, provider.model_id(), 5_000).await {
                Ok(0) => break,
                Ok(n) => tracing::info!(n, model = provider.model_id(), "re-embedding chunks"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not re-queue chunks of another model");
                    break;
                }
            }
        }
    }
    let mut last_maintenance = tokio::time::Instant::now();
    // Checked at once: a worker started on a large backlog should not insert into HNSW first.
    let mut last_bulk_check: Option<tokio::time::Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        if leader && last_bulk_check.is_none_or(|t| t.elapsed() >= loops.bulk_check_every) {
            last_bulk_check = Some(tokio::time::Instant::now());
            if let Err(e) = crate::domain::search::maintenance::manage_hnsw(&db).await {
                tracing::warn!(error = %e, "HNSW bulk-mode check failed");
            }
        }
        let wait = match process_batch(&db, provider.as_ref(), &options).await {
            Ok(outcome) if outcome.config_error => {
                tracing::error!(
                    error = outcome.provider_error.as_deref().unwrap_or(""),
                    "embedding provider rejects the configuration; pausing"
                );
                Some(loops.config_error_pause)
            }
            Ok(outcome) if outcome.is_idle() => Some(loops.idle),
            Ok(outcome) => {
                tracing::debug!(?outcome, "embedded a batch");
                // A batch that only failed (provider outage) should not spin.
                (outcome.embedded + outcome.reused == 0).then_some(loops.idle)
            }
            Err(e) => {
                tracing::warn!(error = %e, "embed batch failed");
                Some(loops.idle)
            }
        };
        if let Some(wait) = wait {
            if leader && last_maintenance.elapsed() >= loops.maintenance_every {
                last_maintenance = tokio::time::Instant::now();
                match crate::domain::search::maintenance::maybe_rebuild_ivfflat(&db).await {
                    Ok(Some(r)) => tracing::info!(?r, "ivfflat index rebuilt"),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "ivfflat maintenance failed"),
                }
            }
            if pause(&mut stop, wait).await {
                break;
            }
        }
    }
}
