//! Signals: what the contacts' own messages say about buying, leaving, complaining, pricing,
//! competitors and upsell, each with its confidence, the account/contact/conversation it
//! concerns and evidence pointing at the exact message and chunk.
//!
//! Detection runs on incoming, non-private messages (what the customer wrote; our replies and
//! notes say nothing about the customer's intent) and combines two detectors:
//!
//! - **Rules** ([`RULES`]): case-insensitive patterns, each with a key, a type and a fixed
//!   confidence. A hit stores the rule key and the matched words in `meta.rules`, so anyone can
//!   see why a message was flagged.
//! - **Similarity**: the cosine similarity between the message's chunk vectors (written by the
//!   embed worker) and the project's per-type example phrases (`signal_example_phrases`,
//!   editable; [`DEFAULT_PHRASES`] are seeded when a project has none). The best phrase at or
//!   above the threshold ([`DetectOptions::similarity_threshold`]) is a hit with the similarity
//!   as confidence, and its chunk becomes evidence. Phrase vectors are computed with the same
//!   provider as the chunks and cached per model.
//!
//! When both detectors agree, the signal is `hybrid` with confidence `max + 0.1` (capped at
//! 0.99). One signal per (type, message): `dedupe_key = '<type>:<message id>'`, and re-running
//! detection merges into the existing row (detectors united, highest confidence, evidence
//! united) and never reopens a signal a person has triaged. So detection is idempotent, and
//! the back-fill is the same detection over every stored message.
//!
//! Detection runs in the [`DETECT_JOB`] that the indexing job enqueues for the messages it
//! indexed: the rules at once, the similarity pass once the messages' chunks have vectors (the
//! job re-enqueues itself for messages still waiting, up to [`MAX_VECTOR_WAITS`] times).
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::LazyLock,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{
    enums::{SignalDetector, SignalStatus, SignalType},
    signal_example_phrases, signals,
};
use regex::Regex;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
    Value as DbValue,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::kernel::{
    Actor, Page,
    checks::{Checks, optional_text, required_text},
    sql::{Sql, count_rows},
};
use crate::{
    integrations::embeddings::{EmbeddingProvider, pad_to_column},
    kernel::{
        DomainError, Scope,
        audit::{self, AuditEntry, EvidenceRef},
        error::{DomainResult, FieldError},
    },
};

/// The job kind that detects signals in messages (payload `{ "message_ids": [...],
/// "waits": n }`).
pub const DETECT_JOB: &str = "crm_detect_signals";
/// Version of the detectors, stored on every signal they write.
pub const DETECTOR_VERSION: &str = "rules-1+similarity-1";
/// How often a detection job re-enqueues itself for messages whose chunks have no vector yet
/// (every [`VECTOR_WAIT_SECONDS`]): about an hour of embedding backlog.
pub const MAX_VECTOR_WAITS: u32 = 120;
/// Delay between those re-checks.
pub const VECTOR_WAIT_SECONDS: i64 = 30;
/// Longest example phrase.
pub const MAX_PHRASE_CHARS: usize = 300;
/// Most example phrases per project.
pub const MAX_PHRASES: u64 = 500;
/// Most messages one detection call takes.
pub const MAX_DETECT_MESSAGES: usize = 2_000;

/// Every signal type, in display order.
pub const SIGNAL_TYPES: [SignalType; 7] = [
    SignalType::BuyingIntent,
    SignalType::PricingQuestion,
    SignalType::Upsell,
    SignalType::ChurnRisk,
    SignalType::Complaint,
    SignalType::CompetitorMention,
    SignalType::Other,
];

/// The database value of a type.
pub fn type_str(t: SignalType) -> &'static str {
    match t {
        SignalType::PricingQuestion => "pricing_question",
        SignalType::BuyingIntent => "buying_intent",
        SignalType::ChurnRisk => "churn_risk",
        SignalType::Complaint => "complaint",
        SignalType::CompetitorMention => "competitor_mention",
        SignalType::Upsell => "upsell",
        SignalType::Other => "other",
    }
}

fn parse_type(s: &str) -> Option<SignalType> {
    SIGNAL_TYPES.into_iter().find(|t| type_str(*t) == s)
}

/// The database value of a status.
pub fn status_str(s: SignalStatus) -> &'static str {
    match s {
        SignalStatus::Open => "open",
        SignalStatus::Acknowledged => "acknowledged",
        SignalStatus::Resolved => "resolved",
        SignalStatus::Dismissed => "dismissed",
    }
}

