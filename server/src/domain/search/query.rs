//! Hybrid search over a project's chunks: pgvector nearest neighbours fused with Postgres
//! full text by reciprocal rank fusion (`score = sum 1 / (60 + rank)`). The two rankings run
//! concurrently on two pooled connections (latency = the slower side, not the sum; each side
//! re-checks the scope), are fused in Rust, and the winners are hydrated (text, message,
//! contact, highlighted snippet) by a third query, again filtered by the scope.
//!
//! # Tenant filters and recall
//! `rag_chunks` holds every tenant in one table and its HNSW/ivfflat indexes are global, so a
//! plain `where project_id = $1 order by embedding <=> $q limit k` walks the index for the
//! global nearest neighbours and filters afterwards: a small tenant in a big table gets fewer
//! than k rows (or none). Two paths avoid it, chosen per query by a bounded count of the
//! tenant's current-model vectors that match the filter (`limit exact_max_rows + 1`, an
//! index-only scan of `rag_chunks_project_id_embedding_model_idx`, well under a millisecond):
//! - **exact** (count <= `exact_max_rows`, default 2,000): distances to every one of the
//!   tenant's vectors, no index; exact results, a few milliseconds at the bound;
//! - **index** (more rows): the HNSW index (ivfflat if HNSW is absent) with pgvector 0.8's
//!   iterative scan (`hnsw.iterative_scan = relaxed_order`, set per transaction), which keeps
//!   walking the graph until k rows pass the filter; results are re-sorted by distance. If it
//!   still comes back short (a mid-size tenant in a huge table can exhaust
//!   `hnsw.max_scan_tuples`), the exact path answers instead, so results are never short.
//!
//! `ivfflat.probes` is set to sqrt(lists) (10 for the migration's 100 lists): the recall
//! ivfflat needs, and it makes the planner prefer HNSW when both indexes exist (with the
//! default of 1 probe, ivfflat's cost estimate wins and recall collapses).
//!
//! # Models
//! The query is embedded with the configured provider and compared only with vectors of the
//! same model. While a model switch re-embeds in the background, a chunk keeps its old vector
//! until its new one is written, and [`search_across_models`] embeds the query with the old
//! model too (when this process can still run it) and fuses both models' rankings, so search
//! keeps answering from the old vectors until the new ones are ready. If the provider fails,
//! search answers from full text (and says so in `SearchOutcome::vector_error`).
//!
//! # Full text
//! `rag_chunks.search_tsv` is `to_tsvector('simple', text)` (no stemming, no stop words). A
//! query written with web-search syntax (quotes, `or`, `-word`) goes to
//! `websearch_to_tsquery` as typed; a plain query becomes its non-stop-words joined by `or`,
//! ranked by `ts_rank`, so a chunk needs one shared word to be a candidate and more shared
//! words rank higher. (`ts_rank_cd`, cover density, costs ~2 us more per matching row, which
//! doubled the full-text side for common words at 100k chunks, for no gain on OR queries.)
use std::{collections::HashSet, fmt::Write as _, time::Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, Statement, TransactionTrait,
    Value as DbValue, prelude::PgVector,
};
use serde::Serialize;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::{
    integrations::embeddings::{EmbeddingProvider, hashing::is_stop_word, pad_to_column},
    kernel::{
        DomainError, Scope,
        error::{DomainResult, FieldError},
    },
};

/// Highlight delimiters handed to `ts_headline` (Unicode private-use characters: they do not
/// occur in chat text, and the snippet is returned as segments, never as markup).
const HL_START: char = '\u{E000}';
const HL_STOP: char = '\u{E001}';

/// Which chunks to search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Only this conversation (`cw:` id).
    pub conversation: Option<String>,
    /// Only messages of this contact's conversations (`cwc:` id).
    pub contact: Option<String>,
    /// Only conversations of this Chatwoot inbox.
    pub inbox: Option<i64>,
    /// Messages created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Messages created before.
    pub to: Option<DateTime<Utc>>,
}

