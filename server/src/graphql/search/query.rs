//! Search by meaning over the active project's conversations, and the embedding pipeline's
//! status.
use std::collections::HashMap;

use async_graphql::{Context, Object};

use crate::{
    domain::{
        conversations::lookup,
        search::{self, SearchFilter},
    },
    graphql::{
        context::project_scope,
        conversations::types::{ContactNode, ConversationNode, MessageNode},
        error::{IntoGqlError, validation},
        search::types::{
            EmbeddingStatus, SearchFilterInput, SearchHitNode, SearchResults, SearchVectorPath,
        },
    },
};

/// The value under `id`, if any.
fn lookup<T: Clone>(map: &HashMap<String, T>, id: &Option<String>) -> Option<T> {
    id.as_ref().and_then(|id| map.get(id)).cloned()
}

/// Most results one search returns.
const MAX_FIRST: i32 = 50;

/// What the API says when the query could not be embedded (the provider's own error is logged,
/// not shown: it may name internal hosts).
const TEXT_ONLY_NOTICE: &str =
    "Search by meaning is unavailable right now; these results match your words only.";

fn global_id(
    field: &str,
    id: Option<async_graphql::ID>,
    prefix: &str,
) -> async_graphql::Result<Option<String>> {
    match id {
        None => Ok(None),
        Some(id) if id.starts_with(prefix) && id.len() <= 200 => Ok(Some(id.0)),
        Some(_) => Err(validation(field, &format!("is not a {prefix} id"))),
    }
}

fn domain_filter(filter: Option<SearchFilterInput>) -> async_graphql::Result<SearchFilter> {
    let f = filter.unwrap_or_default();
    if let (Some(from), Some(to)) = (f.from, f.to)
        && from >= to
    {
        return Err(validation("filter.to", "must be after filter.from"));
    }
    if f.inbox.is_some_and(|i| i <= 0) {
        return Err(validation("filter.inbox", "must be a positive inbox id"));
    }
    Ok(SearchFilter {
        conversation: global_id("filter.conversation", f.conversation, "cw:")?,
        contact: global_id("filter.contact", f.contact, "cwc:")?,
        inbox: f.inbox,
        from: f.from,
        to: f.to,
    })
}

/// Search and embedding status queries.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Chunks of the active project's messages that match `query` by meaning and by words
    /// (fused by reciprocal rank), best first, with their message, conversation and contact.
    /// `first`: 1 to 50, default 10.
    #[graphql(
        complexity = "crate::graphql::pagination::EXPENSIVE_FIELD_COST + crate::graphql::pagination::rows_cost(first, 10, child_complexity)"
    )]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        filter: Option<SearchFilterInput>,
    ) -> async_graphql::Result<SearchResults> {
        let first = first.unwrap_or(10);
        if !(1..=MAX_FIRST).contains(&first) {
            return Err(validation("first", "must be between 1 and 50"));
        }
        let filter = domain_filter(filter)?;
        let (db, scope) = project_scope(ctx).await?;
        let outcome = search::search_live(db, &scope, &query, first as usize, &filter)
            .await
            .map_err(IntoGqlError::into_gql)?;

        let ids = |f: fn(&search::SearchHit) -> Option<&String>| -> Vec<String> {
            let mut ids: Vec<String> = outcome.hits.iter().filter_map(f).cloned().collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let message_ids = ids(|h| h.message_global_id.as_ref());
        let conversation_ids = ids(|h| h.conversation_global_id.as_ref());
        let contact_ids = ids(|h| h.contact_global_id.as_ref());
        let (messages, conversations, contacts) = tokio::try_join!(
            lookup::messages_by_ids(db, &scope, &message_ids),
            lookup::conversations_by_ids(db, &scope, &conversation_ids),
            lookup::contacts_by_ids(db, &scope, &contact_ids),
        )
        .map_err(IntoGqlError::into_gql)?;
        let messages: HashMap<String, MessageNode> = messages
            .into_iter()
            .map(|m| (m.id.clone(), MessageNode::from(m)))
            .collect();
        let conversations: HashMap<String, ConversationNode> = conversations
            .into_iter()
            .map(|c| (c.id.clone(), ConversationNode::new(c, scope)))
            .collect();
        let contacts: HashMap<String, ContactNode> = contacts
            .into_iter()
            .map(|c| (c.id.clone(), ContactNode::from(c)))
            .collect();

        let notice = outcome
            .vector_error
            .as_ref()
            .map(|_| TEXT_ONLY_NOTICE.to_owned());
        let vector_path = SearchVectorPath::from(outcome.path);
        let hits = outcome
            .hits
            .into_iter()
            .map(|hit| {
                let message = lookup(&messages, &hit.message_global_id);
                let conversation = lookup(&conversations, &hit.conversation_global_id);
                let contact = lookup(&contacts, &hit.contact_global_id);
                SearchHitNode::new(hit, message, conversation, contact)
            })
            .collect();
        Ok(SearchResults {
            hits,
            vector_path,
            notice,
        })
    }

    /// The embedding pipeline of the active project: chunks by status, the backlog, failures.
    async fn embedding_status(&self, ctx: &Context<'_>) -> async_graphql::Result<EmbeddingStatus> {
        let (db, scope) = project_scope(ctx).await?;
        let provider = search::provider();
        let model = provider.model_id().to_owned();
        let (counts, backlog) = tokio::try_join!(
            search::embedding_status(db, &scope, &model),
            search::indexing_backlog(db, &scope),
        )
        .map_err(IntoGqlError::into_gql)?;
        Ok(EmbeddingStatus::new(model, counts, backlog, scope))
    }
}
