//! Running detection over messages: findings become signals (one per type and message), re-checks while vectors are missing, back-fill.
use super::*;

/// What the detectors found for one (message, type).
#[derive(Default)]
pub(super) struct Finding {
    pub(super) rules: Vec<RuleHit>,
    pub(super) similarity: Option<(f64, Uuid, String)>,
}

impl Finding {
    pub(super) fn detector(&self) -> &'static str {
        match (self.rules.is_empty(), self.similarity.is_some()) {
            (false, true) => "hybrid",
            (true, true) => "similarity",
            _ => "rules",
        }
    }

    pub(super) fn confidence(&self) -> f64 {
        let rules = self
            .rules
            .iter()
            .map(|h| h.confidence)
            .fold(0.0_f64, f64::max);
        let similarity = self.similarity.as_ref().map_or(0.0, |s| s.0);
        let best = rules.max(similarity);
        let value = if !self.rules.is_empty() && self.similarity.is_some() {
            (best + 0.1).min(0.99)
        } else {
            best
        };
        (value.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
    }
}

pub(super) fn summary_of(text: &str) -> String {
    let trimmed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() <= 200 {
        trimmed
    } else {
        let mut s: String = trimmed.chars().take(199).collect();
        s.push('…');
        s
    }
}

/// Detects signals in `message_ids` of the scope's project (other ids are skipped) with
/// `provider`'s vectors, and upserts them. Idempotent.
pub async fn detect(
    db: &DatabaseConnection,
    scope: &Scope,
    provider: &dyn EmbeddingProvider,
    message_ids: &[String],
    options: &DetectOptions,
) -> DomainResult<DetectReport> {
    let mut report = DetectReport::default();
    if message_ids.is_empty() {
        return Ok(report);
    }
    if message_ids.len() > MAX_DETECT_MESSAGES {
        return Err(DomainError::Validation(vec![FieldError::new(
            "messageIds",
            format!("detect at most {MAX_DETECT_MESSAGES} messages at once"),
        )]));
    }
    let candidates = load_candidates(db, scope, message_ids).await?;
    report.messages_scanned = candidates.len() as u64;
    if candidates.is_empty() {
        return Ok(report);
    }
    seed_default_phrases(db, scope).await?;
    embed_phrases(db, scope, provider).await?;
    let ids: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
    let similarity = similarity_hits(
        db,
        scope,
        provider.model_id(),
        &ids,
        options.similarity_threshold,
    )
    .await?;
    report.waiting_for_vectors = similarity.waiting;

    let mut findings: BTreeMap<(String, &'static str), Finding> = BTreeMap::new();
    for c in &candidates {
        for hit in rule_hits(&c.content) {
            findings
                .entry((c.id.clone(), type_str(hit.signal_type)))
                .or_default()
                .rules
                .push(hit);
        }
    }
    for (message, signal_type, score, chunk, phrase) in similarity.hits {
        findings
            .entry((message, type_str(signal_type)))
            .or_default()
            .similarity = Some((score, chunk, phrase));
    }
    if findings.is_empty() {
        return Ok(report);
    }
    let by_id: BTreeMap<&str, &Candidate> = candidates.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut rows = Vec::with_capacity(findings.len());
    for ((message, signal_type), finding) in &findings {
        let Some(c) = by_id.get(message.as_str()) else {
            continue;
        };
        let mut evidence = vec![json!({ "kind": "message", "id": message })];
        if let Some((_, chunk, _)) = &finding.similarity {
            evidence.push(json!({ "kind": "chunk", "id": chunk }));
        }
        let mut meta = json!({});
        if !finding.rules.is_empty() {
            meta["rules"] = json!(
                finding
                    .rules
                    .iter()
                    .map(|h| json!({ "rule": h.rule, "matched": h.matched }))
                    .collect::<Vec<_>>()
            );
        }
        if let Some((score, chunk, phrase)) = &finding.similarity {
            meta["similarity"] = json!({
                "phrase": phrase,
                "score": (score * 1000.0).round() / 1000.0,
                "chunk": chunk,
                "model": provider.model_id(),
            });
        }
        rows.push(json!({
            "signal_type": signal_type,
            "confidence": finding.confidence(),
            "detector": finding.detector(),
            "account_id": c.account,
            "contact": c.contact,
            "conversation": c.conversation,
            "message": message,
            "summary": summary_of(&c.content),
            "evidence": evidence,
            "meta": meta,
            "occurred_at": c.created_at.unwrap_or_else(Utc::now),
            "dedupe_key": format!("{signal_type}:{message}"),
        }));
    }
    let txn = db.begin().await?;
    // Merge, never downgrade: a detector that agreed once stays in `detector`, evidence and
    // rule hits accumulate, confidence keeps its maximum, and triage (status) is untouched.
    let written = txn
        .query_all_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "insert into signals as s (project_id, account_scope_id, signal_type, confidence, \
               account_id, contact_global_id, conversation_global_id, message_global_id, summary, \
               evidence_refs, detector, detector_version, dedupe_key, occurred_at, meta) \
             select $1, $2, r.signal_type, r.confidence, r.account_id, r.contact, r.conversation, \
                    r.message, r.summary, r.evidence, r.detector, $4, r.dedupe_key, \
                    r.occurred_at, r.meta \
             from jsonb_to_recordset($3::jsonb) as r(signal_type text, confidence float8, \
               account_id uuid, contact text, conversation text, message text, summary text, \
               evidence jsonb, detector text, dedupe_key text, occurred_at timestamptz, meta jsonb) \
             on conflict (project_id, dedupe_key) do update set \
               confidence = greatest(s.confidence, excluded.confidence), \
               detector = case \
                 when s.detector = 'manual' then 'manual' \
                 when s.detector = excluded.detector then s.detector \
                 else 'hybrid' end, \
               evidence_refs = (select jsonb_agg(distinct e) \
                                from jsonb_array_elements(s.evidence_refs || excluded.evidence_refs) e), \
               meta = s.meta || excluded.meta, \
               account_id = coalesce(s.account_id, excluded.account_id), \
               detector_version = excluded.detector_version \
             where s.confidence < excluded.confidence \
                or (s.detector <> excluded.detector and s.detector not in ('hybrid', 'manual')) \
                or not (s.evidence_refs @> excluded.evidence_refs) \
                or (s.account_id is null and excluded.account_id is not null) \
             returning (xmax = 0) as inserted, s.account_id",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                DbValue::from(Value::Array(rows)),
                DETECTOR_VERSION.into(),
            ],
        ))
        .await?;
    txn.commit().await?;
    for row in written {
        if row.try_get::<bool>("", "inserted")? {
            report.signals_created += 1;
        } else {
            report.signals_updated += 1;
        }
        if let Some(account) = row.try_get::<Option<Uuid>>("", "account_id")? {
            report.accounts.insert(account);
        }
    }
    Ok(report)
}

