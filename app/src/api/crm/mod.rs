//! The CRM for the UI: accounts, their contacts and opportunities, and the pipeline. The
//! records' UI types and the operations live here; each job has a file.
pub mod accounts;
pub mod contacts;
pub mod opportunities;
pub mod pipeline;

pub use self::{accounts::*, contacts::*, opportunities::*, pipeline::*};

#[cfg(feature = "ssr")]
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::convert;

/// An account row of the listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    /// Account id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email domain.
    pub domain: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// ACTIVE | ARCHIVED | MERGED.
    pub status: String,
}

/// A page of accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    /// Rows, by name.
    pub rows: Vec<AccountRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching accounts.
    pub total: i64,
}

/// A contact linked (or suggested) to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactLinkRow {
    /// Link id.
    pub id: String,
    /// Contact global id.
    pub contact_id: String,
    /// Contact name or email.
    pub label: String,
    /// Email.
    pub email: Option<String>,
    /// SUGGESTED | CONFIRMED | REJECTED.
    pub status: String,
    /// How it was found.
    pub source: String,
    /// The contact's role at the account.
    pub role: Option<String>,
}

/// An opportunity as listed on an account or a board card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityRow {
    /// Opportunity id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Amount, decimal string.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Stage name.
    pub stage: String,
    /// Account name (board cards).
    pub account: String,
    /// The probability that counts (its own, else its stage's).
    pub probability: Option<i64>,
    /// Expected close date (YYYY-MM-DD).
    pub expected_close: Option<String>,
}

/// An account as other records point at it.
pub use crate::api::records::AccountRef;

/// A project member, as an owner picker offers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberChoice {
    /// User id.
    pub id: String,
    /// Login name.
    pub username: String,
}

/// Who owns a record: the member's name, or a note when the stored owner left the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerView {
    /// The stored owner's user id (none: unassigned).
    pub id: Option<String>,
    /// Their login name while they are a member.
    pub username: Option<String>,
}

impl OwnerView {
    /// How the owner reads on a page.
    pub fn label(&self) -> String {
        match (&self.id, &self.username) {
            (_, Some(name)) => name.clone(),
            (Some(_), None) => "a former member".to_owned(),
            (None, None) => "nobody".to_owned(),
        }
    }
}

/// An account with its contacts and opportunities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetail {
    /// The account.
    pub account: AccountRow,
    /// Website.
    pub website: Option<String>,
    /// When it was archived (RFC 3339).
    pub archived_at: Option<String>,
    /// The account it was merged into (its name when it can still be read).
    pub merged_into: Option<AccountRef>,
    /// Its owner.
    pub owner: OwnerView,
    /// Members who can own it.
    pub members: Vec<MemberChoice>,
    /// Contact links.
    pub contacts: Vec<ContactLinkRow>,
    /// Opportunities, newest first.
    pub opportunities: Vec<OpportunityRow>,
}

/// The conversations of an account's confirmed contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountConversationsView {
    /// Newest activity first.
    pub rows: Vec<crate::api::conversations::ops::conversations_query::ConversationsQueryConversationsEdgesNode>,
    /// Confirmed contacts.
    pub contacts: usize,
    /// Some contact has more conversations than are listed.
    pub more: bool,
}

/// Sum and weighted forecast of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalRow {
    /// Currency.
    pub currency: String,
    /// Sum of amounts.
    pub amount: String,
    /// Weighted forecast.
    pub weighted: String,
}

/// A stage's column on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardColumnView {
    /// Stage id.
    pub stage_id: String,
    /// Stage name.
    pub name: String,
    /// Default probability.
    pub probability: i64,
    /// Opportunities in the stage.
    pub count: i64,
    /// Totals per currency.
    pub totals: Vec<TotalRow>,
    /// Cards.
    pub cards: Vec<OpportunityRow>,
}

/// The pipeline board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardView {
    /// Columns in pipeline order.
    pub columns: Vec<BoardColumnView>,
    /// Totals over the open stages.
    pub open_totals: Vec<TotalRow>,
}

/// What a merge did, for the survivor's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeOutcome {
    /// The surviving account.
    pub target: AccountRef,
    /// The merged (duplicate) account.
    pub source: AccountRef,
    /// Contact links taken over.
    pub moved_contacts: i64,
    /// Opportunities moved.
    pub moved_opportunities: i64,
}

