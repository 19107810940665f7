//! Campaign writes: saved segments, and campaigns through their lifecycle (draft, approval by
//! another member, start, pause, resume, cancel).
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use crate::graphql::{
    context::{acting, optional_uuid, parse_uuid},
    input::patch,
};
use crate::{
    domain::campaigns::{
        self, CampaignPatch, NewCampaign,
        segments::{self, SegmentInput},
    },
    graphql::{
        campaigns::types::{
            CampaignNode, CampaignSegmentNode, CreateCampaignInput, SaveCampaignSegmentInput,
            UpdateCampaignInput,
        },
        error::IntoGqlError,
    },
};

/// Campaign mutations.
#[derive(Default)]
pub struct CampaignsMutation;

#[Object]
impl CampaignsMutation {
    /// Creates (no `id`) or changes a saved segment; its filter tree is validated and counted.
    async fn save_campaign_segment(
        &self,
        ctx: &Context<'_>,
        input: SaveCampaignSegmentInput,
    ) -> async_graphql::Result<CampaignSegmentNode> {
        let id = optional_uuid("id", input.id.as_ref())?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = SegmentInput {
            id,
            name: input.name,
            description: input.description,
            definition: input.definition.0,
        };
        segments::save_segment(db, &scope, &actor, input)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Deletes a saved segment; returns its id. Submitted campaigns keep the definition they
    /// were approved with.
    async fn delete_campaign_segment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ID> {
        let uuid = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        segments::delete_segment(db, &scope, &actor, uuid)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(id)
    }

    /// Creates a draft campaign.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> async_graphql::Result<CampaignNode> {
        let segment_id = optional_uuid("segmentId", input.segment_id.as_ref())?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = NewCampaign {
            name: input.name,
            description: input.description,
            channel: input.channel,
            segment_id,
            message_template: input.message_template,
            send_rate_per_minute: input.send_rate_per_minute,
        };
        campaigns::create_campaign(db, &scope, &actor, input)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Changes a draft campaign: omitted fields are kept, null clears.
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCampaignInput,
    ) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let segment_id = match patch(input.segment_id) {
            Some(Some(segment)) => Some(Some(parse_uuid("segmentId", &segment)?)),
            Some(None) => Some(None),
            None => None,
        };
        let (db, scope, actor) = acting(ctx).await?;
        let input = CampaignPatch {
            name: input.name,
            description: patch(input.description),
            segment_id,
            message_template: input.message_template,
            send_rate_per_minute: patch(input.send_rate_per_minute),
        };
        campaigns::update_campaign(db, &scope, &actor, id, input)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Submits a draft for approval, freezing its segment's definition.
    async fn submit_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        campaigns::submit_campaign(db, &scope, &actor, id)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Approves a campaign (by a member other than its creator) and schedules it at
    /// `scheduledAt`, or now.
    async fn approve_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        scheduled_at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        campaigns::approve_campaign(db, &scope, &actor, id, scheduled_at)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Sends a campaign waiting for approval back to draft, saying why.
    async fn reject_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        comment: String,
    ) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        campaigns::reject_campaign(db, &scope, &actor, id, &comment)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Starts a scheduled campaign now: snapshots its members and lets the dispatcher queue
    /// their messages.
    async fn start_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        campaigns::start_campaign(db, &scope, &actor, id)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Pauses a running campaign: nothing more is queued until it resumes.
    async fn pause_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        campaigns::pause_campaign(db, &scope, &actor, id)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Resumes a paused campaign with its remaining members.
    async fn resume_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        campaigns::resume_campaign(db, &scope, &actor, id)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Cancels a campaign that has not finished; its pending members are skipped.
    async fn cancel_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CampaignNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        campaigns::cancel_campaign(db, &scope, &actor, id)
            .await
            .map(|c| CampaignNode::new(c, scope))
            .map_err(IntoGqlError::into_gql)
    }
}
