//! Accounts, their contacts and opportunities, and the pipeline board for the UI.
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
}

/// An account with its contacts and opportunities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetail {
    /// The account.
    pub account: AccountRow,
    /// Website.
    pub website: Option<String>,
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

#[cfg(feature = "ssr")]
mod ops {
    use graphql_client::GraphQLQuery;

    /// NaiveDate arrives as YYYY-MM-DD.
    pub type NaiveDate = String;

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

/// One account with its contacts and opportunities.
#[server(endpoint = "crm/account")]
pub async fn load_account(id: String) -> Result<AccountDetail, ServerFnError> {
    use ops::*;

    let a = super::executor::run::<CrmAccountQuery>(crm_account_query::Variables { id })
        .await?
        .crm_account;
    Ok(AccountDetail {
        account: AccountRow {
            id: a.id,
            name: a.name,
            domain: a.domain,
            industry: a.industry,
            status: format!("{:?}", a.status),
        },
        website: a.website,
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
