//! What the CRM reads out of conversations, for the UI: the signals feed and its example
//! phrases, the next-best-action inbox, the risk radar, account health and its weights, and
//! the account a conversation belongs to.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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

/// The label of an API enum value found in `table`, else the value in words.
pub fn label_of(table: &[(&str, &str)], value: &str) -> String {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| words(value))
}

/// `AT_RISK` → `At risk`.
pub fn words(value: &str) -> String {
    let lower = value.to_lowercase().replace('_', " ");
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The label of a health measure.
pub fn measure_label(value: &str) -> String {
    HEALTH_MEASURES
        .iter()
        .find(|(v, ..)| *v == value)
        .map(|(_, l, _)| (*l).to_owned())
        .unwrap_or_else(|| words(value))
}

/// An account as other records point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    /// Account id.
    pub id: String,
    /// Name.
    pub name: String,
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

/// What a conversation's page needs to link it to the CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationAccountView {
    /// The account its contact is confirmed on.
    pub account: Option<AccountRef>,
    /// The contact, with what an account created from it would be called.
    pub contact: Option<ContactSeed>,
}

/// A new account's details, derived from a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSeed {
    /// Contact global id.
    pub contact_id: String,
    /// Name or email.
    pub label: String,
    /// Company attribute, else the email domain, else the contact's name.
    pub account_name: String,
    /// The email's domain.
    pub domain: Option<String>,
}

/// The domain of an email address.
pub fn email_domain(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
}

/// An account's name from a contact: its company attribute, else the email domain, else its
/// name.
pub fn account_name_for(
    company: Option<&str>,
    email: Option<&str>,
    name: Option<&str>,
) -> Option<String> {
    let nonblank = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    nonblank(company)
        .or_else(|| email.and_then(email_domain))
        .or_else(|| nonblank(name))
}

#[cfg(feature = "ssr")]
mod ops {
    use graphql_client::GraphQLQuery;

    /// DateTime arrives as RFC 3339.
    pub type DateTime = String;