/// A transparent detection rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable key, stored with every hit.
    pub key: &'static str,
    /// What a hit means.
    pub signal_type: SignalType,
    /// Case-insensitive pattern (Rust `regex` syntax).
    pub pattern: &'static str,
    /// Confidence of a hit.
    pub confidence: f64,
}

/// The rules, in English and German. Word boundaries keep "price" from matching "priceless"
/// only partly: the patterns are deliberately phrase-like, since a rule hit is shown to people
/// as the reason for a signal.
pub const RULES: &[Rule] = &[
    Rule {
        key: "pricing.price_words",
        signal_type: SignalType::PricingQuestion,
        pattern: r"\b(how much|pricing|price list|prices?|quote|per (seat|user|month)|discounts?|was kostet|preis(e|liste)?|angebot)\b",
        confidence: 0.7,
    },
    Rule {
        key: "buying.ready_to_buy",
        signal_type: SignalType::BuyingIntent,
        pattern: r"\b(ready to (buy|sign|purchase|order|move forward)|want to (buy|purchase|order|sign up)|send (me |us )?(the |a )?(contract|order form|invoice)|sign the contract|purchase order|go ahead with (the )?(purchase|order|deal)|wir (möchten|wollen) (kaufen|bestellen)|vertrag (zusenden|schicken|unterschreiben))\b",
        confidence: 0.8,
    },
    Rule {
        key: "churn.cancel_or_leave",
        signal_type: SignalType::ChurnRisk,
        pattern: r"\b(cancel(l?ing|l?ed|lation)?( (my|our|the) (subscription|account|contract|plan))?|terminate (the |our )?contract|(not|won't|will not) renew|switch(ing)? to (another|a different|a competitor)|close (my|our) account|looking for (an )?alternatives?|kündig(en|ung)|vertrag beenden)\b",
        confidence: 0.8,
    },
    Rule {
        key: "complaint.strong_words",
        signal_type: SignalType::Complaint,
        pattern: r"\b(unacceptable|frustrat(ed|ing)|disappointed|terrible|awful|worst|still (not working|broken|waiting)|(is|it's|keeps) broken|doesn't work|does not work|not working|complain(t|ing)?|inakzeptabel|enttäuscht|funktioniert (immer noch )?nicht|beschwerde)\b",
        confidence: 0.75,
    },
    Rule {
        key: "competitor.named_or_alternative",
        signal_type: SignalType::CompetitorMention,
        pattern: r"\b(your competitors?|compared to|cheaper (at|with|elsewhere)|other vendors?|hubspot|salesforce|zendesk|intercom|freshdesk|pipedrive|zoho|konkurrenz|mitbewerber)\b",
        confidence: 0.7,
    },
    Rule {
        key: "upsell.more_or_upgrade",
        signal_type: SignalType::Upsell,
        pattern: r"\b(more (seats|licen[cs]es|users)|add(ing)? (more |\d+ )?(seats|users|licen[cs]es)|upgrad(e|ing) (to|our|my)|(higher|bigger|enterprise|premium) (plan|tier)|additional (seats|users|team|licen[cs]es)|weitere (lizenzen|nutzer)|upgrade auf)\b",
        confidence: 0.7,
    },
];

static COMPILED_RULES: LazyLock<Vec<(Rule, Regex)>> = LazyLock::new(|| {
    RULES
        .iter()
        .filter_map(|rule| {
            // The patterns are constants pinned by a unit test; a bad one is skipped, not a
            // crash of the worker.
            match Regex::new(&format!("(?i){}", rule.pattern)) {
                Ok(re) => Some((*rule, re)),
                Err(e) => {
                    tracing::error!(rule = rule.key, error = %e, "signal rule does not compile");
                    None
                }
            }
        })
        .collect()
});

/// A rule hit in one text.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    /// The rule.
    pub rule: &'static str,
    /// Its type.
    pub signal_type: SignalType,
    /// Its confidence.
    pub confidence: f64,
    /// The words that matched.
    pub matched: String,
}

/// The rule hits in `text` (at most one per rule).
pub fn rule_hits(text: &str) -> Vec<RuleHit> {
    COMPILED_RULES
        .iter()
        .filter_map(|(rule, re)| {
            re.find(text).map(|m| RuleHit {
                rule: rule.key,
                signal_type: rule.signal_type,
                confidence: rule.confidence,
                matched: m.as_str().to_owned(),
            })
        })
        .collect()
}

