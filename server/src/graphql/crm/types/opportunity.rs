//! API types of opportunities, their stage history and their connection.
use super::*;

/// A deal of an account moving through the pipeline.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Opportunity", complex)]
pub struct OpportunityNode {
    /// Opportunity id.
    pub id: ID,
    /// Its account.
    pub account_id: ID,
    /// Display name.
    pub name: String,
    /// Amount as a decimal string, e.g. "1234.50".
    pub amount: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Current stage.
    pub stage_id: ID,
    /// Own win probability (0-100); null uses the stage's default.
    pub probability: Option<i32>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Owning project member.
    pub owner_user_id: Option<ID>,
    /// The conversation it came from (`cw:` id).
    pub source_conversation_id: Option<ID>,
    /// When it entered a won or lost stage.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// Who created it.
    pub created_by: Option<ID>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub inner: Opportunity,
    #[graphql(skip)]
    pub stage: Option<Stage>,
    #[graphql(skip)]
    pub scope: Scope,
}

impl OpportunityNode {
    /// The API view of `o` within `scope`; `stage` when the caller already has it.
    pub fn new(o: Opportunity, stage: Option<Stage>, scope: Scope) -> Self {
        Self {
            id: id(o.id),
            account_id: id(o.account_id),
            name: o.name.clone(),
            amount: money(o.amount),
            currency: o.currency.clone(),
            stage_id: id(o.stage_id),
            probability: o.probability,
            expected_close_date: o.expected_close_date,
            owner_user_id: o.owner_user_id.map(id),
            source_conversation_id: o.source_conversation_global_id.clone().map(ID),
            closed_at: o.closed_at,
            lost_reason: o.lost_reason.clone(),
            created_by: o.created_by.map(id),
            created_at: o.created_at,
            updated_at: o.updated_at,
            inner: o,
            stage,
            scope,
        }
    }

    pub(super) async fn load_stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Stage> {
        if let Some(stage) = &self.stage {
            return Ok(stage.clone());
        }
        pipeline::get_stage(ctx.db()?, &self.scope, self.inner.stage_id)
            .await
            .map_err(IntoGqlError::into_gql)
    }
}

#[ComplexObject]
impl OpportunityNode {
    /// The stage it is in.
    pub(super) async fn stage(&self, ctx: &Context<'_>) -> async_graphql::Result<PipelineStage> {
        Ok(self.load_stage(ctx).await?.into())
    }

