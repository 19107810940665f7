//! API types for the CRM: accounts, their contact links, pipeline stages, opportunities with
//! stage history, and the pipeline board. Money leaves the API as a decimal string (exact, never
//! a float) next to its currency.
use std::collections::HashMap;

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, MaybeUndefined, SimpleObject,
    connection::Connection, dataloader::DataLoader,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{AccountContactLinkSource, AccountContactLinkStatus, CrmAccountStatus};
use sea_orm::prelude::Decimal;
use uuid::Uuid;

use crate::graphql::{
    audit::types::EvidenceReference, conversations::types::ContactNode,
    pagination::ConnectionTotals,
};
use crate::{
    domain::crm::{
        accounts::Account,
        contacts::{self, ContactLink},
        opportunities::{
            self, BoardColumn, CurrencyTotal, Opportunity, OpportunityFilter as DomainOppFilter,
            StageEvent,
        },
        pipeline::{self, Stage},
    },
    graphql::{
        context::ContextExt,
        error::{IntoGqlError, validation},
        loaders::ContactLoader,
        pagination,
    },
    kernel::Scope,
};

/// An amount as the API shows it: at least two decimals ("1234.50"), exact.
pub fn money(amount: Decimal) -> String {
    let mut d = amount.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

/// Reads an amount typed by a client: digits with at most two decimals ("1234.5", "99.99").
pub fn parse_money(field: &str, raw: &str) -> async_graphql::Result<Decimal> {
    let text = raw.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = !whole.is_empty()
        && whole.len() <= 16
        && digits(whole)
        && fraction.len() <= 2
        && digits(fraction)
        && !(text.contains('.') && fraction.is_empty());
    if !well_formed {
        return Err(validation(
            field,
            "use a non-negative amount like 1234.50 (at most two decimals)",
        ));
    }
    text.parse::<Decimal>().map_err(|_| {
        validation(
            field,
            "use a non-negative amount like 1234.50 (at most two decimals)",
        )
    })
}

/// Lifecycle of an account.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CrmAccountStatus")]
pub enum CrmAccountStatusGql {
    /// In use.
    Active,
    /// Archived (kept, hidden from the default listing's work).
    Archived,
    /// Merged into another account (`mergedIntoId`).
    Merged,
}

impl From<CrmAccountStatus> for CrmAccountStatusGql {
    fn from(s: CrmAccountStatus) -> Self {
        match s {
            CrmAccountStatus::Active => Self::Active,
            CrmAccountStatus::Archived => Self::Archived,
            CrmAccountStatus::Merged => Self::Merged,
        }
    }
}

impl From<CrmAccountStatusGql> for CrmAccountStatus {
    fn from(s: CrmAccountStatusGql) -> Self {
        match s {
            CrmAccountStatusGql::Active => Self::Active,
            CrmAccountStatusGql::Archived => Self::Archived,
            CrmAccountStatusGql::Merged => Self::Merged,
        }
    }
}

/// State of a contact's link to an account.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactLinkStatus {
    /// Suggested by the system, waiting for a person.
    Suggested,
    /// Confirmed by a person.
    Confirmed,
    /// Rejected by a person (never suggested again).
    Rejected,
}

impl From<AccountContactLinkStatus> for ContactLinkStatus {
    fn from(s: AccountContactLinkStatus) -> Self {
        match s {
            AccountContactLinkStatus::Suggested => Self::Suggested,
            AccountContactLinkStatus::Confirmed => Self::Confirmed,
            AccountContactLinkStatus::Rejected => Self::Rejected,
        }
    }
}

impl From<ContactLinkStatus> for AccountContactLinkStatus {
    fn from(s: ContactLinkStatus) -> Self {
        match s {
            ContactLinkStatus::Suggested => Self::Suggested,
            ContactLinkStatus::Confirmed => Self::Confirmed,
            ContactLinkStatus::Rejected => Self::Rejected,
        }
    }
}

/// How a contact link was found.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactLinkSource {
    /// Linked by a person.
    Manual,
    /// The contact's email domain is the account's domain.
    EmailDomain,
    /// A Chatwoot company attribute names the account.
    CompanyAttribute,
    /// Taken over from a merged account.
    Merge,
}

impl From<AccountContactLinkSource> for ContactLinkSource {
    fn from(s: AccountContactLinkSource) -> Self {
        match s {
            AccountContactLinkSource::Manual => Self::Manual,
            AccountContactLinkSource::EmailDomain => Self::EmailDomain,
            AccountContactLinkSource::CompanyAttribute => Self::CompanyAttribute,
            AccountContactLinkSource::Merge => Self::Merge,
        }
    }
}

