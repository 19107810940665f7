//! Campaign reads: saved segments, a live preview of a filter tree, and campaigns with their
//! report.
use async_graphql::{Context, ID, Json, Object, connection::Connection};
use serde_json::Value;

use crate::{
    domain::campaigns::{self, CampaignFilter as DomainCampaignFilter, segments},
    graphql::{
        campaigns::types::{CampaignFilter, CampaignNode, CampaignSegmentNode, SegmentPreviewNode},
        context::{parse_uuid, project_scope},
        error::{IntoGqlError, validation},
        pagination::{self, ConnectionTotals},
    },
};

/// Campaign queries.
#[derive(Default)]
pub struct CampaignsQuery;

#[Object]
impl CampaignsQuery {
    /// The active project's saved segments, by name.
    async fn campaign_segments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CampaignSegmentNode>> {
        let (db, scope) = project_scope(ctx).await?;
        let list = segments::list_segments(db, &scope)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One saved segment of the active project.
    async fn campaign_segment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CampaignSegmentNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope) = project_scope(ctx).await?;
        segments::get_segment(db, &scope, id)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// How many of the active project's contacts a filter tree matches now, with a sample of
    /// ten (VALIDATION names what is wrong with a bad tree).
    #[graphql(complexity = "crate::graphql::pagination::EXPENSIVE_FIELD_COST + child_complexity")]
    async fn preview_segment(
        &self,
        ctx: &Context<'_>,
        definition: Json<Value>,
    ) -> async_graphql::Result<SegmentPreviewNode> {
        let (db, scope) = project_scope(ctx).await?;
        segments::preview(db, &scope, &definition.0)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Campaigns of the active project, newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, CampaignNode, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = after
            .map(|c| {
                pagination::decode_time_id(&c).map_err(|e| validation("after", &e.to_string()))
            })
            .transpose()?;
        let filter = DomainCampaignFilter {
            status: filter.and_then(|f| f.status).map(Into::into),
        };
        let (db, scope) = project_scope(ctx).await?;
        let page = campaigns::list_campaigns(db, &scope, &filter, first, after)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |c| {
                let (at, id) = c.cursor();
                pagination::encode_time_id(at, id)
            },
            |c| CampaignNode::new(c, scope),
        ))
    }

    /// One campaign of the active project.
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope) = project_scope(ctx).await?;
        campaigns::get_campaign(db, &scope, id)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }
}
