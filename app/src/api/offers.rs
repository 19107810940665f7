//! Offers for the UI: the listing, the approval inbox, the builder (its draft travels in the
//! page's URL), each step of an offer's life and the customer's answer.
//!
//! The builder's "Add line", "Remove" and account choice post the form to the server, which
//! answers with a redirect to the builder holding the changed draft, so they work without
//! JavaScript (with it, the router follows the redirect in place). Saving redirects to the
//! saved offer, or back to the builder with the draft and the API's error.
// The editors' server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::{convert, outbound::list_outbound_of, text::draft_url};
use crate::api::{
    outbound::ops::outbound_messages_query::OutboundMessagesQueryOutboundMessagesEdgesNode,
    records::{ContactRef, Named},
};

/// Offer states (API value, label).
pub const OFFER_STATUSES: &[(&str, &str)] = &[
    ("DRAFT", "Draft"),
    ("PENDING_APPROVAL", "Pending approval"),
    ("APPROVED", "Approved"),
    ("REJECTED", "Rejected"),
    ("SENT", "Sent"),
    ("ACCEPTED", "Accepted"),
    ("DECLINED", "Declined"),
    ("EXPIRED", "Expired"),
];

// Offers

/// An offer in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferRow {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// OfferStatus value.
    pub status: String,
    /// Currency.
    pub currency: String,
    /// Total (decimal text).
    pub total: String,
    /// Largest line discount in percent.
    pub max_discount_pct: String,
    /// Needs another member's approval.
    pub requires_approval: bool,
    /// End of validity (RFC 3339).
    pub valid_until: Option<String>,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// Account.
    pub account: Option<Named>,
    /// Recipient.
    pub contact: Option<ContactRef>,
}

/// A page of offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferPage {
    /// Most recently changed first.
    pub rows: Vec<OfferRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching offers.
    pub total: i64,
}

/// A line of an offer, as the server computed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferItemRow {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Quantity.
    pub quantity: String,
    /// Unit price.
    pub unit_price: String,
    /// Discount in percent.
    pub discount_pct: String,
    /// Line total.
    pub line_total: String,
}

/// An approval decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferApprovalRow {
    /// APPROVED | REJECTED.
    pub decision: String,
    /// Who decided (user id).
    pub decided_by: String,
    /// Decided by the offer's author (an automatic approval at submit).
    pub by_author: bool,
    /// auto | manual | submit.
    pub mode: Option<String>,
    /// The threshold (percent) applied.
    pub threshold: Option<String>,
    /// Comment.
    pub comment: Option<String>,
    /// When (RFC 3339).
    pub created_at: String,
}

/// An offer with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// OfferStatus value.
    pub status: String,
    /// Currency.
    pub currency: String,
    /// Sum of gross line amounts.
    pub subtotal: String,
    /// Subtotal minus total.
    pub discount_total: String,
    /// Sum of line totals.
    pub total: String,
    /// Largest line discount.
    pub max_discount_pct: String,
    /// Needs another member's approval (set at submit).
    pub requires_approval: bool,
    /// End of validity (RFC 3339).
    pub valid_until: Option<String>,
    /// Terms.
    pub terms: Option<String>,
    /// Internal notes.
    pub notes: Option<String>,
    /// Key times (label, RFC 3339), in lifecycle order.
    pub timeline: Vec<(String, String)>,
    /// The text sending queues for the customer.
    pub message_preview: String,
    /// Lines.
    pub items: Vec<OfferItemRow>,
    /// Approval decisions, oldest first.
    pub approvals: Vec<OfferApprovalRow>,
    /// Account.
    pub account: Option<Named>,
    /// Recipient.
    pub contact: Option<ContactRef>,
    /// Opportunity.
    pub opportunity: Option<Named>,
    /// Its outbound messages (sending attempts), newest first.
    pub messages: Vec<OutboundMessagesQueryOutboundMessagesEdgesNode>,
    /// The builder's state for this offer (for "Edit").
    pub draft: OfferDraft,
}