/// Which rankings to fuse (hybrid in the product; the others for evaluation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum SearchMode {
    /// Vector + full text, fused by RRF.
    #[default]
    Hybrid,
    /// Vector ranking only.
    VectorOnly,
    /// Full-text ranking only.
    TextOnly,
}

/// How the vector side was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VectorPath {
    /// Distances to all of the tenant's (filtered) vectors.
    Exact,
    /// The approximate index with iterative scans.
    Index,
    /// The index came back short; the exact path answered.
    IndexThenExact,
    /// No vector side (text-only mode, or the query could not be embedded).
    None,
}

/// Tuning of a search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Rankings to fuse.
    pub mode: SearchMode,
    /// Tenants (after filters) with at most this many vectors take the exact path.
    pub exact_max_rows: i64,
    /// Candidates taken from each side before fusion (at least `first`).
    pub candidates: usize,
    /// `hnsw.ef_search` (at least `candidates`).
    pub ef_search: usize,
    /// `ivfflat.probes`.
    pub ivfflat_probes: usize,
    /// RRF constant.
    pub rrf_k: f64,
    /// Force a path (tests and benchmarks); `None` decides by the count.
    pub force_path: Option<VectorPath>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            mode: SearchMode::Hybrid,
            exact_max_rows: 2_000,
            candidates: 40,
            ef_search: 100,
            ivfflat_probes: 10,
            rrf_k: 60.0,
            force_path: None,
        }
    }
}

/// A piece of a snippet: matched words are `highlight`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnippetPart {
    /// Plain text (not markup: escape it when rendering).
    pub text: String,
    /// A query word matched here.
    pub highlight: bool,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// Chunk id (cite it as evidence with source kind `chunk`).
    pub chunk_id: Uuid,
    /// Position of the chunk in its message.
    pub chunk_index: Option<i32>,
    /// The chunk's text.
    pub text: String,
    /// The best passage with the query's words highlighted.
    pub snippet: Vec<SnippetPart>,
    /// Fused score (higher is better).
    pub score: f64,
    /// Rank on the vector side (1 = nearest), if a candidate there.
    pub vector_rank: Option<i64>,
    /// Rank on the full-text side, if a candidate there.
    pub text_rank: Option<i64>,
    /// Cosine distance to the query (0 = same direction), if a vector candidate.
    pub distance: Option<f64>,
    /// `cwmsg:` id of the message.
    pub message_global_id: Option<String>,
    /// `cw:` id of the conversation.
    pub conversation_global_id: Option<String>,
    /// `cwc:` id of the contact.
    pub contact_global_id: Option<String>,
    /// When the message was written.
    pub message_created_at: Option<DateTime<Utc>>,
}

/// Results with how they were found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchOutcome {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// How the vector side was answered.
    pub path: VectorPath,
    /// Vector candidates found (before fusion).
    pub vector_candidates: i64,
    /// Why there is no vector side, when the provider failed.
    pub vector_error: Option<String>,
    /// Time spent in the database, microseconds.
    pub db_micros: u128,
}

/// Hybrid search in the caller's project: at most `first` (1..=100) hits, best first.
pub async fn search(
    db: &DatabaseConnection,
    scope: &Scope,
    provider: &dyn EmbeddingProvider,
    query: &str,
    first: usize,
    filter: &SearchFilter,
) -> DomainResult<Vec<SearchHit>> {
    Ok(search_with(
        db,
        scope,
        provider,
        query,
        first,
        filter,
        &SearchOptions::default(),
    )
    .await?
    .hits)
}

/// [`search`] with explicit options, reporting the path taken.
pub async fn search_with(
    db: &DatabaseConnection,
    scope: &Scope,
    provider: &dyn EmbeddingProvider,
    query: &str,
    first: usize,
    filter: &SearchFilter,
    options: &SearchOptions,
) -> DomainResult<SearchOutcome> {
    search_across_models(db, scope, provider, &[], query, first, filter, options).await
}

