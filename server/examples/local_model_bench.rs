//! Local embedding model benchmark (issue 8), in a fresh database on the local cluster:
//! the demo workspace's messages (the fake Chatwoot's demo world, through the real sync and
//! the `rag_index` jobs) are chunked with the model's tokenizer, then the embed worker drains
//! the backlog with all-MiniLM-L6-v2 while a client searches (hybrid, the local model
//! embedding each query) every 250 ms: worker chunks/s, and search p50/p95 during the drain
//! and after it.
//!
//! `cargo run --release -p server --example local_model_bench -- [--loops 2] [--batch 32]
//! [--limit 3000]`; `DATABASE_URL` names the maintenance database (default: the local
//! cluster's `postgres`); the model is read from `.data/models/all-MiniLM-L6-v2`. The
//! database is dropped at the end.
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use server::{
    config::Config,
    db,
    domain::{
        conversations::{
            SyncOptions,
            sources::{NewChatwootSource, bind_source},
            sync::run_sync,
        },
        search::{
            Chunker, SearchFilter,
            index::index_stored_messages,
            query::{SearchMode, SearchOptions, search_with},
            worker::{EmbedOptions, process_batch},
        },
    },
    integrations::embeddings::{EmbeddingProvider, local::LocalProvider},
    kernel::Scope,
};
use testkit::fake_chatwoot::{FakeChatwoot, Scenario, generate};
use tokio::sync::watch;
use uuid::Uuid;

const ACCOUNT_ID: i64 = 1;
const TOKEN: &str = "bench-token";
const QUERIES: &[&str] = &[
    "customer wants their money back",
    "the invoice has the wrong tax number",
    "agents cannot sign in",
    "how much does it cost per seat",
    "we might leave for a competitor",
    "how do I get my contacts into the tool",
];

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0))
}

/// Searches every 250 ms until stopped; returns the latencies in ms.
async fn search_client(
    db: DatabaseConnection,
    scope: Scope,
    provider: Arc<dyn EmbeddingProvider>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<f64>> {
    let mut latencies = Vec::new();
    let options = SearchOptions {
        mode: SearchMode::Hybrid,
        ..SearchOptions::default()
    };
    for i in 0.. {
        if *stop.borrow() {
            break;
        }
        let t = Instant::now();
        search_with(
            &db,
            &scope,
            provider.as_ref(),
            QUERIES[i % QUERIES.len()],
            10,
            &SearchFilter::default(),
            &options,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        latencies.push(t.elapsed().as_secs_f64() * 1_000.0);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = stop.changed() => {}
        }
    }
    Ok(latencies)
}

fn report(label: &str, mut latencies: Vec<f64>) {
    latencies.sort_by(f64::total_cmp);
    println!(
        "{label}: {} searches, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let loops = arg("--loops", 2);
    let batch = arg("--batch", 32);
    let limit = arg("--limit", 3_000);
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".to_owned());

    let t = Instant::now();
    let model: Arc<dyn EmbeddingProvider> =
        Arc::new(LocalProvider::load(&LocalProvider::default_dir(), 2)?);
    println!("model loaded in {:.2} s", t.elapsed().as_secs_f64());

    let name = format!("bench_local_{}", Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url).await?;
    admin
        .execute_unprepared(&format!("create database {name}"))
        .await?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let config = Config {
        database_url: format!("{base}/{name}"),
        db_max_connections: 8,
        ..Config::default()
    };
    let pool = db::connect(&config).await?;
    db::migrate(&pool, &config).await?;
    let (project_id, scope_id) = (Uuid::new_v4(), Uuid::new_v4());
    pool.execute_raw(Statement::from_sql_and_values(
        pool.get_database_backend(),
        "insert into account_scopes (id, scope_key, name) values ($1, $2, 'bench')",
        [scope_id.into(), name.clone().into()],
    ))
    .await?;
    pool.execute_raw(Statement::from_sql_and_values(
        pool.get_database_backend(),
        "insert into projects (id, name, account_scope_id) values ($1, 'bench', $2)",
        [project_id.into(), scope_id.into()],
    ))
    .await?;
    let scope = Scope::for_project(&pool, project_id).await?;

    // The demo workspace's messages, through the real sync.
    let fake = FakeChatwoot::start(generate(&Scenario::demo(ACCOUNT_ID)), TOKEN).await?;
    let source = bind_source(
        &pool,
        &scope,
        NewChatwootSource {
            account_id: ACCOUNT_ID,
            base_url: fake.base_url(),
            api_access_token: TOKEN.to_owned(),
            webhook_secret: None,
            verify_signatures: true,
            sync_interval_seconds: 300,
            enabled: true,
        },
    )
    .await?;
    run_sync(&pool, &scope, source.id, &SyncOptions::default()).await?;
    fake.stop().await;
    let chunker = Chunker::new(256, 32, Default::default(), model.token_counter());
    let ids: Vec<String> = pool
        .query_all_raw(Statement::from_string(
            pool.get_database_backend(),
            format!("select id from cw_messages order by created_at, id limit {limit}"),
        ))
        .await?
        .into_iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?;
    index_stored_messages(&pool, &scope, &ids, &chunker).await?;
    let pending = count(
        &pool,
        "select count(*) from rag_chunks where embedding_status = 'pending'",
    )
    .await?;
    let tokens = count(
        &pool,
        "select coalesce(sum(content_tokens), 0)::bigint from rag_chunks",
    )
    .await?;
    println!(
        "{} messages -> {pending} pending chunks, {:.1} tokens per chunk on average",
        ids.len(),
        tokens as f64 / pending.max(1) as f64
    );

    // Drain with the worker while a client searches.
    let (stop_tx, stop_rx) = watch::channel(false);
    let client = tokio::spawn(search_client(pool.clone(), scope, model.clone(), stop_rx));
    let t = Instant::now();
    let mut workers = Vec::new();
    for n in 0..loops {
        let (pool, model) = (pool.clone(), model.clone());
        workers.push(tokio::spawn(async move {
            let options = EmbedOptions::new(format!("bench-{n}"), batch);
            let mut written = 0;
            loop {
                let outcome = process_batch(&pool, model.as_ref(), &options).await?;
                if outcome.is_idle() {
                    return anyhow::Ok(written);
                }
                written += outcome.embedded + outcome.reused;
            }
        }));
    }
    let mut embedded = 0;
    for w in workers {
        embedded += w.await??;
    }
    let secs = t.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    let during = client.await??;
    println!(
        "embed worker ({loops} loops x {batch}): {embedded} chunks in {secs:.1} s = {:.1} chunks/s",
        embedded as f64 / secs
    );
    report("search while the backlog drained", during);

    let (stop_tx, stop_rx) = watch::channel(false);
    let client = tokio::spawn(search_client(pool.clone(), scope, model.clone(), stop_rx));
    tokio::time::sleep(Duration::from_secs(10)).await;
    let _ = stop_tx.send(true);
    report("search with the worker idle", client.await??);

    pool.close().await?;
    admin
        .execute_unprepared(&format!("drop database {name} with (force)"))
        .await?;
    admin.close().await?;
    Ok(())
}
