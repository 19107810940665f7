//! Search by meaning and the embedding status panel for the UI.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the search form asks for (the page's query string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Words or a question.
    pub q: String,
    /// Only this conversation (`cw:` id).
    pub conversation: Option<String>,
    /// Only this contact (`cwc:` id).
    pub contact: Option<String>,
    /// Only this inbox.
    pub inbox: Option<i64>,
    /// From this day (YYYY-MM-DD).
    pub from: Option<String>,
    /// Up to and including this day (YYYY-MM-DD).
    pub to: Option<String>,
}

/// A piece of a snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Plain text.
    pub text: String,
    /// A matched query word.
    pub highlight: bool,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    /// Chunk id.
    pub chunk_id: String,
    /// The snippet.
    pub snippet: Vec<Segment>,
    /// Fused score.
    pub score: f64,
    /// Message id (the thread's anchor).
    pub message_id: Option<String>,
    /// Who wrote it.
    pub sender: String,
    /// A private note.
    pub private: bool,
    /// Conversation id.
    pub conversation_id: Option<String>,
    /// Chatwoot display id.
    pub display_id: Option<i64>,
    /// Inbox.
    pub inbox_id: Option<i64>,
    /// Contact id.
    pub contact_id: Option<String>,
    /// Contact name or email.
    pub contact_name: String,
    /// Written at (RFC 3339).
    pub created_at: Option<String>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchAnswer {
    /// Best first.
    pub rows: Vec<ResultRow>,
    /// Set when only word matches could be found.
    pub notice: Option<String>,
}

/// A chunk the pipeline gave up on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRow {
    /// Chunk id.
    pub id: String,
    /// Conversation id.
    pub conversation_id: Option<String>,
    /// Message id.
    pub message_id: Option<String>,
    /// Start of the text.
    pub preview: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last error.
    pub error: String,
}

/// The embedding pipeline's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingPanel {
    /// Configured model.
    pub model: String,
    /// Waiting.
    pub pending: i64,
    /// Being embedded.
    pub processing: i64,
    /// Embedded.
    pub ready: i64,
    /// Given up.
    pub failed: i64,
    /// All chunks.
    pub total: i64,
    /// Chunks with a vector of the configured model.
    pub current_model_vectors: i64,
    /// Waiting out a retry delay.
    pub backing_off: i64,
    /// 0..=1.
    pub progress: f64,
    /// Message batches not yet chunked.
    pub indexing_backlog: i64,
    /// Newest failures.
    pub failures: Vec<FailedRow>,
}

impl EmbeddingPanel {
    /// Work is queued or running: the panel keeps refreshing.
    pub fn busy(&self) -> bool {
        self.pending > 0 || self.processing > 0 || self.indexing_backlog > 0
    }
}

/// The capability's typed GraphQL operations (both builds: pages render their types).
pub mod ops {
    operations!("graphql/search.graphql":
        SearchQuery,
        EmbeddingStatusQuery,
        RetryFailedChunksMutation,
    );
}

/// A day from the form as an RFC 3339 instant: its start, or with `next_day` the start of the
/// day after (so "to" includes the whole day).
#[cfg(feature = "ssr")]
fn day_bound(
    field: &str,
    day: Option<String>,
    next_day: bool,
) -> Result<Option<String>, super::ApiError> {
    let Some(day) = day.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let date = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| {
        crate::api::executor::invalid_input(format!(
            "Invalid input: {field}: use a date like 2026-01-31"
        ))
    })?;
    let date = if next_day {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(Some(format!("{date}T00:00:00Z")))
}

/// Searches the working project's conversations.
#[server(endpoint = "search/run")]
pub async fn run_search(request: SearchRequest) -> Result<SearchAnswer, ServerFnError> {
    use ops::*;

    let non_empty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = search_query::SearchFilter {
        conversation: non_empty(request.conversation),
        contact: non_empty(request.contact),
        inbox: request.inbox,
        from: day_bound("From", request.from, false)?,
        to: day_bound("To", request.to, true)?,
    };
    let answer = super::executor::run::<SearchQuery>(search_query::Variables {
        query: request.q,
        first: Some(20),
        filter: Some(filter),
    })
    .await?
    .search;
    Ok(SearchAnswer {
        notice: answer.notice,
        rows: answer
            .hits
            .into_iter()
            .map(|h| {
                let (contact_id, contact_name) = match h.contact {
                    Some(c) => (
                        Some(c.id),
                        c.name
                            .filter(|n| !n.is_empty())
                            .or(c.email)
                            .unwrap_or_else(|| "Unknown contact".to_owned()),
                    ),
                    None => (None, "Unknown contact".to_owned()),
                };
                let (message_id, sender, private) = match h.message {
                    Some(m) => (
                        Some(m.id),
                        m.sender_name.or(m.sender_type).unwrap_or_default(),
                        m.private,
                    ),
                    None => (None, String::new(), false),
                };
                let (conversation_id, display_id, inbox_id) = match h.conversation {
                    Some(c) => (Some(c.id), c.conversation_id, c.inbox_id),
                    None => (None, None, None),
                };
                ResultRow {
                    chunk_id: h.chunk_id,
                    snippet: h
                        .snippet
                        .into_iter()
                        .map(|s| Segment {
                            text: s.text,
                            highlight: s.highlight,
                        })
                        .collect(),
                    score: h.score,
                    message_id,
                    sender,
                    private,
                    conversation_id,
                    display_id,
                    inbox_id,
                    contact_id,
                    contact_name,
                    created_at: h.message_created_at,
                }
            })
            .collect(),
    })
}

/// The embedding pipeline of the working project.
#[server(endpoint = "search/embedding-status")]
pub async fn embedding_status() -> Result<EmbeddingPanel, ServerFnError> {
    use ops::*;

    let s = super::executor::run::<EmbeddingStatusQuery>(embedding_status_query::Variables {})
        .await?
        .embedding_status;
    Ok(EmbeddingPanel {
        model: s.model,
        pending: s.pending,
        processing: s.processing,
        ready: s.ready,
        failed: s.failed,
        total: s.total,
        current_model_vectors: s.current_model_vectors,
        backing_off: s.backing_off,
        progress: s.progress,
        indexing_backlog: s.indexing_backlog,
        failures: s
            .failed_chunks
            .into_iter()
            .map(|f| FailedRow {
                id: f.id,
                conversation_id: f.conversation_id,
                message_id: f.message_id,
                preview: f.text_preview,
                attempts: f.attempts,
                error: f.error.unwrap_or_default(),
            })
            .collect(),
    })
}

/// Puts the working project's failed chunks back in the embedding queue; returns how many.
#[server(endpoint = "search/retry-failed")]
pub async fn retry_failed(csrf: String) -> Result<i64, ServerFnError> {
    use ops::*;

    Ok(super::executor::run_mutation::<RetryFailedChunksMutation>(
        retry_failed_chunks_mutation::Variables {},
        &csrf,
    )
    .await?
    .retry_failed_chunks
    .requeued)
}