/// [`search_with`] that also answers from the vectors of `previous` providers' models while
/// the tenant still has some: after a model switch the worker re-embeds in the background,
/// and each chunk holds either its old vector or its new one, so the query is embedded with
/// both models and each model's ranking joins the fusion (RRF fuses ranks, so rankings from
/// different vector spaces combine soundly). Once no old vector is left, this is
/// [`search_with`] plus one index probe.
#[allow(clippy::too_many_arguments)]
pub async fn search_across_models(
    db: &DatabaseConnection,
    scope: &Scope,
    provider: &dyn EmbeddingProvider,
    previous: &[std::sync::Arc<dyn EmbeddingProvider>],
    query: &str,
    first: usize,
    filter: &SearchFilter,
    options: &SearchOptions,
) -> DomainResult<SearchOutcome> {
    let query = query.trim();
    if query.is_empty() {
        return Err(DomainError::Validation(vec![FieldError::new(
            "query",
            "enter words to search for",
        )]));
    }
    if query.chars().count() > 2_000 {
        return Err(DomainError::Validation(vec![FieldError::new(
            "query",
            "at most 2000 characters",
        )]));
    }
    let first = first.clamp(1, 100);
    let mut vector_error = None;
    let vector = if options.mode == SearchMode::TextOnly {
        None
    } else {
        match provider.embed(&[query.to_owned()]).await {
            Ok(mut v) if v.len() == 1 => Some(PgVector::from(pad_to_column(v.remove(0)))),
            Ok(_) => {
                vector_error = Some("the provider returned no vector".to_owned());
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "search: query not embedded; full text only");
                vector_error = Some(e.to_string());
                None
            }
        }
    };
    let plan = Plan {
        scope: *scope,
        model: provider.model_id().to_owned(),
        vector,
        text_query: fts_query(query),
        first,
        candidates: options.candidates.max(first),
        mode: options.mode,
        rrf_k: options.rrf_k,
        filter: filter.clone(),
    };
    let started = Instant::now();
    let older = if previous.is_empty() || options.mode == SearchMode::TextOnly {
        Vec::new()
    } else {
        older_plans(db, &plan, previous, query).await?
    };
    // The rankings are independent: run them at once on pooled connections, so the latency
    // is the slowest side, not the sum.
    let older_side = async {
        let mut ranked = Vec::with_capacity(older.len());
        for p in &older {
            ranked.push(vector_candidates(db, p, options).await?.0);
        }
        DomainResult::Ok(ranked)
    };
    let (vector_side, older_side, text_side) = tokio::join!(
        vector_candidates(db, &plan, options),
        older_side,
        text_candidates(db, &plan)
    );
    let (vector_ranked, path) = vector_side?;
    let mut vector_rankings = vec![vector_ranked];
    vector_rankings.extend(older_side?);
    let text_ranked = text_side?;
    let fused = fuse(&vector_rankings, &text_ranked, plan.rrf_k, plan.first);
    let hits = hydrate(db, &plan, &fused).await?;
    Ok(SearchOutcome {
        hits,
        path,
        vector_candidates: vector_rankings.iter().map(|r| r.len() as i64).sum(),
        vector_error,
        db_micros: started.elapsed().as_micros(),
    })
}

