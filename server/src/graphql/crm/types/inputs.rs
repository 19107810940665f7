//! Input objects of the CRM mutations and filters.
use super::*;

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
