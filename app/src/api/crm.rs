//! Accounts, their contacts and opportunities, and the pipeline board for the UI.
// The editors' server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
pub use super::insights::AccountRef;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConversationsView {
    /// Newest activity first.
    pub rows: Vec<super::chatwoot::ConversationRow>,
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

#[cfg(feature = "ssr")]
mod ops {
    use graphql_client::GraphQLQuery;

    /// NaiveDate arrives as YYYY-MM-DD.
    pub type NaiveDate = String;
    /// DateTime arrives as RFC 3339.
    pub type DateTime = String;

    macro_rules! op {
        ($name:ident) => {
            /// An operation of app/graphql/crm.graphql.
            #[derive(GraphQLQuery)]
            #[graphql(
                schema_path = "../server/schema.graphql",
                query_path = "graphql/crm.graphql",
                response_derives = "Debug"
            )]
            pub struct $name;
        };
    }
    op!(CrmAccountsQuery);
    op!(CrmAccountQuery);
    op!(PipelineBoardQuery);
    op!(CreateCrmAccountMutation);
    op!(SuggestAccountContactsMutation);
    op!(ConfirmAccountContactMutation);
    op!(RejectAccountContactMutation);
    op!(CreateOpportunityMutation);
    op!(MoveOpportunityStageMutation);
    op!(CrmAccountNameQuery);
    op!(ActiveAccountsQuery);
    op!(UpdateCrmAccountMutation);
    op!(ArchiveCrmAccountMutation);
    op!(UnarchiveCrmAccountMutation);
    op!(MergeCrmAccountsMutation);
    op!(ContactLookupQuery);
    op!(LinkContactToAccountMutation);
    op!(PipelineStagesQuery);
    op!(CreatePipelineStageMutation);
    op!(UpdatePipelineStageMutation);
    op!(ReorderPipelineStagesMutation);
    op!(DeletePipelineStageMutation);
    op!(OpportunityQuery);
    op!(UpdateOpportunityMutation);
    op!(MoveOpportunityWithNoteMutation);
}

/// An API enum value as its name (`MERGED`).
#[cfg(feature = "ssr")]
fn enum_name<E: Serialize>(value: &E) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
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

