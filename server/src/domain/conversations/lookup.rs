//! Batched lookups: many contacts, conversations or messages by global id in one query each
//! (the API's DataLoaders, and search results that link to all three).
use entity::{cw_contacts, cw_conversations, cw_messages};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};

use crate::domain::conversations::query::{Contact, Conversation, Message};
use crate::{kernel::Scope, kernel::error::DomainResult};

/// The scope's contacts among `ids` (missing ids are simply absent).
pub async fn contacts_by_ids<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    ids: &[String],
) -> DomainResult<Vec<Contact>> {
    Ok(scope
        .rows::<cw_contacts::Entity>()
        .filter(cw_contacts::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The scope's conversations among `ids`.
pub async fn conversations_by_ids<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    ids: &[String],
) -> DomainResult<Vec<Conversation>> {
    Ok(scope
        .rows::<cw_conversations::Entity>()
        .filter(cw_conversations::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The scope's messages among `ids`.
pub async fn messages_by_ids<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    ids: &[String],
) -> DomainResult<Vec<Message>> {
    Ok(scope
        .rows::<cw_messages::Entity>()
        .filter(cw_messages::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
