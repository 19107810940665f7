//! Offer writes: build and edit drafts, submit under the approval policy, approve or reject,
//! hand to the outbound pipeline, record the customer's answer. Numbers are parsed before any
//! service runs; services validate the rest and write nothing on bad input.
use async_graphql::{Context, ID, Object};
use uuid::Uuid;

use crate::graphql::context::optional_uuid;
use crate::graphql::{
    context::{acting, parse_uuid},
    input::{evidence_kind, patch},
};
use crate::{
    domain::offers::{self, Decision, NewOffer, OfferPatch},
    graphql::{
        crm::types::EvidenceRefInput,
        error::{IntoGqlError, validation},
        offers::types::{CreateOfferInput, OfferNode, UpdateOfferInput, items_from_input},
    },
    kernel::audit::EvidenceRef,
};

/// A patch of an id field: omitted keeps, null clears.
fn patch_uuid(
    field: &str,
    value: async_graphql::MaybeUndefined<ID>,
) -> async_graphql::Result<Option<Option<Uuid>>> {
    match patch(value) {
        Some(Some(id)) => Ok(Some(Some(parse_uuid(field, &id)?))),
        Some(None) => Ok(Some(None)),
        None => Ok(None),
    }
}

/// The domain's evidence from the API's (message, conversation, contact or url).
fn evidence(input: Option<Vec<EvidenceRefInput>>) -> async_graphql::Result<Vec<EvidenceRef>> {
    input
        .unwrap_or_default()
        .iter()
        .map(|r| {
            evidence_kind(&r.kind)
                .map(|kind| EvidenceRef::new(kind, r.id.trim()))
                .ok_or_else(|| {
                    validation(
                        "evidence",
                        "kind must be message, conversation, contact or url",
                    )
                })
        })
        .collect()
}

/// Offer mutations.
#[derive(Default)]
pub struct OffersMutation;

#[Object]
impl OffersMutation {
    /// Creates a draft offer with its lines; the server computes every total.
    async fn create_offer(
        &self,
        ctx: &Context<'_>,
        input: CreateOfferInput,
    ) -> async_graphql::Result<OfferNode> {
        let account_id = optional_uuid("accountId", input.account_id.as_ref())?;
        let opportunity_id = optional_uuid("opportunityId", input.opportunity_id.as_ref())?;
        let items = items_from_input(&input.items)?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = NewOffer {
            title: input.title,
            account_id,
            opportunity_id,
            contact_global_id: input.contact_id.map(|c| c.0),
            currency: input.currency,
            valid_until: input.valid_until,
            terms: input.terms,
            notes: input.notes,
            items,
        };
        offers::create_offer(db, &scope, &actor, input)
            .await
            .map(|d| OfferNode::with_detail(d, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Edits a draft (or rejected) offer: omitted fields are kept, null clears, `items`
    /// replaces every line. A rejected offer goes back to draft.
    async fn update_offer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateOfferInput,
    ) -> async_graphql::Result<OfferNode> {
        let id = parse_uuid("id", &id)?;
        let account_id = patch_uuid("accountId", input.account_id)?;
        let opportunity_id = patch_uuid("opportunityId", input.opportunity_id)?;
        let items = input.items.as_deref().map(items_from_input).transpose()?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = OfferPatch {
            title: input.title,
            account_id,
            opportunity_id,
            contact_global_id: patch(input.contact_id).map(|c| c.map(|c| c.0)),
            currency: input.currency,
            valid_until: patch(input.valid_until),
            terms: patch(input.terms),
            notes: patch(input.notes),
            items,
        };
        offers::update_offer(db, &scope, &actor, id, input)
            .await
            .map(|d| OfferNode::with_detail(d, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Submits a draft: approved at once when its largest discount is within the project's
    /// threshold, else waiting for another member's approval.
    async fn submit_offer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OfferNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        offers::submit_offer(db, &scope, &actor, id)
            .await
            .map(|d| OfferNode::with_detail(d, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Approves an offer waiting for approval (never its author's own when approval is
    /// required: CONFLICT).
    async fn approve_offer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        comment: Option<String>,
        evidence: Option<Vec<EvidenceRefInput>>,
    ) -> async_graphql::Result<OfferNode> {
        let id = parse_uuid("id", &id)?;
        let evidence = self::evidence(evidence)?;
        let (db, scope, actor) = acting(ctx).await?;
        offers::approve_offer(db, &scope, &actor, id, Decision { comment, evidence })
            .await
            .map(|d| OfferNode::with_detail(d, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Rejects an offer waiting for approval, saying why.
    async fn reject_offer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        comment: String,
        evidence: Option<Vec<EvidenceRefInput>>,
    ) -> async_graphql::Result<OfferNode> {
        let id = parse_uuid("id", &id)?;
        let evidence = self::evidence(evidence)?;
        let (db, scope, actor) = acting(ctx).await?;
        let decision = Decision {
            comment: Some(comment),
            evidence,
        };
        offers::reject_offer(db, &scope, &actor, id, decision)
            .await
            .map(|d| OfferNode::with_detail(d, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Queues an approved offer's message for the outbound sender (once; the offer becomes
    /// SENT when the sender delivers it).
    async fn send_offer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OfferNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        offers::send_offer(db, &scope, &actor, id)
            .await
            .map(|d| OfferNode::with_detail(d, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Records the customer's answer to a sent offer: accepted or declined.
    async fn record_offer_answer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        accepted: bool,
        comment: Option<String>,
        evidence: Option<Vec<EvidenceRefInput>>,
    ) -> async_graphql::Result<OfferNode> {
        let id = parse_uuid("id", &id)?;
        let evidence = self::evidence(evidence)?;
        let (db, scope, actor) = acting(ctx).await?;
        offers::record_answer(
            db,
            &scope,
            &actor,
            id,
            accepted,
            Decision { comment, evidence },
        )
        .await
        .map(|d| OfferNode::with_detail(d, scope))
        .map_err(IntoGqlError::into_gql)
    }
}
