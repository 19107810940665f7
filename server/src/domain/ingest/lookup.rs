//! Batched lookups for the API's DataLoaders: many contacts by global id in one query.
use entity::cw_contacts;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::query::Contact;
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
