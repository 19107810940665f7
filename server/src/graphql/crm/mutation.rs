//! CRM writes: accounts, contact links, pipeline stages and opportunities of the active
//! project. Arguments are parsed before any service runs; services validate the rest and write
//! nothing on bad input.
use async_graphql::{Context, ID, Object};
use uuid::Uuid;

use crate::graphql::context::optional_uuid;
use crate::graphql::{
    context::{acting, parse_uuid},
    input::{evidence_kind, patch},
};
use crate::{
    domain::crm::{
        accounts::{self, AccountPatch, NewAccount},
        contacts,
        opportunities::{self, NewOpportunity, OpportunityPatch, StageMove},
        pipeline::{self, NewStage, StageKind, StagePatch},
    },
    graphql::{
        crm::types::{
            AccountContact, CreateCrmAccountInput, CreateOpportunityInput,
            CreatePipelineStageInput, CrmAccount, LinkAccountContactInput, MergeCrmAccountsResult,
            MoveOpportunityStageInput, OpportunityNode, PipelineStage, PipelineStageKind,
            UpdateCrmAccountInput, UpdateOpportunityInput, UpdatePipelineStageInput, parse_money,
        },
        error::{IntoGqlError, validation},
    },
    kernel::audit::EvidenceRef,
};

/// CRM mutations.
#[derive(Default)]
pub struct CrmMutation;

