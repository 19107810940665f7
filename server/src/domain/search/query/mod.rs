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
mod candidates;
mod sql;

use std::{collections::HashSet, fmt::Write as _, time::Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, Statement, TransactionTrait,
    Value as DbValue, prelude::PgVector,
};
use serde::Serialize;
use tokio::sync::OnceCell;
use uuid::Uuid;

pub use self::{candidates::*, sql::*};
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