/// Plans for the vector sides of other models the tenant still has vectors of, for each that
/// one of `previous` serves (a model nobody serves any more is left to full text).
async fn older_plans(
    db: &DatabaseConnection,
    plan: &Plan,
    previous: &[std::sync::Arc<dyn EmbeddingProvider>],
    query: &str,
) -> DomainResult<Vec<Plan>> {
    // Two range probes of the partial (project_id, embedding_model) index: any model sorting
    // before the current one, any after. Index-only, so cheap when there is none.
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select \
               (select embedding_model from rag_chunks where project_id = $1 \
                  and embedding is not null and embedding_model < $2 \
                order by embedding_model desc limit 1) as lower, \
               (select embedding_model from rag_chunks where project_id = $1 \
                  and embedding is not null and embedding_model > $2 \
                order by embedding_model limit 1) as higher",
            [plan.scope.project_id().into(), plan.model.clone().into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let mut plans = Vec::new();
    for column in ["lower", "higher"] {
        let Some(model) = row.try_get::<Option<String>>("", column)? else {
            continue;
        };
        let Some(provider) = previous.iter().find(|p| p.model_id() == model) else {
            continue;
        };
        match provider.embed(&[query.to_owned()]).await {
            Ok(mut v) if v.len() == 1 => plans.push(Plan {
                model,
                vector: Some(PgVector::from(pad_to_column(v.remove(0)))),
                ..plan.clone()
            }),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, model, "search: query not embedded for an older model")
            }
        }
    }
    Ok(plans)
}

/// The vector side: (chunk, distance) nearest first, and how it was answered.
async fn vector_candidates(
    db: &DatabaseConnection,
    plan: &Plan,
    options: &SearchOptions,
) -> DomainResult<(Vec<(Uuid, f64)>, VectorPath)> {
    if plan.vector.is_none() || plan.mode == SearchMode::TextOnly {
        return Ok((Vec::new(), VectorPath::None));
    }
    let txn = db.begin().await?;
    let iterative = supports_iterative_scan(&txn).await;
    let tenant_rows = prepare(&txn, plan, options, iterative).await?;
    let mut path = match options.force_path {
        Some(p) => p,
        None if tenant_rows <= options.exact_max_rows => VectorPath::Exact,
        None => VectorPath::Index,
    };
    let mut ranked = knn(&txn, plan, path).await?;
    let wanted = (plan.candidates as i64).min(tenant_rows);
    if path == VectorPath::Index && (ranked.len() as i64) < wanted {
        path = VectorPath::IndexThenExact;
        ranked = knn(&txn, plan, VectorPath::Exact).await?;
    }
    txn.commit().await?;
    Ok((ranked, path))
}

/// The nearest `candidates` vectors by `path`.
async fn knn(
    txn: &DatabaseTransaction,
    plan: &Plan,
    path: VectorPath,
) -> DomainResult<Vec<(Uuid, f64)>> {
    let (filter, mut filter_values) = filter_sql(&plan.filter, 5);
    let sql = knn_sql(path, &filter, plan.candidates);
    let mut values: Vec<DbValue> = vec![
        plan.scope.project_id().into(),
        plan.scope.account_scope_id().into(),
        plan.model.clone().into(),
        DbValue::Vector(plan.vector.clone()),
    ];
    values.append(&mut filter_values);
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    rows.into_iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "distance")?)))
        .collect()
}

/// The kNN statement of `path` ($1 project, $2 scope, $3 model, $4 vector, then filters). `k`
/// is written into the SQL: a `limit $n` lets a generic plan (prepared statements are cached
/// per connection) assume a tenth of the table and pick a full scan over the index.
pub fn knn_sql(path: VectorPath, filter: &str, k: usize) -> String {
    let scoped = "c.project_id = $1 and c.account_scope_id = $2 and c.embedding_model = $3 \
                  and c.embedding is not null";
    match path {
        // `offset 0` keeps the subquery from being flattened, so no index (nor an incremental
        // sort over one) can stand in for the full scan.
        VectorPath::Exact | VectorPath::None => format!(
            "select id, distance from (select c.id, (c.embedding <=> $4)::float8 as distance \
               from rag_chunks c where {scoped} {filter} offset 0) e \
             order by distance, id limit {k}"
        ),
        // Iterative scans return rows in roughly ascending distance: re-sort them.
        VectorPath::Index | VectorPath::IndexThenExact => format!(
            "select id, distance from (select c.id, (c.embedding <=> $4)::float8 as distance \
               from rag_chunks c where {scoped} {filter} \
               order by c.embedding <=> $4 limit {k}) k \
             order by distance, id"
        ),
    }
}

