//! What the CRM reads out of conversations, for the UI: the signals feed and its example
//! phrases, the next-best-action inbox, the risk radar, and account health and its weights.
//! The listings' row types and their conversion from the API live here; each job has a file.
pub mod actions;
pub mod feed;
pub mod health;
pub mod radar;

pub use self::{actions::*, feed::*, health::*, radar::*};

use serde::{Deserialize, Serialize};

pub use crate::api::{
    records::AccountRef,
    text::{label_of, words},
};

/// Signal types, in the order the UI offers them (API value, label).
pub const SIGNAL_TYPES: &[(&str, &str)] = &[
    ("PRICING_QUESTION", "Pricing question"),
    ("BUYING_INTENT", "Buying intent"),
    ("CHURN_RISK", "Churn risk"),
    ("COMPLAINT", "Complaint"),
    ("COMPETITOR_MENTION", "Competitor mention"),
    ("UPSELL", "Upsell"),
    ("OTHER", "Other"),
];

/// Signal states (API value, label).
pub const SIGNAL_STATUSES: &[(&str, &str)] = &[
    ("OPEN", "Open"),
    ("ACKNOWLEDGED", "Acknowledged"),
    ("RESOLVED", "Resolved"),
    ("DISMISSED", "Dismissed"),
];

/// Health measures in display order (API value, label, form field).
pub const HEALTH_MEASURES: &[(&str, &str, &str)] = &[
    ("REPLY_LATENCY", "Reply latency", "reply_latency"),
    (
        "UNRESOLVED_CONVERSATIONS",
        "Unresolved conversations",
        "unresolved_conversations",
    ),
    ("RECENT_SIGNALS", "Recent risk signals", "recent_signals"),
    ("ACTIVITY_RECENCY", "Activity recency", "activity_recency"),
    (
        "OPPORTUNITY_STATE",
        "Opportunity state",
        "opportunity_state",
    ),
];

/// The label of a health measure.
pub fn measure_label(value: &str) -> String {
    HEALTH_MEASURES
        .iter()
        .find(|(v, ..)| *v == value)
        .map(|(_, l, _)| (*l).to_owned())
        .unwrap_or_else(|| words(value))
}

/// A detected signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRow {
    /// Id.
    pub id: String,
    /// SignalType value, e.g. PRICING_QUESTION.
    pub kind: String,
    /// SignalStatus value.
    pub status: String,
    /// 0..1.
    pub confidence: f64,
    /// RULES | SIMILARITY | HYBRID | MANUAL.
    pub detector: String,
    /// The start of the message.
    pub summary: Option<String>,
    /// The account, when the contact is linked to one.
    pub account: Option<AccountRef>,
    /// Conversation global id.
    pub conversation_id: Option<String>,
    /// Message global id.
    pub message_id: Option<String>,
    /// When the message was written (RFC 3339).
    pub occurred_at: String,
}

impl SignalRow {
    /// The thread, at the message.
    pub fn message_href(&self) -> Option<String> {
        message_href(self.conversation_id.as_deref(), self.message_id.as_deref())
    }
}

/// `/conversations/<conversation>#<message>` (or the conversation alone).
pub fn message_href(conversation: Option<&str>, message: Option<&str>) -> Option<String> {
    match (conversation, message) {
        (Some(c), Some(m)) => Some(format!("/conversations/{c}#{m}")),
        (Some(c), None) => Some(format!("/conversations/{c}")),
        _ => None,
    }
}

/// A page of signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalPage {
    /// Newest first.
    pub rows: Vec<SignalRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching signals.
    pub total: i64,
}

/// An example phrase of a signal type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhraseRow {
    /// Id.
    pub id: String,
    /// SignalType value.
    pub kind: String,
    /// Text.
    pub phrase: String,
    /// Language tag (none = any).
    pub language: Option<String>,
    /// Used by detection.
    pub enabled: bool,
    /// Has a vector of the current model.
    pub embedded: bool,
}

/// Evidence behind an action or a risk, as a link when it can be one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLink {
    /// What it is (message, signal, …).
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Where to see it.
    pub href: Option<String>,
}

