//! Accounts: the listing, one account with its contacts, opportunities and conversations,
//! creating, editing, archiving and merging.
// The editors' server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;

use super::*;

/// A page of the working project's accounts, optionally matching `text`.
#[server(endpoint = "crm/accounts")]
pub async fn list_accounts(
    text: Option<String>,
    after: Option<String>,
) -> Result<AccountPage, ServerFnError> {
    use ops::*;

    let filter = convert::nonblank(text).map(|t| crm_accounts_query::CrmAccountFilter {
        status: None,
        text: Some(t),
        owner_user_id: None,
    });
    let page = crate::api::executor::run::<CrmAccountsQuery>(crm_accounts_query::Variables {
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

    let data =
        crate::api::executor::run::<CrmAccountQuery>(crm_account_query::Variables { id }).await?;
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
            match crate::api::executor::run::<CrmAccountNameQuery>(
                crm_account_name_query::Variables { id: target.clone() },
            )
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

/// Creates an account.
#[server(endpoint = "crm/create-account")]
pub async fn create_account(
    name: String,
    domain: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use ops::*;

    let created = crate::api::executor::run_mutation::<CreateCrmAccountMutation>(
        create_crm_account_mutation::Variables {
            input: create_crm_account_mutation::CreateCrmAccountInput {
                name,
                domain: convert::nonblank(domain),
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
        let page = crate::api::conversations::threads::list_conversations(
            None,
            None,
            Some(contact.clone()),
            None,
        )
        .await?;
        more |= page.next().is_some() || page.edges.len() > CONVERSATIONS_PER_CONTACT;
        rows.extend(page.into_rows().take(CONVERSATIONS_PER_CONTACT));
    }
    // RFC 3339 times of one offset sort as text.
    rows.sort_by(|a, b| b.last_activity_at.cmp(&a.last_activity_at));
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
            crate::api::executor::run::<ActiveAccountsQuery>(active_accounts_query::Variables {
                after,
            })
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

    crate::api::executor::run_mutation::<UpdateCrmAccountMutation>(
        update_crm_account_mutation::Variables {
            id,
            name: name.trim().to_owned(),
            domain: convert::nonblank(domain),
            website: convert::nonblank(website),
            industry: convert::nonblank(industry),
            owner_user_id: convert::nonblank(owner_user_id),
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
        convert::name(
            &crate::api::executor::run_mutation::<ArchiveCrmAccountMutation>(
                archive_crm_account_mutation::Variables { id },
                &csrf,
            )
            .await?
            .archive_crm_account
            .status,
        )
    } else {
        convert::name(
            &crate::api::executor::run_mutation::<UnarchiveCrmAccountMutation>(
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

    let Some(source_id) = convert::nonblank(source_id) else {
        return Err(invalid("sourceId", "choose the account to merge"));
    };
    if confirm.as_deref() != Some("yes") {
        return Err(invalid("confirm", "tick the box to confirm the merge"));
    }
    let source_name =
        crate::api::executor::run::<CrmAccountNameQuery>(crm_account_name_query::Variables {
            id: source_id.clone(),
        })
        .await?
        .crm_account
        .name;
    let done = crate::api::executor::run_mutation::<MergeCrmAccountsMutation>(
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