/// A line as typed into the builder.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemDraft {
    /// Name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Quantity.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub quantity: String,
    /// Unit price.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit_price: String,
    /// Discount in percent.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub discount_pct: String,
}

impl ItemDraft {
    /// A new line: one unit, no discount.
    pub fn blank() -> Self {
        Self {
            quantity: "1".to_owned(),
            discount_pct: "0".to_owned(),
            ..Self::default()
        }
    }

    /// Nothing typed that matters (a fresh line left alone).
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.unit_price.trim().is_empty()
    }
}

/// The offer builder's state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OfferDraft {
    /// Account id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account_id: String,
    /// Opportunity id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub opportunity_id: String,
    /// Recipient contact id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub contact_id: String,
    /// Title.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Currency.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub currency: String,
    /// End of validity (YYYY-MM-DD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub valid_until: String,
    /// Terms.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub terms: String,
    /// Internal notes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Lines.
    pub items: Vec<ItemDraft>,
}

impl OfferDraft {
    /// A new offer: EUR, one empty line, for `account` when given.
    pub fn new_for(account: Option<String>) -> Self {
        Self {
            account_id: account.unwrap_or_default(),
            currency: "EUR".to_owned(),
            items: vec![ItemDraft::blank()],
            ..Self::default()
        }
    }
}

/// What the builder offers for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoices {
    /// Confirmed contacts.
    pub contacts: Vec<ContactRef>,
    /// Opportunities (name with currency).
    pub opportunities: Vec<Named>,
}

/// The capability's typed GraphQL operations (both builds: pages render their types).
pub mod ops {
    operations!("graphql/offers.graphql":
        OffersQuery,
        OfferQuery,
        OfferApprovalInboxQuery,
        OfferAccountsQuery,
        OfferAccountQuery,
        CreateOfferMutation,
        UpdateOfferMutation,
        SubmitOfferMutation,
        ApproveOfferMutation,
        RejectOfferMutation,
        SendOfferMutation,
        RecordOfferAnswerMutation,
    );
}

// --- offers ----------------------------------------------------------------------------------

/// A page of the working project's offers; `status` an OfferStatus name, blank for any.
#[server(endpoint = "offers/list")]
pub async fn list_offers(
    status: Option<String>,
    after: Option<String>,
) -> Result<OfferPage, ServerFnError> {
    use convert::*;
    use ops::*;

    let (status, after) = status_filter(status, after, OFFER_STATUSES)?;
    let page = crate::api::executor::run::<OffersQuery>(offers_query::Variables {
        status,
        first: Some(LISTING_PAGE),
        after,
    })
    .await?
    .offers;
    Ok(OfferPage {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows: page
            .edges
            .into_iter()
            .map(|e| {
                let o = e.node;
                OfferRow {
                    id: o.id,
                    title: o.title,
                    status: name(&o.status),
                    currency: o.currency,
                    total: o.total,
                    max_discount_pct: o.max_discount_pct,
                    requires_approval: o.requires_approval,
                    valid_until: o.valid_until,
                    updated_at: o.updated_at,
                    account: o.account.map(|a| Named {
                        id: a.id,
                        name: a.name,
                    }),
                    contact: o.contact.map(|c| ContactRef::new(c.id, c.name, c.email)),
                }
            })
            .collect(),
    })
}

/// Offers waiting for the caller's approval.
#[server(endpoint = "offers/approval-inbox")]
pub async fn offer_approval_inbox() -> Result<Vec<OfferRow>, ServerFnError> {
    use convert::*;
    use ops::*;

    let rows = crate::api::executor::run::<OfferApprovalInboxQuery>(
        offer_approval_inbox_query::Variables {},
    )
    .await?
    .offer_approval_inbox;
    Ok(rows
        .into_iter()
        .map(|o| OfferRow {
            id: o.id,
            title: o.title,
            status: name(&o.status),
            currency: o.currency,
            total: o.total,
            max_discount_pct: o.max_discount_pct,
            requires_approval: o.requires_approval,
            valid_until: o.valid_until,
            updated_at: o.submitted_at.unwrap_or(o.updated_at),
            account: o.account.map(|a| Named {
                id: a.id,
                name: a.name,
            }),
            contact: o.contact.map(|c| ContactRef::new(c.id, c.name, c.email)),
        })
        .collect())
}

