//! DataLoaders: batch the per-row lookups of a listing into one query (no N+1).
use std::{collections::HashMap, future::Future, hash::Hash};

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    domain::{
        conversations::{lookup, query::Contact},
        crm::accounts::{self, Account},
        identity::members::{self, Member},
    },
    graphql::error::IntoGqlError,
    kernel::{DomainError, Scope},
};

/// Answers `keys` with one `fetch` per scope among them (a batch may mix tenants; each fetch
/// only ever sees its own scope's ids), keyed back by `id_of` each value.
async fn load_per_scope<K, V, F, Fut>(
    keys: &[(Scope, K)],
    fetch: F,
    id_of: impl Fn(&V) -> K,
) -> Result<HashMap<(Scope, K), V>, async_graphql::Error>
where
    K: Clone + Eq + Hash,
    F: Fn(Scope, Vec<K>) -> Fut,
    Fut: Future<Output = Result<Vec<V>, DomainError>>,
{
    let mut by_scope: HashMap<Scope, Vec<K>> = HashMap::new();
    for (scope, id) in keys {
        by_scope.entry(*scope).or_default().push(id.clone());
    }
    let mut out = HashMap::new();
    for (scope, ids) in by_scope {
        let found = fetch(scope, ids).await.map_err(IntoGqlError::into_gql)?;
        out.extend(found.into_iter().map(|v| ((scope, id_of(&v)), v)));
    }
    Ok(out)
}

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
        load_per_scope(
            keys,
            |scope, ids| async move { lookup::contacts_by_ids(&self.db, &scope, &ids).await },
            |c: &Contact| c.id.clone(),
        )
        .await
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
        load_per_scope(
            keys,
            |scope, ids| async move { members::by_ids(&self.db, &scope, &ids).await },
            |m: &Member| m.user_id,
        )
        .await
    }
}

/// Key of a CRM account lookup: (the project's scope, account id).
pub type AccountKey = (Scope, Uuid);

/// Loads CRM accounts by id, so a board, a feed or an inbox naming each row's account costs
/// one query, not one per row.
pub struct AccountLoader {
    /// The pool.
    pub db: DatabaseConnection,
}

impl Loader<AccountKey> for AccountLoader {
    type Value = Account;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AccountKey]) -> Result<HashMap<AccountKey, Account>, Self::Error> {
        load_per_scope(
            keys,
            |scope, ids| async move { accounts::accounts_by_ids(&self.db, &scope, &ids).await },
            |a: &Account| a.id,
        )
        .await
    }
}
