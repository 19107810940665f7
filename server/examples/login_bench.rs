//! Login latency with 8 concurrent clients: the real server on loopback (argon2id m=19 MiB,
//! t=2, p=1, two hashes at a time), a fresh database, 8 users logging in over and over.
//!
//! `cargo run --release -p server --example login_bench` (DATABASE_URL = a maintenance
//! database on the server to create the scratch database on; default: the local cluster).
use std::{net::SocketAddr, time::Instant};

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database};
use server::{
    AppState, build_router,
    config::{AppEnv, Config},
    db,
    domain::identity,
};

const CLIENTS: usize = 8;
const ROUNDS: usize = 25;
const PASSWORD: &str = "benchmark-password";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".to_owned());
    let name = format!("bench_login_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url)
        .await
        .context("connecting to the maintenance database")?;
    admin
        .execute_unprepared(&format!("create database {name}"))
        .await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .context("DATABASE_URL has a database path")?;
    let config = Config {
        app_env: AppEnv::Test,
        database_url: format!("{base}/{name}"),
        ..Config::default()
    };
    let pool = db::connect(&config).await?;
    db::migrate(&pool, &config).await?;
    let state = AppState::new(config.clone(), pool.clone())?;
    for i in 0..CLIENTS {
        identity::create_user(
            &pool,
            &state.identity.hasher,
            &format!("bench-user-{i}"),
            PASSWORD,
            false,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = build_router(state);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let url = format!("http://{addr}/graphql");
    let http = reqwest::Client::new();

    let mut samples = Vec::with_capacity(CLIENTS * ROUNDS);
    let started = Instant::now();
    for _ in 0..ROUNDS {
        let mut tasks = Vec::with_capacity(CLIENTS);
        for i in 0..CLIENTS {
            let http = http.clone();
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let body = serde_json::json!({
                    "query": "mutation($i: LoginInput!) { login(input: $i) { csrfToken } }",
                    "variables": { "i": { "username": format!("bench-user-{i}"), "password": PASSWORD } }
                });
                let t = Instant::now();
                let response = http.post(&url).json(&body).send().await?;
                let ok = response.headers().contains_key("set-cookie");
                response.bytes().await?;
                anyhow::ensure!(ok, "login did not set a cookie");
                Ok::<f64, anyhow::Error>(t.elapsed().as_secs_f64() * 1000.0)
            }));
        }
        for task in tasks {
            samples.push(task.await??);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    samples.sort_by(f64::total_cmp);
    println!(
        "logins: {} ({CLIENTS} concurrent clients x {ROUNDS} rounds) in {elapsed:.2}s = {:.1} logins/s",
        samples.len(),
        samples.len() as f64 / elapsed
    );
    println!(
        "latency ms: p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&samples, 50.0),
        percentile(&samples, 95.0),
        percentile(&samples, 99.0),
        samples[samples.len() - 1]
    );
    pool.close().await.ok();
    admin
        .execute_unprepared(&format!("drop database if exists {name} with (force)"))
        .await?;
    Ok(())
}
