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
mod approval;
mod editing;
mod listing;
pub mod render;
mod sending;
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
    kernel::approval::{ApprovalStage, Refusal, Step, check_step},
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

pub use approval::{approve_offer, reject_offer, submit_offer};
pub use editing::{create_offer, update_offer};
pub use listing::{
    INBOX_LIMIT, approval_inbox, get_offer, list_approvals, list_items, list_offers,
    message_preview,
};
pub use sending::{EXPIRE_BATCH, expire_due, record_answer, send_offer};

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

/// A line that passed its checks.
struct CheckedItem {
    name: String,
    description: Option<String>,
    sku: Option<String>,
    amounts: LineAmounts,
}
