//! API types for offers: the offer with its lines and approval decisions, and the inputs that
//! build one. Money, quantities and percentages cross the API as decimal strings (exact,
//! never floats); the server computes every total.
use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Json, MaybeUndefined, SimpleObject,
    dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entity::enums::{OfferDecision, OfferStatus};
use sea_orm::prelude::Decimal;
use uuid::Uuid;

use crate::graphql::{
    audit::types::EvidenceReference,
    conversations::types::ContactNode,
    crm::types::{CrmAccount, OpportunityNode, money},
};
use crate::{
    domain::offers::{self, NewOfferItem, Offer, OfferApproval, OfferDetail, OfferItem},
    graphql::{context::ContextExt, error::IntoGqlError, loaders::ContactLoader},
    kernel::{DomainError, Scope, error::FieldError},
};

/// Lifecycle of an offer.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OfferStatus")]
pub enum OfferStatusGql {
    /// Being built; editable.
    Draft,
    /// Waiting for another member's approval (its discount is above the threshold).
    PendingApproval,
    /// Approved; can be sent.
    Approved,
    /// Rejected; editing takes it back to draft.
    Rejected,
    /// Delivered to the customer.
    Sent,
    /// The customer accepted.
    Accepted,
    /// The customer declined.
    Declined,
    /// Its validity ended before an answer.
    Expired,
}

impl From<OfferStatus> for OfferStatusGql {
    fn from(s: OfferStatus) -> Self {
        match s {
            OfferStatus::Draft => Self::Draft,
            OfferStatus::PendingApproval => Self::PendingApproval,
            OfferStatus::Approved => Self::Approved,
            OfferStatus::Rejected => Self::Rejected,
            OfferStatus::Sent => Self::Sent,
            OfferStatus::Accepted => Self::Accepted,
            OfferStatus::Declined => Self::Declined,
            OfferStatus::Expired => Self::Expired,
        }
    }
}

impl From<OfferStatusGql> for OfferStatus {
    fn from(s: OfferStatusGql) -> Self {
        match s {
            OfferStatusGql::Draft => Self::Draft,
            OfferStatusGql::PendingApproval => Self::PendingApproval,
            OfferStatusGql::Approved => Self::Approved,
            OfferStatusGql::Rejected => Self::Rejected,
            OfferStatusGql::Sent => Self::Sent,
            OfferStatusGql::Accepted => Self::Accepted,
            OfferStatusGql::Declined => Self::Declined,
            OfferStatusGql::Expired => Self::Expired,
        }
    }
}

/// An approval decision.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OfferDecision")]
pub enum OfferDecisionGql {
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
}

impl From<OfferDecision> for OfferDecisionGql {
    fn from(d: OfferDecision) -> Self {
        match d {
            OfferDecision::Approved => Self::Approved,
            OfferDecision::Rejected => Self::Rejected,
        }
    }
}

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// A quantity as the API shows it: without trailing zeros ("2", "1.5").
pub fn quantity(value: Decimal) -> String {
    value.normalize().to_string()
}

/// A priced proposal to one contact of an account or opportunity.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Offer", complex)]
pub struct OfferNode {
    /// Offer id.
    pub id: ID,
    /// Title (first line of the message).
    pub title: String,
    /// CRM account it is for.
    pub account_id: Option<ID>,
    /// Opportunity it belongs to.
    pub opportunity_id: Option<ID>,
    /// Recipient's global id (`cwc:`).
    pub contact_id: Option<ID>,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// Sum of line gross amounts (quantity x unit price, each rounded to cents).
    pub subtotal: String,
    /// Subtotal minus total.
    pub discount_total: String,
    /// Sum of line totals.
    pub total: String,
    /// Largest line discount in percent.
    pub max_discount_pct: String,
    /// Set at submit: whether a member other than the author must approve.
    pub requires_approval: bool,
    /// Lifecycle state.
    pub status: OfferStatusGql,
    /// End of validity.
    pub valid_until: Option<DateTime<Utc>>,
    /// Terms shown to the customer.
    pub terms: Option<String>,
    /// Internal notes (never sent).
    pub notes: Option<String>,
    /// Author.
    pub created_by: Option<ID>,
    /// When it was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// When it was last rejected.
    pub rejected_at: Option<DateTime<Utc>>,
    /// When the sender delivered it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was accepted, declined or expired.
    pub closed_at: Option<DateTime<Utc>>,
    /// The outbound message carrying it (queued by `sendOffer`).
    pub outbound_message_id: Option<ID>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The domain offer the fields come from.
    #[graphql(skip)]
    pub inner: Offer,
    /// Lines and decisions already read with it (a listing loads them on demand).
    #[graphql(skip)]
    pub preloaded: Option<(Vec<OfferItem>, Vec<OfferApproval>)>,
    /// The project it belongs to (for nested lookups).
    #[graphql(skip)]
    pub scope: Scope,
}

