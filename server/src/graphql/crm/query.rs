//! CRM reads: accounts, pipeline stages, opportunities and the pipeline board of the active
//! project.
use async_graphql::{Context, ID, Object, connection::Connection};

use crate::graphql::context::optional_uuid;
use crate::{
    domain::crm::{
        accounts::{self, AccountCursor, AccountFilter, AccountOrder},
        opportunities::{self, BoardFilter, OpportunityFilter as DomainOppFilter},
        pipeline,
    },
    graphql::{
        context::project_scope,
        crm::types::{
            CrmAccount, CrmAccountFilter, CrmAccountOrder, OpportunityFilter, OpportunityNode,
            PipelineBoard, PipelineBoardFilter, PipelineStage, opportunity_connection,
        },
        error::{IntoGqlError, validation},
        pagination::{self, ConnectionTotals},
    },
};

/// Most opportunities one board column lists.
const MAX_PER_STAGE: i32 = 100;

/// CRM queries.
#[derive(Default)]
pub struct CrmQuery;

#[Object]
impl CrmQuery {
    /// Accounts of the active project (active and archived unless `filter.status` says
    /// otherwise), by name unless `orderBy` says otherwise.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn crm_accounts(
        &self,
        ctx: &Context<'_>,
        filter: Option<CrmAccountFilter>,
        order_by: Option<CrmAccountOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, CrmAccount, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let order = match order_by.unwrap_or_default() {
            CrmAccountOrder::Name => AccountOrder::Name,
            CrmAccountOrder::UpdatedAt => AccountOrder::UpdatedAt,
        };
        let after = after
            .map(|c| {
                AccountCursor::decode(&c)
                    .ok_or_else(|| validation("after", "is not a valid cursor"))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default();
        if filter
            .text
            .as_ref()
            .is_some_and(|t| t.chars().count() > 200)
        {
            return Err(validation("filter.text", "use at most 200 characters"));
        }
        let filter = AccountFilter {
            status: filter.status.map(Into::into),
            text: filter.text,
            owner_user_id: optional_uuid("filter.ownerUserId", filter.owner_user_id.as_ref())?,
        };
        let (db, scope) = project_scope(ctx).await?;
        let page = accounts::list_accounts(db, &scope, &filter, order, first, after.as_ref())
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |a| a.cursor(order).encode(),
            |a| CrmAccount::new(a, scope),
        ))
    }

    /// One account of the active project (a merged one points at its survivor).
    async fn crm_account(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<CrmAccount> {
        let id = crate::graphql::context::parse_uuid("id", &id)?;
        let (db, scope) = project_scope(ctx).await?;
        accounts::get_account(db, &scope, id)
            .await
            .map(|a| CrmAccount::new(a, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// The active project's pipeline stages in order (the defaults on first use).
    async fn pipeline_stages(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PipelineStage>> {
        let (db, scope) = project_scope(ctx).await?;
        let stages = pipeline::list_stages(db, &scope)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(stages.into_iter().map(Into::into).collect())
    }

    /// Opportunities of the active project, newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn opportunities(
        &self,
        ctx: &Context<'_>,
        filter: Option<OpportunityFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, OpportunityNode, ConnectionTotals>> {
        let filter = filter.unwrap_or_default();
        let filter = DomainOppFilter {
            account_id: optional_uuid("filter.accountId", filter.account_id.as_ref())?,
            stage_id: optional_uuid("filter.stageId", filter.stage_id.as_ref())?,
            owner_user_id: optional_uuid("filter.ownerUserId", filter.owner_user_id.as_ref())?,
            state: filter.state.map(Into::into),
        };
        let (_, scope) = project_scope(ctx).await?;
        opportunity_connection(ctx, scope, filter, first, after).await
    }

    /// One opportunity of the active project.
    async fn opportunity(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OpportunityNode> {
        let id = crate::graphql::context::parse_uuid("id", &id)?;
        let (db, scope) = project_scope(ctx).await?;
        opportunities::get_opportunity(db, &scope, id)
            .await
            .map(|o| OpportunityNode::new(o, None, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// The pipeline board: every stage in order with its count, totals and weighted forecast
    /// per currency, and up to `perStage` (1-100, default 50) of its opportunities.
    async fn pipeline_board(
        &self,
        ctx: &Context<'_>,
        filter: Option<PipelineBoardFilter>,
        per_stage: Option<i32>,
    ) -> async_graphql::Result<PipelineBoard> {
        let per_stage = per_stage.unwrap_or(50);
        if !(1..=MAX_PER_STAGE).contains(&per_stage) {
            return Err(validation("perStage", "must be between 1 and 100"));
        }
        let filter = filter.unwrap_or_default();
        let filter = BoardFilter {
            account_id: optional_uuid("filter.accountId", filter.account_id.as_ref())?,
            owner_user_id: optional_uuid("filter.ownerUserId", filter.owner_user_id.as_ref())?,
        };
        let (db, scope) = project_scope(ctx).await?;
        let columns = opportunities::pipeline_board(db, &scope, &filter, per_stage as u64)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(PipelineBoard::new(columns, scope))
    }
}
