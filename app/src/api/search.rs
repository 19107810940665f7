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

use self::ops::{
    embedding_status_query::EmbeddingStatusQueryEmbeddingStatus,
    search_query::{SearchQuerySearch, SearchQuerySearchHits},
};
use crate::api::text::contact_label;

impl SearchQuerySearchHits {
    /// The conversation at the message, if the hit has a conversation.
    pub fn href(&self) -> Option<String> {
        let conversation = self.conversation.as_ref()?;
        Some(match &self.message {
            Some(m) => format!("/conversations/{}#{}", conversation.id, m.id),
            None => format!("/conversations/{}", conversation.id),
        })
    }

    /// Contact name or email.
    pub fn contact_name(&self) -> String {
        match &self.contact {
            Some(c) => contact_label(c.name.as_deref(), c.email.as_deref()),
            None => contact_label(None, None),
        }
    }

    /// Who wrote it: the sender's name, else their type, else nothing.
    pub fn sender(&self) -> String {
        self.message
            .as_ref()
            .and_then(|m| m.sender_name.clone().or_else(|| m.sender_type.clone()))
            .unwrap_or_default()
    }

    /// A private note.
    pub fn private(&self) -> bool {
        self.message.as_ref().is_some_and(|m| m.private)
    }

    /// Chatwoot display id of the conversation.
    pub fn display_id(&self) -> Option<i64> {
        self.conversation.as_ref().and_then(|c| c.conversation_id)
    }

    /// Inbox of the conversation.
    pub fn inbox_id(&self) -> Option<i64> {
        self.conversation.as_ref().and_then(|c| c.inbox_id)
    }
}

impl EmbeddingStatusQueryEmbeddingStatus {
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
pub async fn run_search(request: SearchRequest) -> Result<SearchQuerySearch, ServerFnError> {
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
    Ok(answer)
}

/// The embedding pipeline of the working project.
#[server(endpoint = "search/embedding-status")]
pub async fn embedding_status() -> Result<EmbeddingStatusQueryEmbeddingStatus, ServerFnError> {
    use ops::*;

    let status = super::executor::run::<EmbeddingStatusQuery>(embedding_status_query::Variables {})
        .await?
        .embedding_status;
    Ok(status)
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
