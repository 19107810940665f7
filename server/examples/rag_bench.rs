//! RAG benchmark (issue 5), in a fresh database on the local cluster:
//! 1. embed worker throughput with a zero-latency in-process provider (no vector index, then
//!    with the HNSW + ivfflat indexes maintained at 100k rows);
//! 2. the share of a rate-limited provider's capacity the worker uses (the fake
//!    OpenAI-compatible server on loopback, answering 429 + `retry-after-ms` past its budget);
//! 3. search at 100k chunks of 1536-d synthetic clustered vectors: p50/p95 of
//!    `rag::search` (hybrid and vector-only, a 90k-chunk tenant on the index path and 1k-chunk
//!    tenants on the exact path), the same statement as raw SQL in the same run, and recall@10
//!    of the index path against exact search.
//!
//! `cargo run --release -p server --example rag_bench -- [--chunks 100000] [--queries 300]
//! [--rate 1000] [--keep] [--search-only]`; `DATABASE_URL` names the maintenance database (default: the local cluster's
//! `postgres`). The database is dropped at the end (kept
//! with `--keep`, for EXPLAIN).
#[allow(dead_code)]
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Instant,
};

use anyhow::Context;
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait, Value as DbValue,
    prelude::PgVector,
};
use server::{
    config::Config,
    db,
    domain::search::{
        SearchFilter,
        maintenance::{manage_hnsw, maybe_rebuild_ivfflat, prepare_model_switch},
        query::{SearchMode, SearchOptions, VectorPath, fts_query, fused_sql, search_with},
        worker::{EmbedOptions, process_batch, requeue_stale_model},
    },
    integrations::embeddings::{
        EmbeddingError, EmbeddingProvider, OpenAiOptions, OpenAiProvider, pad_to_column,
    },
    kernel::Scope,
};
use uuid::Uuid;

const DIMS: usize = 1536;
const CENTROIDS: usize = 200;
const MODEL: &str = "bench-synthetic-1536";

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
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn stats(label: &str, mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let (p50, p95) = (percentile(&ms, 50.0), percentile(&ms, 95.0));
    println!(
        "{label:<58} n={:<4} p50 {p50:>6.2} ms  p95 {p95:>6.2} ms  max {:>6.2} ms",
        ms.len(),
        ms.last().copied().unwrap_or(f64::NAN)
    );
    (p50, p95)
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    for x in &mut v {
        *x /= n;
    }
    v
}

/// Returns instantly: vectors from a small precomputed pool.
struct ZeroLatency {
    pool: Vec<Vec<f32>>,
}

#[async_trait::async_trait]
impl EmbeddingProvider for ZeroLatency {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        Ok(texts
            .iter()
            .enumerate()
            .map(|(i, _)| self.pool[i % self.pool.len()].clone())
            .collect())
    }
    fn model_id(&self) -> &str {
        "bench-zero-latency"
    }
    fn dimensions(&self) -> usize {
        DIMS
    }
    fn max_batch_inputs(&self) -> usize {
        2048
    }
    fn max_input_tokens(&self) -> usize {
        8192
    }
}

/// Maps each benchmark query text to its synthetic vector.
struct QueryVectors {
    map: Mutex<HashMap<String, Vec<f32>>>,
}

#[async_trait::async_trait]
impl EmbeddingProvider for QueryVectors {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let map = self.map.lock().map_err(|_| EmbeddingError::Timeout)?;
        texts
            .iter()
            .map(|t| {
                map.get(t)
                    .cloned()
                    .ok_or_else(|| EmbeddingError::Decode(format!("no vector for {t}")))
            })
            .collect()
    }
    fn model_id(&self) -> &str {
        MODEL
    }
    fn dimensions(&self) -> usize {
        DIMS
    }
    fn max_batch_inputs(&self) -> usize {
        1
    }
    fn max_input_tokens(&self) -> usize {
        8192
    }
}

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<DbValue>) -> anyhow::Result<u64> {
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await
        .with_context(|| sql.chars().take(80).collect::<String>())?
        .rows_affected())
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await?
    .context("a row")?
    .try_get_by_index::<i64>(0)
    .map_err(Into::into)
}

