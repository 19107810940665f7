//! Batched lookups: many contacts, conversations or messages by global id in one query each
//! (the API's DataLoaders, and search results that link to all three).
use entity::{cw_contacts, cw_conversations, cw_messages};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::query::{Contact, Conversation, Message};
use crate::{auth::Scope, domain::error::DomainResult};

/// The scope's contacts among `ids` (missing ids are simply absent).
pub async fn contacts_by_ids<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    ids: &[String],
) -> DomainResult<Vec<Contact>> {
    Ok(cw_contacts::Entity::find()
        .filter(cw_contacts::Column::ProjectId.eq(scope.project_id()))
        .filter(cw_contacts::Column::AccountScopeId.eq(scope.account_scope_id()))
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
    Ok(cw_conversations::Entity::find()
        .filter(cw_conversations::Column::ProjectId.eq(scope.project_id()))
        .filter(cw_conversations::Column::AccountScopeId.eq(scope.account_scope_id()))
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
    Ok(cw_messages::Entity::find()
        .filter(cw_messages::Column::ProjectId.eq(scope.project_id()))
        .filter(cw_messages::Column::AccountScopeId.eq(scope.account_scope_id()))
        .filter(cw_messages::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
