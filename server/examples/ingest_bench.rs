//! Chatwoot ingestion benchmark: messages per second ingested end to end (HTTP from the fake
//! Chatwoot on loopback -> normaliser -> batched upserts -> watermark commits) into a fresh
//! database on the local cluster; then the rate at which the `rag_index` jobs those pages
//! enqueued are drained (chunks + evidence).
//!
//! `cargo run --release -p server --example ingest_bench -- [--messages 100000]
//! [--concurrency 4] [--runs 1]`; `DATABASE_URL` names the maintenance database of the server
//! to create the benchmark database on (default `postgres://postgres@127.0.0.1:5433/postgres`).
//! The database is dropped at the end.
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use server::{
    config::Config,
    db,
    domain::conversations::{
        SyncOptions,
        sources::{NewChatwootSource, bind_source},
        sync::{SyncReport, run_sync},
    },
    kernel::Scope,
    workers::{JobRegistry, WorkerSettings, execute_one, jobs},
};
use testkit::fake_chatwoot::{FakeChatwoot, Scenario, generate};
use uuid::Uuid;

const ACCOUNT_ID: i64 = 1;
const TOKEN: &str = "bench-token";

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn print_report(label: &str, report: &SyncReport, elapsed: Duration) {
    let c = &report.counts;
    let secs = elapsed.as_secs_f64();
    println!(
        "{label}: {:.2}s, {} messages ({:.0} msg/s), {} conversations, {} contacts seen, \
         {} written rows, {} pages, {} HTTP requests",
        secs,
        c.messages.seen,
        c.messages.seen as f64 / secs,
        c.conversations.seen,
        c.contacts.seen,
        c.written(),
        c.pages,
        c.requests,
    );
}

/// Runs the queued `rag_index` jobs on `workers` concurrent runners until none is left;
/// returns the jobs run and the chunks then stored.
async fn drain_index_jobs(
    pool: &sea_orm::DatabaseConnection,
    workers: usize,
) -> anyhow::Result<(usize, i64)> {
    let mut registry = JobRegistry::new();
    jobs::register_rag_index(&mut registry);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (pool, registry) = (pool.clone(), registry.clone());
        tasks.push(tokio::spawn(async move {
            let settings = WorkerSettings::named(&format!("bench-indexer-{w}"));
            let mut ran = 0usize;
            while execute_one(&pool, &registry, &settings).await?.is_some() {
                ran += 1;
            }
            anyhow::Ok(ran)
        }));
    }
    let mut ran = 0;
    for task in tasks {
        ran += task.await??;
    }
    let chunks = pool
        .query_one_raw(Statement::from_string(
            pool.get_database_backend(),
            "select count(*) as n from rag_chunks",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok((ran, chunks))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let messages = arg("--messages", 100_000);
    let concurrency = arg("--concurrency", 4);
    let runs = arg("--runs", 1).max(1);
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".to_owned());

    let started = Instant::now();
    let world = generate(&Scenario::with_total_messages(ACCOUNT_ID, messages));
    let totals = world
        .totals(ACCOUNT_ID)
        .ok_or_else(|| anyhow::anyhow!("generated account missing"))?;
    println!(
        "generated {} messages in {} conversations, {} contacts ({} listed) in {:.2}s",
        totals.messages,
        totals.conversations,
        totals.contacts,
        totals.listed_contacts,
        started.elapsed().as_secs_f64()
    );
    let fake = FakeChatwoot::start(world, TOKEN).await?;

    for run in 1..=runs {
        let name = format!("bench_ingest_{}", Uuid::new_v4().simple());
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
        let project_id = Uuid::new_v4();
        let scope_id = Uuid::new_v4();
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
        let options = SyncOptions {
            message_concurrency: concurrency,
            ..SyncOptions::default()
        };

        let t = Instant::now();
        let full = run_sync(&pool, &scope, source.id, &options).await?;
        print_report(&format!("run {run} full sync"), &full, t.elapsed());
        let stored = pool
            .query_one_raw(Statement::from_string(
                pool.get_database_backend(),
                "select count(*) as n from cw_messages",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        anyhow::ensure!(
            stored as usize == totals.messages,
            "stored {stored} messages, expected {}",
            totals.messages
        );
        // Indexing is the jobs the pages enqueued; drained here so its rate is known too.
        let t = Instant::now();
        let (jobs, chunks) = drain_index_jobs(&pool, 2).await?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "run {run} indexing: {jobs} rag_index jobs, {chunks} chunks in {secs:.2}s \
             ({:.0} msg/s)",
            totals.messages as f64 / secs
        );
        let t = Instant::now();
        let again = run_sync(&pool, &scope, source.id, &options).await?;
        print_report(
            &format!("run {run} incremental re-sync"),
            &again,
            t.elapsed(),
        );

        pool.close().await?;
        admin
            .execute_unprepared(&format!("drop database {name} with (force)"))
            .await?;
        admin.close().await?;
    }
    fake.stop().await;
    Ok(())
}