async fn project(db: &DatabaseConnection, key: &str) -> anyhow::Result<Scope> {
    let (p, s) = (Uuid::new_v4(), Uuid::new_v4());
    exec(
        db,
        "insert into account_scopes (id, scope_key, name) values ($1, $2, $2)",
        vec![s.into(), format!("{key}-{s}").into()],
    )
    .await?;
    exec(
        db,
        "insert into projects (id, name, account_scope_id) values ($1, $2, $3)",
        vec![p.into(), key.into(), s.into()],
    )
    .await?;
    Scope::for_project(db, p)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// `n` pending chunks with distinct texts in `scope`.
async fn pending_chunks(db: &DatabaseConnection, scope: &Scope, n: usize) -> anyhow::Result<()> {
    exec(
        db,
        "insert into rag_chunks (project_id, account_scope_id, text, text_hash, content_tokens) \
         select $1, $2, 'pending chunk ' || i || ' ' || $3, md5($3 || i), 12 \
         from generate_series(1, $4::int) i",
        vec![
            scope.project_id().into(),
            scope.account_scope_id().into(),
            Uuid::new_v4().to_string().into(),
            i32::try_from(n).unwrap_or(i32::MAX).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Runs `loops` workers until no chunk is claimable; returns (chunks written, seconds).
async fn drain(
    db: &DatabaseConnection,
    provider: Arc<dyn EmbeddingProvider>,
    loops: usize,
    batch: usize,
) -> anyhow::Result<(usize, f64)> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..loops {
        let db = db.clone();
        let provider = provider.clone();
        tasks.push(tokio::spawn(async move {
            let options = EmbedOptions::new(format!("bench-{n}"), batch);
            let mut written = 0;
            loop {
                let outcome = process_batch(&db, provider.as_ref(), &options).await?;
                if outcome.is_idle() {
                    return Ok::<usize, sea_orm::DbErr>(written);
                }
                written += outcome.embedded + outcome.reused;
            }
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok((total, started.elapsed().as_secs_f64()))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let total_chunks = arg("--chunks", 100_000);
    let queries = arg("--queries", 300);
    let rate = arg("--rate", 1_000) as f64;
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".to_owned());
    let name = format!("bench_rag_{}", Uuid::new_v4().simple());
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
    let result = run(&pool, total_chunks, queries, rate).await;
    pool.close().await.ok();
    if std::env::args().any(|a| a == "--keep") {
        println!("kept database {name}");
    } else {
        admin
            .execute_unprepared(&format!("drop database if exists {name} with (force)"))
            .await?;
    }
    result
}

async fn run(
    db: &DatabaseConnection,
    total_chunks: usize,
    queries: usize,
    rate: f64,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(42);
    let search_only = std::env::args().any(|a| a == "--search-only");
    db.execute_unprepared(
        "drop index rag_chunks_embedding_hnsw_idx; drop index rag_chunks_embedding_ivfflat_idx",
    )
    .await?;
    let pool: Vec<Vec<f32>> = (0..64)
        .map(|_| unit((0..DIMS).map(|_| rng.random_range(-1.0..1.0)).collect()))
        .collect();
    let zero: Arc<dyn EmbeddingProvider> = Arc::new(ZeroLatency { pool: pool.clone() });
    if !search_only {
        worker_benchmarks(db, zero.clone(), rate).await?;
    }

    println!("== search corpus: {total_chunks} chunks x {DIMS}-d, {CENTROIDS} clusters ==");
    let started = Instant::now();
    let centroids: Vec<Vec<f32>> = (0..CENTROIDS)
        .map(|_| (0..DIMS).map(|_| rng.random_range(-0.5..0.5)).collect())
        .collect();
    let big = project(db, "big").await?;
    let mut smalls = Vec::new();
    for i in 0..10 {
        smalls.push(project(db, &format!("small-{i}")).await?);
    }
    let big_n = total_chunks * 9 / 10;
    let small_n = (total_chunks - big_n) / smalls.len();
    let mut tenants = vec![(big, big_n)];
    tenants.extend(smalls.iter().map(|s| (*s, small_n)));
    const ROWS: usize = 250;
    for (scope, n) in &tenants {
        let mut i = 0;
        while i < *n {
            let rows = ROWS.min(n - i);
            let mut values: Vec<DbValue> = vec![
                scope.project_id().into(),
                scope.account_scope_id().into(),
                MODEL.into(),
            ];
            let mut tuples = Vec::with_capacity(rows);
            for r in 0..rows {
                // A cluster member: centroid plus uniform noise.
                let c = &centroids[(i + r) * 7919 % CENTROIDS];
                let v: Vec<f32> = c
                    .iter()
                    .map(|x| x + rng.random_range(-0.175..0.175))
                    .collect();
                // 12 words of a 5,000-word vocabulary, skewed (common words are common).
                let words: Vec<String> = (0..12)
                    .map(|_| {
                        let u: f64 = rng.random();
                        format!("w{}", (u * u * 5000.0) as usize)
                    })
                    .collect();
                let base = values.len() + 1;
                tuples.push(format!(
                    "($1, $2, ${}, md5(${}), 30, ${}::vector, $3, 'ready', now())",
                    base,
                    base,
                    base + 1
                ));
                values.push(format!("chunk {} {}", i + r, words.join(" ")).into());
                values.push(DbValue::Vector(Some(PgVector::from(v))));
            }
            exec(
                db,
                &format!(
                    "insert into rag_chunks (project_id, account_scope_id, text, text_hash, \
                       content_tokens, embedding, embedding_model, embedding_status, \
                       last_embedded_at) values {}",
                    tuples.join(", ")
                ),
                values,
            )
            .await?;
            i += rows;
        }
    }
    println!(
        "loaded {} rows in {:.1} s",
        scalar(db, "select count(*) from rag_chunks").await?,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    db.execute_unprepared(
        "set maintenance_work_mem = '2GB'; \
         create index rag_chunks_embedding_hnsw_idx on rag_chunks \
           using hnsw (embedding vector_cosine_ops)",
    )
    .await?;
    println!("HNSW build: {:.1} s", started.elapsed().as_secs_f64());
    // The migration's ivfflat index (lists = 100) with no recorded build, as on a database
    // that grew from empty: maybe_rebuild_ivfflat rebuilds it for the data (timed).
    db.execute_unprepared(
        "create index rag_chunks_embedding_ivfflat_idx on rag_chunks \
           using ivfflat (embedding vector_cosine_ops) with (lists = 100)",
    )
    .await?;
    exec(db, "delete from rag_index_builds", vec![]).await?;
    let rebuilt = maybe_rebuild_ivfflat(db).await?;
    println!("maybe_rebuild_ivfflat: {rebuilt:?}");
    db.execute_unprepared("vacuum analyze rag_chunks").await?;

    // Queries: a centroid plus noise, and two words for the full-text side.
    let provider = Arc::new(QueryVectors {
        map: Mutex::new(HashMap::new()),
    });
    let mut texts = Vec::new();
    for q in 0..queries {
        let c = &centroids[rng.random_range(0..centroids.len())];
        let v: Vec<f32> = c
            .iter()
            .map(|x| x + rng.random_range(-0.175..0.175))
            .collect();
        let text = format!(
            "q{q} w{} w{}",
            rng.random_range(0..300),
            rng.random_range(0..3000)
        );
        provider
            .map
            .lock()
            .map_err(|_| anyhow::anyhow!("lock"))?
            .insert(text.clone(), v);
        texts.push(text);
    }

    // Which index does the planner pick for the index path?
    let txn = db.begin().await?;
    txn.execute_unprepared(
        "set local hnsw.ef_search = 100; set local ivfflat.probes = 10; \
         set local hnsw.iterative_scan = relaxed_order",
    )
    .await?;
    let probe = PgVector::from(pad_to_column(centroids[0].clone()));
    let plan: Vec<String> = txn
        .query_all_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "explain select id from rag_chunks where project_id = $1 and embedding_model = $2 \
             and embedding is not null order by embedding <=> $3 limit 40",
            [
                tenants[0].0.project_id().into(),
                MODEL.into(),
                DbValue::Vector(Some(probe)),
            ],
        ))
        .await?
        .into_iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    txn.commit().await?;
    println!(
        "index path plan: {}",
        plan.iter()
            .find(|l| l.contains("Index Scan"))
            .map(|l| l.trim())
            .unwrap_or("(no index scan)")
    );

    println!("== search (first = 10, 40 candidates per side, ef_search 100) ==");
    let filter = SearchFilter::default();
    let opts = |mode, force| SearchOptions {
        mode,
        force_path: force,
        ..SearchOptions::default()
    };
    // Warm-up (caches, plan).
    for t in texts.iter().take(30) {
        search_with(
            db,
            &tenants[0].0,
            provider.as_ref(),
            t,
            10,
            &filter,
            &opts(SearchMode::Hybrid, None),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let mut results = Vec::new();
    for (label, scope, mode) in [
        (
            "service hybrid, 90k tenant (index path)",
            tenants[0].0,
            SearchMode::Hybrid,
        ),
        (
            "service vector-only, 90k tenant (index path)",
            tenants[0].0,
            SearchMode::VectorOnly,
        ),
        (
            "service hybrid, 1k tenant (exact path)",
            tenants[1].0,
            SearchMode::Hybrid,
        ),
    ] {
        let mut ms = Vec::with_capacity(texts.len());
        let mut paths = HashMap::new();
        for t in &texts {
            let started = Instant::now();
            let out = search_with(
                db,
                &scope,
                provider.as_ref(),
                t,
                10,
                &filter,
                &opts(mode, None),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            *paths.entry(format!("{:?}", out.path)).or_insert(0) += 1;
            anyhow::ensure!(out.hits.len() == 10, "{label}: {} hits", out.hits.len());
        }
        let (p50, p95) = stats(label, ms);
        println!("    paths: {paths:?}");
        results.push((label, p50, p95));
    }

    // The same search through GraphQL, as an API-token caller who is a member of the tenant:
    // request parsing, auth and membership check, the resolver, the lookups of each hit's
    // message / conversation / contact, and serialisation.
    {
        let label = "GraphQL search, hybrid, 90k tenant";
        let schema = server::AppState::new(Config::default(), db.clone())?.schema;
        server::domain::search::install_provider(provider.clone());
        let user = Uuid::new_v4();
        exec(
            db,
            "insert into app_users (id, username, password_hash) values ($1, $2, 'x')",
            vec![user.into(), format!("bench-{user}").into()],
        )
        .await?;
        exec(
            db,
            "insert into project_members (project_id, user_id, account_scope_id, role) \
             values ($1, $2, $3, 'member')",
            vec![
                tenants[0].0.project_id().into(),
                user.into(),
                tenants[0].0.account_scope_id().into(),
            ],
        )
        .await?;
        let auth = server::auth::RequestAuth {
            caller: server::auth::Caller::Token {
                user: server::auth::UserRef {
                    id: user,
                    username: format!("bench-{user}"),
                    is_admin: false,
                },
                token_id: Uuid::new_v4(),
                project_id: tenants[0].0.project_id(),
                can_write: false,
            },
            csrf_header: None,
            client_key: "bench".to_owned(),
        };
        let query = "query($q: String!) { search(query: $q, first: 10) { vectorPath \
            hits { chunkId score text snippet { text highlight } message { id } \
            conversation { id } contact { id } } } }";
        let mut ms = Vec::with_capacity(texts.len());
        for (i, t) in texts.iter().enumerate() {
            let request = async_graphql::Request::new(query).variables(
                async_graphql::Variables::from_json(serde_json::json!({ "q": t })),
            );
            let started = Instant::now();
            let response = server::graphql::execute(&schema, request, auth.clone()).await;
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            anyhow::ensure!(response.errors.is_empty(), "{label}: {:?}", response.errors);
            let json = response.data.into_json()?;
            let hits = json["search"]["hits"].as_array().map_or(0, Vec::len);
            anyhow::ensure!(hits == 10, "{label}: {hits} hits");
            // The first 30 warm the GraphQL path (parser caches, pool connections).
            if i >= 30 {
                ms.push(elapsed);
            }
        }
        let (p50, p95) = stats(label, ms);
        results.push((label, p50, p95));
    }

    // The same statement as raw SQL: settings + the fused query in one transaction.
    for (label, scope, mode, path) in [
        (
            "raw SQL hybrid, 90k tenant (index path)",
            tenants[0].0,
            SearchMode::Hybrid,
            VectorPath::Index,
        ),
        (
            "raw SQL vector-only, 90k tenant (index path)",
            tenants[0].0,
            SearchMode::VectorOnly,
            VectorPath::Index,
        ),
        (
            "raw SQL hybrid, 1k tenant (exact path)",
            tenants[1].0,
            SearchMode::Hybrid,
            VectorPath::Exact,
        ),
    ] {
        let sql = fused_sql(path, mode, "", 60.0, 40, 10);
        let mut ms = Vec::with_capacity(texts.len());
        for t in &texts {
            let v = provider.embed(std::slice::from_ref(t)).await?.remove(0);
            let started = Instant::now();
            let txn = db.begin().await?;
            txn.execute_unprepared(
                "select set_config('hnsw.ef_search', '100', true), \
                        set_config('ivfflat.probes', '10', true), \
                        set_config('hnsw.iterative_scan', 'relaxed_order', true), \
                        set_config('ivfflat.iterative_scan', 'relaxed_order', true), \
                        set_config('plan_cache_mode', 'force_custom_plan', true)",
            )
            .await?;
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    sql.clone(),
                    [
                        scope.project_id().into(),
                        scope.account_scope_id().into(),
                        MODEL.into(),
                        DbValue::Vector(Some(PgVector::from(pad_to_column(v)))),
                        fts_query(t).into(),
                    ],
                ))
                .await?;
            txn.commit().await?;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(rows.len() == 10, "{label}: {} rows", rows.len());
        }
        let (p50, p95) = stats(label, ms);
        results.push((label, p50, p95));
    }
    // results: 3 service rows, the GraphQL row, then 3 raw SQL rows.
    for i in 0..3 {
        println!(
            "ratio service/raw p95: {:<44} {:.2}",
            results[i].0,
            results[i].2 / results[i + 4].2
        );
    }
    println!(
        "ratio GraphQL/raw p95: {:<44} {:.2}",
        results[3].0,
        results[3].2 / results[4].2
    );

    // Recall@10 of the index path against exact search (vector side only).
    let mut recall = 0.0;
    for t in &texts {
        let ids = |out: server::domain::search::SearchOutcome| -> HashSet<Uuid> {
            out.hits.into_iter().map(|h| h.chunk_id).collect()
        };
        let approx = search_with(
            db,
            &tenants[0].0,
            provider.as_ref(),
            t,
            10,
            &filter,
            &opts(SearchMode::VectorOnly, Some(VectorPath::Index)),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let exact = search_with(
            db,
            &tenants[0].0,
            provider.as_ref(),
            t,
            10,
            &filter,
            &opts(SearchMode::VectorOnly, Some(VectorPath::Exact)),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let (a, e) = (ids(approx), ids(exact));
        recall += a.intersection(&e).count() as f64 / e.len().max(1) as f64;
    }
    println!(
        "recall@10 index path vs exact (90k tenant, {} queries): {:.3}",
        texts.len(),
        recall / texts.len() as f64
    );

    if search_only {
        return Ok(());
    }
    println!("== embed worker with the HNSW + ivfflat indexes maintained ==");
    let w2 = project(db, "worker-indexed").await?;
    pending_chunks(db, &w2, 3_000).await?;
    let (n, secs) = drain(db, zero.clone(), 2, 256).await?;
    println!(
        "small backlog, HNSW + ivfflat at {} rows: {n} chunks in {secs:.2} s = {:.0} chunks/s",
        scalar(db, "select count(*) from rag_chunks").await?,
        n as f64 / secs
    );

    println!(
        "== model switch: every vector re-embedded; HNSW bulk mode (dropped, drained, rebuilt) =="
    );
    let t = Instant::now();
    // What the worker's leader does at start when the configured model changed.
    let entered = prepare_model_switch(db, "bench-next-model").await?;
    let mut requeued_rows = 0;
    loop {
        let n = requeue_stale_model(db, "bench-next-model", 5_000).await?;
        if n == 0 {
            break;
        }
        requeued_rows += n;
    }
    let requeued = t.elapsed().as_secs_f64();
    println!("{entered:?}; re-queued {requeued_rows} chunks in {requeued:.1} s");
    let t = Instant::now();
    let (n, secs) = drain(db, zero, 2, 256).await?;
    let t_rebuild = Instant::now();
    let rebuilt = manage_hnsw(db).await?;
    let rebuild_secs = t_rebuild.elapsed().as_secs_f64();
    let total = t.elapsed().as_secs_f64();
    println!(
        "worker: {n} chunks in {secs:.2} s = {:.0} chunks/s (ivfflat maintained); {rebuilt:?} \
         in {rebuild_secs:.1} s; backlog to searchable-by-HNSW: {total:.1} s = {:.0} chunks/s",
        n as f64 / secs,
        n as f64 / total
    );
    Ok(())
}

/// Worker throughput with the zero-latency provider, then the rate-limited fake's capacity use.
async fn worker_benchmarks(
    db: &DatabaseConnection,
    zero: Arc<dyn EmbeddingProvider>,
    rate: f64,
) -> anyhow::Result<()> {
    println!("== embed worker, zero-latency provider (2 loops x 256 per batch) ==");
    let w = project(db, "worker").await?;
    pending_chunks(db, &w, 20_000).await?;
    let (n, secs) = drain(db, zero.clone(), 2, 256).await?;
    println!(
        "no vector index:            {n} chunks in {secs:.2} s = {:.0} chunks/s",
        n as f64 / secs
    );

    println!("== rate-limited provider: fake OpenAI at {rate:.0} inputs/s ==");
    let fake = testkit::fake_openai::FakeOpenAi::start(256).await;
    fake.rate_limit(rate);
    let limited: Arc<dyn EmbeddingProvider> = Arc::new(OpenAiProvider::new(OpenAiOptions {
        base_url: fake.base_url(),
        model: "fake-rate-limited".to_owned(),
        dimensions: Some(256),
        max_batch_inputs: 100,
        max_retries: 50,
        ..OpenAiOptions::default()
    })?);
    let r = project(db, "rate").await?;
    let rate_chunks = (rate * 15.0) as usize;
    pending_chunks(db, &r, rate_chunks).await?;
    let (n, secs) = drain(db, limited, 2, 200).await?;
    let capacity = rate * secs + rate; // the bucket starts full (one second of budget)
    println!(
        "{n} chunks in {secs:.2} s; capacity {capacity:.0} inputs; used {:.1} %; 429s: {}; \
         requests: {}",
        100.0 * fake.embedded_inputs() as f64 / capacity,
        fake.rate_limited(),
        fake.calls()
    );
    exec(db, "delete from rag_chunks", vec![]).await?;
    Ok(())
}
