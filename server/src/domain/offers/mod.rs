//! Offers (issue 7): priced proposals for a CRM account and/or opportunity, addressed to one
//! Chatwoot contact, with line items whose totals the server computes exactly
//! ([`totals`] documents the rounding rule).
//!
//! Lifecycle: `draft -> pending_approval -> approved | rejected -> sent -> accepted | declined
//! | expired`. Drafts are editable; editing a rejected offer takes it back to draft. Submitting
//! applies the project's approval policy (`project_settings.offer_discount_approval_threshold`,
//! 10 % without a settings row): an offer whose largest line discount is above the threshold
//! needs the approval of a project member other than its author (checked here, and by the
//! `offer_approvals_not_self_approved` trigger underneath); any other offer is approved at
//! submit, recorded as an automatic approval by the submitter. Sending hands the rendered text
//! to the outbound pipeline as a queued, approved message; the outbound sender marks the offer
//! `sent` once Chatwoot has it. Every transition is audited; every query is scoped.
pub mod render;
pub mod totals;

use chrono::{DateTime, Duration, Utc};
use entity::{
    crm_account_contacts, crm_opportunities, cw_contacts,
    enums::{
        AccountContactLinkStatus, CrmAccountStatus, OfferDecision, OfferStatus, OutboundOriginKind,
        OutboundStatus,
    },
    offer_approvals, offer_items, offers, outbound_messages, project_settings,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RuntimeErr, Set,
    Statement, TransactionTrait, prelude::Decimal,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::offers::totals::{LineAmounts, Totals, TotalsError, max_amount, max_quantity};
use crate::{
    domain::{
        crm::opportunities::check_currency,
        outbound::handoff::{self, Handoff},
    },
    kernel::approval::{self, ApprovalStage, Refusal, Step, check_step},
    kernel::{
        Actor, DomainError, Page, Scope,
        audit::{self, AuditEntry, EvidenceRef},
        checks::{
            Checks, check_evidence, evidence_json, is_global_id_of, optional_text, required_text,
        },
        error::{DomainResult, FieldError},
        sql::{Sql, count_rows},
    },
};

/// Threshold (percent) used when the project has no settings row.
pub const DEFAULT_APPROVAL_THRESHOLD: Decimal = Decimal::TEN;
/// Longest offer title.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest terms text (shown to the customer).
pub const MAX_TERMS_CHARS: usize = 10_000;
/// Longest internal notes or decision comment.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Most line items on one offer.
pub const MAX_ITEMS: usize = 100;
/// Longest item name.
pub const MAX_ITEM_NAME_CHARS: usize = 200;
/// Longest item description.
pub const MAX_ITEM_DESCRIPTION_CHARS: usize = 2_000;
/// Longest SKU.
pub const MAX_SKU_CHARS: usize = 64;
/// Furthest an offer may be valid into the future.
pub const MAX_VALIDITY_DAYS: i64 = 3_650;

/// What the four-eyes rule says when the author tries to approve their own offer.
pub const SELF_APPROVAL_REFUSED: &str = "This offer's discount is above the approval threshold, \
     so it needs the approval of a project member other than its author";

/// An offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// Offer id.
    pub id: Uuid,
    /// CRM account it is for.
    pub account_id: Option<Uuid>,
    /// Opportunity it belongs to.
    pub opportunity_id: Option<Uuid>,
    /// Recipient (`cwc:` id).
    pub contact_global_id: Option<String>,
    /// Title (first line of the message).
    pub title: String,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// Σ line gross.
    pub subtotal: Decimal,
    /// subtotal − total.
    pub discount_total: Decimal,
    /// Σ line totals.
    pub total: Decimal,
    /// Largest line discount in percent.
    pub max_discount_pct: Decimal,
    /// Set at submit: whether someone other than the author must approve.
    pub requires_approval: bool,
    /// Lifecycle state.
    pub status: OfferStatus,
    /// End of validity.
    pub valid_until: Option<DateTime<Utc>>,
    /// Terms shown to the customer.
    pub terms: Option<String>,
    /// Internal notes (never sent).
    pub notes: Option<String>,
    /// Author.
    pub created_by: Option<Uuid>,
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
    /// The outbound message carrying it.
    pub outbound_message_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<offers::Model> for Offer {
    fn from(m: offers::Model) -> Self {
        let utc = |t: Option<sea_orm::prelude::DateTimeWithTimeZone>| t.map(|t| t.to_utc());
        Self {
            id: m.id,
            account_id: m.account_id,
            opportunity_id: m.opportunity_id,
            contact_global_id: m.contact_global_id,
            title: m.title,
            currency: m.currency,
            subtotal: m.subtotal,
            discount_total: m.discount_total,
            total: m.total,
            max_discount_pct: m.max_discount_pct,
            requires_approval: m.requires_approval,
            status: m.status,
            valid_until: utc(m.valid_until),
            terms: m.terms,
            notes: m.notes,
            created_by: m.created_by,
            submitted_at: utc(m.submitted_at),
            approved_at: utc(m.approved_at),
            rejected_at: utc(m.rejected_at),
            sent_at: utc(m.sent_at),
            closed_at: utc(m.closed_at),
            outbound_message_id: m.outbound_message_id,
            created_at: m.created_at.to_utc(),
            updated_at: m.updated_at.to_utc(),
        }
    }
}

impl Offer {
    /// Its position in [`list_offers`] (created_at, id).
    pub fn cursor(&self) -> (DateTime<Utc>, Uuid) {
        (self.created_at, self.id)
    }
}

/// A line of an offer.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferItem {
    /// Item id.
    pub id: Uuid,
    /// 0-based order.
    pub position: i32,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// Quantity (> 0, up to four decimals).
    pub quantity: Decimal,
    /// Unit price (two decimals).
    pub unit_price: Decimal,
    /// Discount in percent (0-100, two decimals).
    pub discount_pct: Decimal,
    /// Rounded line total.
    pub line_total: Decimal,
}