/// A next-best-action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRow {
    /// Id.
    pub id: String,
    /// What to do.
    pub title: String,
    /// Why.
    pub reason: String,
    /// Rule key.
    pub rule: String,
    /// 0..100.
    pub priority: i64,
    /// Due (RFC 3339).
    pub due_at: Option<String>,
    /// Past due and still to do.
    pub overdue: bool,
    /// OPEN | ACCEPTED | DISMISSED | DONE.
    pub status: String,
    /// The account.
    pub account: Option<AccountRef>,
    /// The evidence.
    pub evidence: Vec<EvidenceLink>,
    /// Why it was dismissed.
    pub dismiss_reason: Option<String>,
    /// The member who should do it.
    pub assignee: Option<String>,
}

/// A page of next-best-actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPage {
    /// Highest priority first.
    pub rows: Vec<ActionRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching actions.
    pub total: i64,
}

/// A documented next-best-action rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    /// Key.
    pub key: String,
    /// When it fires.
    pub description: String,
    /// Priority of its actions.
    pub priority: i64,
}

/// An item of the risk radar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadarRow {
    /// Id.
    pub id: String,
    /// BAND_DROP | RISK_SIGNAL | SCORE_DROP | MANUAL.
    pub kind: String,
    /// OPEN | ACKNOWLEDGED | RESOLVED | DISMISSED.
    pub status: String,
    /// Higher is riskier.
    pub risk_score: f64,
    /// Why.
    pub explanation: String,
    /// Evidence.
    pub evidence: Vec<EvidenceLink>,
    /// Band before.
    pub from_band: Option<String>,
    /// Band after.
    pub to_band: Option<String>,
    /// Detected (RFC 3339).
    pub detected_at: String,
    /// The account.
    pub account: AccountRef,
}

/// A page of the radar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadarPageData {
    /// Riskiest first.
    pub rows: Vec<RadarRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching items.
    pub total: i64,
}

/// One measure of a health score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureRow {
    /// HealthMeasure value.
    pub measure: String,
    /// Raw value (hours, a count, days, open opportunities).
    pub value: Option<f64>,
    /// Sub-score 0..100.
    pub score: f64,
    /// Weight.
    pub weight: i64,
}

/// The latest health score of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthView {
    /// 0..100.
    pub score: f64,
    /// HEALTHY | AT_RISK | CRITICAL.
    pub band: String,
    /// The score before.
    pub previous_score: Option<f64>,
    /// UP | FLAT | DOWN | NEW.
    pub trend: String,
    /// Breakdown.
    pub measures: Vec<MeasureRow>,
    /// What drove it.
    pub evidence: Vec<EvidenceLink>,
    /// Computed (RFC 3339).
    pub computed_at: String,
}

/// One point of the health history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthPoint {
    /// 0..100.
    pub score: f64,
    /// Band.
    pub band: String,
    /// Computed (RFC 3339).
    pub computed_at: String,
    /// Computed, seconds since the epoch (for the chart's time axis).
    pub at: i64,
}

/// An account's health, signals and next-best-actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInsightsView {
    /// Latest score.
    pub health: Option<HealthView>,
    /// History, oldest first.
    pub history: Vec<HealthPoint>,
    /// Latest signals.
    pub signals: Vec<SignalRow>,
    /// All of its signals.
    pub signals_total: i64,
    /// Its open and accepted actions.
    pub actions: Vec<ActionRow>,
}

/// A project's weight of one measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightRow {
    /// HealthMeasure value.
    pub measure: String,
    /// 0..100.
    pub weight: i64,
    /// The app's default (the project has set none).
    pub is_default: bool,
}

/// The capability's typed GraphQL operations (both builds: pages render their types).
pub mod ops {
    operations!("graphql/signals.graphql":
        SignalsQuery,
        SetSignalStatusMutation,
        BackfillSignalsMutation,
        SignalExamplePhrasesQuery,
        AddSignalExamplePhraseMutation,
        SetSignalExamplePhraseEnabledMutation,
        DeleteSignalExamplePhraseMutation,
        NextBestActionsQuery,
        NextBestActionRulesQuery,
        AcceptNextBestActionMutation,
        CompleteNextBestActionMutation,
        DismissNextBestActionMutation,
        RiskRadarQuery,
        SetRiskItemStatusMutation,
        SignalLinkQuery,
        HealthWeightsQuery,
        SetHealthWeightsMutation,
        AccountInsightsQuery,
        RecomputeAccountHealthMutation,
        MessageConversationQuery,
    );
}