/// The full-text side: (chunk, rank) best first.
async fn text_candidates(db: &DatabaseConnection, plan: &Plan) -> DomainResult<Vec<(Uuid, f32)>> {
    if plan.mode == SearchMode::VectorOnly {
        return Ok(Vec::new());
    }
    let (filter, mut filter_values) = filter_sql(&plan.filter, 4);
    let sql = format!(
        "select c.id, ts_rank(c.search_tsv, q) as rank \
         from rag_chunks c, websearch_to_tsquery('simple', $3) q \
         where c.project_id = $1 and c.account_scope_id = $2 and c.search_tsv @@ q {filter} \
         order by rank desc, c.id limit {}",
        plan.candidates
    );
    let mut values: Vec<DbValue> = vec![
        plan.scope.project_id().into(),
        plan.scope.account_scope_id().into(),
        plan.text_query.clone().into(),
    ];
    values.append(&mut filter_values);
    // Planned for this query's words, not as a cached generic plan (see `prepare`).
    let txn = db.begin().await?;
    txn.execute_unprepared("set local plan_cache_mode = force_custom_plan")
        .await?;
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    txn.commit().await?;
    rows.into_iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "rank")?)))
        .collect()
}

/// A fused candidate: id, vector rank, text rank, distance, score.
type Fused = (Uuid, Option<i64>, Option<i64>, Option<f64>, f64);

/// Reciprocal rank fusion: `sum 1 / (k + rank)` over the rankings a chunk appears in (one
/// vector ranking per model, then full text); ties go to the better vector rank, then text
/// rank, then id (deterministic).
fn fuse(
    vector_rankings: &[Vec<(Uuid, f64)>],
    text: &[(Uuid, f32)],
    k: f64,
    first: usize,
) -> Vec<Fused> {
    let mut by_id: std::collections::HashMap<Uuid, Fused> = Default::default();
    for vector in vector_rankings {
        for (i, (id, distance)) in vector.iter().enumerate() {
            let rank = i as i64 + 1;
            let e = by_id.entry(*id).or_insert((*id, None, None, None, 0.0));
            if e.1.is_none_or(|r| rank < r) {
                e.1 = Some(rank);
                e.3 = Some(*distance);
            }
            e.4 += 1.0 / (k + rank as f64);
        }
    }
    for (i, (id, _)) in text.iter().enumerate() {
        let rank = i as i64 + 1;
        let e = by_id.entry(*id).or_insert((*id, None, None, None, 0.0));
        e.2 = Some(rank);
        e.4 += 1.0 / (k + rank as f64);
    }
    let mut fused: Vec<Fused> = by_id.into_values().collect();
    fused.sort_by(|a, b| {
        b.4.total_cmp(&a.4)
            .then(a.1.unwrap_or(i64::MAX).cmp(&b.1.unwrap_or(i64::MAX)))
            .then(a.2.unwrap_or(i64::MAX).cmp(&b.2.unwrap_or(i64::MAX)))
            .then(a.0.cmp(&b.0))
    });
    fused.truncate(first);
    fused
}

