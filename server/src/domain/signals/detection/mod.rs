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
mod detect;
mod phrases;
mod rules;
mod similarity;
mod triage;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::LazyLock,
};

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

use self::similarity::*;
pub use self::{detect::*, phrases::*, rules::*, triage::*};
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