/// Most message lookups one request makes to link evidence (the rest link to their record's
/// conversation, when it has one).
#[cfg(feature = "ssr")]
const MAX_MESSAGE_LOOKUPS: usize = 50;

/// Adds to `known` (message id → conversation id) the conversation of each message in `ids`
/// that it does not have yet: one `message(id)` query per message, at most
/// [`MAX_MESSAGE_LOOKUPS`]. A message that cannot be found is skipped (its link falls back to
/// its record's conversation).
#[cfg(feature = "ssr")]
async fn resolve_messages(
    ids: impl IntoIterator<Item = String>,
    known: &mut std::collections::HashMap<String, String>,
) {
    use ops::*;

    let mut tried = std::collections::HashSet::new();
    for id in ids {
        if known.contains_key(&id) || tried.contains(&id) {
            continue;
        }
        if tried.len() >= MAX_MESSAGE_LOOKUPS {
            break;
        }
        tried.insert(id.clone());
        match crate::api::executor::run::<MessageConversationQuery>(
            message_conversation_query::Variables { id: id.clone() },
        )
        .await
        {
            Ok(found) => {
                if let Some(conversation) = found.message.conversation_id {
                    known.insert(id, conversation);
                }
            }
            // This message is gone; the others may still be found.
            Err(crate::api::ApiError::Api(_)) => {}
            // The request itself cannot go on (signed out, no executor): stop asking.
            Err(_) => break,
        }
    }
}

/// The message ids among evidence references.
#[cfg(feature = "ssr")]
fn message_ids<'a>(refs: impl IntoIterator<Item = &'a (String, String)>) -> Vec<String> {
    refs.into_iter()
        .filter(|(kind, _)| kind == "message")
        .map(|(_, id)| id.clone())
        .collect()
}

#[cfg(feature = "ssr")]
mod convert {
    //! From the generated operation types to the UI's.
    use std::collections::HashMap;

    use serde::{Serialize, de::DeserializeOwned};

    use super::{AccountRef, ActionRow, EvidenceLink, SignalRow, message_href};
    use crate::api::ApiError;
    pub use crate::api::convert::{epoch, name, next, nonblank};

    /// An API enum of a name the form sent; unknown names are rejected.
    pub fn parse<E: DeserializeOwned + Serialize>(
        field: &str,
        value: &str,
        allowed: &[&str],
    ) -> Result<E, ApiError> {
        let value = value.trim();
        if !allowed.contains(&value) {
            return Err(crate::api::executor::invalid_input(format!(
                "Invalid input: {field}: is not one of the choices"
            )));
        }
        serde_json::from_value(serde_json::Value::String(value.to_owned()))
            .map_err(|_| ApiError::Internal)
    }

    /// Whether `due` (RFC 3339) has passed.
    pub fn is_past(due: Option<&str>) -> bool {
        due.and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .is_some_and(|d| d < chrono::Utc::now())
    }

    /// Where signals were said: (conversation, message) by signal id.
    pub type SignalPlaces = HashMap<String, (Option<String>, Option<String>)>;

