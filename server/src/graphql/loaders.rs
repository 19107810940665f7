//! DataLoaders: batch the per-row lookups of a listing into one query (no N+1).
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;

use crate::{
    auth::Scope,
    domain::ingest::{lookup, query::Contact},
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
