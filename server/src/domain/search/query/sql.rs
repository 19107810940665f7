//! The SQL behind search: the plan, filters, the fused single statement, the full-text query and snippets.
use super::*;

#[derive(Clone)]
pub(super) struct Plan {
    pub(super) scope: Scope,
    pub(super) model: String,
    pub(super) vector: Option<PgVector>,
    pub(super) text_query: String,
    pub(super) first: usize,
    pub(super) candidates: usize,
    pub(super) mode: SearchMode,
    pub(super) rrf_k: f64,
    pub(super) filter: SearchFilter,
}

/// The SQL conditions of `filter` on chunk alias `c`, numbering parameters from `next`.
pub(super) fn filter_sql(filter: &SearchFilter, next: usize) -> (String, Vec<DbValue>) {
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
pub(super) async fn supports_iterative_scan(txn: &DatabaseTransaction) -> bool {
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
pub(super) async fn prepare(
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
pub(super) fn snippet_parts(headline: &str) -> Vec<SnippetPart> {
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