/// The winners' text, message, contact and highlighted snippet (scope checked again).
async fn hydrate(
    db: &DatabaseConnection,
    plan: &Plan,
    fused: &[Fused],
) -> DomainResult<Vec<SearchHit>> {
    if fused.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = fused.iter().map(|f| f.0.to_string()).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select c.id, c.chunk_index, c.text, c.message_global_id, \
                        c.conversation_global_id, m.contact_global_id, \
                        m.created_at as message_created_at, \
                        ts_headline('simple', c.text, websearch_to_tsquery('simple', $3), \
                          'StartSel={HL_START}, StopSel={HL_STOP}, MaxWords=40, MinWords=12, \
                           MaxFragments=2, FragmentDelimiter=\" … \"') as snippet \
                 from rag_chunks c \
                 left join cw_messages m on m.id = c.message_global_id and m.project_id = $1 \
                 where c.project_id = $1 and c.account_scope_id = $2 \
                   and c.id = any(array(select (jsonb_array_elements_text($4::jsonb))::uuid))"
            ),
            [
                plan.scope.project_id().into(),
                plan.scope.account_scope_id().into(),
                plan.text_query.clone().into(),
                DbValue::Json(Some(Box::new(serde_json::json!(ids)))),
            ],
        ))
        .await?;
    let mut by_id = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        by_id.insert(id, row);
    }
    let mut hits = Vec::with_capacity(fused.len());
    for (id, vector_rank, text_rank, distance, score) in fused {
        // A chunk deleted between the rankings and now is simply left out.
        let Some(row) = by_id.get(id) else { continue };
        let snippet: Option<String> = row.try_get("", "snippet")?;
        hits.push(SearchHit {
            chunk_id: *id,
            chunk_index: row.try_get("", "chunk_index")?,
            text: row.try_get("", "text")?,
            snippet: snippet_parts(snippet.as_deref().unwrap_or("")),
            score: *score,
            vector_rank: *vector_rank,
            text_rank: *text_rank,
            distance: *distance,
            message_global_id: row.try_get("", "message_global_id")?,
            conversation_global_id: row.try_get("", "conversation_global_id")?,
            contact_global_id: row.try_get("", "contact_global_id")?,
            message_created_at: row.try_get("", "message_created_at")?,
        });
    }
    Ok(hits)
}

#[derive(Clone)]
struct Plan {
    scope: Scope,
    model: String,
    vector: Option<PgVector>,
    text_query: String,
    first: usize,
    candidates: usize,
    mode: SearchMode,
    rrf_k: f64,
    filter: SearchFilter,
}

/// The SQL conditions of `filter` on chunk alias `c`, numbering parameters from `next`.
fn filter_sql(filter: &SearchFilter, next: usize) -> (String, Vec<DbValue>) {
    let mut sql = String::new();
    let mut values: Vec<DbValue> = Vec::new();
    let mut n = next;
    if let Some(conversation) = &filter.conversation {
        let _ = write!(sql, " and c.conversation_global_id = ${n}");
        values.push(conversation.clone().into());
        n += 1;
    }
    let mut message_conds = Vec::new();
    if let Some(contact) = &filter.contact {
        message_conds.push(format!("m.contact_global_id = ${n}"));
        values.push(contact.clone().into());
        n += 1;
    }
    if let Some(from) = filter.from {
        message_conds.push(format!("m.created_at >= ${n}"));
        values.push(from.into());
        n += 1;
    }
    if let Some(to) = filter.to {
        message_conds.push(format!("m.created_at < ${n}"));
        values.push(to.into());
        n += 1;
    }
    if !message_conds.is_empty() {
        let _ = write!(
            sql,
            " and exists (select 1 from cw_messages m where m.id = c.message_global_id \
               and m.project_id = $1 and {})",
            message_conds.join(" and ")
        );
    }
    if let Some(inbox) = filter.inbox {
        let _ = write!(
            sql,
            " and exists (select 1 from cw_conversations v where v.id = c.conversation_global_id \
               and v.project_id = $1 and v.inbox_id = ${n})"
        );
        values.push(inbox.into());
    }
    (sql, values)
}

/// Whether the server's pgvector has iterative index scans (0.8+), checked once.
async fn supports_iterative_scan(txn: &DatabaseTransaction) -> bool {
    static SUPPORTED: OnceCell<bool> = OnceCell::const_new();
    *SUPPORTED
        .get_or_init(|| async {
            let version: Option<String> = match txn
                .query_one_raw(Statement::from_string(
                    txn.get_database_backend(),
                    "select extversion from pg_extension where extname = 'vector'",
                ))
                .await
            {
                Ok(Some(row)) => row.try_get_by_index(0).ok(),
                _ => None,
            };
            version.is_some_and(|v| {
                let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
                let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
                (major, minor) >= (0, 8)
            })
        })
        .await
}

