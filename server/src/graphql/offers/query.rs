//! Offer reads: the listing, one offer with its lines and decisions, and the caller's approval
//! inbox.
use async_graphql::{Context, ID, Object, connection::Connection};

use crate::graphql::context::optional_uuid;
use crate::{
    domain::offers::{self, OfferFilter as DomainOfferFilter},
    graphql::{
        context::{ContextExt, parse_uuid, project_scope},
        error::{IntoGqlError, validation},
        offers::types::{OfferFilter, OfferNode},
        pagination::{self, ConnectionTotals},
    },
};

/// Offer queries.
#[derive(Default)]
pub struct OffersQuery;

#[Object]
impl OffersQuery {
    /// Offers of the active project, newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn offers(
        &self,
        ctx: &Context<'_>,
        filter: Option<OfferFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, OfferNode, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = after
            .map(|c| {
                pagination::decode_time_id(&c).map_err(|e| validation("after", &e.to_string()))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let filter = DomainOfferFilter {
            status: filter.status.map(Into::into),
            account_id: optional_uuid("filter.accountId", filter.account_id.as_ref())?,
            opportunity_id: optional_uuid("filter.opportunityId", filter.opportunity_id.as_ref())?,
        };
        let (db, scope) = project_scope(ctx).await?;
        let page = offers::list_offers(db, &scope, &filter, first, after)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |o| {
                let (at, id) = o.cursor();
                pagination::encode_time_id(at, id)
            },
            |o| OfferNode::new(o, scope),
        ))
    }

    /// One offer of the active project, with its lines and approval decisions.
    async fn offer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OfferNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope) = project_scope(ctx).await?;
        offers::get_offer(db, &scope, id)
            .await
            .map(|d| OfferNode::with_detail(d, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Offers waiting for approval that the caller may approve (never their own offer whose
    /// discount requires another member), oldest submission first.
    async fn offer_approval_inbox(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<OfferNode>> {
        let db = ctx.db()?;
        let (user, scope, _) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let inbox = offers::approval_inbox(db, &scope, user.id)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(inbox
            .into_iter()
            .map(|o| OfferNode::new(o, scope))
            .collect())
    }
}