impl From<offer_items::Model> for OfferItem {
    fn from(m: offer_items::Model) -> Self {
        Self {
            id: m.id,
            position: m.position,
            name: m.name,
            description: m.description,
            sku: m.sku,
            quantity: m.quantity,
            unit_price: m.unit_price,
            discount_pct: m.discount_pct,
            line_total: m.line_total,
        }
    }
}

/// One approval decision.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferApproval {
    /// Decision id.
    pub id: Uuid,
    /// The offer.
    pub offer_id: Uuid,
    /// Approved or rejected.
    pub decision: OfferDecision,
    /// Who decided.
    pub decided_by: Uuid,
    /// Their comment.
    pub comment: Option<String>,
    /// Evidence they cited (`[{"kind", "id"}]`).
    pub evidence_refs: Value,
    /// The policy as applied (`mode`, `threshold`, `maxDiscountPct`, `requiresApproval`).
    pub policy: Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<offer_approvals::Model> for OfferApproval {
    fn from(m: offer_approvals::Model) -> Self {
        Self {
            id: m.id,
            offer_id: m.offer_id,
            decision: m.decision,
            decided_by: m.decided_by,
            comment: m.comment,
            evidence_refs: m.evidence_refs,
            policy: m.policy,
            created_at: m.created_at.to_utc(),
        }
    }
}

/// An offer with its lines and decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferDetail {
    /// The offer.
    pub offer: Offer,
    /// Its lines in position order.
    pub items: Vec<OfferItem>,
    /// Its approval decisions, oldest first.
    pub approvals: Vec<OfferApproval>,
}

/// A line as typed in.
#[derive(Debug, Clone, Default)]
pub struct NewOfferItem {
    /// 1-200 characters.
    pub name: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// Up to 64 characters.
    pub sku: Option<String>,
    /// > 0, at most four decimals.
    pub quantity: Decimal,
    /// >= 0, at most two decimals.
    pub unit_price: Decimal,
    /// 0-100, at most two decimals.
    pub discount_pct: Decimal,
}

/// Input of [`create_offer`].
#[derive(Debug, Clone, Default)]
pub struct NewOffer {
    /// 1-200 characters.
    pub title: String,
    /// An active account of the project (or taken from the opportunity).
    pub account_id: Option<Uuid>,
    /// An opportunity of the project (of the account, when both are given).
    pub opportunity_id: Option<Uuid>,
    /// Recipient: a `cwc:` contact of the project, not confirmed on another account.
    pub contact_global_id: Option<String>,
    /// ISO 4217; the opportunity's, else the project's default currency, when absent.
    pub currency: Option<String>,
    /// In the future, at most ten years ahead.
    pub valid_until: Option<DateTime<Utc>>,
    /// Up to 10000 characters.
    pub terms: Option<String>,
    /// Up to 2000 characters, internal.
    pub notes: Option<String>,
    /// At most 100 lines.
    pub items: Vec<NewOfferItem>,
}

/// Input of [`update_offer`]: `None` keeps a field, `Some(None)` clears a nullable one; `items`
/// replaces every line.
#[derive(Debug, Clone, Default)]
pub struct OfferPatch {
    /// New title.
    pub title: Option<String>,
    /// New account.
    pub account_id: Option<Option<Uuid>>,
    /// New opportunity.
    pub opportunity_id: Option<Option<Uuid>>,
    /// New recipient.
    pub contact_global_id: Option<Option<String>>,
    /// New currency.
    pub currency: Option<String>,
    /// New validity end.
    pub valid_until: Option<Option<DateTime<Utc>>>,
    /// New terms.
    pub terms: Option<Option<String>>,
    /// New notes.
    pub notes: Option<Option<String>>,
    /// New lines (all of them).
    pub items: Option<Vec<NewOfferItem>>,
}

/// Listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    /// Exact status.
    pub status: Option<OfferStatus>,
    /// Account.
    pub account_id: Option<Uuid>,
    /// Opportunity.
    pub opportunity_id: Option<Uuid>,
}

/// An approver's or a customer's answer, with what supports it.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// Up to 2000 characters (required to reject).
    pub comment: Option<String>,
    /// Messages, conversations, ... (Chatwoot ids of this project).
    pub evidence: Vec<EvidenceRef>,
}

/// A line that passed its checks.
struct CheckedItem {
    name: String,
    description: Option<String>,
    sku: Option<String>,
    amounts: LineAmounts,
}

fn check_quantity(field: &str, value: Decimal) -> Result<Decimal, FieldError> {
    let value = value.normalize();
    if value <= Decimal::ZERO {
        return Err(FieldError::new(field, "must be more than 0"));
    }
    if value.scale() > 4 {
        return Err(FieldError::new(field, "use at most four decimals"));
    }
    if value > max_quantity() {
        return Err(FieldError::new(field, "is too large"));
    }
    Ok(value)
}

fn check_price(field: &str, value: Decimal) -> Result<Decimal, FieldError> {
    let value = value.normalize();
    if value < Decimal::ZERO {
        return Err(FieldError::new(field, "must be 0 or more"));
    }
    if value.scale() > 2 {
        return Err(FieldError::new(field, "use at most two decimals"));
    }
    if value > max_amount() {
        return Err(FieldError::new(field, "is too large"));
    }
    Ok(value.abs())
}