/// Sets the index scan settings for this transaction and counts the tenant's candidate
/// vectors up to `exact_max_rows + 1` (one round trip). Statements are planned per execution
/// (`plan_cache_mode = force_custom_plan`): sqlx caches prepared statements per connection,
/// and after five runs PostgreSQL may switch to a generic plan that cannot see the vector or
/// the tenant, and scans the table instead of the index.
async fn prepare(
    txn: &DatabaseTransaction,
    plan: &Plan,
    options: &SearchOptions,
    iterative: bool,
) -> DomainResult<i64> {
    let (filter, mut filter_values) = filter_sql(&plan.filter, 6);
    let iterative_sql = if iterative {
        "set_config('hnsw.iterative_scan', 'relaxed_order', true), \
         set_config('ivfflat.iterative_scan', 'relaxed_order', true),"
    } else {
        ""
    };
    let sql = format!(
        "select set_config('hnsw.ef_search', $4, true), \
                set_config('ivfflat.probes', $5, true), \
                set_config('plan_cache_mode', 'force_custom_plan', true), {iterative_sql} \
                (select count(*) from (select 1 from rag_chunks c \
                   where c.project_id = $1 and c.embedding_model = $2 \
                     and c.embedding is not null {filter} limit $3) t) as n"
    );
    let mut values: Vec<DbValue> = vec![
        plan.scope.project_id().into(),
        plan.model.clone().into(),
        (options.exact_max_rows + 1).into(),
        options.ef_search.max(plan.candidates).to_string().into(),
        options.ivfflat_probes.max(1).to_string().into(),
    ];
    values.append(&mut filter_values);
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    })
}

/// The whole search as one SQL statement (both rankings, fusion, hydration): what a direct SQL
/// implementation would run. The service runs the sides concurrently instead; the benchmark
/// uses this as its raw-SQL baseline.
pub fn fused_sql(
    path: VectorPath,
    mode: SearchMode,
    filter: &str,
    rrf_k: f64,
    candidates: usize,
    first: usize,
) -> String {
    let scoped = "c.project_id = $1 and c.account_scope_id = $2";
    let knn = match (path, mode) {
        (VectorPath::None, _) | (_, SearchMode::TextOnly) => {
            "select null::uuid as id, ($4::vector <=> $4::vector) as distance where false"
                .to_owned()
        }
        // `offset 0` keeps the subquery from being flattened, so no index (nor an incremental
        // sort over one) can stand in for the full scan.
        (VectorPath::Exact, _) => format!(
            "select id, distance from (select c.id, c.embedding <=> $4 as distance \
               from rag_chunks c \
               where {scoped} and c.embedding_model = $3 and c.embedding is not null {filter} \
               offset 0) e \
             order by distance, id limit {candidates}"
        ),
        (VectorPath::Index | VectorPath::IndexThenExact, _) => format!(
            "select c.id, c.embedding <=> $4 as distance from rag_chunks c \
             where {scoped} and c.embedding_model = $3 and c.embedding is not null {filter} \
             order by c.embedding <=> $4 limit {candidates}"
        ),
    };
    let fts = if mode == SearchMode::VectorOnly {
        "select null::uuid as id, null::real as rank where false".to_owned()
    } else {
        format!(
            "select c.id, ts_rank(c.search_tsv, q.q) as rank from rag_chunks c, q \
             where {scoped} and c.search_tsv @@ q.q {filter} \
             order by rank desc, c.id limit {candidates}"
        )
    };
    format!(
        "with q as (select websearch_to_tsquery('simple', $5) as q), \
         knn as materialized ({knn}), \
         vec as (select id, distance, row_number() over (order by distance, id) as r from knn), \
         fts as materialized ({fts}), \
         txt as (select id, rank, row_number() over (order by rank desc, id) as r from fts), \
         fused as ( \
           select coalesce(vec.id, txt.id) as id, vec.r as vector_rank, txt.r as text_rank, \
                  vec.distance, \
                  (coalesce(1.0 / ({rrf_k} + vec.r), 0) + coalesce(1.0 / ({rrf_k} + txt.r), 0))::float8 \
                    as score \
           from vec full outer join txt on vec.id = txt.id \
           order by score desc, vector_rank nulls last, text_rank nulls last, id \
           limit {first}) \
         select f.id, f.vector_rank, f.text_rank, f.distance::float8 as distance, f.score, \
                c.chunk_index, c.text, c.message_global_id, c.conversation_global_id, \
                m.contact_global_id, m.created_at as message_created_at, \
                ts_headline('simple', c.text, q.q, \
                  'StartSel={HL_START}, StopSel={HL_STOP}, MaxWords=40, MinWords=12, \
                   MaxFragments=2, FragmentDelimiter=\" … \"') as snippet, \
                (select count(*) from knn) as vector_candidates \
         from fused f \
         join rag_chunks c on c.id = f.id \
         left join cw_messages m on m.id = c.message_global_id and m.project_id = $1 \
         cross join q \
         order by f.score desc, f.vector_rank nulls last, f.text_rank nulls last, f.id"
    )
}

