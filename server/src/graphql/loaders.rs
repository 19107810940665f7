//! DataLoaders: batch the per-row lookups of a listing into one query (no N+1).
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;

use uuid::Uuid;

use crate::{
    auth::Scope,
    domain::{
        ingest::{lookup, query::Contact},
        projects::members::{self, Member},
    },
};

/// Key of a contact lookup: the scope is part of the key, so one loader serves every tenant
/// without mixing them.
pub type ContactKey = (Scope, String);

/// Loads Chatwoot contacts by global id.
pub struct ContactLoader {
    /// The pool.
    pub db: DatabaseConnection,
}

impl Loader<ContactKey> for ContactLoader {
    type Value = Contact;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ContactKey]) -> Result<HashMap<ContactKey, Contact>, Self::Error> {
        let mut by_scope: HashMap<Scope, Vec<String>> = HashMap::new();
        for (scope, id) in keys {
            by_scope.entry(*scope).or_default().push(id.clone());
        }
        let mut out = HashMap::new();
        for (scope, ids) in by_scope {
            let contacts = lookup::contacts_by_ids(&self.db, &scope, &ids)
                .await
                .map_err(crate::graphql::error::IntoGqlError::into_gql)?;
            out.extend(contacts.into_iter().map(|c| ((scope, c.id.clone()), c)));
        }
        Ok(out)
    }
}

/// Key of a member lookup: (the project's scope, user id).
pub type MemberKey = (Scope, Uuid);

/// Loads project members by user id (only members of the key's project are found).
pub struct MemberLoader {
    /// The pool.
    pub db: DatabaseConnection,
}

impl Loader<MemberKey> for MemberLoader {
    type Value = Member;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[MemberKey]) -> Result<HashMap<MemberKey, Member>, Self::Error> {
        let mut by_scope: HashMap<Scope, Vec<Uuid>> = HashMap::new();
        for (scope, id) in keys {
            by_scope.entry(*scope).or_default().push(*id);
        }
        let mut out = HashMap::new();
        for (scope, ids) in by_scope {
            let found = members::by_ids(&self.db, &scope, &ids)
                .await
                .map_err(crate::graphql::error::IntoGqlError::into_gql)?;
            out.extend(found.into_iter().map(|m| ((scope, m.user_id), m)));
        }
        Ok(out)
    }
}

/// The member `user_id` of `scope`'s project, if there is one.
pub async fn member(
    ctx: &async_graphql::Context<'_>,
    scope: Scope,
    user_id: Option<Uuid>,
) -> async_graphql::Result<Option<crate::graphql::types::project::ProjectMember>> {
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let loader = ctx.data::<async_graphql::dataloader::DataLoader<MemberLoader>>()?;
    Ok(loader.load_one((scope, user_id)).await?.map(Into::into))
}