/// One offer with its lines, approvals, message preview and sending attempts.
#[server(endpoint = "offers/load")]
pub async fn load_offer(id: String) -> Result<OfferView, ServerFnError> {
    use convert::*;
    use ops::*;

    let o = crate::api::executor::run::<OfferQuery>(offer_query::Variables { id })
        .await?
        .offer;
    let messages = list_outbound_of("OFFER", &o.id).await?;
    let author = o.created_by.clone();
    let draft = OfferDraft {
        account_id: o.account_id.clone().unwrap_or_default(),
        opportunity_id: o.opportunity_id.clone().unwrap_or_default(),
        contact_id: o.contact_id.clone().unwrap_or_default(),
        title: o.title.clone(),
        currency: o.currency.clone(),
        valid_until: o
            .valid_until
            .as_deref()
            .and_then(|v| v.get(..10))
            .unwrap_or_default()
            .to_owned(),
        terms: o.terms.clone().unwrap_or_default(),
        notes: o.notes.clone().unwrap_or_default(),
        items: o
            .items
            .iter()
            .map(|i| ItemDraft {
                name: i.name.clone(),
                quantity: i.quantity.clone(),
                unit_price: i.unit_price.clone(),
                discount_pct: i.discount_pct.clone(),
            })
            .collect(),
    };
    Ok(OfferView {
        timeline: timeline(&[
            ("Created", &Some(o.created_at.clone())),
            ("Submitted", &o.submitted_at),
            ("Approved", &o.approved_at),
            ("Rejected", &o.rejected_at),
            ("Sent", &o.sent_at),
            ("Closed", &o.closed_at),
        ]),
        id: o.id,
        title: o.title,
        status: name(&o.status),
        currency: o.currency,
        subtotal: o.subtotal,
        discount_total: o.discount_total,
        total: o.total,
        max_discount_pct: o.max_discount_pct,
        requires_approval: o.requires_approval,
        valid_until: o.valid_until,
        terms: o.terms,
        notes: o.notes,
        message_preview: o.message_preview,
        items: o
            .items
            .into_iter()
            .map(|i| OfferItemRow {
                name: i.name,
                description: i.description,
                quantity: i.quantity,
                unit_price: i.unit_price,
                discount_pct: i.discount_pct,
                line_total: i.line_total,
            })
            .collect(),
        approvals: o
            .approvals
            .into_iter()
            .map(|a| {
                let policy_text = |key: &str| {
                    a.policy.get(key).map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                };
                OfferApprovalRow {
                    decision: name(&a.decision),
                    by_author: author.as_deref() == Some(a.decided_by.as_str()),
                    mode: policy_text("mode"),
                    threshold: policy_text("threshold"),
                    decided_by: a.decided_by,
                    comment: a.comment,
                    created_at: a.created_at,
                }
            })
            .collect(),
        account: o.account.map(|a| Named {
            id: a.id,
            name: a.name,
        }),
        contact: o.contact.map(|c| ContactRef::new(c.id, c.name, c.email)),
        opportunity: o.opportunity.map(|p| Named {
            id: p.id,
            name: p.name,
        }),
        messages,
        draft,
    })
}

/// The working project's active accounts, by name.
#[server(endpoint = "offers/accounts")]
pub async fn offer_accounts() -> Result<Vec<Named>, ServerFnError> {
    use ops::*;

    let page = crate::api::executor::run::<OfferAccountsQuery>(offer_accounts_query::Variables {})
        .await?
        .crm_accounts;
    Ok(page
        .edges
        .into_iter()
        .map(|e| Named {
            id: e.node.id,
            name: e.node.name,
        })
        .collect())
}