fn check_discount(field: &str, value: Decimal) -> Result<Decimal, FieldError> {
    let value = value.normalize();
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        return Err(FieldError::new(field, "must be between 0 and 100"));
    }
    if value.scale() > 2 {
        return Err(FieldError::new(field, "use at most two decimals"));
    }
    Ok(value.abs())
}

fn check_items(checks: &mut Checks, items: &[NewOfferItem]) -> Vec<CheckedItem> {
    if items.len() > MAX_ITEMS {
        checks.fail("items", &format!("use at most {MAX_ITEMS} lines"));
        return Vec::new();
    }
    let mut checked = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let field = |name: &str| format!("items[{n}].{name}");
        let name = checks.take(required_text(
            &field("name"),
            &item.name,
            MAX_ITEM_NAME_CHARS,
        ));
        let description = checks.take(optional_text(
            &field("description"),
            item.description.as_deref(),
            MAX_ITEM_DESCRIPTION_CHARS,
        ));
        let sku = checks.take(optional_text(
            &field("sku"),
            item.sku.as_deref(),
            MAX_SKU_CHARS,
        ));
        let quantity = checks.take(check_quantity(&field("quantity"), item.quantity));
        let unit_price = checks.take(check_price(&field("unitPrice"), item.unit_price));
        let discount_pct = checks.take(check_discount(&field("discountPct"), item.discount_pct));
        if let (
            Some(name),
            Some(description),
            Some(sku),
            Some(quantity),
            Some(unit_price),
            Some(discount_pct),
        ) = (name, description, sku, quantity, unit_price, discount_pct)
        {
            checked.push(CheckedItem {
                name,
                description,
                sku,
                amounts: LineAmounts {
                    quantity,
                    unit_price,
                    discount_pct,
                },
            });
        }
    }
    checked
}

/// The totals of lines that passed their checks (a failure is recorded in `checks`).
fn totals_of(checks: &mut Checks, items: &[CheckedItem]) -> Option<Totals> {
    let amounts: Vec<LineAmounts> = items.iter().map(|i| i.amounts).collect();
    match totals::totals(&amounts) {
        Ok(t) => Some(t),
        Err(TotalsError::LineTooLarge(n)) => {
            checks.fail(
                &format!("items[{n}]"),
                "the line total is too large (quantity x unit price)",
            );
            None
        }
        Err(TotalsError::SumTooLarge) => {
            checks.fail("items", "the offer total is too large");
            None
        }
    }
}

fn check_valid_until(checks: &mut Checks, valid_until: Option<DateTime<Utc>>, now: DateTime<Utc>) {
    if let Some(at) = valid_until {
        if at <= now {
            checks.fail("validUntil", "must be in the future");
        } else if at > now + Duration::days(MAX_VALIDITY_DAYS) {
            checks.fail("validUntil", "must be within ten years");
        }
    }
}

/// The account, opportunity and recipient of an offer, resolved against the scope.
struct Links {
    account_id: Option<Uuid>,
    opportunity_id: Option<Uuid>,
    contact_global_id: Option<String>,
    opportunity_currency: Option<String>,
}

/// Resolves the offer's links. Ids of other projects are NotFound (nothing is revealed);
/// inconsistent combinations are validation failures in `checks`.
async fn resolve_links<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    checks: &mut Checks,
    account_id: Option<Uuid>,
    opportunity_id: Option<Uuid>,
    contact: Option<&str>,
) -> DomainResult<Links> {
    let mut account = None;
    if let Some(id) = account_id {
        let row = crate::domain::crm::accounts::find(db, scope, id, false).await?;
        if row.status != CrmAccountStatus::Active {
            checks.fail(
                "accountId",
                "must be an active account (not archived or merged)",
            );
        }
        account = Some(row.id);
    }
    let mut opportunity = None;
    let mut opportunity_currency = None;
    if let Some(id) = opportunity_id {
        let row = crm_opportunities::Entity::find_by_id(id)
            .filter(scope.filter_for::<crm_opportunities::Entity>())
            .one(db)
            .await?
            .ok_or(DomainError::NotFound("opportunity"))?;
        match account {
            Some(a) if a != row.account_id => {
                checks.fail("opportunityId", "belongs to another account");
            }
            Some(_) => {}
            None => account = Some(row.account_id),
        }
        opportunity = Some(row.id);
        opportunity_currency = Some(row.currency);
    }
    if account.is_none() {
        checks.fail("accountId", "choose an account or an opportunity");
    }
    let contact = contact.map(str::trim).filter(|c| !c.is_empty());
    if let Some(contact) = contact {
        let exists = is_global_id_of(scope.project_id(), "cwc", contact)
            && cw_contacts::Entity::find_by_id(contact.to_owned())
                .filter(scope.filter_for::<cw_contacts::Entity>())
                .count(db)
                .await?
                > 0;
        if !exists {
            return Err(DomainError::NotFound("contact"));
        }
        if let Some(account) = account {
            let elsewhere = scope
                .rows::<crm_account_contacts::Entity>()
                .filter(crm_account_contacts::Column::ContactGlobalId.eq(contact))
                .filter(
                    crm_account_contacts::Column::LinkStatus
                        .eq(AccountContactLinkStatus::Confirmed),
                )
                .filter(crm_account_contacts::Column::AccountId.ne(account))
                .count(db)
                .await?;
            if elsewhere > 0 {
                checks.fail("contactId", "is confirmed on another account");
            }
        }
    }
    Ok(Links {
        account_id: account,
        opportunity_id: opportunity,
        contact_global_id: contact.map(str::to_owned),
        opportunity_currency,
    })
}

