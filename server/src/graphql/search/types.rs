//! API types for search by meaning and the embedding pipeline's status.
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::conversations::types::{ContactNode, ConversationNode, MessageNode};
use crate::{
    domain::search::{
        self, EmbeddingStatusCounts, FailedChunk, SearchHit,
        query::{SnippetPart, VectorPath},
    },
    graphql::{
        context::ContextExt,
        error::{IntoGqlError, validation},
    },
    kernel::Scope,
};

/// Narrows a search.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "SearchFilter")]
pub struct SearchFilterInput {
    /// Only this conversation (`cw:` id).
    pub conversation: Option<ID>,
    /// Only this contact's conversations (`cwc:` id).
    pub contact: Option<ID>,
    /// Only conversations of this Chatwoot inbox.
    pub inbox: Option<i64>,
    /// Messages written at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Messages written before this time.
    pub to: Option<DateTime<Utc>>,
}

/// How the meaning (vector) side of a search was answered.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchVectorPath {
    /// Exact distances to every vector the filters leave (small tenants).
    Exact,
    /// The approximate nearest-neighbour index.
    Index,
    /// The index came back short under the filters; exact distances answered instead.
    IndexThenExact,
    /// No meaning side: the query could not be embedded (text matches only).
    None,
}

impl From<VectorPath> for SearchVectorPath {
    fn from(p: VectorPath) -> Self {
        match p {
            VectorPath::Exact => Self::Exact,
            VectorPath::Index => Self::Index,
            VectorPath::IndexThenExact => Self::IndexThenExact,
            VectorPath::None => Self::None,
        }
    }
}

/// A piece of a snippet; `highlight` marks a matched query word. Plain text, never markup.
#[derive(SimpleObject, Debug, Clone)]
pub struct SnippetSegment {
    /// The text.
    pub text: String,
    /// A query word matched here.
    pub highlight: bool,
}

impl From<SnippetPart> for SnippetSegment {
    fn from(p: SnippetPart) -> Self {
        Self {
            text: p.text,
            highlight: p.highlight,
        }
    }
}

/// One search result: a chunk of a message, with where it came from.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "SearchHit")]
pub struct SearchHitNode {
    /// The chunk's id (cite it as evidence).
    pub chunk_id: ID,
    /// Position of the chunk in its message.
    pub chunk_index: Option<i32>,
    /// The chunk's text.
    pub text: String,
    /// The best passage, split into plain and highlighted segments.
    pub snippet: Vec<SnippetSegment>,
    /// Fused score (higher is better).
    pub score: f64,
    /// Rank among meaning matches (1 = nearest), if it was one.
    pub vector_rank: Option<i64>,
    /// Rank among word matches, if it was one.
    pub text_rank: Option<i64>,
    /// The message it is part of.
    pub message: Option<MessageNode>,
    /// The message's conversation.
    pub conversation: Option<ConversationNode>,
    /// The conversation's contact.
    pub contact: Option<ContactNode>,
    /// When the message was written.
    pub message_created_at: Option<DateTime<Utc>>,
}

impl SearchHitNode {
    /// The API view of `hit`, with its already-loaded message, conversation and contact.
    pub fn new(
        hit: SearchHit,
        message: Option<MessageNode>,
        conversation: Option<ConversationNode>,
        contact: Option<ContactNode>,
    ) -> Self {
        Self {
            chunk_id: ID(hit.chunk_id.to_string()),
            chunk_index: hit.chunk_index,
            text: hit.text,
            snippet: hit.snippet.into_iter().map(Into::into).collect(),
            score: hit.score,
            vector_rank: hit.vector_rank,
            text_rank: hit.text_rank,
            message,
            conversation,
            contact,
            message_created_at: hit.message_created_at,
        }
    }
}

/// The answer to a search.
#[derive(SimpleObject, Debug, Clone)]
pub struct SearchResults {
    /// Best first.
    pub hits: Vec<SearchHitNode>,
    /// How the meaning side was answered.
    pub vector_path: SearchVectorPath,
    /// Set when results are word matches only because the query could not be embedded.
    pub notice: Option<String>,
}

/// A chunk the embedding worker gave up on.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "FailedChunk")]
pub struct FailedChunkNode {
    /// Chunk id.
    pub id: ID,
    /// Its message's global id.
    pub message_id: Option<String>,
    /// Its conversation's global id.
    pub conversation_id: Option<String>,
    /// The start of its text.
    pub text_preview: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last error.
    pub error: Option<String>,
    /// When it failed.
    pub updated_at: DateTime<Utc>,
}

impl From<FailedChunk> for FailedChunkNode {
    fn from(c: FailedChunk) -> Self {
        Self {
            id: ID(c.id.to_string()),
            message_id: c.message_global_id,
            conversation_id: c.conversation_global_id,
            text_preview: c.text_preview,
            attempts: c.attempts,
            error: c.error,
            updated_at: c.updated_at,
        }
    }
}

/// The embedding pipeline of the active project.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct EmbeddingStatus {
    /// The configured model (`provider/model@dimensions`).
    pub model: String,
    /// Chunks waiting to be embedded.
    pub pending: i64,
    /// Chunks a worker holds now.
    pub processing: i64,
    /// Chunks embedded.
    pub ready: i64,
    /// Chunks given up on (see `failedChunks`).
    pub failed: i64,
    /// All chunks.
    pub total: i64,
    /// Chunks with a vector of the configured model (what search by meaning sees).
    pub current_model_vectors: i64,
    /// Pending chunks waiting out a retry delay.
    pub backing_off: i64,
    /// Share of chunks with a vector of the configured model, 0 to 1.
    pub progress: f64,
    /// Batches of ingested messages not yet cut into chunks.
    pub indexing_backlog: i64,
    #[graphql(skip)]
    pub scope: Scope,
}

impl EmbeddingStatus {
    /// Assembles the status from the domain's counts.
    pub fn new(
        model: String,
        counts: EmbeddingStatusCounts,
        indexing_backlog: i64,
        scope: Scope,
    ) -> Self {
        Self {
            model,
            progress: counts.progress(),
            pending: counts.pending,
            processing: counts.processing,
            ready: counts.ready,
            failed: counts.failed,
            total: counts.total,
            current_model_vectors: counts.current_model_vectors,
            backing_off: counts.backing_off,
            indexing_backlog,
            scope,
        }
    }
}

#[ComplexObject]
impl EmbeddingStatus {
    /// The most recently failed chunks, newest first (`first`: 1 to 200, default 20).
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn failed_chunks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<FailedChunkNode>> {
        let first = first.unwrap_or(20);
        if !(1..=200).contains(&first) {
            return Err(validation("first", "must be between 1 and 200"));
        }
        let db = ctx.db()?;
        let chunks = search::failed_chunks(db, &self.scope, first as u64)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(chunks.into_iter().map(Into::into).collect())
    }
}