/// Order of the account listing.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrmAccountOrder {
    /// By name, A-Z.
    #[default]
    Name,
    /// Most recently changed first.
    UpdatedAt,
}

/// Open or closed opportunities.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OpportunityState")]
pub enum OpportunityStateGql {
    /// In an open stage.
    Open,
    /// In a won or lost stage.
    Closed,
}

/// What a stage means for the opportunities in it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PipelineStageKind {
    /// Still being worked.
    #[default]
    Open,
    /// Won (a pipeline has exactly one).
    Won,
    /// Lost.
    Lost,
}

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

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
    async fn contacts(
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
    async fn opportunities(
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
    async fn signals(
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
    async fn owner(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::identity::projects_types::ProjectMember>>
    {
        let owner = self.owner_user_id.as_ref().and_then(|i| i.parse().ok());
        crate::graphql::loaders::member(ctx, self.scope, owner).await
    }

    /// The account's newest health score, if it has one.
    async fn health(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::signals::types::HealthScoreNode>> {
        let latest = crate::domain::signals::health::latest(ctx.db()?, &self.scope, self.uuid)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(latest.map(Into::into))
    }

    /// The account's health history, newest first (default 90, at most 365 scores).
    async fn health_history(
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
    async fn next_best_actions(
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
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContactNode>> {
        let loader = ctx.data::<DataLoader<ContactLoader>>()?;
        Ok(loader
            .load_one((self.scope, self.contact_id.0.clone()))
            .await?
            .map(Into::into))
    }
}

/// A stage of the project's pipeline.
#[derive(SimpleObject, Debug, Clone)]
pub struct PipelineStage {
    /// Stage id.
    pub id: ID,
    /// Stable key, copied into stage history.
    pub key: String,
    /// Display name.
    pub name: String,
    /// 0-based position.
    pub position: i32,
    /// Win probability (0-100) of opportunities without their own.
    pub default_probability: i32,
    /// Open, won or lost.
    pub kind: PipelineStageKind,
    /// Whether opportunities in it are closed (won or lost).
    pub is_closed: bool,
}

impl From<Stage> for PipelineStage {
    fn from(s: Stage) -> Self {
        let kind = if s.is_won {
            PipelineStageKind::Won
        } else if s.is_lost {
            PipelineStageKind::Lost
        } else {
            PipelineStageKind::Open
        };
        Self {
            id: id(s.id),
            is_closed: s.is_closed(),
            key: s.key,
            name: s.name,
            position: s.position,
            default_probability: s.default_probability,
            kind,
        }
    }
}

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

    async fn load_stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Stage> {
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
    async fn stage(&self, ctx: &Context<'_>) -> async_graphql::Result<PipelineStage> {
        Ok(self.load_stage(ctx).await?.into())
    }

    /// The probability that counts: its own, else its stage's default.
    async fn effective_probability(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        match self.inner.probability {
            Some(p) => Ok(p),
            None => Ok(self.load_stage(ctx).await?.default_probability),
        }
    }

    /// Amount x effective probability / 100, exact, as a decimal string.
    async fn weighted_amount(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let p = match self.inner.probability {
            Some(p) => p,
            None => self.load_stage(ctx).await?.default_probability,
        };
        Ok(money(
            self.inner.amount * Decimal::from(p) / Decimal::ONE_HUNDRED,
        ))
    }

    /// The owning member (null when unset or no longer a member).
    async fn owner(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::identity::projects_types::ProjectMember>>
    {
        crate::graphql::loaders::member(ctx, self.scope, self.inner.owner_user_id).await
    }

    /// Its account.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<CrmAccount> {
        crate::graphql::loaders::account(ctx, self.scope, Some(self.inner.account_id))
            .await?
            .ok_or_else(|| crate::kernel::DomainError::NotFound("account").into_gql())
    }

    /// Every stage change, oldest first (the first placement included).
    async fn stage_history(
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
    async fn changed_by_member(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::identity::projects_types::ProjectMember>>
    {
        crate::graphql::loaders::member(ctx, self.scope, self.changed_by_uuid).await
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

/// Amount and weighted forecast of one currency.
#[derive(SimpleObject, Debug, Clone)]
pub struct CurrencyAmount {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of amounts, as a decimal string.
    pub amount: String,
    /// Sum of amount x effective probability / 100 (exact), as a decimal string.
    pub weighted: String,
}

impl From<&CurrencyTotal> for CurrencyAmount {
    fn from(t: &CurrencyTotal) -> Self {
        Self {
            currency: t.currency.clone(),
            amount: money(t.amount),
            weighted: money(t.weighted),
        }
    }
}

/// One stage of the pipeline board.
#[derive(SimpleObject, Debug, Clone)]
pub struct PipelineBoardColumn {
    /// The stage.
    pub stage: PipelineStage,
    /// All opportunities in the stage (matching the board's filter).
    pub count: i64,
    /// Totals per currency, by currency code.
    pub totals: Vec<CurrencyAmount>,
    /// Its opportunities, most recently changed first, at most `perStage`.
    pub opportunities: Vec<OpportunityNode>,
}

/// The pipeline board: a column per stage, in pipeline order.
#[derive(SimpleObject, Debug, Clone)]
pub struct PipelineBoard {
    /// The stages with their opportunities.
    pub columns: Vec<PipelineBoardColumn>,
    /// Totals per currency over the open stages (the forecast).
    pub open_totals: Vec<CurrencyAmount>,
}

impl PipelineBoard {
    /// The API view of the domain board within `scope`.
    pub fn new(columns: Vec<BoardColumn>, scope: Scope) -> Self {
        let mut open: std::collections::BTreeMap<String, (Decimal, Decimal)> =
            std::collections::BTreeMap::new();
        for column in columns.iter().filter(|c| !c.stage.is_closed()) {
            for t in &column.totals {
                let entry = open.entry(t.currency.clone()).or_default();
                entry.0 += t.amount;
                entry.1 += t.weighted;
            }
        }
        let open_totals = open
            .into_iter()
            .map(|(currency, (amount, weighted))| CurrencyAmount {
                currency,
                amount: money(amount),
                weighted: money(weighted),
            })
            .collect();
        let columns = columns
            .into_iter()
            .map(|c| PipelineBoardColumn {
                count: i64::try_from(c.count).unwrap_or(i64::MAX),
                totals: c.totals.iter().map(Into::into).collect(),
                opportunities: c
                    .opportunities
                    .into_iter()
                    .map(|o| OpportunityNode::new(o, Some(c.stage.clone()), scope))
                    .collect(),
                stage: c.stage.into(),
            })
            .collect();
        Self {
            columns,
            open_totals,
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

/// Narrows the account listing.
#[derive(InputObject, Debug, Clone, Default)]
pub struct CrmAccountFilter {
    /// Exact status; omitted lists active and archived accounts.
    pub status: Option<CrmAccountStatusGql>,
    /// Words in the name or domain.
    pub text: Option<String>,
    /// Owner.
    pub owner_user_id: Option<ID>,
}

/// Narrows the opportunity listing.
#[derive(InputObject, Debug, Clone, Default)]
pub struct OpportunityFilter {
    /// Account.
    pub account_id: Option<ID>,
    /// Stage.
    pub stage_id: Option<ID>,
    /// Owner.
    pub owner_user_id: Option<ID>,
    /// Open or closed.
    pub state: Option<OpportunityStateGql>,
}

/// Narrows the pipeline board.
#[derive(InputObject, Debug, Clone, Default)]
pub struct PipelineBoardFilter {
    /// Only this account's opportunities.
    pub account_id: Option<ID>,
    /// Only this owner's opportunities.
    pub owner_user_id: Option<ID>,
}

/// A new account.
#[derive(InputObject, Debug, Clone)]
pub struct CreateCrmAccountInput {
    /// 1-200 characters.
    pub name: String,
    /// Email domain, e.g. acme.com.
    pub domain: Option<String>,
    /// http(s):// address.
    pub website: Option<String>,
    /// Industry (up to 120 characters).
    pub industry: Option<String>,
    /// A member of the project.
    pub owner_user_id: Option<ID>,
}

/// Changes to an account: an omitted field is kept, null clears it.
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdateCrmAccountInput {
    /// New name (1-200 characters).
    pub name: Option<String>,
    /// New email domain.
    #[graphql(default)]
    pub domain: MaybeUndefined<String>,
    /// New website.
    #[graphql(default)]
    pub website: MaybeUndefined<String>,
    /// New industry.
    #[graphql(default)]
    pub industry: MaybeUndefined<String>,
    /// New owner.
    #[graphql(default)]
    pub owner_user_id: MaybeUndefined<ID>,
}

/// Links a contact to an account (confirmed, as a person decided it).
#[derive(InputObject, Debug, Clone)]
pub struct LinkAccountContactInput {
    /// The account.
    pub account_id: ID,
    /// The contact's global id (`cwc:`).
    pub contact_id: ID,
    /// The contact's role at the account (up to 120 characters).
    pub role: Option<String>,
}

/// A new pipeline stage.
#[derive(InputObject, Debug, Clone)]
pub struct CreatePipelineStageInput {
    /// 1-80 characters.
    pub name: String,
    /// Stable key (`[a-z0-9_]`, 1-40); derived from the name when omitted.
    pub key: Option<String>,
    /// Win probability 0-100.
    pub default_probability: i32,
    /// Open or lost (the won stage exists already).
    #[graphql(default)]
    pub kind: PipelineStageKind,
    /// Where to insert it (0 = first); by default after the last open stage (open) or at the
    /// end (lost).
    pub position: Option<i32>,
}

/// Changes to a stage; an omitted field is kept.
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdatePipelineStageInput {
    /// New name.
    pub name: Option<String>,
    /// New default probability (0-100).
    pub default_probability: Option<i32>,
}

/// A new opportunity.
#[derive(InputObject, Debug, Clone)]
pub struct CreateOpportunityInput {
    /// An active account of the project.
    pub account_id: ID,
    /// 1-200 characters.
    pub name: String,
    /// Non-negative decimal with at most two decimals, e.g. "1234.50".
    pub amount: String,
    /// ISO 4217 code in capitals, e.g. EUR.
    pub currency: String,
    /// Stage to start in; the first open stage when omitted.
    pub stage_id: Option<ID>,
    /// Own win probability 0-100; the stage's default when omitted.
    pub probability: Option<i32>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// A member of the project.
    pub owner_user_id: Option<ID>,
    /// The conversation it came from (`cw:` id of this project).
    pub source_conversation_id: Option<ID>,
}

/// Changes to an opportunity (not its stage: see `moveOpportunityStage`); an omitted field is
/// kept, null clears a nullable one.
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdateOpportunityInput {
    /// New name.
    pub name: Option<String>,
    /// New amount, e.g. "1234.50".
    pub amount: Option<String>,
    /// New currency.
    pub currency: Option<String>,
    /// New own probability (null: use the stage's default).
    #[graphql(default)]
    pub probability: MaybeUndefined<i32>,
    /// New expected close date.
    #[graphql(default)]
    pub expected_close_date: MaybeUndefined<NaiveDate>,
    /// New owner.
    #[graphql(default)]
    pub owner_user_id: MaybeUndefined<ID>,
    /// New lost reason (kept only while the opportunity is in a lost stage).
    #[graphql(default)]
    pub lost_reason: MaybeUndefined<String>,
}

/// Evidence for a stage change.
#[derive(InputObject, Debug, Clone)]
pub struct EvidenceRefInput {
    /// message | conversation | contact | url.
    pub kind: String,
    /// Its id (a Chatwoot global id of this project, or the URL).
    pub id: String,
}

/// Moves an opportunity to another stage.
#[derive(InputObject, Debug, Clone)]
pub struct MoveOpportunityStageInput {
    /// The opportunity.
    pub opportunity_id: ID,
    /// The stage to enter.
    pub to_stage_id: ID,
    /// Why (up to 2000 characters).
    pub note: Option<String>,
    /// Why it was lost (kept only when entering a lost stage).
    pub lost_reason: Option<String>,
    /// What supports the move (at most 50).
    #[graphql(default)]
    pub evidence: Vec<EvidenceRefInput>,
}

/// What a merge did.
#[derive(SimpleObject, Debug, Clone)]
pub struct MergeCrmAccountsResult {
    /// The surviving account, after the merge.
    pub target: CrmAccount,
    /// Contact links taken over.
    pub moved_contacts: i64,
    /// Opportunities moved to the survivor.
    pub moved_opportunities: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_shows_two_decimals_at_least() {
        assert_eq!(money(Decimal::new(12345, 1)), "1234.50");
        assert_eq!(money(Decimal::new(7, 0)), "7.00");
        assert_eq!(money(Decimal::new(407385, 3)), "407.385");
    }

    #[test]
    fn typed_amounts_are_plain_decimals() {
        assert_eq!(
            parse_money("a", " 1234.5 ").ok(),
            Some(Decimal::new(12345, 1))
        );
        assert_eq!(parse_money("a", "0").ok(), Some(Decimal::ZERO));
        for bad in ["", "-1", "1.234", "1e5", "1.", ".5", "12,50", "abc"] {
            assert!(parse_money("a", bad).is_err(), "{bad}");
        }
    }
}