/// Example phrases a project starts with (type, phrase); seeded when it has none.
pub const DEFAULT_PHRASES: &[(SignalType, &str)] = &[
    (
        SignalType::PricingQuestion,
        "How much does your product cost?",
    ),
    (
        SignalType::PricingQuestion,
        "Can you send me your price list for the plans?",
    ),
    (
        SignalType::PricingQuestion,
        "What would it cost for a team of our size?",
    ),
    (
        SignalType::BuyingIntent,
        "We are ready to buy, please send the contract.",
    ),
    (
        SignalType::BuyingIntent,
        "We decided to go with you, how do we get started?",
    ),
    (SignalType::BuyingIntent, "Please prepare an order for us."),
    (
        SignalType::ChurnRisk,
        "We are thinking about cancelling our subscription.",
    ),
    (
        SignalType::ChurnRisk,
        "We will not renew our contract next year.",
    ),
    (SignalType::ChurnRisk, "We are moving to another provider."),
    (
        SignalType::Complaint,
        "This is unacceptable, nothing works as promised.",
    ),
    (
        SignalType::Complaint,
        "I am very unhappy with your service.",
    ),
    (
        SignalType::Complaint,
        "We have been waiting for weeks and nobody helps us.",
    ),
    (
        SignalType::CompetitorMention,
        "Another vendor offered us a better deal.",
    ),
    (
        SignalType::CompetitorMention,
        "How do you compare to your competitors?",
    ),
    (
        SignalType::Upsell,
        "We need more seats for our new team members.",
    ),
    (
        SignalType::Upsell,
        "We would like to upgrade to a bigger plan.",
    ),
];

/// Detection settings.
#[derive(Debug, Clone, Copy)]
pub struct DetectOptions {
    /// Smallest cosine similarity to an example phrase that counts as a hit.
    pub similarity_threshold: f64,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            similarity_threshold: 0.6,
        }
    }
}

/// What one detection call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetectReport {
    /// Incoming messages looked at.
    pub messages_scanned: u64,
    /// New signals.
    pub signals_created: u64,
    /// Existing signals that changed (a second detector agreed, evidence grew...).
    pub signals_updated: u64,
    /// Messages whose chunks have no vector of the provider's model yet (similarity pending).
    pub waiting_for_vectors: Vec<String>,
    /// Accounts whose signals changed.
    pub accounts: BTreeSet<Uuid>,
}

