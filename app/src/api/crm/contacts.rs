//! Which contacts belong to an account: suggestions, decisions and links, and the account
//! a conversation's contact belongs to (or one created from the contact).
// The editors' server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;

use super::*;

/// What a conversation's page needs to link it to the CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationAccountView {
    /// The account its contact is confirmed on.
    pub account: Option<AccountRef>,
    /// The contact, with what an account created from it would be called.
    pub contact: Option<ContactSeed>,
}

/// A new account's details, derived from a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSeed {
    /// Contact global id.
    pub contact_id: String,
    /// Name or email.
    pub label: String,
    /// Company attribute, else the email domain, else the contact's name.
    pub account_name: String,
    /// The email's domain.
    pub domain: Option<String>,
}

/// The domain of an email address.
pub fn email_domain(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
}

/// An account's name from a contact: its company attribute, else the email domain, else its
/// name.
pub fn account_name_for(
    company: Option<&str>,
    email: Option<&str>,
    name: Option<&str>,
) -> Option<String> {
    let nonblank = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    nonblank(company)
        .or_else(|| email.and_then(email_domain))
        .or_else(|| nonblank(name))
}

/// Suggests contacts for an account.
#[server(endpoint = "crm/suggest-contacts")]
pub async fn suggest_contacts(account_id: String, csrf: String) -> Result<usize, ServerFnError> {
    use ops::*;

    let found = crate::api::executor::run_mutation::<SuggestAccountContactsMutation>(
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
        crate::api::executor::run_mutation::<ConfirmAccountContactMutation>(
            confirm_account_contact_mutation::Variables { id },
            &csrf,
        )
        .await?;
    } else {
        crate::api::executor::run_mutation::<RejectAccountContactMutation>(
            reject_account_contact_mutation::Variables { id },
            &csrf,
        )
        .await?;
    }
    Ok(())
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
        let found =
            crate::api::executor::run::<ContactLookupQuery>(contact_lookup_query::Variables {
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
    crate::api::executor::run_mutation::<LinkContactToAccountMutation>(
        link_contact_to_account_mutation::Variables {
            input: link_contact_to_account_mutation::LinkAccountContactInput {
                account_id,
                contact_id,
                role: convert::nonblank(role),
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// The account a conversation's contact is confirmed on, or what an account created from
/// the contact would be.
#[server(endpoint = "crm/conversation-account")]
pub async fn conversation_account(
    conversation_id: String,
) -> Result<ConversationAccountView, ServerFnError> {
    use ops::*;

    let c = crate::api::executor::run::<ConversationAccountQuery>(
        conversation_account_query::Variables {
            id: conversation_id,
        },
    )
    .await?
    .conversation;
    let contact = c.contact.map(|k| {
        // The company the contact gave Chatwoot names the account; else its email domain.
        let company = k.company_name.clone();
        let label = k
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| k.email.clone())
            .unwrap_or_else(|| "this contact".to_owned());
        ContactSeed {
            account_name: account_name_for(
                company.as_deref(),
                k.email.as_deref(),
                k.name.as_deref(),
            )
            .unwrap_or_else(|| label.clone()),
            domain: k.email.as_deref().and_then(email_domain),
            contact_id: k.id,
            label,
        }
    });
    Ok(ConversationAccountView {
        account: c.crm_account.map(|a| AccountRef {
            id: a.id,
            name: a.name,
        }),
        contact,
    })
}

/// Creates an account and links the contact to it as confirmed, then opens the account.
#[server(endpoint = "crm/account-from-contact")]
pub async fn create_account_from_contact(
    contact_id: String,
    name: String,
    domain: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use ops::*;

    let account_id = super::accounts::create_account(name, domain, csrf.clone()).await?;
    crate::api::executor::run_mutation::<LinkContactToAccountMutation>(
        link_contact_to_account_mutation::Variables {
            input: link_contact_to_account_mutation::LinkAccountContactInput {
                account_id: account_id.clone(),
                contact_id,
                role: None,
            },
        },
        &csrf,
    )
    .await?;
    leptos_axum::redirect(&format!("/accounts/{account_id}"));
    Ok(account_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_named_after_the_company_then_the_email_domain_then_the_person() {
        assert_eq!(
            account_name_for(Some("Acme GmbH"), Some("jo@acme.example"), Some("Jo")).as_deref(),
            Some("Acme GmbH")
        );
        assert_eq!(
            account_name_for(Some("  "), Some("jo@Acme.Example"), Some("Jo")).as_deref(),
            Some("acme.example")
        );
        assert_eq!(
            account_name_for(None, None, Some("Jo Doe")).as_deref(),
            Some("Jo Doe")
        );
        assert_eq!(account_name_for(None, Some("not-an-email"), None), None);
    }
}
