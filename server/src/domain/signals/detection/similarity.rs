//! The similarity detector: message chunks compared with the project's example phrases by vector.
use super::*;

pub(super) fn vector_literal(v: &[f32]) -> String {
    let mut out = String::with_capacity(v.len() * 10 + 2);
    out.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&x.to_string());
    }
    out.push(']');
    out
}

/// One candidate message for detection.
pub(super) struct Candidate {
    pub(super) id: String,
    pub(super) conversation: Option<String>,
    pub(super) contact: Option<String>,
    pub(super) account: Option<Uuid>,
    pub(super) content: String,
    pub(super) created_at: Option<DateTime<Utc>>,
}

pub(super) async fn load_candidates<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    message_ids: &[String],
) -> DomainResult<Vec<Candidate>> {
    // Per-id unique-index probes, like indexing: this runs beside bulk ingestion.
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select m.id, m.conversation_global_id, \
                    coalesce(m.contact_global_id, c.contact_global_id) as contact, \
                    m.content, m.created_at, l.account_id \
             from jsonb_array_elements_text($3::jsonb) as x(id) \
             cross join lateral ( \
               select * from cw_messages m1 \
               where m1.id = x.id and m1.project_id = $1 and m1.account_scope_id = $2 \
             ) m \
             left join cw_conversations c \
               on c.id = m.conversation_global_id and c.project_id = $1 \
             left join lateral ( \
               select l1.account_id from crm_account_contacts l1 \
               join crm_accounts a on a.id = l1.account_id and a.project_id = $1 \
               where l1.project_id = $1 and l1.link_status = 'confirmed' \
                 and l1.contact_global_id = coalesce(m.contact_global_id, c.contact_global_id) \
               limit 1 \
             ) l on true \
             where m.message_type = 'incoming' and not m.private \
               and coalesce(btrim(m.content), '') <> '' \
             order by m.id",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                DbValue::from(json!(message_ids)),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Candidate {
                id: row.try_get("", "id")?,
                conversation: row.try_get("", "conversation_global_id")?,
                contact: row.try_get("", "contact")?,
                account: row.try_get("", "account_id")?,
                content: row.try_get("", "content")?,
                created_at: row.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// Embeds the enabled phrases that have no vector of `provider`'s model (one provider call).
pub(super) async fn embed_phrases(
    db: &DatabaseConnection,
    scope: &Scope,
    provider: &dyn EmbeddingProvider,
) -> DomainResult<()> {
    let missing = scope
        .rows::<signal_example_phrases::Entity>()
        .filter(signal_example_phrases::Column::Enabled.eq(true))
        .filter(
            sea_orm::Condition::any()
                .add(signal_example_phrases::Column::EmbeddingModel.is_null())
                .add(signal_example_phrases::Column::EmbeddingModel.ne(provider.model_id())),
        )
        .all(db)
        .await?;
    for batch in missing.chunks(provider.max_batch_inputs().max(1)) {
        let texts: Vec<String> = batch.iter().map(|p| p.phrase.clone()).collect();
        let vectors = provider.embed(&texts).await.map_err(|e| {
            tracing::warn!(error = %e, "embedding signal example phrases failed");
            DomainError::Unavailable("the embedding provider could not embed the example phrases")
        })?;
        for (phrase, vector) in batch.iter().zip(vectors) {
            db.execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "update signal_example_phrases set embedding = $3::vector, embedding_model = $4 \
                 where id = $1 and project_id = $2",
                [
                    phrase.id.into(),
                    scope.project_id().into(),
                    vector_literal(&pad_to_column(vector)).into(),
                    provider.model_id().into(),
                ],
            ))
            .await?;
        }
    }
    Ok(())
}

/// Best phrase per (message, type) at or above the threshold, and messages still waiting.
pub(super) struct SimilarityHits {
    pub(super) hits: Vec<(String, SignalType, f64, Uuid, String)>,
    pub(super) waiting: Vec<String>,
}

pub(super) async fn similarity_hits<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    model_id: &str,
    message_ids: &[String],
    threshold: f64,
) -> DomainResult<SimilarityHits> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "select distinct on (ch.message_global_id, p.signal_type) \
                    ch.message_global_id, p.signal_type, ch.id as chunk_id, p.phrase, \
                    1 - (ch.embedding <=> p.embedding) as similarity \
             from rag_chunks ch \
             join signal_example_phrases p \
               on p.project_id = $1 and p.enabled and p.embedding_model = $3 \
             where ch.project_id = $1 and ch.account_scope_id = $2 \
               and ch.message_global_id = any(array(select jsonb_array_elements_text($4::jsonb))) \
               and ch.embedding_model = $3 and ch.embedding is not null \
               and 1 - (ch.embedding <=> p.embedding) >= $5 \
             order by ch.message_global_id, p.signal_type, similarity desc, ch.id",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                model_id.into(),
                DbValue::from(json!(message_ids)),
                threshold.into(),
            ],
        ))
        .await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let message: String = row.try_get("", "message_global_id")?;
        let t: String = row.try_get("", "signal_type")?;
        let Some(signal_type) = parse_type(&t) else {
            continue;
        };
        hits.push((
            message,
            signal_type,
            row.try_get::<f64>("", "similarity")?,
            row.try_get::<Uuid>("", "chunk_id")?,
            row.try_get::<String>("", "phrase")?,
        ));
    }
    let waiting_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "select distinct ch.message_global_id from rag_chunks ch \
             where ch.project_id = $1 and ch.account_scope_id = $2 \
               and ch.message_global_id = any(array(select jsonb_array_elements_text($4::jsonb))) \
               and (ch.embedding is null or ch.embedding_model is distinct from $3) \
               and ch.embedding_status in ('pending', 'processing')",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                model_id.into(),
                DbValue::from(json!(message_ids)),
            ],
        ))
        .await?;
    let waiting = waiting_rows
        .iter()
        .map(|r| r.try_get::<String>("", "message_global_id"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SimilarityHits { hits, waiting })
}