/// A signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Id.
    pub id: Uuid,
    /// Type.
    pub signal_type: SignalType,
    /// Triage status.
    pub status: SignalStatus,
    /// 0..1.
    pub confidence: f64,
    /// The account, when the contact is linked to one.
    pub account_id: Option<Uuid>,
    /// `cwc:` id.
    pub contact_global_id: Option<String>,
    /// `cw:` id.
    pub conversation_global_id: Option<String>,
    /// `cwmsg:` id.
    pub message_global_id: Option<String>,
    /// The start of the message.
    pub summary: Option<String>,
    /// `[{"kind", "id"}]`: the message and, for similarity hits, the chunk.
    pub evidence_refs: Value,
    /// rules | similarity | hybrid | manual.
    pub detector: SignalDetector,
    /// Why: `{"rules": [{"rule", "matched"}], "similarity": {"phrase", "score", "chunk"}}`.
    pub meta: Value,
    /// When the message was written.
    pub occurred_at: DateTime<Utc>,
    /// Detected.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<signals::Model> for Signal {
    fn from(m: signals::Model) -> Self {
        Self {
            id: m.id,
            signal_type: m.signal_type,
            status: m.status,
            confidence: m.confidence,
            account_id: m.account_id,
            contact_global_id: m.contact_global_id,
            conversation_global_id: m.conversation_global_id,
            message_global_id: m.message_global_id,
            summary: m.summary,
            evidence_refs: m.evidence_refs,
            detector: m.detector,
            meta: m.meta,
            occurred_at: m.occurred_at.with_timezone(&Utc),
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// An example phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamplePhrase {
    /// Id.
    pub id: Uuid,
    /// The type it exemplifies.
    pub signal_type: SignalType,
    /// Text.
    pub phrase: String,
    /// BCP 47 tag, or none for any language.
    pub language: Option<String>,
    /// Used by detection.
    pub enabled: bool,
    /// Whether a vector of the current model is cached.
    pub embedded: bool,
}

fn phrase_from(m: signal_example_phrases::Model, model_id: &str) -> ExamplePhrase {
    ExamplePhrase {
        id: m.id,
        signal_type: m.signal_type,
        phrase: m.phrase,
        language: m.language,
        enabled: m.enabled,
        embedded: m.embedding_model.as_deref() == Some(model_id),
    }
}

fn vector_literal(v: &[f32]) -> String {
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
struct Candidate {
    id: String,
    conversation: Option<String>,
    contact: Option<String>,
    account: Option<Uuid>,
    content: String,
    created_at: Option<DateTime<Utc>>,
}

async fn load_candidates<C: ConnectionTrait>(
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

/// Inserts [`DEFAULT_PHRASES`] when the project has no phrase at all.
pub async fn seed_default_phrases<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<u64> {
    let rows: Vec<Value> = DEFAULT_PHRASES
        .iter()
        .map(|(t, p)| json!({ "signal_type": type_str(*t), "phrase": p }))
        .collect();
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "insert into signal_example_phrases (project_id, account_scope_id, signal_type, \
               phrase, language) \
             select $1, $2, t.signal_type, t.phrase, 'en' \
             from jsonb_to_recordset($3::jsonb) as t(signal_type text, phrase text) \
             where not exists (select 1 from signal_example_phrases p where p.project_id = $1) \
             on conflict (project_id, signal_type, phrase) do nothing",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                DbValue::from(Value::Array(rows)),
            ],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Embeds the enabled phrases that have no vector of `provider`'s model (one provider call).
async fn embed_phrases(
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
struct SimilarityHits {
    hits: Vec<(String, SignalType, f64, Uuid, String)>,
    waiting: Vec<String>,
}

async fn similarity_hits<C: ConnectionTrait>(
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

/// What the detectors found for one (message, type).
#[derive(Default)]
struct Finding {
    rules: Vec<RuleHit>,
    similarity: Option<(f64, Uuid, String)>,
}

impl Finding {
    fn detector(&self) -> &'static str {
        match (self.rules.is_empty(), self.similarity.is_some()) {
            (false, true) => "hybrid",
            (true, true) => "similarity",
            _ => "rules",
        }
    }

    fn confidence(&self) -> f64 {
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

fn summary_of(text: &str) -> String {
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

/// Listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct SignalFilter {
    /// Types (any of).
    pub types: Vec<SignalType>,
    /// Statuses (any of).
    pub statuses: Vec<SignalStatus>,
    /// Account.
    pub account_id: Option<Uuid>,
    /// `cw:` conversation.
    pub conversation_global_id: Option<String>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
}

/// Position in the signals feed (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalCursor {
    /// occurred_at of the last row seen.
    pub at: DateTime<Utc>,
    /// Its id.
    pub id: Uuid,
}

impl SignalCursor {
    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("s|{}|{}", self.id, self.at.timestamp_micros()))
    }

    /// Reads a string made by [`SignalCursor::encode`].
    pub fn decode(cursor: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        let mut parts = raw.split('|');
        (parts.next()? == "s").then_some(())?;
        let id = Uuid::parse_str(parts.next()?).ok()?;
        let at = DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?;
        Some(Self { at, id })
    }
}

impl Signal {
    /// Its position in the feed.
    pub fn cursor(&self) -> SignalCursor {
        SignalCursor {
            at: self.occurred_at,
            id: self.id,
        }
    }
}

/// Signals matching `filter`, newest first.
pub async fn list_signals<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &SignalFilter,
    first: u64,
    after: Option<SignalCursor>,
) -> DomainResult<Page<Signal>> {
    let mut sql = Sql::scoped(scope, "s");
    if !filter.types.is_empty() {
        let types: Vec<&str> = filter.types.iter().map(|t| type_str(*t)).collect();
        let p = sql.param(DbValue::from(json!(types)));
        sql.and(format!(
            "s.signal_type = any(array(select jsonb_array_elements_text({p}::jsonb)))"
        ));
    }
    if !filter.statuses.is_empty() {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| status_str(*s)).collect();
        let p = sql.param(DbValue::from(json!(statuses)));
        sql.and(format!(
            "s.status = any(array(select jsonb_array_elements_text({p}::jsonb)))"
        ));
    }
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("s.account_id = {p}"));
    }
    if let Some(conversation) = &filter.conversation_global_id {
        let p = sql.param(conversation.clone());
        sql.and(format!("s.conversation_global_id = {p}"));
    }
    if let Some(from) = filter.from {
        let p = sql.param(from);
        sql.and(format!("s.occurred_at >= {p}"));
    }
    if let Some(to) = filter.to {
        let p = sql.param(to);
        sql.and(format!("s.occurred_at < {p}"));
    }
    let total_count = count_rows(db, "signals s", &sql).await?;
    if let Some(after) = after {
        let t = sql.param(after.at);
        let i = sql.param(after.id);
        sql.and(format!("(s.occurred_at, s.id) < ({t}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = signals::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select s.* from signals s where {} \
                 order by s.occurred_at desc, s.id desc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// One signal of the scope.
pub async fn get_signal<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<Signal> {
    signals::Entity::find_by_id(id)
        .filter(scope.filter_for::<signals::Entity>())
        .one(db)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound("signal"))
}

/// Triage: sets a signal's status (any status may follow any other: a dismissed signal can be
/// reopened), recording `crm.signal.<status>` with the message as evidence.
pub async fn set_status(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    status: SignalStatus,
) -> DomainResult<Signal> {
    let txn = db.begin().await?;
    let current = signals::Entity::find_by_id(id)
        .filter(scope.filter_for::<signals::Entity>())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("signal"))?;
    if current.status == status {
        txn.commit().await?;
        return Ok(current.into());
    }
    let from = status_str(current.status);
    let mut evidence = vec![EvidenceRef::new("signal", id)];
    if let Some(message) = &current.message_global_id {
        evidence.push(EvidenceRef::new("message", message));
    }
    let mut active = current.into_active_model();
    active.status = Set(status);
    let updated = active.update(&txn).await?;
    let action = match status {
        SignalStatus::Open => "crm.signal.reopened",
        SignalStatus::Acknowledged => "crm.signal.acknowledged",
        SignalStatus::Resolved => "crm.signal.resolved",
        SignalStatus::Dismissed => "crm.signal.dismissed",
    };
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("signal"),
            target_id: Some(id.to_string()),
            evidence,
            meta: json!({ "from": from, "to": status_str(status) }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated.into())
}

/// Signals with no account yet whose contact is now confirmed on `account_id` join it (called
/// when a link is confirmed). Returns how many moved.
pub async fn attach_contact_signals<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    contact_global_id: &str,
) -> DomainResult<u64> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "update signals set account_id = $3 \
             where project_id = $1 and account_scope_id = $2 and contact_global_id = $4 \
               and account_id is null",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account_id.into(),
                contact_global_id.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// The project's example phrases, by type then text, with whether each has a vector of