/// Blank form fields mean "not given".
#[cfg(feature = "ssr")]
fn blank_to_none(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A page of the working project's accounts, optionally matching `text`.
#[server(endpoint = "crm/accounts")]
pub async fn list_accounts(
    text: Option<String>,
    after: Option<String>,
) -> Result<AccountPage, ServerFnError> {
    use ops::*;

    let filter = blank_to_none(text).map(|t| crm_accounts_query::CrmAccountFilter {
        status: None,
        text: Some(t),
        owner_user_id: None,
    });
    let page = super::executor::run::<CrmAccountsQuery>(crm_accounts_query::Variables {
        filter,
        first: Some(50),
        after,
    })
    .await?
    .crm_accounts;
    Ok(AccountPage {
        rows: page
            .edges
            .into_iter()
            .map(|e| AccountRow {
                id: e.node.id,
                name: e.node.name,
                domain: e.node.domain,
                industry: e.node.industry,
                status: format!("{:?}", e.node.status),
            })
            .collect(),
        next: page
            .page_info
            .end_cursor
            .filter(|_| page.page_info.has_next_page),
        total: page.total_count,
    })
}

/// One account with its contacts and opportunities (a merged one with its survivor).
#[server(endpoint = "crm/account")]
pub async fn load_account(id: String) -> Result<AccountDetail, ServerFnError> {
    use ops::*;

    let data = super::executor::run::<CrmAccountQuery>(crm_account_query::Variables { id }).await?;
    let a = data.crm_account;
    let members = data
        .project_members
        .into_iter()
        .map(|m| MemberChoice {
            id: m.user.id,
            username: m.user.username,
        })
        .collect();
    let merged_into = match a.merged_into_id {
        Some(target) => Some(
            match super::executor::run::<CrmAccountNameQuery>(crm_account_name_query::Variables {
                id: target.clone(),
            })
            .await
            {
                Ok(t) => AccountRef {
                    id: t.crm_account.id,
                    name: t.crm_account.name,
                },
                Err(_) => AccountRef {
                    name: "the surviving account".to_owned(),
                    id: target,
                },
            },
        ),
        None => None,
    };
    Ok(AccountDetail {
        account: AccountRow {
            id: a.id,
            name: a.name,
            domain: a.domain,
            industry: a.industry,
            status: format!("{:?}", a.status),
        },
        website: a.website,
        archived_at: a.archived_at,
        merged_into,
        owner: OwnerView {
            id: a.owner_user_id,
            username: a.owner.map(|o| o.user.username),
        },
        members,
        contacts: a
            .contacts
            .into_iter()
            .map(|c| {
                let (name, email) = c.contact.map(|k| (k.name, k.email)).unwrap_or((None, None));
                ContactLinkRow {
                    id: c.id,
                    label: name
                        .or_else(|| email.clone())
                        .unwrap_or_else(|| c.contact_id.clone()),
                    contact_id: c.contact_id,
                    email,
                    status: format!("{:?}", c.status),
                    source: format!("{:?}", c.source),
                    role: c.role,
                }
            })
            .collect(),
        opportunities: a
            .opportunities
            .edges
            .into_iter()
            .map(|e| OpportunityRow {
                id: e.node.id,
                name: e.node.name,
                amount: e.node.amount,
                currency: e.node.currency,
                stage: e.node.stage.name,
                account: String::new(),
                probability: Some(e.node.effective_probability),
                expected_close: e.node.expected_close_date,
            })
            .collect(),
    })
}

/// The working project's pipeline board.
#[server(endpoint = "crm/board")]
pub async fn load_board() -> Result<BoardView, ServerFnError> {
    use ops::*;

    let board = super::executor::run::<PipelineBoardQuery>(pipeline_board_query::Variables {})
        .await?
        .pipeline_board;
    let totals = |list: Vec<pipeline_board_query::PipelineBoardQueryPipelineBoardOpenTotals>| {
        list.into_iter()
            .map(|t| TotalRow {
                currency: t.currency,
                amount: t.amount,
                weighted: t.weighted,
            })
            .collect::<Vec<_>>()
    };
    Ok(BoardView {
        open_totals: totals(board.open_totals),
        columns: board
            .columns
            .into_iter()
            .map(|c| BoardColumnView {
                stage_id: c.stage.id,
                name: c.stage.name,
                probability: c.stage.default_probability,
                count: c.count,
                totals: c
                    .totals
                    .into_iter()
                    .map(|t| TotalRow {
                        currency: t.currency,
                        amount: t.amount,
                        weighted: t.weighted,
                    })
                    .collect(),
                cards: c
                    .opportunities
                    .into_iter()
                    .map(|o| OpportunityRow {
                        id: o.id,
                        name: o.name,
                        amount: o.amount,
                        currency: o.currency,
                        stage: String::new(),
                        account: o.account.name,
                        probability: Some(o.effective_probability),
                        expected_close: None,
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// Creates an account.
#[server(endpoint = "crm/create-account")]
pub async fn create_account(
    name: String,
    domain: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use ops::*;

    let created = super::executor::run_mutation::<CreateCrmAccountMutation>(
        create_crm_account_mutation::Variables {
            input: create_crm_account_mutation::CreateCrmAccountInput {
                name,
                domain: blank_to_none(domain),
                website: None,
                industry: None,
                owner_user_id: None,
            },
        },
        &csrf,
    )
    .await?;
    Ok(created.create_crm_account.id)
}

/// Suggests contacts for an account.
#[server(endpoint = "crm/suggest-contacts")]
pub async fn suggest_contacts(account_id: String, csrf: String) -> Result<usize, ServerFnError> {
    use ops::*;

    let found = super::executor::run_mutation::<SuggestAccountContactsMutation>(
        suggest_account_contacts_mutation::Variables { account_id },
        &csrf,
    )
    .await?;
    Ok(found.suggest_account_contacts.len())
}

/// Confirms (`decision` = "confirm") or rejects a contact link.
#[server(endpoint = "crm/decide-contact")]
pub async fn decide_contact(
    id: String,
    decision: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    if decision == "confirm" {
        super::executor::run_mutation::<ConfirmAccountContactMutation>(
            confirm_account_contact_mutation::Variables { id },
            &csrf,
        )
        .await?;
    } else {
        super::executor::run_mutation::<RejectAccountContactMutation>(
            reject_account_contact_mutation::Variables { id },
            &csrf,
        )
        .await?;
    }
    Ok(())
}

/// Creates an opportunity on an account.
#[server(endpoint = "crm/create-opportunity")]
pub async fn create_opportunity(
    account_id: String,
    name: String,
    amount: String,
    currency: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    super::executor::run_mutation::<CreateOpportunityMutation>(
        create_opportunity_mutation::Variables {
            input: create_opportunity_mutation::CreateOpportunityInput {
                account_id,
                name,
                amount,
                currency: currency.trim().to_uppercase(),
                stage_id: None,
                probability: None,
                expected_close_date: None,
                owner_user_id: None,
                source_conversation_id: None,
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Moves an opportunity to another stage.
#[server(endpoint = "crm/move-opportunity")]
pub async fn move_opportunity(
    opportunity_id: String,
    to_stage_id: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    super::executor::run_mutation::<MoveOpportunityStageMutation>(
        move_opportunity_stage_mutation::Variables {
            input: move_opportunity_stage_mutation::MoveOpportunityStageInput {
                opportunity_id,
                to_stage_id,
                note: None,
                lost_reason: None,
                evidence: Vec::new(),
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Most conversations listed per contact on an account page.
#[cfg(feature = "ssr")]
const CONVERSATIONS_PER_CONTACT: usize = 25;

/// The conversations of an account's confirmed contacts, newest activity first.
#[server(endpoint = "crm/account-conversations")]
pub async fn account_conversations(
    account_id: String,
) -> Result<AccountConversationsView, ServerFnError> {
    let detail = load_account(account_id).await?;
    let confirmed: Vec<String> = detail
        .contacts
        .into_iter()
        .filter(|c| c.status == "CONFIRMED")
        .map(|c| c.contact_id)
        .collect();
    let mut rows = Vec::new();
    let mut more = false;
    for contact in &confirmed {
        let page =
            super::chatwoot::list_conversations(None, None, Some(contact.clone()), None).await?;
        more |= page.next.is_some() || page.rows.len() > CONVERSATIONS_PER_CONTACT;
        rows.extend(page.rows.into_iter().take(CONVERSATIONS_PER_CONTACT));
    }
    // RFC 3339 times of one offset sort as text.
    rows.sort_by(|a, b| b.last_activity.cmp(&a.last_activity));
    Ok(AccountConversationsView {
        rows,
        contacts: confirmed.len(),
        more,
    })
}

/// Most accounts offered as merge candidates (pages of 100).
#[cfg(feature = "ssr")]
const MAX_MERGE_CANDIDATES: usize = 500;

/// The working project's active accounts other than `account_id`, by name: what can be merged
/// into it.
#[server(endpoint = "crm/merge-candidates")]
pub async fn merge_candidates(account_id: String) -> Result<Vec<AccountRef>, ServerFnError> {
    use ops::*;

    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page =
            super::executor::run::<ActiveAccountsQuery>(active_accounts_query::Variables { after })
                .await?
                .crm_accounts;
        out.extend(
            page.edges
                .into_iter()
                .filter(|e| e.node.id != account_id)
                .map(|e| AccountRef {
                    name: match e.node.domain {
                        Some(d) => format!("{} ({d})", e.node.name),
                        None => e.node.name,
                    },
                    id: e.node.id,
                }),
        );
        match page.page_info.end_cursor {
            Some(cursor) if page.page_info.has_next_page && out.len() < MAX_MERGE_CANDIDATES => {
                after = Some(cursor);
            }
            _ => break,
        }
    }
    Ok(out)
}

/// Changes an account's name, email domain, website, industry and owner (blank clears).
#[server(endpoint = "crm/update-account")]
pub async fn update_account(
    id: String,
    name: String,
    domain: Option<String>,
    website: Option<String>,
    industry: Option<String>,
    owner_user_id: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    super::executor::run_mutation::<UpdateCrmAccountMutation>(
        update_crm_account_mutation::Variables {
            id,
            name: name.trim().to_owned(),
            domain: blank_to_none(domain),
            website: blank_to_none(website),
            industry: blank_to_none(industry),
            owner_user_id: blank_to_none(owner_user_id),
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Archives (`archive` = "true") or unarchives an account; returns its new status.
#[server(endpoint = "crm/archive-account")]
pub async fn archive_account(
    id: String,
    archive: String,
    csrf: String,
) -> Result<String, ServerFnError> {
    use ops::*;

    let status = if archive == "true" {
        enum_name(
            &super::executor::run_mutation::<ArchiveCrmAccountMutation>(
                archive_crm_account_mutation::Variables { id },
                &csrf,
            )
            .await?
            .archive_crm_account
            .status,
        )
    } else {
        enum_name(
            &super::executor::run_mutation::<UnarchiveCrmAccountMutation>(
                unarchive_crm_account_mutation::Variables { id },
                &csrf,
            )
            .await?
            .unarchive_crm_account
            .status,
        )
    };
    Ok(status)
}

/// Merges the duplicate `source_id` into `target_id` once `confirm` is ticked, then shows the
/// survivor (`?merged=<source>` tells its page what happened when JavaScript is off).
#[server(endpoint = "crm/merge-accounts")]
pub async fn merge_accounts(
    target_id: String,
    source_id: Option<String>,
    confirm: Option<String>,
    csrf: String,
) -> Result<MergeOutcome, ServerFnError> {
    use ops::*;

    let Some(source_id) = blank_to_none(source_id) else {
        return Err(invalid("sourceId", "choose the account to merge"));
    };
    if confirm.as_deref() != Some("yes") {
        return Err(invalid("confirm", "tick the box to confirm the merge"));
    }
    let source_name =
        super::executor::run::<CrmAccountNameQuery>(crm_account_name_query::Variables {
            id: source_id.clone(),
        })
        .await?
        .crm_account
        .name;
    let done = super::executor::run_mutation::<MergeCrmAccountsMutation>(
        merge_crm_accounts_mutation::Variables {
            source_id: source_id.clone(),
            target_id,
        },
        &csrf,
    )
    .await?
    .merge_crm_accounts;
    leptos_axum::redirect(&format!(
        "/accounts/{}?merged={}",
        done.target.id, source_id
    ));
    Ok(MergeOutcome {
        target: AccountRef {
            id: done.target.id,
            name: done.target.name,
        },
        source: AccountRef {
            id: source_id,
            name: source_name,
        },
        moved_contacts: done.moved_contacts,
        moved_opportunities: done.moved_opportunities,
    })
}

/// Links a contact to an account as confirmed. `contact` is the contact's id (`cwc:…`) or
/// its exact email address.
#[server(endpoint = "crm/link-contact")]
pub async fn link_contact(
    account_id: String,
    contact: String,
    role: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    let wanted = contact.trim();
    let contact_id = if wanted.is_empty() {
        return Err(invalid("contactId", "enter a contact id or email"));
    } else if wanted.contains('@') {
        let found = super::executor::run::<ContactLookupQuery>(contact_lookup_query::Variables {
            text: wanted.to_owned(),
        })
        .await?
        .contacts;
        let mut matches = found.edges.into_iter().filter(|e| {
            e.node
                .email
                .as_deref()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(wanted))
        });
        match (matches.next(), matches.next()) {
            (Some(one), None) => one.node.id,
            (None, _) => return Err(invalid("contactId", "no contact has this email")),
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "contactId",
                    "several contacts have this email; use the contact's id",
                ));
            }
        }
    } else {
        wanted.to_owned()
    };
    super::executor::run_mutation::<LinkContactToAccountMutation>(
        link_contact_to_account_mutation::Variables {
            input: link_contact_to_account_mutation::LinkAccountContactInput {
                account_id,
                contact_id,
                role: blank_to_none(role),
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// The working project's pipeline stages, in order.
#[server(endpoint = "crm/stages")]
pub async fn load_stages() -> Result<Vec<StageRow>, ServerFnError> {
    use ops::*;

    let stages = super::executor::run::<PipelineStagesQuery>(pipeline_stages_query::Variables {})
        .await?
        .pipeline_stages;
    Ok(stages
        .into_iter()
        .map(|s| StageRow {
            id: s.id,
            key: s.key,
            name: s.name,
            probability: s.default_probability,
            kind: enum_name(&s.kind),
        })
        .collect())
}

/// Adds an open or lost stage (a blank key is derived from the name).
#[server(endpoint = "crm/create-stage")]
pub async fn create_stage(
    name: String,
    key: Option<String>,
    default_probability: String,
    kind: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use create_pipeline_stage_mutation::PipelineStageKind as Kind;
    use ops::*;

    let kind = match kind.as_str() {
        "OPEN" => Kind::OPEN,
        "LOST" => Kind::LOST,
        _ => return Err(invalid("kind", "choose open or lost")),
    };
    let default_probability = percent_field("defaultProbability", &default_probability)?;
    super::executor::run_mutation::<CreatePipelineStageMutation>(
        create_pipeline_stage_mutation::Variables {
            input: create_pipeline_stage_mutation::CreatePipelineStageInput {
                name: name.trim().to_owned(),
                key: blank_to_none(key),
                default_probability,
                kind,
                position: None,
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Renames a stage and sets its default probability, then closes the edit form.
#[server(endpoint = "crm/update-stage")]
pub async fn update_stage(
    id: String,
    name: String,
    default_probability: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    let default_probability = percent_field("defaultProbability", &default_probability)?;
    super::executor::run_mutation::<UpdatePipelineStageMutation>(
        update_pipeline_stage_mutation::Variables {
            id,
            input: update_pipeline_stage_mutation::UpdatePipelineStageInput {
                name: Some(name.trim().to_owned()),
                default_probability: Some(default_probability),
            },
        },
        &csrf,
    )
    .await?;
    leptos_axum::redirect("/pipeline/stages");
    Ok(())
}

/// Moves a stage one place `direction` ("up" or "down"), sending the whole new order; returns
/// the stage and direction (so the page can keep the keyboard focus on it).
#[server(endpoint = "crm/move-stage")]
pub async fn move_stage(
    id: String,
    direction: String,
    csrf: String,
) -> Result<(String, String), ServerFnError> {
    use ops::*;

    let mut order: Vec<String> = load_stages().await?.into_iter().map(|s| s.id).collect();
    let Some(at) = order.iter().position(|s| *s == id) else {
        return Err(super::ApiError::Api("stage not found".to_owned()).into());
    };
    let other = match direction.as_str() {
        "up" if at > 0 => at - 1,
        "down" if at + 1 < order.len() => at + 1,
        "up" => return Err(super::ApiError::Api("The stage is already first".to_owned()).into()),
        "down" => return Err(super::ApiError::Api("The stage is already last".to_owned()).into()),
        _ => return Err(invalid("direction", "is not one of the choices")),
    };
    order.swap(at, other);
    super::executor::run_mutation::<ReorderPipelineStagesMutation>(
        reorder_pipeline_stages_mutation::Variables { stage_ids: order },
        &csrf,
    )
    .await?;
    Ok((id, direction))
}

/// Deletes a stage; the API's refusal (opportunities still in it, the last open or lost
/// stage, the won stage) comes back naming the stage.
#[server(endpoint = "crm/delete-stage")]
pub async fn delete_stage(id: String, name: String, csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    super::executor::run_mutation::<DeletePipelineStageMutation>(
        delete_pipeline_stage_mutation::Variables { id },
        &csrf,
    )
    .await
    .map_err(|e| match e {
        super::ApiError::Api(message) => {
            super::ApiError::Api(format!("“{name}” was not deleted: {message}"))
        }
        other => other,
    })?;
    Ok(())
}

/// One opportunity with its stage history and the pipeline's stages.
#[server(endpoint = "crm/opportunity")]
pub async fn load_opportunity(id: String) -> Result<OpportunityDetail, ServerFnError> {
    use ops::*;

    let data =
        super::executor::run::<OpportunityQuery>(opportunity_query::Variables { id }).await?;
    let o = data.opportunity;
    let stage_name = |key: &str| {
        data.pipeline_stages
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| key.to_owned())
    };
    Ok(OpportunityDetail {
        history: o
            .stage_history
            .into_iter()
            .map(|h| StageEventRow {
                id: h.id,
                from: h.from_stage_key.as_deref().map(stage_name),
                to: stage_name(&h.to_stage_key),
                changed_by: h.changed_by,
                changed_by_name: h.changed_by_member.map(|m| m.user.username),
                changed_at: h.changed_at,
                note: h.note.filter(|n| !n.trim().is_empty()),
                amount: h.amount.map(|a| match &h.currency {
                    Some(c) => format!("{a} {c}"),
                    None => a,
                }),
                probability: h.probability,
            })
            .collect(),
        stages: data
            .pipeline_stages
            .iter()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect(),
        id: o.id,
        name: o.name,
        amount: o.amount,
        currency: o.currency,
        probability: o.probability,
        effective_probability: o.effective_probability,
        weighted: o.weighted_amount,
        expected_close: o.expected_close_date,
        closed_at: o.closed_at,
        lost_reason: o.lost_reason,
        created_at: o.created_at,
        stage_id: o.stage.id,
        stage: o.stage.name,
        stage_kind: enum_name(&o.stage.kind),
        account: AccountRef {
            id: o.account.id,
            name: o.account.name,
        },
        owner: OwnerView {
            id: o.owner_user_id,
            username: o.owner.map(|m| m.user.username),
        },
        members: data
            .project_members
            .into_iter()
            .map(|m| MemberChoice {
                id: m.user.id,
                username: m.user.username,
            })
            .collect(),
    })
}

/// Changes an opportunity's name, amount, currency, own probability (blank: the stage's
/// default), expected close date and owner (blank clears).
#[server(endpoint = "crm/update-opportunity")]
pub async fn update_opportunity(
    id: String,
    name: String,
    amount: String,
    currency: String,
    probability: Option<String>,
    expected_close_date: Option<String>,
    owner_user_id: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    let probability = blank_to_none(probability)
        .map(|p| percent_field("probability", &p))
        .transpose()?;
    let expected_close_date = blank_to_none(expected_close_date)
        .map(|d| {
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map(|_| d)
                .map_err(|_| invalid("expectedCloseDate", "use a date like 2025-06-30"))
        })
        .transpose()?;
    super::executor::run_mutation::<UpdateOpportunityMutation>(
        update_opportunity_mutation::Variables {
            id,
            name: name.trim().to_owned(),
            amount: amount.trim().to_owned(),
            currency: currency.trim().to_uppercase(),
            probability,
            expected_close_date,
            owner_user_id: blank_to_none(owner_user_id),
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Moves an opportunity to another stage with an optional note (and lost reason).
#[server(endpoint = "crm/move-opportunity-note")]
pub async fn move_opportunity_with_note(
    opportunity_id: String,
    to_stage_id: String,
    note: Option<String>,
    lost_reason: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    super::executor::run_mutation::<MoveOpportunityWithNoteMutation>(
        move_opportunity_with_note_mutation::Variables {
            opportunity_id,
            to_stage_id,
            note: blank_to_none(note),
            lost_reason: blank_to_none(lost_reason),
        },
        &csrf,
    )
    .await?;
    Ok(())
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