impl OfferNode {
    /// The API view of `o` within `scope` (lines and decisions load on demand).
    pub fn new(o: Offer, scope: Scope) -> Self {
        Self {
            id: id(o.id),
            title: o.title.clone(),
            account_id: o.account_id.map(id),
            opportunity_id: o.opportunity_id.map(id),
            contact_id: o.contact_global_id.clone().map(ID),
            currency: o.currency.clone(),
            subtotal: money(o.subtotal),
            discount_total: money(o.discount_total),
            total: money(o.total),
            max_discount_pct: money(o.max_discount_pct),
            requires_approval: o.requires_approval,
            status: o.status.into(),
            valid_until: o.valid_until,
            terms: o.terms.clone(),
            notes: o.notes.clone(),
            created_by: o.created_by.map(id),
            submitted_at: o.submitted_at,
            approved_at: o.approved_at,
            rejected_at: o.rejected_at,
            sent_at: o.sent_at,
            closed_at: o.closed_at,
            outbound_message_id: o.outbound_message_id.map(id),
            created_at: o.created_at,
            updated_at: o.updated_at,
            inner: o,
            preloaded: None,
            scope,
        }
    }

    /// The API view of an offer read with its lines and decisions.
    pub fn with_detail(d: OfferDetail, scope: Scope) -> Self {
        let mut node = Self::new(d.offer, scope);
        node.preloaded = Some((d.items, d.approvals));
        node
    }
}

#[ComplexObject]
impl OfferNode {
    /// Its lines in order.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OfferItemNode>> {
        let items = match &self.preloaded {
            Some((items, _)) => items.clone(),
            None => offers::list_items(ctx.db()?, &self.scope, self.inner.id)
                .await
                .map_err(IntoGqlError::into_gql)?,
        };
        Ok(items.into_iter().map(Into::into).collect())
    }

    /// Its approval decisions, oldest first.
    async fn approvals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OfferApprovalNode>> {
        let approvals = match &self.preloaded {
            Some((_, approvals)) => approvals.clone(),
            None => offers::list_approvals(ctx.db()?, &self.scope, self.inner.id)
                .await
                .map_err(IntoGqlError::into_gql)?,
        };
        Ok(approvals.into_iter().map(Into::into).collect())
    }

    /// The recipient (batched across a listing).
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ContactNode>> {
        let Some(contact) = &self.inner.contact_global_id else {
            return Ok(None);
        };
        let loader = ctx.data::<DataLoader<ContactLoader>>()?;
        Ok(loader
            .load_one((self.scope, contact.clone()))
            .await?
            .map(Into::into))
    }

    /// The account it is for.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CrmAccount>> {
        crate::graphql::crm::types::account_of(ctx, self.scope, self.inner.account_id).await
    }

    /// The opportunity it belongs to.
    async fn opportunity(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<OpportunityNode>> {
        let Some(opportunity) = self.inner.opportunity_id else {
            return Ok(None);
        };
        match crate::domain::crm::opportunities::get_opportunity(
            ctx.db()?,
            &self.scope,
            opportunity,
        )
        .await
        {
            Ok(o) => Ok(Some(OpportunityNode::new(o, None, self.scope))),
            Err(DomainError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into_gql()),
        }
    }

    /// The text `sendOffer` queues for the customer (title, lines, totals, validity, terms).
    async fn message_preview(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let items = match &self.preloaded {
            Some((items, _)) => items.clone(),
            None => offers::list_items(ctx.db()?, &self.scope, self.inner.id)
                .await
                .map_err(IntoGqlError::into_gql)?,
        };
        Ok(offers::render::message_text(&self.inner, &items))
    }
}