    /// The probability that counts: its own, else its stage's default.
    pub(super) async fn effective_probability(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<i32> {
        match self.inner.probability {
            Some(p) => Ok(p),
            None => Ok(self.load_stage(ctx).await?.default_probability),
        }
    }

    /// Amount x effective probability / 100, exact, as a decimal string.
    pub(super) async fn weighted_amount(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let p = match self.inner.probability {
            Some(p) => p,
            None => self.load_stage(ctx).await?.default_probability,
        };
        Ok(money(
            self.inner.amount * Decimal::from(p) / Decimal::ONE_HUNDRED,
        ))
    }

    /// The owning member (null when unset or no longer a member).
    pub(super) async fn owner(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::identity::projects_types::ProjectMember>>
    {
        crate::graphql::identity::projects_types::member_of(
            ctx,
            self.scope,
            self.inner.owner_user_id,
        )
        .await
    }

    /// Its account.
    pub(super) async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<CrmAccount> {
        crate::graphql::crm::types::account_of(ctx, self.scope, Some(self.inner.account_id))
            .await?
            .ok_or_else(|| crate::kernel::DomainError::NotFound("account").into_gql())
    }

    /// Every stage change, oldest first (the first placement included).
    pub(super) async fn stage_history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<OpportunityStageEvent>> {
        let events = opportunities::stage_history(ctx.db()?, &self.scope, self.inner.id)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(events
            .into_iter()
            .map(|e| OpportunityStageEvent::new(e, self.scope))
            .collect())
    }
}

/// One stage change of an opportunity, with what it was worth at the time.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct OpportunityStageEvent {
    /// Event id.
    pub id: ID,
    /// Stage left (null for the first placement or a since-deleted stage).
    pub from_stage_id: Option<ID>,
    /// Stage entered (null once that stage is deleted).
    pub to_stage_id: Option<ID>,
    /// Key of the stage left.
    pub from_stage_key: Option<String>,
    /// Key of the stage entered.
    pub to_stage_key: String,
    /// Who moved it.
    pub changed_by: Option<ID>,
    /// When.
    pub changed_at: DateTime<Utc>,
    /// The mover's note.
    pub note: Option<String>,
    /// What supports the move.
    pub evidence: Vec<EvidenceReference>,
    /// Amount at the time, as a decimal string.
    pub amount: Option<String>,
    /// Currency at the time.
    pub currency: Option<String>,
    /// Effective probability at the time.
    pub probability: Option<i32>,
    #[graphql(skip)]
    pub changed_by_uuid: Option<Uuid>,
    #[graphql(skip)]
    pub scope: Scope,
}

#[ComplexObject]
impl OpportunityStageEvent {
    /// The member who moved it (null for the system or someone no longer a member).
    pub(super) async fn changed_by_member(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::identity::projects_types::ProjectMember>>
    {
        crate::graphql::identity::projects_types::member_of(ctx, self.scope, self.changed_by_uuid)
            .await
    }
}

impl OpportunityStageEvent {
    /// The API view of `e` within `scope`.
    pub fn new(e: StageEvent, scope: Scope) -> Self {
        let evidence = e
            .evidence_refs
            .as_array()
            .map(|refs| {
                refs.iter()
                    .map(|r| EvidenceReference {
                        kind: r
                            .get("kind")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                        id: r
                            .get("id")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: id(e.id),
            from_stage_id: e.from_stage_id.map(id),
            to_stage_id: e.to_stage_id.map(id),
            from_stage_key: e.from_stage_key,
            to_stage_key: e.to_stage_key,
            changed_by: e.changed_by.map(id),
            changed_by_uuid: e.changed_by,
            scope,
            changed_at: e.changed_at,
            note: e.note,
            evidence,
            amount: e.amount.map(money),
            currency: e.currency,
            probability: e.probability,
        }
    }
}

impl From<OpportunityStateGql> for opportunities::OpportunityState {
    fn from(s: OpportunityStateGql) -> Self {
        match s {
            OpportunityStateGql::Open => Self::Open,
            OpportunityStateGql::Closed => Self::Closed,
        }
    }
}

/// A connection of opportunities matching `filter`, shared by the root listing and accounts.
pub async fn opportunity_connection(
    ctx: &Context<'_>,
    scope: Scope,
    filter: DomainOppFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, OpportunityNode, ConnectionTotals>> {
    let first = pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
    let after = after
        .map(|c| pagination::decode_time_id(&c).map_err(|e| validation("after", &e.to_string())))
        .transpose()?;
    let db = ctx.db()?;
    let page = opportunities::list_opportunities(db, &scope, &filter, first, after)
        .await
        .map_err(IntoGqlError::into_gql)?;
    // Each card shows its stage and probability: read the (few) stages once, not per row.
    let stages: HashMap<Uuid, Stage> = if page.items.is_empty() {
        HashMap::new()
    } else {
        pipeline::list_stages(db, &scope)
            .await
            .map_err(IntoGqlError::into_gql)?
            .into_iter()
            .map(|stage| (stage.id, stage))
            .collect()
    };
    Ok(pagination::connection(
        page.items,
        after.is_some(),
        page.has_next_page,
        page.total_count,
        |o| {
            let (at, id) = o.cursor();
            pagination::encode_time_id(at, id)
        },
        |o| {
            let stage = stages.get(&o.stage_id).cloned();
            OpportunityNode::new(o, stage, scope)
        },
    ))
}