    /// What evidence references of one record can be linked with.
    pub struct EvidenceContext<'a> {
        /// The conversation its messages are in.
        pub conversation: Option<&'a str>,
        /// Its account.
        pub account: Option<&'a str>,
        /// Where its signal is seen (the signal's message).
        pub signal_href: Option<String>,
        /// Other signals' conversation and message, by signal id.
        pub signals: Option<&'a SignalPlaces>,
        /// Conversations of messages, by message id.
        pub message_conversations: Option<&'a HashMap<String, String>>,
    }

    /// Evidence references as links: messages open their conversation at the message (when
    /// the conversation is known), signals their message, health scores and opportunities the
    /// account.
    pub fn evidence(
        refs: impl IntoIterator<Item = (String, String)>,
        context: &EvidenceContext<'_>,
    ) -> Vec<EvidenceLink> {
        let account = context.account;
        refs.into_iter()
            .map(|(kind, id)| {
                let href = match kind.as_str() {
                    "message" => context
                        .message_conversations
                        .and_then(|m| m.get(&id))
                        .map(String::as_str)
                        .or(context.conversation)
                        .and_then(|c| message_href(Some(c), Some(&id))),
                    "conversation" => Some(format!("/conversations/{id}")),
                    "contact" => Some(format!("/contacts/{id}")),
                    "account" => Some(format!("/accounts/{id}")),
                    "health_score" => account.map(|a| format!("/accounts/{a}#health")),
                    "opportunity" => account.map(|a| format!("/accounts/{a}")),
                    "signal" => context
                        .signals
                        .and_then(|s| s.get(&id))
                        .and_then(|(c, m)| message_href(c.as_deref(), m.as_deref()))
                        .or_else(|| context.signal_href.clone())
                        .or_else(|| message_href(context.conversation, None)),
                    _ => None,
                };
                EvidenceLink { kind, id, href }
            })
            .collect()
    }

    /// Fields shared by the signal listings.
    pub struct SignalFields {
        pub id: String,
        pub kind: String,
        pub status: String,
        pub confidence: f64,
        pub detector: String,
        pub summary: Option<String>,
        pub account: Option<AccountRef>,
        pub conversation_id: Option<String>,
        pub message_id: Option<String>,
        pub occurred_at: String,
    }

    impl From<SignalFields> for SignalRow {
        fn from(s: SignalFields) -> Self {
            SignalRow {
                id: s.id,
                kind: s.kind,
                status: s.status,
                confidence: s.confidence,
                detector: s.detector,
                summary: s.summary,
                account: s.account,
                conversation_id: s.conversation_id,
                message_id: s.message_id,
                occurred_at: s.occurred_at,
            }
        }
    }

    /// Fields shared by the action listings.
    pub struct ActionFields {
        pub id: String,
        pub title: String,
        pub reason: String,
        pub rule: String,
        pub priority: i64,
        pub due_at: Option<String>,
        pub status: String,
        pub account: Option<AccountRef>,
        pub account_id: Option<String>,
        pub conversation_id: Option<String>,
        pub evidence: Vec<(String, String)>,
        pub dismiss_reason: Option<String>,
        pub assignee: Option<String>,
    }

    impl ActionRow {
        /// The row of an action; `messages` (message id → conversation id) places its
        /// message evidence, else the action's conversation does.
        pub fn from_fields(a: ActionFields, messages: &HashMap<String, String>) -> Self {
            let open = a.status == "OPEN" || a.status == "ACCEPTED";
            // The action's messages are its signal's.
            let first_message = a
                .evidence
                .iter()
                .find(|(kind, _)| kind == "message")
                .map(|(_, id)| id.clone());
            let conversation = a.conversation_id.as_deref();
            let evidence = evidence(
                a.evidence,
                &EvidenceContext {
                    conversation,
                    account: a.account_id.as_deref(),
                    signal_href: message_href(
                        first_message
                            .as_ref()
                            .and_then(|m| messages.get(m))
                            .map(String::as_str)
                            .or(conversation),
                        first_message.as_deref(),
                    ),
                    signals: None,
                    message_conversations: Some(messages),
                },
            );
            ActionRow {
                overdue: open && is_past(a.due_at.as_deref()),
                id: a.id,
                title: a.title,
                reason: a.reason,
                rule: a.rule,
                priority: a.priority,
                due_at: a.due_at,
                status: a.status,
                account: a.account,
                evidence,
                dismiss_reason: a.dismiss_reason,
                assignee: a.assignee,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_read_as_words() {
        assert_eq!(words("AT_RISK"), "At risk");
        assert_eq!(label_of(SIGNAL_TYPES, "CHURN_RISK"), "Churn risk");
        assert_eq!(measure_label("RECENT_SIGNALS"), "Recent risk signals");
    }
}