    macro_rules! op {
        ($name:ident) => {
            /// An operation of app/graphql/insights.graphql.
            #[derive(GraphQLQuery)]
            #[graphql(
                schema_path = "../server/schema.graphql",
                query_path = "graphql/insights.graphql",
                response_derives = "Debug"
            )]
            pub struct $name;
        };
    }
    op!(SignalsQuery);
    op!(SetSignalStatusMutation);
    op!(BackfillSignalsMutation);
    op!(SignalExamplePhrasesQuery);
    op!(AddSignalExamplePhraseMutation);
    op!(SetSignalExamplePhraseEnabledMutation);
    op!(DeleteSignalExamplePhraseMutation);
    op!(NextBestActionsQuery);
    op!(NextBestActionRulesQuery);
    op!(AcceptNextBestActionMutation);
    op!(CompleteNextBestActionMutation);
    op!(DismissNextBestActionMutation);
    op!(RiskRadarQuery);
    op!(SetRiskItemStatusMutation);
    op!(SignalLinkQuery);
    op!(HealthWeightsQuery);
    op!(SetHealthWeightsMutation);
    op!(AccountInsightsQuery);
    op!(RecomputeAccountHealthMutation);
    op!(ConversationAccountQuery);
    op!(LinkAccountContactMutation);
    op!(MessageConversationQuery);
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
        match super::executor::run::<MessageConversationQuery>(
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
            Err(super::ApiError::Api(_)) => {}
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

    /// An API enum value as its name (`PRICING_QUESTION`).
    pub fn name<E: Serialize>(value: &E) -> String {
        serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

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

    /// Blank form fields mean "not given".
    pub fn nonblank(value: Option<String>) -> Option<String> {
        value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The next page's cursor, when there is one.
    pub fn next(has_next: bool, end: Option<String>) -> Option<String> {
        end.filter(|_| has_next)
    }

    /// Whether `due` (RFC 3339) has passed.
    pub fn is_past(due: Option<&str>) -> bool {
        due.and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .is_some_and(|d| d < chrono::Utc::now())
    }

    /// Seconds since the epoch of an RFC 3339 time (0 when it does not parse).
    pub fn epoch(at: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(at)
            .map(|d| d.timestamp())
            .unwrap_or_default()
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

/// A page of the working project's signals, newest first. `kind` and `status` are API enum
/// names; blank means any.
#[server(endpoint = "insights/signals")]
pub async fn list_signals(
    kind: Option<String>,
    status: Option<String>,
    after: Option<String>,
) -> Result<SignalPage, ServerFnError> {
    use convert::*;
    use ops::*;

    let types: Option<Vec<signals_query::SignalType>> = nonblank(kind)
        .map(|k| {
            parse(
                "type",
                &k,
                &SIGNAL_TYPES.iter().map(|t| t.0).collect::<Vec<_>>(),
            )
        })
        .transpose()?
        .map(|t| vec![t]);
    let statuses: Option<Vec<signals_query::SignalStatus>> = nonblank(status)
        .map(|s| {
            parse(
                "status",
                &s,
                &SIGNAL_STATUSES.iter().map(|t| t.0).collect::<Vec<_>>(),
            )
        })
        .transpose()?
        .map(|s| vec![s]);
    let page = super::executor::run::<SignalsQuery>(signals_query::Variables {
        types,
        statuses,
        account_id: None,
        first: Some(25),
        after: nonblank(after),
    })
    .await?
    .signals;
    Ok(SignalPage {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows: page
            .edges
            .into_iter()
            .map(|e| {
                let s = e.node;
                SignalRow::from(SignalFields {
                    id: s.id,
                    kind: name(&s.type_),
                    status: name(&s.status),
                    confidence: s.confidence,
                    detector: name(&s.detector),
                    summary: s.summary,
                    account: s.account.map(|a| AccountRef {
                        id: a.id,
                        name: a.name,
                    }),
                    conversation_id: s.conversation_id,
                    message_id: s.message_id,
                    occurred_at: s.occurred_at,
                })
            })
            .collect(),
    })
}

/// Sets a signal's triage state; returns the new state.
#[server(endpoint = "insights/signal-status")]
pub async fn set_signal_status(
    id: String,
    status: String,
    csrf: String,
) -> Result<String, ServerFnError> {
    use convert::*;
    use ops::*;

    let status: set_signal_status_mutation::SignalStatus = parse(
        "status",
        &status,
        &SIGNAL_STATUSES.iter().map(|t| t.0).collect::<Vec<_>>(),
    )?;
    let done = super::executor::run_mutation::<SetSignalStatusMutation>(
        set_signal_status_mutation::Variables { id, status },
        &csrf,
    )
    .await?;
    Ok(name(&done.set_signal_status.status))
}

/// Queues signal detection over every stored customer message again, then shows the feed
/// with how many were queued.
#[server(endpoint = "insights/backfill-signals")]
pub async fn backfill_signals(csrf: String) -> Result<i64, ServerFnError> {
    use ops::*;

    let queued = super::executor::run_mutation::<BackfillSignalsMutation>(
        backfill_signals_mutation::Variables {},
        &csrf,
    )
    .await?
    .backfill_signals;
    leptos_axum::redirect(&format!("/signals?queued={queued}"));
    Ok(queued)
}

/// The example phrases of every signal type.
#[server(endpoint = "insights/phrases")]
pub async fn list_phrases() -> Result<Vec<PhraseRow>, ServerFnError> {
    use convert::*;
    use ops::*;

    let phrases = super::executor::run::<SignalExamplePhrasesQuery>(
        signal_example_phrases_query::Variables {},
    )
    .await?
    .signal_example_phrases;
    Ok(phrases
        .into_iter()
        .map(|p| PhraseRow {
            id: p.id,
            kind: name(&p.type_),
            phrase: p.phrase,
            language: p.language,
            enabled: p.enabled,
            embedded: p.embedded,
        })
        .collect())
}

/// Adds an example phrase.
#[server(endpoint = "insights/add-phrase")]
pub async fn add_phrase(
    kind: String,
    phrase: String,
    language: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use convert::*;
    use ops::*;

    let type_: add_signal_example_phrase_mutation::SignalType = parse(
        "type",
        &kind,
        &SIGNAL_TYPES.iter().map(|t| t.0).collect::<Vec<_>>(),
    )?;
    super::executor::run_mutation::<AddSignalExamplePhraseMutation>(
        add_signal_example_phrase_mutation::Variables {
            type_,
            phrase: phrase.trim().to_owned(),
            language: nonblank(language),
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Turns an example phrase on (`enabled` = "true") or off.
#[server(endpoint = "insights/phrase-enabled")]
pub async fn set_phrase_enabled(
    id: String,
    enabled: String,
    csrf: String,
) -> Result<bool, ServerFnError> {
    use ops::*;

    let done = super::executor::run_mutation::<SetSignalExamplePhraseEnabledMutation>(
        set_signal_example_phrase_enabled_mutation::Variables {
            id,
            enabled: enabled == "true",
        },
        &csrf,
    )
    .await?;
    Ok(done.set_signal_example_phrase_enabled.enabled)
}

/// Deletes an example phrase.
#[server(endpoint = "insights/delete-phrase")]
pub async fn delete_phrase(id: String, csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    super::executor::run_mutation::<DeleteSignalExamplePhraseMutation>(
        delete_signal_example_phrase_mutation::Variables { id },
        &csrf,
    )
    .await?;
    Ok(())
}

/// A page of next-best-actions: `view` "done", "dismissed", else the inbox (open and
/// accepted).
#[server(endpoint = "insights/actions")]
pub async fn list_actions(
    view: Option<String>,
    after: Option<String>,
) -> Result<ActionPage, ServerFnError> {
    use std::collections::HashMap;

    use convert::*;
    use next_best_actions_query::NextBestActionStatus as S;
    use ops::*;

    let statuses = match view.as_deref() {
        Some("done") => vec![S::DONE],
        Some("dismissed") => vec![S::DISMISSED],
        _ => vec![S::OPEN, S::ACCEPTED],
    };
    let page = super::executor::run::<NextBestActionsQuery>(next_best_actions_query::Variables {
        statuses: Some(statuses),
        account_id: None,
        first: Some(25),
        after: nonblank(after),
    })
    .await?
    .next_best_actions;
    // Where the evidence messages were said.
    let mut messages = HashMap::new();
    let refs: Vec<(String, String)> = page
        .edges
        .iter()
        .flat_map(|e| {
            e.node
                .evidence
                .iter()
                .map(|r| (r.kind.clone(), r.id.clone()))
        })
        .collect();
    resolve_messages(message_ids(&refs), &mut messages).await;
    Ok(ActionPage {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows: page
            .edges
            .into_iter()
            .map(|e| {
                let a = e.node;
                ActionRow::from_fields(
                    ActionFields {
                        id: a.id,
                        title: a.title,
                        reason: a.reason,
                        rule: a.rule,
                        priority: a.priority,
                        due_at: a.due_at,
                        status: name(&a.status),
                        account: a.account.map(|a| AccountRef {
                            id: a.id,
                            name: a.name,
                        }),
                        account_id: a.account_id,
                        conversation_id: a.conversation_id,
                        evidence: a.evidence.into_iter().map(|r| (r.kind, r.id)).collect(),
                        dismiss_reason: a.dismiss_reason,
                        assignee: a.assignee.map(|m| m.user.username),
                    },
                    &messages,
                )
            })
            .collect(),
    })
}

/// The rules that raise next-best-actions.
#[server(endpoint = "insights/action-rules")]
pub async fn action_rules() -> Result<Vec<RuleRow>, ServerFnError> {
    use ops::*;

    let rules = super::executor::run::<NextBestActionRulesQuery>(
        next_best_action_rules_query::Variables {},
    )
    .await?
    .next_best_action_rules;
    Ok(rules
        .into_iter()
        .map(|r| RuleRow {
            key: r.key,
            description: r.description,
            priority: r.priority,
        })
        .collect())
}

/// Accepts (`decision` = "accept"), completes ("done") or dismisses ("dismiss", with an
/// optional reason) a next-best-action; returns its new status.
#[server(endpoint = "insights/decide-action")]
pub async fn decide_action(
    id: String,
    decision: String,
    reason: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use convert::*;
    use ops::*;

    let status = match decision.as_str() {
        "accept" => name(
            &super::executor::run_mutation::<AcceptNextBestActionMutation>(
                accept_next_best_action_mutation::Variables { id },
                &csrf,
            )
            .await?
            .accept_next_best_action
            .status,
        ),
        "done" => name(
            &super::executor::run_mutation::<CompleteNextBestActionMutation>(
                complete_next_best_action_mutation::Variables { id },
                &csrf,
            )
            .await?
            .complete_next_best_action
            .status,
        ),
        "dismiss" => name(
            &super::executor::run_mutation::<DismissNextBestActionMutation>(
                dismiss_next_best_action_mutation::Variables {
                    id,
                    reason: nonblank(reason),
                },
                &csrf,
            )
            .await?
            .dismiss_next_best_action
            .status,
        ),
        _ => {
            return Err(crate::api::executor::invalid_input(
                "Invalid input: decision: is not one of the choices".to_owned(),
            )
            .into());
        }
    };
    Ok(status)
}

/// A page of the risk radar (items still open or acknowledged), riskiest first. The signal
/// behind an item is looked up for its conversation, so its message evidence links there.
#[server(endpoint = "insights/radar")]
pub async fn load_radar(after: Option<String>) -> Result<RadarPageData, ServerFnError> {
    use std::collections::{HashMap, HashSet};

    use convert::*;
    use ops::*;

    let page = super::executor::run::<RiskRadarQuery>(risk_radar_query::Variables {
        first: Some(25),
        after: nonblank(after),
    })
    .await?
    .risk_radar;
    // Where the signals behind the items were said: the latest signals of each account on
    // the page, and any item's own signal that is older.
    let mut said = SignalPlaces::new();
    let accounts: HashSet<String> = page
        .edges
        .iter()
        .map(|e| e.node.account_id.clone())
        .collect();
    for account in accounts {
        let signals = super::executor::run::<SignalsQuery>(signals_query::Variables {
            types: None,
            statuses: None,
            account_id: Some(account),
            first: Some(100),
            after: None,
        })
        .await?
        .signals;
        for e in signals.edges {
            said.insert(e.node.id, (e.node.conversation_id, e.node.message_id));
        }
    }
    for e in &page.edges {
        if let Some(id) = &e.node.signal_id
            && !said.contains_key(id)
            && let Ok(d) = super::executor::run::<SignalLinkQuery>(signal_link_query::Variables {
                id: id.clone(),
            })
            .await
        {
            said.insert(id.clone(), (d.signal.conversation_id, d.signal.message_id));
        }
    }
    let mut message_conversations: HashMap<String, String> = said
        .values()
        .filter_map(|(c, m)| Some((m.clone()?, c.clone()?)))
        .collect();
    // Evidence messages the signals did not place.
    let refs: Vec<(String, String)> = page
        .edges
        .iter()
        .flat_map(|e| {
            e.node
                .evidence
                .iter()
                .map(|r| (r.kind.clone(), r.id.clone()))
        })
        .collect();
    resolve_messages(message_ids(&refs), &mut message_conversations).await;
    let mut rows = Vec::with_capacity(page.edges.len());
    for edge in page.edges {
        let r = edge.node;
        let own = r.signal_id.as_ref().and_then(|id| said.get(id));
        let conversation = own.and_then(|(c, _)| c.clone());
        let context = EvidenceContext {
            conversation: conversation.as_deref(),
            account: Some(&r.account_id),
            signal_href: own.and_then(|(c, m)| message_href(c.as_deref(), m.as_deref())),
            signals: Some(&said),
            message_conversations: Some(&message_conversations),
        };
        let refs = r.evidence.into_iter().map(|e| (e.kind, e.id));
        rows.push(RadarRow {
            evidence: evidence(refs, &context),
            id: r.id,
            kind: name(&r.kind),
            status: name(&r.status),
            risk_score: r.risk_score,
            explanation: r.explanation,
            from_band: r.from_band.as_ref().map(name),
            to_band: r.to_band.as_ref().map(name),
            detected_at: r.detected_at,
            account: AccountRef {
                id: r.account_id,
                name: r.account_name,
            },
        });
    }
    Ok(RadarPageData {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows,
    })
}

/// Sets a radar item's state; returns the new state.
#[server(endpoint = "insights/risk-status")]
pub async fn set_risk_status(
    id: String,
    status: String,
    csrf: String,
) -> Result<String, ServerFnError> {
    use convert::*;
    use ops::*;

    let status: set_risk_item_status_mutation::RiskItemStatus = parse(
        "status",
        &status,
        &["OPEN", "ACKNOWLEDGED", "RESOLVED", "DISMISSED"],
    )?;
    let done = super::executor::run_mutation::<SetRiskItemStatusMutation>(
        set_risk_item_status_mutation::Variables { id, status },
        &csrf,
    )
    .await?;
    Ok(name(&done.set_risk_item_status.status))
}

/// The working project's health weights.
#[server(endpoint = "insights/health-weights")]
pub async fn health_weights() -> Result<Vec<WeightRow>, ServerFnError> {
    use convert::*;
    use ops::*;

    let weights = super::executor::run::<HealthWeightsQuery>(health_weights_query::Variables {})
        .await?
        .health_weights;
    Ok(weights
        .into_iter()
        .map(|w| WeightRow {
            measure: name(&w.measure),
            weight: w.weight,
            is_default: w.is_default,
        })
        .collect())
}

/// Sets the five health weights (whole numbers summing to 100).
#[server(endpoint = "insights/set-health-weights")]
pub async fn set_health_weights(
    reply_latency: String,
    unresolved_conversations: String,
    recent_signals: String,
    activity_recency: String,
    opportunity_state: String,
    csrf: String,
) -> Result<Vec<WeightRow>, ServerFnError> {
    use convert::*;
    use ops::*;

    let fields = [
        ("replyLatency", &reply_latency),
        ("unresolvedConversations", &unresolved_conversations),
        ("recentSignals", &recent_signals),
        ("activityRecency", &activity_recency),
        ("opportunityState", &opportunity_state),
    ];
    let mut values = [0i64; 5];
    let mut problems = Vec::new();
    for (i, (field, raw)) in fields.iter().enumerate() {
        match raw.trim().parse::<i64>() {
            Ok(v) => values[i] = v,
            Err(_) => problems.push(format!("{field}: enter a whole number")),
        }
    }
    if !problems.is_empty() {
        return Err(crate::api::executor::invalid_input(format!(
            "Invalid input: {}",
            problems.join("; ")
        ))
        .into());
    }
    let [a, b, c, d, e] = values;
    let set = super::executor::run_mutation::<SetHealthWeightsMutation>(
        set_health_weights_mutation::Variables {
            reply_latency: a,
            unresolved_conversations: b,
            recent_signals: c,
            activity_recency: d,
            opportunity_state: e,
        },
        &csrf,
    )
    .await?
    .set_health_weights;
    Ok(set
        .into_iter()
        .map(|w| WeightRow {
            measure: name(&w.measure),
            weight: w.weight,
            is_default: w.is_default,
        })
        .collect())
}

/// An account's health (latest and history), latest signals and open actions.
#[server(endpoint = "insights/account")]
pub async fn account_insights(account_id: String) -> Result<AccountInsightsView, ServerFnError> {
    use std::collections::HashMap;

    use convert::*;
    use ops::*;

    let a = super::executor::run::<AccountInsightsQuery>(account_insights_query::Variables {
        id: account_id,
    })
    .await?
    .crm_account;
    let mut history: Vec<HealthPoint> = a
        .health_history
        .into_iter()
        .map(|h| HealthPoint {
            score: h.score,
            band: name(&h.band),
            at: epoch(&h.computed_at),
            computed_at: h.computed_at,
        })
        .collect();
    history.sort_by_key(|p| p.at);
    // Where the evidence messages were said: the signals listed here place theirs; the rest
    // are looked up.
    let said: SignalPlaces = a
        .signals
        .edges
        .iter()
        .map(|e| {
            (
                e.node.id.clone(),
                (e.node.conversation_id.clone(), e.node.message_id.clone()),
            )
        })
        .collect();
    let mut messages: HashMap<String, String> = said
        .values()
        .filter_map(|(c, m)| Some((m.clone()?, c.clone()?)))
        .collect();
    let health_refs: Vec<(String, String)> = a
        .health
        .as_ref()
        .map(|h| {
            h.evidence
                .iter()
                .map(|r| (r.kind.clone(), r.id.clone()))
                .collect()
        })
        .unwrap_or_default();
    let action_refs: Vec<(String, String)> = a
        .next_best_actions
        .iter()
        .flat_map(|n| n.evidence.iter().map(|r| (r.kind.clone(), r.id.clone())))
        .collect();
    resolve_messages(
        message_ids(health_refs.iter().chain(&action_refs)),
        &mut messages,
    )
    .await;
    let health_evidence = evidence(
        health_refs,
        &EvidenceContext {
            conversation: None,
            account: Some(&a.id),
            signal_href: None,
            signals: Some(&said),
            message_conversations: Some(&messages),
        },
    );
    Ok(AccountInsightsView {
        health: a.health.map(|h| HealthView {
            score: h.score,
            band: name(&h.band),
            previous_score: h.previous_score,
            trend: name(&h.trend),
            measures: h
                .measures
                .into_iter()
                .map(|m| MeasureRow {
                    measure: name(&m.measure),
                    value: m.value,
                    score: m.score,
                    weight: m.weight,
                })
                .collect(),
            evidence: health_evidence,
            computed_at: h.computed_at,
        }),
        history,
        signals_total: a.signals.total_count,
        signals: a
            .signals
            .edges
            .into_iter()
            .map(|e| {
                let s = e.node;
                SignalRow::from(SignalFields {
                    id: s.id,
                    kind: name(&s.type_),
                    status: name(&s.status),
                    confidence: s.confidence,
                    detector: name(&s.detector),
                    summary: s.summary,
                    account: None,
                    conversation_id: s.conversation_id,
                    message_id: s.message_id,
                    occurred_at: s.occurred_at,
                })
            })
            .collect(),
        actions: a
            .next_best_actions
            .into_iter()
            .map(|n| {
                ActionRow::from_fields(
                    ActionFields {
                        id: n.id,
                        title: n.title,
                        reason: n.reason,
                        rule: n.rule,
                        priority: n.priority,
                        due_at: n.due_at,
                        status: name(&n.status),
                        account: None,
                        account_id: n.account_id,
                        conversation_id: n.conversation_id,
                        evidence: n.evidence.into_iter().map(|r| (r.kind, r.id)).collect(),
                        dismiss_reason: n.dismiss_reason,
                        assignee: n.assignee.map(|m| m.user.username),
                    },
                    &messages,
                )
            })
            .collect(),
    })
}

/// Computes an account's health now.
#[server(endpoint = "insights/recompute-health")]
pub async fn recompute_health(account_id: String, csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    super::executor::run_mutation::<RecomputeAccountHealthMutation>(
        recompute_account_health_mutation::Variables { account_id },
        &csrf,
    )
    .await?;
    Ok(())
}

/// The account a conversation's contact is confirmed on, or what an account created from
/// the contact would be.
#[server(endpoint = "insights/conversation-account")]
pub async fn conversation_account(
    conversation_id: String,
) -> Result<ConversationAccountView, ServerFnError> {
    use ops::*;

    let c =
        super::executor::run::<ConversationAccountQuery>(conversation_account_query::Variables {
            id: conversation_id,
        })
        .await?
        .conversation;
    let contact = c.contact.map(|k| {
        // The company the contact gave Chatwoot names the account; else its email domain.
        let company = k.company_name.clone();
        let label = k
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| k.email.clone())
            .unwrap_or_else(|| "this contact".to_owned());
        ContactSeed {
            account_name: account_name_for(
                company.as_deref(),
                k.email.as_deref(),
                k.name.as_deref(),
            )
            .unwrap_or_else(|| label.clone()),
            domain: k.email.as_deref().and_then(email_domain),
            contact_id: k.id,
            label,
        }
    });
    Ok(ConversationAccountView {
        account: c.crm_account.map(|a| AccountRef {
            id: a.id,
            name: a.name,
        }),
        contact,
    })
}

/// Creates an account and links the contact to it as confirmed, then opens the account.
#[server(endpoint = "insights/account-from-contact")]
pub async fn create_account_from_contact(
    contact_id: String,
    name: String,
    domain: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use ops::*;

    let account_id = super::crm::create_account(name, domain, csrf.clone()).await?;
    super::executor::run_mutation::<LinkAccountContactMutation>(
        link_account_contact_mutation::Variables {
            input: link_account_contact_mutation::LinkAccountContactInput {
                account_id: account_id.clone(),
                contact_id,
                role: None,
            },
        },
        &csrf,
    )
    .await?;
    leptos_axum::redirect(&format!("/accounts/{account_id}"));
    Ok(account_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_named_after_the_company_then_the_email_domain_then_the_person() {
        assert_eq!(
            account_name_for(Some("Acme GmbH"), Some("jo@acme.example"), Some("Jo")).as_deref(),
            Some("Acme GmbH")
        );
        assert_eq!(
            account_name_for(Some("  "), Some("jo@Acme.Example"), Some("Jo")).as_deref(),
            Some("acme.example")
        );
        assert_eq!(
            account_name_for(None, None, Some("Jo Doe")).as_deref(),
            Some("Jo Doe")
        );
        assert_eq!(account_name_for(None, Some("not-an-email"), None), None);
    }

    #[test]
    fn enum_values_read_as_words() {
        assert_eq!(words("AT_RISK"), "At risk");
        assert_eq!(label_of(SIGNAL_TYPES, "CHURN_RISK"), "Churn risk");
        assert_eq!(measure_label("RECENT_SIGNALS"), "Recent risk signals");
    }
}
