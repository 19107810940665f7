//! API types of CRM accounts and their contact links.
use super::*;

/// A company the project sells to.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct CrmAccount {
    /// Account id.
    pub id: ID,
    /// Display name.
    pub name: String,
    /// Primary email domain (drives contact suggestions).
    pub domain: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Owning project member.
    pub owner_user_id: Option<ID>,
    /// Lifecycle.
    pub status: CrmAccountStatusGql,
    /// The surviving account when merged.
    pub merged_into_id: Option<ID>,
    /// When it was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub uuid: Uuid,
    #[graphql(skip)]
    pub scope: Scope,
}

impl CrmAccount {
    /// The API view of `a` within `scope`.
    pub fn new(a: Account, scope: Scope) -> Self {
        Self {
            id: id(a.id),
            name: a.name,
            domain: a.domain,
            website: a.website,
            industry: a.industry,
            owner_user_id: a.owner_user_id.map(id),
            status: a.status.into(),
            merged_into_id: a.merged_into_id.map(id),
            archived_at: a.archived_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
            uuid: a.id,
            scope,
        }
    }
}

#[ComplexObject]
impl CrmAccount {
    /// Contact links: confirmed first, then suggested, then rejected; `status` keeps one state.
    pub(super) async fn contacts(
        &self,
        ctx: &Context<'_>,
        status: Option<ContactLinkStatus>,
    ) -> async_graphql::Result<Vec<AccountContact>> {
        let db = ctx.db()?;
        let links = contacts::account_contacts(db, &self.scope, self.uuid, status.map(Into::into))
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(links
            .into_iter()
            .map(|l| AccountContact::new(l, self.scope))
            .collect())
    }

    /// The account's opportunities, newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    pub(super) async fn opportunities(
        &self,
        ctx: &Context<'_>,
        state: Option<OpportunityStateGql>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, OpportunityNode, ConnectionTotals>> {
        let filter = DomainOppFilter {
            account_id: Some(self.uuid),
            state: state.map(Into::into),
            ..DomainOppFilter::default()
        };
        opportunity_connection(ctx, self.scope, filter, first, after).await
    }

    /// The account's signals, newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    pub(super) async fn signals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<
        Connection<String, crate::graphql::signals::types::SignalNode, ConnectionTotals>,
    > {
        let filter = crate::domain::signals::detection::SignalFilter {
            account_id: Some(self.uuid),
            ..Default::default()
        };
        crate::graphql::signals::types::signal_connection(ctx, self.scope, filter, first, after)
            .await
    }

    /// The owning member (null when unset or no longer a member).
    pub(super) async fn owner(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::identity::projects_types::ProjectMember>>
    {
        let owner = self.owner_user_id.as_ref().and_then(|i| i.parse().ok());
        crate::graphql::identity::projects_types::member_of(ctx, self.scope, owner).await
    }

    /// The account's newest health score, if it has one.
    pub(super) async fn health(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::signals::types::HealthScoreNode>> {
        let latest = crate::domain::signals::health::latest(ctx.db()?, &self.scope, self.uuid)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(latest.map(Into::into))
    }

    /// The account's health history, newest first (default 90, at most 365 scores).
    #[graphql(complexity = "crate::graphql::pagination::rows_cost(first, 90, child_complexity)")]
    pub(super) async fn health_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<crate::graphql::signals::types::HealthScoreNode>> {
        let first = first.unwrap_or(90);
        if !(1..=365).contains(&first) {
            return Err(validation("first", "must be between 1 and 365"));
        }
        let history = crate::domain::signals::health::history(
            ctx.db()?,
            &self.scope,
            self.uuid,
            first as u64,
        )
        .await
        .map_err(IntoGqlError::into_gql)?;
        Ok(history.into_iter().map(Into::into).collect())
    }

    /// The account's open and accepted next-best-actions, most urgent first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    pub(super) async fn next_best_actions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<crate::graphql::signals::types::NextBestActionNode>> {
        use crate::domain::signals::actions::{self, NbaFilter};
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let filter = NbaFilter {
            account_id: Some(self.uuid),
            ..NbaFilter::default()
        };
        let page = actions::list_actions(ctx.db()?, &self.scope, &filter, first, None)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(page
            .items
            .into_iter()
            .map(|a| crate::graphql::signals::types::NextBestActionNode::new(a, self.scope))
            .collect())
    }
}

/// A contact's link to an account.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct AccountContact {
    /// Link id.
    pub id: ID,
    /// The account.
    pub account_id: ID,
    /// The contact's global id (`cwc:`).
    pub contact_id: ID,
    /// Suggested, confirmed or rejected.
    pub status: ContactLinkStatus,
    /// How it was found.
    pub source: ContactLinkSource,
    /// The contact's role at the account.
    pub role: Option<String>,
    /// The account's primary contact.
    pub is_primary: bool,
    /// Who confirmed or rejected it.
    pub decided_by: Option<ID>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub scope: Scope,
}

impl AccountContact {
    /// The API view of `l` within `scope`.
    pub fn new(l: ContactLink, scope: Scope) -> Self {
        Self {
            id: id(l.id),
            account_id: id(l.account_id),
            contact_id: ID(l.contact_global_id),
            status: l.status.into(),
            source: l.source.into(),
            role: l.role,
            is_primary: l.is_primary,
            decided_by: l.decided_by.map(id),
            decided_at: l.decided_at,
            created_at: l.created_at,
            scope,
        }
    }
}

#[ComplexObject]
impl AccountContact {
    /// The Chatwoot contact (batched across a listing).
    pub(super) async fn contact(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<ContactNode>> {
        let loader = ctx.data::<DataLoader<ContactLoader>>()?;
        Ok(loader
            .load_one((self.scope, self.contact_id.0.clone()))
            .await?
            .map(Into::into))
    }
}

/// The account `id` of `scope`'s project, if there is one.
pub async fn account_of(
    ctx: &async_graphql::Context<'_>,
    scope: Scope,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<CrmAccount>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let loader = ctx
        .data::<async_graphql::dataloader::DataLoader<crate::graphql::loaders::AccountLoader>>()?;
    Ok(loader
        .load_one((scope, id))
        .await?
        .map(|a| CrmAccount::new(a, scope)))
}