/// `model_id`.
pub async fn list_phrases<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    signal_type: Option<SignalType>,
    model_id: &str,
) -> DomainResult<Vec<ExamplePhrase>> {
    seed_default_phrases(db, scope).await?;
    let mut query = scope.rows::<signal_example_phrases::Entity>();
    if let Some(t) = signal_type {
        query = query.filter(signal_example_phrases::Column::SignalType.eq(t));
    }
    let rows = query
        .order_by_asc(signal_example_phrases::Column::SignalType)
        .order_by_asc(signal_example_phrases::Column::Phrase)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| phrase_from(m, model_id)).collect())
}

fn check_language(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(tag) = optional_text("language", raw, 35)? else {
        return Ok(None);
    };
    let ok = tag.split('-').all(|part| {
        !part.is_empty() && part.len() <= 8 && part.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    if ok {
        Ok(Some(tag.to_ascii_lowercase()))
    } else {
        Err(FieldError::new(
            "language",
            "use a language tag such as en or de-CH",
        ))
    }
}

async fn phrase_audit<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &Actor,
    action: &'static str,
    phrase: &signal_example_phrases::Model,
) -> DomainResult<()> {
    audit::record(
        db,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("signal_example_phrase"),
            target_id: Some(phrase.id.to_string()),
            evidence: vec![EvidenceRef::new("signal_example_phrase", phrase.id)],
            meta: json!({
                "signal_type": type_str(phrase.signal_type),
                "phrase": phrase.phrase,
                "enabled": phrase.enabled,
            }),
        },
    )
    .await
}