#[Object]
impl CrmMutation {
    /// Creates an account in the active project.
    async fn create_crm_account(
        &self,
        ctx: &Context<'_>,
        input: CreateCrmAccountInput,
    ) -> async_graphql::Result<CrmAccount> {
        let owner_user_id = optional_uuid("ownerUserId", input.owner_user_id.as_ref())?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = NewAccount {
            name: input.name,
            domain: input.domain,
            website: input.website,
            industry: input.industry,
            owner_user_id,
        };
        accounts::create_account(db, &scope, &actor, input)
            .await
            .map(|a| CrmAccount::new(a, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Changes an account: omitted fields are kept, null clears.
    async fn update_crm_account(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCrmAccountInput,
    ) -> async_graphql::Result<CrmAccount> {
        let id = parse_uuid("id", &id)?;
        let owner_user_id = match patch(input.owner_user_id) {
            Some(Some(owner)) => Some(Some(parse_uuid("ownerUserId", &owner)?)),
            Some(None) => Some(None),
            None => None,
        };
        let (db, scope, actor) = acting(ctx).await?;
        let input = AccountPatch {
            name: input.name,
            domain: patch(input.domain),
            website: patch(input.website),
            industry: patch(input.industry),
            owner_user_id,
        };
        accounts::update_account(db, &scope, &actor, id, input)
            .await
            .map(|a| CrmAccount::new(a, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Archives an account (kept with its history; a no-op when already archived).
    async fn archive_crm_account(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CrmAccount> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        accounts::archive_account(db, &scope, &actor, id)
            .await
            .map(|a| CrmAccount::new(a, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Brings an archived account back.
    async fn unarchive_crm_account(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CrmAccount> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        accounts::unarchive_account(db, &scope, &actor, id)
            .await
            .map(|a| CrmAccount::new(a, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Merges a duplicate (`sourceId`) into `targetId`, which takes over its contacts and
    /// opportunities; the source stays as `MERGED`, pointing at the target.
    async fn merge_crm_accounts(
        &self,
        ctx: &Context<'_>,
        source_id: ID,
        target_id: ID,
    ) -> async_graphql::Result<MergeCrmAccountsResult> {
        let source_id = parse_uuid("sourceId", &source_id)?;
        let target_id = parse_uuid("targetId", &target_id)?;
        let (db, scope, actor) = acting(ctx).await?;
        let outcome = accounts::merge_accounts(db, &scope, &actor, source_id, target_id)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(MergeCrmAccountsResult {
            target: CrmAccount::new(outcome.target, scope),
            moved_contacts: i64::try_from(outcome.moved_contacts).unwrap_or(i64::MAX),
            moved_opportunities: i64::try_from(outcome.moved_opportunities).unwrap_or(i64::MAX),
        })
    }

    /// Suggests the project's contacts whose email domain or Chatwoot company matches the
    /// account; returns only the new suggestions (re-running is harmless).
    async fn suggest_account_contacts(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
    ) -> async_graphql::Result<Vec<AccountContact>> {
        let account_id = parse_uuid("accountId", &account_id)?;
        let (db, scope, _) = acting(ctx).await?;
        let links = contacts::suggest_contacts(db, &scope, account_id)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(links
            .into_iter()
            .map(|l| AccountContact::new(l, scope))
            .collect())
    }

    /// Links a contact to an account as confirmed (CONFLICT when it is confirmed elsewhere).
    async fn link_account_contact(
        &self,
        ctx: &Context<'_>,
        input: LinkAccountContactInput,
    ) -> async_graphql::Result<AccountContact> {
        let account_id = parse_uuid("accountId", &input.account_id)?;
        if input.contact_id.trim().is_empty() || input.contact_id.len() > 200 {
            return Err(validation("contactId", "is not a valid contact id"));
        }
        let (db, scope, actor) = acting(ctx).await?;
        contacts::link_contact(
            db,
            &scope,
            &actor,
            account_id,
            input.contact_id.as_str(),
            input.role.as_deref(),
        )
        .await
        .map(|l| AccountContact::new(l, scope))
        .map_err(IntoGqlError::into_gql)
    }

    /// Confirms a suggested (or rejected) contact link.
    async fn confirm_account_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AccountContact> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        contacts::confirm_link(db, &scope, &actor, id)
            .await
            .map(|l| AccountContact::new(l, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Rejects a contact link; a rejected contact is never suggested for the account again.
    async fn reject_account_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AccountContact> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        contacts::reject_link(db, &scope, &actor, id)
            .await
            .map(|l| AccountContact::new(l, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Adds an open or lost stage to the pipeline.
    async fn create_pipeline_stage(
        &self,
        ctx: &Context<'_>,
        input: CreatePipelineStageInput,
    ) -> async_graphql::Result<PipelineStage> {
        let (db, scope, actor) = acting(ctx).await?;
        let input = NewStage {
            name: input.name,
            key: input.key,
            default_probability: input.default_probability,
            kind: match input.kind {
                PipelineStageKind::Open => StageKind::Open,
                PipelineStageKind::Won => StageKind::Won,
                PipelineStageKind::Lost => StageKind::Lost,
            },
            position: input.position,
        };
        pipeline::create_stage(db, &scope, &actor, input)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Renames a stage or changes its default probability.
    async fn update_pipeline_stage(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePipelineStageInput,
    ) -> async_graphql::Result<PipelineStage> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = StagePatch {
            name: input.name,
            default_probability: input.default_probability,
        };
        pipeline::update_stage(db, &scope, &actor, id, input)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Puts the stages in the given order (every stage exactly once).
    async fn reorder_pipeline_stages(
        &self,
        ctx: &Context<'_>,
        stage_ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<PipelineStage>> {
        let stage_ids = stage_ids
            .iter()
            .map(|id| parse_uuid("stageIds", id))
            .collect::<async_graphql::Result<Vec<Uuid>>>()?;
        let (db, scope, actor) = acting(ctx).await?;
        let stages = pipeline::reorder_stages(db, &scope, &actor, &stage_ids)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(stages.into_iter().map(Into::into).collect())
    }

    /// Deletes a stage no opportunity is in (never the won stage, the last lost or the last
    /// open stage); returns its id.
    async fn delete_pipeline_stage(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let uuid = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        pipeline::delete_stage(db, &scope, &actor, uuid)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(id)
    }

    /// Creates an opportunity of an active account in its first (or the given) stage.
    async fn create_opportunity(
        &self,
        ctx: &Context<'_>,
        input: CreateOpportunityInput,
    ) -> async_graphql::Result<OpportunityNode> {
        let account_id = parse_uuid("accountId", &input.account_id)?;
        let stage_id = optional_uuid("stageId", input.stage_id.as_ref())?;
        let owner_user_id = optional_uuid("ownerUserId", input.owner_user_id.as_ref())?;
        let amount = parse_money("amount", &input.amount)?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = NewOpportunity {
            account_id,
            name: input.name,
            amount,
            currency: input.currency,
            stage_id,
            probability: input.probability,
            expected_close_date: input.expected_close_date,
            owner_user_id,
            source_conversation_global_id: input.source_conversation_id.map(|c| c.0),
        };
        opportunities::create_opportunity(db, &scope, &actor, input)
            .await
            .map(|o| OpportunityNode::new(o, None, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Changes an opportunity's fields (its stage changes through `moveOpportunityStage`).
    async fn update_opportunity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateOpportunityInput,
    ) -> async_graphql::Result<OpportunityNode> {
        let id = parse_uuid("id", &id)?;
        let owner_user_id = match patch(input.owner_user_id) {
            Some(Some(owner)) => Some(Some(parse_uuid("ownerUserId", &owner)?)),
            Some(None) => Some(None),
            None => None,
        };
        let amount = input
            .amount
            .as_deref()
            .map(|a| parse_money("amount", a))
            .transpose()?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = OpportunityPatch {
            name: input.name,
            amount,
            currency: input.currency,
            probability: patch(input.probability),
            expected_close_date: patch(input.expected_close_date),
            owner_user_id,
            lost_reason: patch(input.lost_reason),
        };
        opportunities::update_opportunity(db, &scope, &actor, id, input)
            .await
            .map(|o| OpportunityNode::new(o, None, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Moves an opportunity to another stage, recording who, why and on what evidence in its
    /// stage history and the audit trail.
    async fn move_opportunity_stage(
        &self,
        ctx: &Context<'_>,
        input: MoveOpportunityStageInput,
    ) -> async_graphql::Result<OpportunityNode> {
        let opportunity_id = parse_uuid("opportunityId", &input.opportunity_id)?;
        let to_stage_id = parse_uuid("toStageId", &input.to_stage_id)?;
        let evidence = input
            .evidence
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
            .collect::<async_graphql::Result<Vec<EvidenceRef>>>()?;
        let (db, scope, actor) = acting(ctx).await?;
        let input = StageMove {
            to_stage_id,
            note: input.note,
            evidence,
            lost_reason: input.lost_reason,
        };
        opportunities::move_stage(db, &scope, &actor, opportunity_id, input)
            .await
            .map(|o| OpportunityNode::new(o, None, scope))
            .map_err(IntoGqlError::into_gql)
    }
}
