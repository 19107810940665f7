//! Outbound writes: drafts and their approval, cancelling, and contact channel policies
//! (opt-out, opt-in, frequency caps) in the active project. Arguments are parsed before any
//! service runs; services validate the rest and write nothing on bad input.
use async_graphql::{Context, ID, Object};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::graphql::context::{acting, optional_uuid, parse_uuid};
use crate::{
    domain::outbound::{
        messages::{self, NewMessage, OutboundMessage},
        policies,
    },
    graphql::{
        error::IntoGqlError,
        outbound::types::{
            ContactChannelPolicy, CreateOutboundMessageInput, OutboundMessageNode, bounded,
        },
    },
    kernel::{Actor, DomainResult, Scope},
};

/// Outbound mutations.
#[derive(Default)]
pub struct OutboundMutation;

#[Object]
impl OutboundMutation {
    /// Writes a draft to a contact of the active project (by hand, or acting on a
    /// next-best-action).
    async fn create_outbound_message(
        &self,
        ctx: &Context<'_>,
        input: CreateOutboundMessageInput,
    ) -> async_graphql::Result<OutboundMessageNode> {
        let contact_id = bounded("contactId", &input.contact_id)?;
        let conversation_id = input
            .conversation_id
            .as_deref()
            .map(|c| bounded("conversationId", c))
            .transpose()?;
        let next_best_action_id =
            optional_uuid("nextBestActionId", input.next_best_action_id.as_ref())?;
        let (db, scope, actor) = acting(ctx).await?;
        let message = messages::create_message(
            db,
            &scope,
            &actor,
            NewMessage {
                contact_id,
                conversation_id,
                channel: input.channel,
                content: input.content,
                next_best_action_id,
            },
        )
        .await
        .map_err(IntoGqlError::into_gql)?;
        OutboundMessageNode::one(db, scope, message).await
    }

    /// Puts a draft up for approval.
    async fn submit_outbound_message(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OutboundMessageNode> {
        step(ctx, &id, async |db, scope, actor, id| {
            messages::submit_message(db, scope, actor, id).await
        })
        .await
    }

    /// Approves a message waiting for approval and queues it for sending (with four eyes on,
    /// not by its author).
    async fn approve_outbound_message(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OutboundMessageNode> {
        step(ctx, &id, async |db, scope, actor, id| {
            messages::approve_message(db, scope, actor, id).await
        })
        .await
    }

    /// Rejects a message waiting for approval (it is cancelled, reason `rejected`).
    async fn reject_outbound_message(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<OutboundMessageNode> {
        step(ctx, &id, async |db, scope, actor, id| {
            messages::reject_message(db, scope, actor, id, reason).await
        })
        .await
    }

    /// Cancels a message that has not gone out (CONFLICT while a sender holds it).
    async fn cancel_outbound_message(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OutboundMessageNode> {
        step(ctx, &id, async |db, scope, actor, id| {
            messages::cancel_message(db, scope, actor, id).await
        })
        .await
    }

    /// Opts a contact out of `channel` (`all` for every channel).
    async fn opt_out_contact(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        channel: String,
        reason: Option<String>,
    ) -> async_graphql::Result<ContactChannelPolicy> {
        let contact_id = bounded("contactId", &contact_id)?;
        let (db, scope, actor) = acting(ctx).await?;
        policies::opt_out(
            db,
            &scope,
            &actor,
            &contact_id,
            &channel,
            reason,
            Vec::new(),
        )
        .await
        .map(Into::into)
        .map_err(IntoGqlError::into_gql)
    }

    /// Opts a contact back in on `channel` (an opt-out on `all` is lifted on `all`).
    async fn opt_in_contact(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        channel: String,
    ) -> async_graphql::Result<ContactChannelPolicy> {
        let contact_id = bounded("contactId", &contact_id)?;
        let (db, scope, actor) = acting(ctx).await?;
        policies::opt_in(db, &scope, &actor, &contact_id, &channel)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Sets a contact's own cap on `channel` to `cap` messages per `windowSeconds` (the
    /// project's default window when omitted); a null `cap` clears it (the project default
    /// applies again).
    async fn set_contact_frequency_cap(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        channel: String,
        cap: Option<i32>,
        window_seconds: Option<i32>,
    ) -> async_graphql::Result<ContactChannelPolicy> {
        let contact_id = bounded("contactId", &contact_id)?;
        let (db, scope, actor) = acting(ctx).await?;
        policies::set_frequency_cap(
            db,
            &scope,
            &actor,
            &contact_id,
            &channel,
            cap,
            window_seconds,
        )
        .await
        .map(Into::into)
        .map_err(IntoGqlError::into_gql)
    }
}

/// One step of a message's workflow: parses `id`, runs `run` as the caller in their project,
/// and answers the message as it is afterwards.
async fn step(
    ctx: &Context<'_>,
    id: &ID,
    run: impl AsyncFnOnce(&DatabaseConnection, &Scope, &Actor, Uuid) -> DomainResult<OutboundMessage>,
) -> async_graphql::Result<OutboundMessageNode> {
    let id = parse_uuid("id", id)?;
    let (db, scope, actor) = acting(ctx).await?;
    let message = run(db, &scope, &actor, id)
        .await
        .map_err(IntoGqlError::into_gql)?;
    OutboundMessageNode::one(db, scope, message).await
}