/// Adds an example phrase; records `crm.signal_phrase.created`.
pub async fn add_phrase(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    signal_type: SignalType,
    phrase: &str,
    language: Option<&str>,
) -> DomainResult<ExamplePhrase> {
    let mut checks = Checks::default();
    let phrase = checks.take(required_text("phrase", phrase, MAX_PHRASE_CHARS));
    let language = checks.take(check_language(language));
    checks.finish()?;
    let (Some(phrase), Some(language)) = (phrase, language) else {
        return Err(DomainError::Internal("validated phrase missing".to_owned()));
    };
    let txn = db.begin().await?;
    seed_default_phrases(&txn, scope).await?;
    let count =
        sea_orm::PaginatorTrait::count(scope.rows::<signal_example_phrases::Entity>(), &txn)
            .await?;
    if count >= MAX_PHRASES {
        return Err(DomainError::Conflict(format!(
            "A project keeps at most {MAX_PHRASES} example phrases"
        )));
    }
    let inserted = signal_example_phrases::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        signal_type: Set(signal_type),
        phrase: Set(phrase),
        language: Set(language),
        enabled: Set(true),
        embedding: sea_orm::NotSet,
        embedding_model: Set(None),
        created_at: Set(Utc::now().into()),
        updated_at: Set(Utc::now().into()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if crate::kernel::sql::violates_unique(
            &e,
            "signal_example_phrases_project_id_type_phrase_key",
        ) {
            DomainError::Validation(vec![FieldError::new(
                "phrase",
                "this type already has that phrase",
            )])
        } else {
            e.into()
        }
    })?;
    phrase_audit(&txn, scope, actor, "crm.signal_phrase.created", &inserted).await?;
    txn.commit().await?;
    Ok(phrase_from(inserted, ""))
}

/// Turns an example phrase on or off; records `crm.signal_phrase.updated`.
pub async fn set_phrase_enabled(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    enabled: bool,
) -> DomainResult<ExamplePhrase> {
    let txn = db.begin().await?;
    let current = signal_example_phrases::Entity::find_by_id(id)
        .filter(scope.filter_for::<signal_example_phrases::Entity>())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("example phrase"))?;
    let model = current.embedding_model.clone().unwrap_or_default();
    let mut active = current.into_active_model();
    active.enabled = Set(enabled);
    let updated = active.update(&txn).await?;
    phrase_audit(&txn, scope, actor, "crm.signal_phrase.updated", &updated).await?;
    txn.commit().await?;
    Ok(phrase_from(updated, &model))
}

/// Deletes an example phrase; records `crm.signal_phrase.deleted`. Deleting a project's last
/// phrase brings the defaults back at the next detection: disable phrases to silence them.
pub async fn delete_phrase(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<()> {
    let txn = db.begin().await?;
    let current = signal_example_phrases::Entity::find_by_id(id)
        .filter(scope.filter_for::<signal_example_phrases::Entity>())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("example phrase"))?;
    phrase_audit(&txn, scope, actor, "crm.signal_phrase.deleted", &current).await?;
    signal_example_phrases::Entity::delete_by_id(current.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles() {
        assert_eq!(COMPILED_RULES.len(), RULES.len());
    }

    #[test]
    fn rules_name_what_matched() {
        let hits = rule_hits("We will not renew, this is unacceptable. How much for more seats?");
        let types: BTreeSet<&str> = hits.iter().map(|h| type_str(h.signal_type)).collect();
        assert_eq!(
            types,
            BTreeSet::from(["churn_risk", "complaint", "pricing_question", "upsell"])
        );
        let churn = hits
            .iter()
            .find(|h| h.signal_type == SignalType::ChurnRisk)
            .map(|h| h.matched.to_lowercase());
        assert_eq!(churn.as_deref(), Some("will not renew"));
    }

    #[test]
    fn ordinary_messages_match_no_rule() {
        assert!(rule_hits("Thanks, the export works now. Have a nice weekend!").is_empty());
    }

    #[test]
    fn hybrid_confidence_exceeds_either_detector() {
        let finding = Finding {
            rules: vec![RuleHit {
                rule: "x",
                signal_type: SignalType::Complaint,
                confidence: 0.75,
                matched: "awful".into(),
            }],
            similarity: Some((0.7, Uuid::nil(), "p".into())),
        };
        assert_eq!(finding.detector(), "hybrid");
        assert!((finding.confidence() - 0.85).abs() < 1e-9);
    }

    #[test]
    fn signal_cursors_round_trip() {
        let cursor = SignalCursor {
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap_or_default(),
            id: Uuid::new_v4(),
        };
        assert_eq!(SignalCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(SignalCursor::decode("nonsense"), None);
    }
}