/// The project's approval threshold in percent (10 without a settings row).
pub async fn approval_threshold<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
) -> DomainResult<Decimal> {
    Ok(settings(db, scope)
        .await?
        .map_or(DEFAULT_APPROVAL_THRESHOLD, |s| {
            s.offer_discount_approval_threshold
        }))
}

async fn settings<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
) -> DomainResult<Option<project_settings::Model>> {
    Ok(scope.rows::<project_settings::Entity>().one(db).await?)
}

async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
    lock: bool,
) -> DomainResult<offers::Model> {
    let mut query = scope
        .rows::<offers::Entity>()
        .filter(offers::Column::Id.eq(id));
    if lock {
        query = query.lock_exclusive();
    }
    query.one(db).await?.ok_or(DomainError::NotFound("offer"))
}

async fn items_of<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
) -> DomainResult<Vec<OfferItem>> {
    Ok(scope
        .rows::<offer_items::Entity>()
        .filter(offer_items::Column::OfferId.eq(offer_id))
        .order_by_asc(offer_items::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

async fn approvals_of<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
) -> DomainResult<Vec<OfferApproval>> {
    Ok(scope
        .rows::<offer_approvals::Entity>()
        .filter(offer_approvals::Column::OfferId.eq(offer_id))
        .order_by_asc(offer_approvals::Column::CreatedAt)
        .order_by_asc(offer_approvals::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

async fn detail<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    row: offers::Model,
) -> DomainResult<OfferDetail> {
    let items = items_of(db, scope, row.id).await?;
    let approvals = approvals_of(db, scope, row.id).await?;
    Ok(OfferDetail {
        offer: row.into(),
        items,
        approvals,
    })
}

/// Replaces the offer's lines with `items` (in the caller's transaction).
async fn write_items<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
    items: &[CheckedItem],
    totals: &Totals,
) -> DomainResult<()> {
    offer_items::Entity::delete_many()
        .filter(scope.filter_for::<offer_items::Entity>())
        .filter(offer_items::Column::OfferId.eq(offer_id))
        .exec(db)
        .await?;
    let now = Utc::now();
    for (position, (item, line_total)) in items.iter().zip(&totals.line_totals).enumerate() {
        offer_items::ActiveModel {
            id: Set(Uuid::new_v4()),
            project_id: Set(scope.project_id()),
            account_scope_id: Set(scope.account_scope_id()),
            offer_id: Set(offer_id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            name: Set(item.name.clone()),
            description: Set(item.description.clone()),
            sku: Set(item.sku.clone()),
            quantity: Set(item.amounts.quantity),
            unit_price: Set(item.amounts.unit_price),
            discount_pct: Set(item.amounts.discount_pct),
            line_total: Set(*line_total),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn offer_evidence(row: &offers::Model) -> Vec<EvidenceRef> {
    let mut evidence = vec![EvidenceRef::new("offer", row.id)];
    if let Some(account) = row.account_id {
        evidence.push(EvidenceRef::new("account", account));
    }
    if let Some(opportunity) = row.opportunity_id {
        evidence.push(EvidenceRef::new("opportunity", opportunity));
    }
    evidence
}

async fn record<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &Actor,
    action: &'static str,
    row: &offers::Model,
    evidence: Vec<EvidenceRef>,
    meta: Value,
) -> DomainResult<()> {
    audit::record(
        db,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("offer"),
            target_id: Some(row.id.to_string()),
            evidence,
            meta,
        },
    )
    .await
}

/// Creates a draft offer with its lines and records `offer.created`.
pub async fn create_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewOffer,
) -> DomainResult<OfferDetail> {
    let now = Utc::now();
    let mut checks = Checks::default();
    let title = checks
        .take(required_text("title", &input.title, MAX_TITLE_CHARS))
        .unwrap_or_default();
    let currency = input
        .currency
        .as_deref()
        .and_then(|c| checks.take(check_currency(c)));
    let terms = checks
        .take(optional_text(
            "terms",
            input.terms.as_deref(),
            MAX_TERMS_CHARS,
        ))
        .flatten();
    let notes = checks
        .take(optional_text(
            "notes",
            input.notes.as_deref(),
            MAX_NOTE_CHARS,
        ))
        .flatten();
    check_valid_until(&mut checks, input.valid_until, now);
    let items = check_items(&mut checks, &input.items);
    let totals = totals_of(&mut checks, &items);
    let links = resolve_links(
        db,
        scope,
        &mut checks,
        input.account_id,
        input.opportunity_id,
        input.contact_global_id.as_deref(),
    )
    .await?;
    checks.finish()?;
    let Some(totals) = totals else {
        return Err(DomainError::Internal(
            "offer totals missing after checks".to_owned(),
        ));
    };
    let currency = match currency.or(links.opportunity_currency.clone()) {
        Some(currency) => currency,
        None => settings(db, scope)
            .await?
            .map_or_else(|| "USD".to_owned(), |s| s.default_currency),
    };

    let txn = db.begin().await?;
    let row = offers::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        account_id: Set(links.account_id),
        opportunity_id: Set(links.opportunity_id),
        contact_global_id: Set(links.contact_global_id),
        title: Set(title),
        currency: Set(currency),
        subtotal: Set(totals.subtotal),
        discount_total: Set(totals.discount_total),
        total: Set(totals.total),
        max_discount_pct: Set(totals.max_discount_pct),
        requires_approval: Set(false),
        status: Set(OfferStatus::Draft),
        valid_until: Set(input.valid_until.map(Into::into)),
        terms: Set(terms),
        notes: Set(notes),
        created_by: Set(actor.user_id),
        submitted_at: Set(None),
        approved_at: Set(None),
        rejected_at: Set(None),
        sent_at: Set(None),
        closed_at: Set(None),
        outbound_message_id: Set(None),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
    }
    .insert(&txn)
    .await?;
    write_items(&txn, scope, row.id, &items, &totals).await?;
    record(
        &txn,
        scope,
        actor,
        "offer.created",
        &row,
        offer_evidence(&row),
        json!({
            "title": row.title,
            "currency": row.currency,
            "total": row.total.to_string(),
            "maxDiscountPct": row.max_discount_pct.to_string(),
            "items": items.len(),
        }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Edits a draft (or a rejected offer, which goes back to draft): changes the given fields,
/// replaces every line when `items` is given, recomputes the totals and records
/// `offer.updated`.
pub async fn update_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    patch: OfferPatch,
) -> DomainResult<OfferDetail> {
    let now = Utc::now();
    let mut checks = Checks::default();
    let title = patch
        .title
        .as_deref()
        .and_then(|t| checks.take(required_text("title", t, MAX_TITLE_CHARS)));
    let currency = patch
        .currency
        .as_deref()
        .and_then(|c| checks.take(check_currency(c)));
    let terms = patch.terms.as_ref().map(|t| {
        checks
            .take(optional_text("terms", t.as_deref(), MAX_TERMS_CHARS))
            .flatten()
    });
    let notes = patch.notes.as_ref().map(|n| {
        checks
            .take(optional_text("notes", n.as_deref(), MAX_NOTE_CHARS))
            .flatten()
    });
    if let Some(valid_until) = patch.valid_until {
        check_valid_until(&mut checks, valid_until, now);
    }
    let items = patch.items.as_ref().map(|items| {
        let checked = check_items(&mut checks, items);
        let totals = totals_of(&mut checks, &checked);
        (checked, totals)
    });

    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if !matches!(row.status, OfferStatus::Draft | OfferStatus::Rejected) {
        return Err(DomainError::Conflict(
            "Only draft or rejected offers can be edited".to_owned(),
        ));
    }
    let contact = match &patch.contact_global_id {
        Some(contact) => contact.clone(),
        None => row.contact_global_id.clone(),
    };
    let links = resolve_links(
        &txn,
        scope,
        &mut checks,
        patch.account_id.unwrap_or(row.account_id),
        patch.opportunity_id.unwrap_or(row.opportunity_id),
        contact.as_deref(),
    )
    .await?;
    checks.finish()?;

    let mut active = row.clone().into_active_model();
    let mut changed = Vec::new();
    let mut set = |field: &'static str, is_change: bool| {
        if is_change {
            changed.push(field);
        }
    };
    if let Some(title) = title {
        set("title", title != row.title);
        active.title = Set(title);
    }
    if let Some(currency) = currency {
        set("currency", currency != row.currency);
        active.currency = Set(currency);
    }
    if let Some(terms) = terms {
        set("terms", terms != row.terms);
        active.terms = Set(terms);
    }
    if let Some(notes) = notes {
        set("notes", notes != row.notes);
        active.notes = Set(notes);
    }
    if let Some(valid_until) = patch.valid_until {
        set(
            "validUntil",
            valid_until != row.valid_until.map(|t| t.to_utc()),
        );
        active.valid_until = Set(valid_until.map(Into::into));
    }
    set("accountId", links.account_id != row.account_id);
    set("opportunityId", links.opportunity_id != row.opportunity_id);
    set(
        "contactId",
        links.contact_global_id != row.contact_global_id,
    );
    active.account_id = Set(links.account_id);
    active.opportunity_id = Set(links.opportunity_id);
    active.contact_global_id = Set(links.contact_global_id);
    let reopened = row.status == OfferStatus::Rejected;
    if reopened {
        active.status = Set(OfferStatus::Draft);
        active.requires_approval = Set(false);
        active.submitted_at = Set(None);
    }
    if let Some((checked, Some(totals))) = &items {
        set("items", true);
        active.subtotal = Set(totals.subtotal);
        active.discount_total = Set(totals.discount_total);
        active.total = Set(totals.total);
        active.max_discount_pct = Set(totals.max_discount_pct);
        write_items(&txn, scope, row.id, checked, totals).await?;
    }
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        actor,
        "offer.updated",
        &row,
        offer_evidence(&row),
        json!({
            "fields": changed,
            "reopened": reopened,
            "total": row.total.to_string(),
            "maxDiscountPct": row.max_discount_pct.to_string(),
        }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

fn policy(mode: &str, threshold: Decimal, row: &offers::Model, requires: bool) -> Value {
    json!({
        "mode": mode,
        "threshold": threshold.normalize().to_string(),
        "maxDiscountPct": row.max_discount_pct.normalize().to_string(),
        "requiresApproval": requires,
        "authorId": row.created_by,
    })
}

/// Whether `e` is the named constraint (or a trigger raising under that constraint name, like
/// `offer_approvals_not_self_approved`) refusing a write.
pub fn violates_constraint(e: &DbErr, name: &str) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = e else {
        return false;
    };
    match e.as_ref() {
        sea_orm::sqlx::Error::Database(db) => db.constraint() == Some(name),
        _ => false,
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_decision<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    row: &offers::Model,
    decision: OfferDecision,
    decided_by: Uuid,
    comment: Option<String>,
    evidence: &[EvidenceRef],
    policy: Value,
) -> DomainResult<offer_approvals::Model> {
    let inserted = offer_approvals::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        offer_id: Set(row.id),
        decision: Set(decision),
        decided_by: Set(decided_by),
        comment: Set(comment),
        evidence_refs: Set(evidence_json(evidence)),
        policy: Set(policy),
        created_at: Set(Utc::now().into()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(approval) => Ok(approval),
        // The trigger is the last line of the four-eyes rule, under the check in approve.
        Err(e) if violates_constraint(&e, "offer_approvals_not_self_approved") => {
            Err(DomainError::Conflict(SELF_APPROVAL_REFUSED.to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}

fn status_conflict(status: OfferStatus, wanted: &str) -> DomainError {
    let now = match status {
        OfferStatus::Draft => "is still a draft",
        OfferStatus::PendingApproval => "is waiting for approval",
        OfferStatus::Approved => "is already approved",
        OfferStatus::Rejected => "was rejected; edit it to take it back to draft",
        OfferStatus::Sent => "was already sent",
        OfferStatus::Accepted => "was accepted",
        OfferStatus::Declined => "was declined",
        OfferStatus::Expired => "has expired",
    };
    DomainError::Conflict(format!("Only {wanted}; this offer {now}"))
}

/// Submits a draft under the approval policy: above the threshold it waits for another
/// member's approval (`pending_approval`); otherwise it is approved at once, recorded as an
/// automatic approval by the submitter. Needs at least one line, a recipient, and a validity
/// end (if any) in the future. Records `offer.submitted` (and `offer.approved` when automatic).
pub async fn submit_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<OfferDetail> {
    let user = actor.user_id.ok_or(DomainError::Forbidden)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if row.status != OfferStatus::Draft {
        return Err(status_conflict(row.status, "draft offers can be submitted"));
    }
    let mut checks = Checks::default();
    if items_of(&txn, scope, row.id).await?.is_empty() {
        checks.fail("items", "add at least one line before submitting");
    }
    if row.contact_global_id.is_none() {
        checks.fail("contactId", "choose the recipient before submitting");
    }
    if row.valid_until.is_some_and(|t| t.to_utc() <= now) {
        checks.fail("validUntil", "is in the past; extend it before submitting");
    }
    checks.finish()?;
    let threshold = approval_threshold(&txn, scope).await?;
    let requires = row.max_discount_pct > threshold;
    let mut active = row.clone().into_active_model();
    active.submitted_at = Set(Some(now.into()));
    active.requires_approval = Set(requires);
    if requires {
        active.status = Set(OfferStatus::PendingApproval);
    } else {
        active.status = Set(OfferStatus::Approved);
        active.approved_at = Set(Some(now.into()));
    }
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        actor,
        "offer.submitted",
        &row,
        offer_evidence(&row),
        json!({ "policy": policy("submit", threshold, &row, requires) }),
    )
    .await?;
    if !requires {
        let applied = policy("auto", threshold, &row, false);
        let approval = insert_decision(
            &txn,
            scope,
            &row,
            OfferDecision::Approved,
            user,
            None,
            &[],
            applied.clone(),
        )
        .await?;
        let mut evidence = offer_evidence(&row);
        evidence.push(EvidenceRef::new("offer_approval", approval.id));
        record(
            &txn,
            scope,
            actor,
            "offer.approved",
            &row,
            evidence,
            json!({ "policy": applied, "approvalId": approval.id }),
        )
        .await?;
    }
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

fn check_decision(
    scope: &Scope,
    decision: &Decision,
    comment_required: bool,
) -> DomainResult<Option<String>> {
    let mut checks = Checks::default();
    let comment = if comment_required {
        checks.take(required_text(
            "comment",
            decision.comment.as_deref().unwrap_or_default(),
            MAX_NOTE_CHARS,
        ))
    } else {
        checks
            .take(optional_text(
                "comment",
                decision.comment.as_deref(),
                MAX_NOTE_CHARS,
            ))
            .flatten()
    };
    checks.take(check_evidence("evidence", scope, &decision.evidence));
    checks.finish()?;
    Ok(comment)
}

/// Approves an offer waiting for approval. The approver must be a project member, and not its
/// author when it requires approval (CONFLICT with [`SELF_APPROVAL_REFUSED`], backed by the
/// database trigger). Records the decision with the policy as applied and `offer.approved`
/// with the evidence.
pub async fn approve_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    decision: Decision,
) -> DomainResult<OfferDetail> {
    decide(db, scope, actor, id, OfferDecision::Approved, decision).await
}

/// Rejects an offer waiting for approval (a comment saying why is required); the author edits
/// it back to draft. Records the decision and `offer.rejected`.
pub async fn reject_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    decision: Decision,
) -> DomainResult<OfferDetail> {
    decide(db, scope, actor, id, OfferDecision::Rejected, decision).await
}

async fn decide(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    outcome: OfferDecision,
    decision: Decision,
) -> DomainResult<OfferDetail> {
    let approving = outcome == OfferDecision::Approved;
    let comment = check_decision(scope, &decision, !approving)?;
    let user = actor.user_id.ok_or(DomainError::Forbidden)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    let step = if approving {
        Step::Approve
    } else {
        Step::Reject
    };
    match check_step(
        step,
        approval_stage(row.status),
        row.created_by,
        Some(user),
        row.requires_approval,
    ) {
        Ok(()) => {}
        Err(Refusal::WrongStage) => {
            return Err(status_conflict(
                row.status,
                "offers waiting for approval can be approved or rejected",
            ));
        }
        Err(Refusal::OwnRecord) => {
            return Err(DomainError::Conflict(SELF_APPROVAL_REFUSED.to_owned()));
        }
    }
    approval::decider(&txn, scope, actor).await?;
    let threshold = approval_threshold(&txn, scope).await?;
    let applied = policy("manual", threshold, &row, row.requires_approval);
    let approval = insert_decision(
        &txn,
        scope,
        &row,
        outcome,
        user,
        comment.clone(),
        &decision.evidence,
        applied.clone(),
    )
    .await?;
    let mut active = row.clone().into_active_model();
    if approving {
        active.status = Set(OfferStatus::Approved);
        active.approved_at = Set(Some(now.into()));
    } else {
        active.status = Set(OfferStatus::Rejected);
        active.rejected_at = Set(Some(now.into()));
    }
    let row = active.update(&txn).await?;
    let mut evidence = offer_evidence(&row);
    evidence.push(EvidenceRef::new("offer_approval", approval.id));
    evidence.extend(decision.evidence.iter().cloned());
    record(
        &txn,
        scope,
        actor,
        if approving {
            "offer.approved"
        } else {
            "offer.rejected"
        },
        &row,
        evidence,
        json!({ "comment": comment, "policy": applied, "approvalId": approval.id }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Hands an approved offer to the outbound pipeline: renders it ([`render::message_text`]),
/// inserts one queued, approved message (origin `offer`) into the recipient's latest
/// conversation and stores its id on the offer, which stays `approved` until the sender marks
/// it `sent`. CONFLICT when it is not approved, past its validity, or already queued (a new
/// message is allowed only after the previous one failed, was blocked or was cancelled).
/// Records `offer.send_queued`.
pub async fn send_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<OfferDetail> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if row.status != OfferStatus::Approved {
        return Err(status_conflict(row.status, "approved offers can be sent"));
    }
    if let Some(previous) = row.outbound_message_id {
        let live = outbound_messages::Entity::find_by_id(previous)
            .filter(scope.filter_for::<outbound_messages::Entity>())
            .filter(outbound_messages::Column::Status.is_not_in([
                OutboundStatus::Failed,
                OutboundStatus::Blocked,
                OutboundStatus::Cancelled,
            ]))
            .count(&txn)
            .await?;
        if live > 0 {
            return Err(DomainError::Conflict(
                "This offer is already queued for sending".to_owned(),
            ));
        }
    }
    if row.valid_until.is_some_and(|t| t.to_utc() <= now) {
        return Err(DomainError::Conflict(
            "This offer's validity has ended; it can no longer be sent".to_owned(),
        ));
    }
    let (Some(contact), Some(approved_at)) = (row.contact_global_id.clone(), row.approved_at)
    else {
        return Err(DomainError::Conflict(
            "This offer has no recipient or approval".to_owned(),
        ));
    };
    let approvals = approvals_of(&txn, scope, row.id).await?;
    let approved_by = approvals
        .iter()
        .rev()
        .find(|a| a.decision == OfferDecision::Approved)
        .map(|a| a.decided_by);
    let items = items_of(&txn, scope, row.id).await?;
    let offer: Offer = row.clone().into();
    let message_id = handoff::queue(
        &txn,
        scope,
        Handoff {
            contact_global_id: contact.clone(),
            origin_kind: OutboundOriginKind::Offer,
            origin_id: row.id,
            content: render::message_text(&offer, &items),
            created_by: actor.user_id,
            approved_by,
            approved_at: approved_at.to_utc(),
        },
    )
    .await?;
    let mut active = row.into_active_model();
    active.outbound_message_id = Set(Some(message_id));
    let row = active.update(&txn).await?;
    let mut evidence = offer_evidence(&row);
    evidence.push(EvidenceRef::new("outbound_message", message_id));
    evidence.push(EvidenceRef::new("contact", &contact));
    record(
        &txn,
        scope,
        actor,
        "offer.send_queued",
        &row,
        evidence,
        json!({ "outboundMessageId": message_id, "contactId": contact }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Records the customer's answer to a sent offer (`accepted` or `declined`), by the person who
/// received it, with what supports it. Records `offer.accepted` or `offer.declined`.
pub async fn record_answer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    accepted: bool,
    answer: Decision,
) -> DomainResult<OfferDetail> {
    let comment = check_decision(scope, &answer, false)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if row.status != OfferStatus::Sent {
        return Err(status_conflict(
            row.status,
            "sent offers can be accepted or declined",
        ));
    }
    let mut active = row.into_active_model();
    active.status = Set(if accepted {
        OfferStatus::Accepted
    } else {
        OfferStatus::Declined
    });
    active.closed_at = Set(Some(now.into()));
    let row = active.update(&txn).await?;
    let mut evidence = offer_evidence(&row);
    evidence.extend(answer.evidence.iter().cloned());
    record(
        &txn,
        scope,
        actor,
        if accepted {
            "offer.accepted"
        } else {
            "offer.declined"
        },
        &row,
        evidence,
        json!({ "comment": comment, "recordedBy": actor.user_id }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Most offers one [`expire_due`] call expires (the next call takes the rest).
pub const EXPIRE_BATCH: i64 = 500;

/// Expires approved and sent offers of live projects whose validity ended before `now`:
/// status `expired`, `closed_at = now`, a still-queued outbound message cancelled (an expired
/// offer must not reach the customer), and `offer.expired` recorded by `system:offers`. Safe
/// to run from every process at once (rows are claimed with SKIP LOCKED). Returns how many
/// expired.
pub async fn expire_due(db: &DatabaseConnection, now: DateTime<Utc>) -> DomainResult<u64> {
    let txn = db.begin().await?;
    let expired = offers::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "update offers o set status = 'expired', closed_at = $1 \
             where o.id in ( \
               select x.id from offers x \
               join projects p on p.id = x.project_id and p.archived_at is null \
               where x.status in ('approved', 'sent') and x.valid_until < $1 \
               order by x.valid_until, x.id limit $2 \
               for update of x skip locked) \
             returning o.*",
            [now.into(), EXPIRE_BATCH.into()],
        ))
        .all(&txn)
        .await?;
    let actor = Actor::system("offers");
    let mut scopes = std::collections::HashMap::new();
    for row in &expired {
        let scope = match scopes.get(&row.project_id) {
            Some(scope) => *scope,
            None => {
                let scope = Scope::for_project(&txn, row.project_id).await?;
                scopes.insert(row.project_id, scope);
                scope
            }
        };
        let mut cancelled = None;
        if let Some(message) = row.outbound_message_id {
            let result = txn
                .execute_raw(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    "update outbound_messages set status = 'cancelled' \
                     where project_id = $1 and id = $2 \
                       and status in ('draft', 'pending_approval', 'approved', 'queued')",
                    [scope.project_id().into(), message.into()],
                ))
                .await?;
            cancelled = (result.rows_affected() > 0).then_some(message);
        }
        record(
            &txn,
            &scope,
            &actor,
            "offer.expired",
            row,
            offer_evidence(row),
            json!({
                "validUntil": row.valid_until.map(|t| t.to_utc()),
                "cancelledOutboundMessageId": cancelled,
            }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(expired.len() as u64)
}

/// One offer of the scope with its lines and decisions.
pub async fn get_offer<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<OfferDetail> {
    let row = find(db, scope, id, false).await?;
    detail(db, scope, row).await
}

/// An offer's lines in position order.
pub async fn list_items<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
) -> DomainResult<Vec<OfferItem>> {
    find(db, scope, offer_id, false).await?;
    items_of(db, scope, offer_id).await
}

/// An offer's approval decisions, oldest first.
pub async fn list_approvals<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
) -> DomainResult<Vec<OfferApproval>> {
    find(db, scope, offer_id, false).await?;
    approvals_of(db, scope, offer_id).await
}

/// The text [`send_offer`] would queue for this offer now.
pub async fn message_preview<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
) -> DomainResult<String> {
    let row = find(db, scope, offer_id, false).await?;
    let items = items_of(db, scope, offer_id).await?;
    Ok(render::message_text(&row.into(), &items))
}

/// Offers matching `filter`, newest first, `first` at a time after the keyset `after` (from
/// [`Offer::cursor`]).
pub async fn list_offers<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &OfferFilter,
    first: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> DomainResult<Page<Offer>> {
    let mut sql = Sql::scoped(scope, "o");
    if let Some(status) = filter.status {
        let p = sql.param(sea_orm::ActiveEnum::to_value(&status));
        sql.and(format!("o.status = {p}"));
    }
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("o.account_id = {p}"));
    }
    if let Some(opportunity) = filter.opportunity_id {
        let p = sql.param(opportunity);
        sql.and(format!("o.opportunity_id = {p}"));
    }
    let total_count = count_rows(db, "offers o", &sql).await?;
    if let Some((at, id)) = after {
        let t = sql.param(at);
        let i = sql.param(id);
        sql.and(format!("(o.created_at, o.id) < ({t}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = offers::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select o.* from offers o where {} \
                 order by o.created_at desc, o.id desc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// Most offers the approval inbox lists.
pub const INBOX_LIMIT: u64 = 200;

/// The approval inbox of `user`: offers waiting for approval that they may approve (not
/// their own when the offer requires approval), oldest submission first.
pub async fn approval_inbox<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    user: Uuid,
) -> DomainResult<Vec<Offer>> {
    Ok(scope
        .rows::<offers::Entity>()
        .filter(offers::Column::Status.eq(OfferStatus::PendingApproval))
        .filter(
            sea_orm::Condition::any()
                .add(offers::Column::RequiresApproval.eq(false))
                .add(offers::Column::CreatedBy.is_null())
                .add(offers::Column::CreatedBy.ne(user)),
        )
        .order_by_asc(offers::Column::SubmittedAt)
        .order_by_asc(offers::Column::Id)
        .limit(INBOX_LIMIT)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Where an offer stands in the approval workflow.
fn approval_stage(status: OfferStatus) -> ApprovalStage {
    match status {
        OfferStatus::Draft => ApprovalStage::Draft,
        OfferStatus::PendingApproval => ApprovalStage::Pending,
        _ => ApprovalStage::Decided,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn quantities_take_four_decimals_and_must_be_positive() {
        assert_eq!(check_quantity("q", d("1.2500")), Ok(d("1.25")));
        assert!(check_quantity("q", d("0.0001")).is_ok());
        assert!(check_quantity("q", d("0.00001")).is_err());
        assert!(check_quantity("q", d("0")).is_err());
        assert!(check_quantity("q", d("-1")).is_err());
    }

    #[test]
    fn prices_take_two_decimals_and_discounts_stay_within_0_and_100() {
        assert!(check_price("p", d("0")).is_ok());
        assert!(check_price("p", d("9.999")).is_err());
        assert!(check_price("p", d("-0.01")).is_err());
        assert!(check_discount("d", d("100")).is_ok());
        assert!(check_discount("d", d("100.01")).is_err());
        assert!(check_discount("d", d("12.345")).is_err());
        assert!(check_discount("d", d("-1")).is_err());
    }
}