/// A line of an offer.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "OfferItem")]
pub struct OfferItemNode {
    /// Item id.
    pub id: ID,
    /// 0-based order.
    pub position: i32,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// Quantity, e.g. "2.5".
    pub quantity: String,
    /// Unit price, e.g. "19.99".
    pub unit_price: String,
    /// Discount in percent, e.g. "12.50".
    pub discount_pct: String,
    /// quantity x unit price x (100 - discount) / 100, rounded to cents half away from zero.
    pub line_total: String,
}

impl From<OfferItem> for OfferItemNode {
    fn from(i: OfferItem) -> Self {
        Self {
            id: id(i.id),
            position: i.position,
            name: i.name,
            description: i.description,
            sku: i.sku,
            quantity: quantity(i.quantity),
            unit_price: money(i.unit_price),
            discount_pct: money(i.discount_pct),
            line_total: money(i.line_total),
        }
    }
}

/// One approval decision on an offer.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "OfferApproval")]
pub struct OfferApprovalNode {
    /// Decision id.
    pub id: ID,
    /// Approved or rejected.
    pub decision: OfferDecisionGql,
    /// Who decided (the submitter for an automatic approval).
    pub decided_by: ID,
    /// Their comment.
    pub comment: Option<String>,
    /// Evidence they cited.
    pub evidence: Vec<EvidenceReference>,
    /// The policy as applied: `mode` (auto | manual), `threshold`, `maxDiscountPct`,
    /// `requiresApproval`, `authorId`.
    pub policy: Json<serde_json::Value>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<OfferApproval> for OfferApprovalNode {
    fn from(a: OfferApproval) -> Self {
        let text = |v: &serde_json::Value, key: &str| {
            v.get(key)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let evidence = a
            .evidence_refs
            .as_array()
            .map(|refs| {
                refs.iter()
                    .map(|r| EvidenceReference {
                        kind: text(r, "kind"),
                        id: text(r, "id"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: id(a.id),
            decision: a.decision.into(),
            decided_by: id(a.decided_by),
            comment: a.comment,
            evidence,
            policy: Json(a.policy),
            created_at: a.created_at,
        }
    }
}

/// Narrows the offer listing.
#[derive(InputObject, Debug, Clone, Default)]
pub struct OfferFilter {
    /// Exact status.
    pub status: Option<OfferStatusGql>,
    /// Account.
    pub account_id: Option<ID>,
    /// Opportunity.
    pub opportunity_id: Option<ID>,
}

/// A line of an offer as typed in.
#[derive(InputObject, Debug, Clone)]
pub struct OfferItemInput {
    /// 1-200 characters.
    pub name: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// Up to 64 characters.
    pub sku: Option<String>,
    /// More than 0, at most four decimals, e.g. "2.5".
    pub quantity: String,
    /// 0 or more, at most two decimals, e.g. "19.99".
    pub unit_price: String,
    /// 0-100 with at most two decimals, e.g. "12.5"; 0 when omitted.
    pub discount_pct: Option<String>,
}

/// A new draft offer.
#[derive(InputObject, Debug, Clone)]
pub struct CreateOfferInput {
    /// 1-200 characters.
    pub title: String,
    /// An active account (or omit it and give an opportunity).
    pub account_id: Option<ID>,
    /// An opportunity (of the account, when both are given).
    pub opportunity_id: Option<ID>,
    /// The recipient (`cwc:` id of this project, not confirmed on another account); needed
    /// before submitting.
    pub contact_id: Option<ID>,
    /// ISO 4217 code; the opportunity's, else the project's default, when omitted.
    pub currency: Option<String>,
    /// End of validity (in the future).
    pub valid_until: Option<DateTime<Utc>>,
    /// Terms shown to the customer (up to 10000 characters).
    pub terms: Option<String>,
    /// Internal notes (up to 2000 characters).
    pub notes: Option<String>,
    /// The lines (at most 100; at least one before submitting).
    #[graphql(default)]
    pub items: Vec<OfferItemInput>,
}

/// Changes to a draft or rejected offer: an omitted field is kept, null clears it; `items`
/// replaces every line.
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdateOfferInput {
    /// New title.
    pub title: Option<String>,
    /// New account.
    #[graphql(default)]
    pub account_id: MaybeUndefined<ID>,
    /// New opportunity.
    #[graphql(default)]
    pub opportunity_id: MaybeUndefined<ID>,
    /// New recipient.
    #[graphql(default)]
    pub contact_id: MaybeUndefined<ID>,
    /// New currency.
    pub currency: Option<String>,
    /// New end of validity.
    #[graphql(default)]
    pub valid_until: MaybeUndefined<DateTime<Utc>>,
    /// New terms.
    #[graphql(default)]
    pub terms: MaybeUndefined<String>,
    /// New notes.
    #[graphql(default)]
    pub notes: MaybeUndefined<String>,
    /// Every line, replacing the current ones.
    pub items: Option<Vec<OfferItemInput>>,
}

/// Reads a non-negative decimal typed by a client with at most `decimals` decimals.
pub fn parse_decimal(field: &str, raw: &str, decimals: usize) -> Result<Decimal, FieldError> {
    let text = raw.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = !whole.is_empty()
        && whole.len() <= 16
        && digits(whole)
        && fraction.len() <= decimals
        && digits(fraction)
        && !(text.contains('.') && fraction.is_empty());
    let refused = || {
        FieldError::new(
            field,
            format!("use a non-negative number like 12.5 (at most {decimals} decimals)"),
        )
    };
    if !well_formed {
        return Err(refused());
    }
    text.parse::<Decimal>().map_err(|_| refused())
}

/// The domain's lines from the API's, every bad number reported at once.
pub fn items_from_input(items: &[OfferItemInput]) -> async_graphql::Result<Vec<NewOfferItem>> {
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let mut number = |name: &str, raw: &str, decimals: usize| {
            parse_decimal(&format!("items[{n}].{name}"), raw, decimals)
                .map_err(|e| errors.push(e))
                .unwrap_or_default()
        };
        let quantity = number("quantity", &item.quantity, 4);
        let unit_price = number("unitPrice", &item.unit_price, 2);
        let discount_pct = number(
            "discountPct",
            item.discount_pct.as_deref().unwrap_or("0"),
            2,
        );
        parsed.push(NewOfferItem {
            name: item.name.clone(),
            description: item.description.clone(),
            sku: item.sku.clone(),
            quantity,
            unit_price,
            discount_pct,
        });
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(DomainError::Validation(errors).into_gql())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_numbers_respect_their_decimals() {
        assert_eq!(parse_decimal("q", "2.5", 4), Ok(Decimal::new(25, 1)));
        assert_eq!(parse_decimal("q", " 0.0001 ", 4), Ok(Decimal::new(1, 4)));
        for bad in ["", "-1", "1.", ".5", "1.00001", "1e3", "abc"] {
            assert!(parse_decimal("q", bad, 4).is_err(), "{bad}");
        }
        assert!(parse_decimal("p", "1.234", 2).is_err());
    }

    #[test]
    fn every_bad_line_number_is_reported() {
        let items = vec![OfferItemInput {
            name: "A".to_owned(),
            description: None,
            sku: None,
            quantity: "x".to_owned(),
            unit_price: "1.999".to_owned(),
            discount_pct: None,
        }];
        let error = items_from_input(&items).unwrap_err();
        assert!(
            error.message.contains("items[0].quantity"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("items[0].unitPrice"),
            "{}",
            error.message
        );
    }
}