/// An account's confirmed contacts and its opportunities, for the builder's selects.
#[server(endpoint = "offers/account-choices")]
pub async fn offer_account_choices(account_id: String) -> Result<AccountChoices, ServerFnError> {
    use ops::*;

    let a = crate::api::executor::run::<OfferAccountQuery>(offer_account_query::Variables {
        id: account_id,
    })
    .await?
    .crm_account;
    Ok(AccountChoices {
        contacts: a
            .contacts
            .into_iter()
            .map(|c| {
                let (name, email) = c.contact.map(|k| (k.name, k.email)).unwrap_or_default();
                ContactRef::new(c.contact_id, name, email)
            })
            .collect(),
        opportunities: a
            .opportunities
            .edges
            .into_iter()
            .map(|e| Named {
                id: e.node.id,
                name: format!("{} ({})", e.node.name, e.node.currency),
            })
            .collect(),
    })
}

/// The offer builder's form. `intent`: `add` (a line), `remove-<n>` (line n), `account` (the
/// account changed: pick its contact and opportunity again) redirect to the builder with the
/// changed draft; `save` (the default) creates or updates the offer and opens it, or returns
/// to the builder with the draft and the API's error.
#[server(endpoint = "offers/save-form")]
pub async fn save_offer_form(
    offer_id: Option<String>,
    account_id: Option<String>,
    opportunity_id: Option<String>,
    contact_id: Option<String>,
    title: Option<String>,
    currency: Option<String>,
    valid_until: Option<String>,
    terms: Option<String>,
    notes: Option<String>,
    items: Option<Vec<ItemDraft>>,
    intent: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use convert::*;

    let offer_id = nonblank(offer_id);
    let mut draft = OfferDraft {
        account_id: text(account_id),
        opportunity_id: text(opportunity_id),
        contact_id: text(contact_id),
        title: title.unwrap_or_default(),
        currency: text(currency).to_uppercase(),
        valid_until: text(valid_until),
        terms: terms.unwrap_or_default(),
        notes: notes.unwrap_or_default(),
        items: items.unwrap_or_default(),
    };
    let base = match &offer_id {
        Some(id) => format!("/offers/{id}/edit"),
        None => "/offers/new".to_owned(),
    };
    let intent = intent.unwrap_or_default();
    if intent == "add" {
        draft.items.push(ItemDraft::blank());
        go(&draft_url(&base, &draft, &[("focus", "last-line")]));
        return Ok(());
    }
    if let Some(n) = intent.strip_prefix("remove-") {
        if let Ok(n) = n.parse::<usize>()
            && n < draft.items.len()
        {
            draft.items.remove(n);
        }
        go(&draft_url(&base, &draft, &[]));
        return Ok(());
    }
    if intent == "account" {
        draft.opportunity_id.clear();
        draft.contact_id.clear();
        go(&draft_url(&base, &draft, &[]));
        return Ok(());
    }
    draft.items.retain(|i| !i.is_blank());
    match save_offer(offer_id.as_deref(), &draft, &csrf).await {
        Ok(id) => go(&format!("/offers/{id}")),
        Err(e) => go(&draft_url(&base, &draft, &[("error", &e.to_string())])),
    }
    Ok(())
}