/// A pipeline stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRow {
    /// Stage id.
    pub id: String,
    /// Stable key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Default probability (0-100).
    pub probability: i64,
    /// OPEN | WON | LOST.
    pub kind: String,
}

/// One stage change of an opportunity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageEventRow {
    /// Event id.
    pub id: String,
    /// The stage left (its current name, else its key); none for the first placement.
    pub from: Option<String>,
    /// The stage entered (its current name, else its key).
    pub to: String,
    /// Who moved it (a user id).
    pub changed_by: Option<String>,
    /// Their login name while they are a member.
    pub changed_by_name: Option<String>,
    /// When (RFC 3339).
    pub changed_at: String,
    /// The mover's note.
    pub note: Option<String>,
    /// Amount and currency at the time.
    pub amount: Option<String>,
    /// Effective probability at the time.
    pub probability: Option<i64>,
}

/// One opportunity with its stage history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityDetail {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Amount, decimal string.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Its own probability (none: the stage's default).
    pub probability: Option<i64>,
    /// The probability that counts.
    pub effective_probability: i64,
    /// Amount x effective probability.
    pub weighted: String,
    /// Expected close date (YYYY-MM-DD).
    pub expected_close: Option<String>,
    /// When it was won or lost (RFC 3339).
    pub closed_at: Option<String>,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Current stage id.
    pub stage_id: String,
    /// Current stage name.
    pub stage: String,
    /// OPEN | WON | LOST.
    pub stage_kind: String,
    /// Its account.
    pub account: AccountRef,
    /// Its owner.
    pub owner: OwnerView,
    /// Members who can own it.
    pub members: Vec<MemberChoice>,
    /// Stage changes, oldest first.
    pub history: Vec<StageEventRow>,
    /// The pipeline's stages (id, name), in order.
    pub stages: Vec<(String, String)>,
}

/// The capability's typed GraphQL operations (both builds: pages render their types).
pub mod ops {
    operations!("graphql/crm.graphql":
        CrmAccountsQuery,
        CrmAccountQuery,
        PipelineBoardQuery,
        CreateCrmAccountMutation,
        SuggestAccountContactsMutation,
        ConfirmAccountContactMutation,
        RejectAccountContactMutation,
        CreateOpportunityMutation,
        MoveOpportunityStageMutation,
        CrmAccountNameQuery,
        ActiveAccountsQuery,
        UpdateCrmAccountMutation,
        ArchiveCrmAccountMutation,
        UnarchiveCrmAccountMutation,
        MergeCrmAccountsMutation,
        ContactLookupQuery,
        LinkContactToAccountMutation,
        PipelineStagesQuery,
        CreatePipelineStageMutation,
        UpdatePipelineStageMutation,
        ReorderPipelineStagesMutation,
        DeletePipelineStageMutation,
        OpportunityQuery,
        UpdateOpportunityMutation,
        MoveOpportunityWithNoteMutation,
        ConversationAccountQuery,
    );
}

/// A validation error of one field, worded as the API words them.
#[cfg(feature = "ssr")]
fn invalid(field: &str, message: &str) -> ServerFnError {
    crate::api::executor::invalid_input(format!("Invalid input: {field}: {message}")).into()
}

/// A whole number 0-100 from a form field (`api_field` names it in errors).
#[cfg(feature = "ssr")]
fn percent_field(api_field: &str, raw: &str) -> Result<i64, ServerFnError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (0..=100).contains(p))
        .ok_or_else(|| invalid(api_field, "enter a whole number from 0 to 100"))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_whole_numbers_from_0_to_100() {
        assert_eq!(percent_field("probability", " 40 ").ok(), Some(40));
        assert_eq!(percent_field("probability", "0").ok(), Some(0));
        for bad in ["101", "-1", "4.5", "", "x"] {
            let message = percent_field("defaultProbability", bad)
                .err()
                .map(|e| crate::api::error_text(&e))
                .unwrap_or_default();
            assert_eq!(
                crate::api::field_error(&message, "defaultProbability").as_deref(),
                Some("enter a whole number from 0 to 100"),
                "{bad}"
            );
        }
    }
}
