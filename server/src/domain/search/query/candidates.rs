//! The two rankings search fuses: vector neighbours (per model and index path) and full-text matches, and their fusion.
use super::*;

/// Plans for the vector sides of other models the tenant still has vectors of, for each that
/// one of `previous` serves (a model nobody serves any more is left to full text).
pub(super) async fn older_plans(
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
pub(super) async fn vector_candidates(
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
pub(super) async fn knn(
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
pub(super) async fn text_candidates(
    db: &DatabaseConnection,
    plan: &Plan,
) -> DomainResult<Vec<(Uuid, f32)>> {
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
pub(super) type Fused = (Uuid, Option<i64>, Option<i64>, Option<f64>, f64);

/// Reciprocal rank fusion: `sum 1 / (k + rank)` over the rankings a chunk appears in (one
/// vector ranking per model, then full text); ties go to the better vector rank, then text
/// rank, then id (deterministic).
pub(super) fn fuse(
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