/// Enqueues detection for `message_ids` (in the caller's transaction), after `delay_seconds`,
/// counting `waits` re-checks so far.
pub async fn enqueue_detection<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    message_ids: &[String],
    waits: u32,
    delay_seconds: i64,
) -> Result<(), sea_orm::DbErr> {
    if message_ids.is_empty() {
        return Ok(());
    }
    let mut job = crate::workers::queue::NewJob::new(
        DETECT_JOB,
        json!({ "message_ids": message_ids, "waits": waits }),
    );
    job.max_attempts = 10;
    if delay_seconds > 0 {
        job.run_at = Some(Utc::now() + chrono::Duration::seconds(delay_seconds));
    }
    crate::workers::queue::enqueue(db, scope, job).await?;
    Ok(())
}

/// Back-fill: enqueues detection over every incoming message of the project, in jobs of 500
/// messages. Returns how many messages were queued.
pub async fn backfill(db: &DatabaseConnection, scope: &Scope, actor: &Actor) -> DomainResult<u64> {
    let mut after = String::new();
    let mut queued = 0u64;
    let txn = db.begin().await?;
    loop {
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                txn.get_database_backend(),
                "select id from cw_messages \
                 where project_id = $1 and account_scope_id = $2 and message_type = 'incoming' \
                   and not private and id > $3 \
                 order by id limit 500",
                [
                    scope.project_id().into(),
                    scope.account_scope_id().into(),
                    after.clone().into(),
                ],
            ))
            .await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.try_get("", "id")?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<String>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        queued += ids.len() as u64;
        enqueue_detection(&txn, scope, &ids, 0, 0).await?;
    }
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "crm.signals.backfill_requested",
            target_kind: Some("project"),
            target_id: Some(scope.project_id().to_string()),
            evidence: vec![EvidenceRef::new("project", scope.project_id())],
            meta: json!({ "messages": queued }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(queued)
}