/// The full-text query: web-search syntax as typed, otherwise the words joined by `or`.
pub fn fts_query(query: &str) -> String {
    let lower = query.to_lowercase();
    let has_syntax = query.contains('"')
        || lower
            .split_whitespace()
            .any(|w| w == "or" || w.starts_with('-'));
    if has_syntax {
        return query.to_owned();
    }
    let words: Vec<String> = crate::integrations::embeddings::hashing::words(query);
    let mut seen = HashSet::new();
    let content: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !is_stop_word(w))
        .filter(|w| seen.insert(*w))
        .collect();
    if content.is_empty() {
        words.join(" or ")
    } else {
        content.join(" or ")
    }
}

/// `ts_headline` output -> plain and highlighted parts.
fn snippet_parts(headline: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut highlight = false;
    for ch in headline.chars() {
        if ch == HL_START || ch == HL_STOP {
            if !current.is_empty() {
                parts.push(SnippetPart {
                    text: std::mem::take(&mut current),
                    highlight,
                });
            }
            highlight = ch == HL_START;
        } else {
            current.push(ch);
        }
    }
    if !current.is_empty() {
        parts.push(SnippetPart {
            text: current,
            highlight,
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_queries_become_or_queries_without_stop_words() {
        assert_eq!(
            fts_query("Refund for the broken blender"),
            "refund or broken or blender"
        );
        assert_eq!(
            fts_query("\"broken blender\" -toaster"),
            "\"broken blender\" -toaster"
        );
        assert_eq!(fts_query("the"), "the");
    }

    #[test]
    fn snippets_split_into_highlighted_parts() {
        let s = format!("my {HL_START}blender{HL_STOP} broke");
        assert_eq!(
            snippet_parts(&s),
            vec![
                SnippetPart {
                    text: "my ".into(),
                    highlight: false
                },
                SnippetPart {
                    text: "blender".into(),
                    highlight: true
                },
                SnippetPart {
                    text: " broke".into(),
                    highlight: false
                },
            ]
        );
    }

    #[test]
    fn filters_number_their_parameters() {
        let (sql, values) = filter_sql(
            &SearchFilter {
                conversation: Some("cw:x".into()),
                inbox: Some(3),
                ..SearchFilter::default()
            },
            8,
        );
        assert!(sql.contains("$8") && sql.contains("$9"), "{sql}");
        assert_eq!(values.len(), 2);
    }
}