/// Creates (no `id`) or updates an offer from the builder's draft; returns its id.
#[cfg(feature = "ssr")]
async fn save_offer(
    id: Option<&str>,
    draft: &OfferDraft,
    csrf: &str,
) -> Result<String, crate::api::ApiError> {
    use convert::*;
    use ops::*;

    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let valid_until = some(&draft.valid_until)
        .map(|d| end_of_day("validUntil", &d))
        .transpose()?;
    macro_rules! items {
        ($module:ident) => {
            draft
                .items
                .iter()
                .map(|i| $module::OfferItemInput {
                    name: i.name.trim().to_owned(),
                    description: None,
                    sku: None,
                    quantity: i.quantity.trim().to_owned(),
                    unit_price: i.unit_price.trim().to_owned(),
                    discount_pct: some(&i.discount_pct),
                })
                .collect::<Vec<_>>()
        };
    }
    match id {
        None => {
            let input = create_offer_mutation::CreateOfferInput {
                title: draft.title.trim().to_owned(),
                account_id: some(&draft.account_id),
                opportunity_id: some(&draft.opportunity_id),
                contact_id: some(&draft.contact_id),
                currency: some(&draft.currency),
                valid_until,
                terms: some(&draft.terms),
                notes: some(&draft.notes),
                items: items!(create_offer_mutation),
            };
            Ok(crate::api::executor::run_mutation::<CreateOfferMutation>(
                create_offer_mutation::Variables { input },
                csrf,
            )
            .await?
            .create_offer
            .id)
        }
        Some(id) => {
            let input = update_offer_mutation::UpdateOfferInput {
                title: Some(draft.title.trim().to_owned()),
                account_id: some(&draft.account_id),
                opportunity_id: some(&draft.opportunity_id),
                contact_id: some(&draft.contact_id),
                currency: some(&draft.currency),
                valid_until,
                terms: some(&draft.terms),
                notes: some(&draft.notes),
                items: Some(items!(update_offer_mutation)),
            };
            Ok(crate::api::executor::run_mutation::<UpdateOfferMutation>(
                update_offer_mutation::Variables {
                    id: id.to_owned(),
                    input,
                },
                csrf,
            )
            .await?
            .update_offer
            .id)
        }
    }
}

/// Moves an offer on: `action` submit | approve | reject (with a comment) | send | accepted |
/// declined (the customer's answer). Returns its new status.
#[server(endpoint = "offers/action")]
pub async fn offer_action(
    id: String,
    action: String,
    comment: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use crate::api::executor::run_mutation;
    use convert::*;
    use ops::*;

    let comment = nonblank(comment);
    let status = match action.as_str() {
        "submit" => name(
            &run_mutation::<SubmitOfferMutation>(submit_offer_mutation::Variables { id }, &csrf)
                .await?
                .submit_offer
                .status,
        ),
        "approve" => name(
            &run_mutation::<ApproveOfferMutation>(
                approve_offer_mutation::Variables { id, comment },
                &csrf,
            )
            .await?
            .approve_offer
            .status,
        ),
        "reject" => {
            let Some(comment) = comment else {
                return Err(crate::api::executor::invalid_input(
                    "Invalid input: comment: say why it is rejected".to_owned(),
                )
                .into());
            };
            name(
                &run_mutation::<RejectOfferMutation>(
                    reject_offer_mutation::Variables { id, comment },
                    &csrf,
                )
                .await?
                .reject_offer
                .status,
            )
        }
        "send" => name(
            &run_mutation::<SendOfferMutation>(send_offer_mutation::Variables { id }, &csrf)
                .await?
                .send_offer
                .status,
        ),
        "accepted" | "declined" => name(
            &run_mutation::<RecordOfferAnswerMutation>(
                record_offer_answer_mutation::Variables {
                    id,
                    accepted: action == "accepted",
                    comment,
                },
                &csrf,
            )
            .await?
            .record_offer_answer
            .status,
        ),
        _ => {
            return Err(crate::api::executor::invalid_input(
                "Invalid input: action: is not one of the choices".to_owned(),
            )
            .into());
        }
    };
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_travel_in_the_url_and_blank_lines_are_spotted() {
        let mut draft = OfferDraft::new_for(Some("acc-1".to_owned()));
        draft.title = "Q3 & more".to_owned();
        let url = draft_url("/offers/new", &draft, &[("error", "a b")]);
        assert!(url.starts_with("/offers/new?draft=%7B"));
        assert!(url.ends_with("&error=a%20b"));
        assert!(draft.items[0].is_blank());
        assert!(
            !ItemDraft {
                name: "Seats".to_owned(),
                ..ItemDraft::blank()
            }
            .is_blank()
        );
    }
}
