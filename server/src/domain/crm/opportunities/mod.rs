//! Opportunities: deals of an account moving through the pipeline. Every stage change (the
//! first placement included) writes a stage event with a snapshot of amount and probability,
//! so the history survives later edits, stage deletions and account merges. Money is exact
//! decimal arithmetic throughout.
mod editing;
mod listing;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    crm_accounts, crm_opportunities, crm_opportunity_stage_events, crm_pipeline_stages,
    cw_conversations, enums::CrmAccountStatus,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait, prelude::Decimal,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub use self::{editing::*, listing::*};
use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::{DomainResult, FieldError},
};
use crate::{
    domain::crm::{
        accounts,
        pipeline::{self, Stage},
    },
    kernel::{
        Actor, Page,
        checks::{Checks, MAX_NAME_CHARS, MAX_NOTE_CHARS, evidence_json, is_global_id_of},
        sql::{Sql, count_rows, violates_foreign_key},
    },
};

/// An opportunity.
#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    /// Opportunity id.
    pub id: Uuid,
    /// Its account.
    pub account_id: Uuid,
    /// Display name.
    pub name: String,
    /// Amount in `currency` (two decimals).
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// Current stage.
    pub stage_id: Uuid,
    /// Own win probability; `None` uses the stage's default.
    pub probability: Option<i32>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Owning project member.
    pub owner_user_id: Option<Uuid>,
    /// The conversation it came from (`cw:` id).
    pub source_conversation_global_id: Option<String>,
    /// When it entered a won or lost stage.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<crm_opportunities::Model> for Opportunity {
    fn from(m: crm_opportunities::Model) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            name: m.name,
            amount: m.amount,
            currency: m.currency,
            stage_id: m.stage_id,
            probability: m.probability,
            expected_close_date: m.expected_close_date,
            owner_user_id: m.owner_user_id,
            source_conversation_global_id: m.source_conversation_global_id,
            closed_at: m.closed_at.map(|t| t.with_timezone(&Utc)),
            lost_reason: m.lost_reason,
            created_by: m.created_by,
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// One row of an opportunity's stage history.
#[derive(Debug, Clone, PartialEq)]
pub struct StageEvent {
    /// Event id.
    pub id: Uuid,
    /// The opportunity.
    pub opportunity_id: Uuid,
    /// Stage left (`None` for the first placement or a since-deleted stage).
    pub from_stage_id: Option<Uuid>,
    /// Stage entered (`None` once that stage is deleted).
    pub to_stage_id: Option<Uuid>,
    /// Key of the stage left.
    pub from_stage_key: Option<String>,
    /// Key of the stage entered.
    pub to_stage_key: String,
    /// Who moved it.
    pub changed_by: Option<Uuid>,
    /// When.
    pub changed_at: DateTime<Utc>,
    /// The mover's note.
    pub note: Option<String>,
    /// Evidence (`[{"kind", "id"}]`).
    pub evidence_refs: Value,
    /// Amount at the time.
    pub amount: Option<Decimal>,
    /// Currency at the time.
    pub currency: Option<String>,
    /// Effective probability at the time (its own, else the entered stage's default).
    pub probability: Option<i32>,
}

impl From<crm_opportunity_stage_events::Model> for StageEvent {
    fn from(m: crm_opportunity_stage_events::Model) -> Self {
        Self {
            id: m.id,
            opportunity_id: m.opportunity_id,
            from_stage_id: m.from_stage_id,
            to_stage_id: m.to_stage_id,
            from_stage_key: m.from_stage_key,
            to_stage_key: m.to_stage_key,
            changed_by: m.changed_by,
            changed_at: m.changed_at.with_timezone(&Utc),
            note: m.note,
            evidence_refs: m.evidence_refs,
            amount: m.amount,
            currency: m.currency,
            probability: m.probability,
        }
    }
}

/// Input of [`create_opportunity`].
#[derive(Debug, Clone, Default)]
pub struct NewOpportunity {
    /// A live account of the project.
    pub account_id: Uuid,
    /// 1-200 characters.
    pub name: String,
    /// 0 or more, at most two decimals.
    pub amount: Decimal,
    /// `^[A-Z]{3}$`.
    pub currency: String,
    /// Stage to start in; the first open stage when absent.
    pub stage_id: Option<Uuid>,
    /// 0..=100; the stage's default when absent.
    pub probability: Option<i32>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// A member of the project.
    pub owner_user_id: Option<Uuid>,
    /// A `cw:` conversation of this project it came from.
    pub source_conversation_global_id: Option<String>,
}

/// Input of [`update_opportunity`]: `None` keeps a field, `Some(None)` clears a nullable one.
/// The stage changes only through [`move_stage`].
#[derive(Debug, Clone, Default)]
pub struct OpportunityPatch {
    /// New name.
    pub name: Option<String>,
    /// New amount.
    pub amount: Option<Decimal>,
    /// New currency.
    pub currency: Option<String>,
    /// New own probability.
    pub probability: Option<Option<i32>>,
    /// New expected close date.
    pub expected_close_date: Option<Option<NaiveDate>>,
    /// New owner.
    pub owner_user_id: Option<Option<Uuid>>,
    /// New lost reason (only kept while the opportunity is in a lost stage).
    pub lost_reason: Option<Option<String>>,
}

/// Input of [`move_stage`].
#[derive(Debug, Clone, Default)]
pub struct StageMove {
    /// The stage to enter.
    pub to_stage_id: Uuid,
    /// Why, up to 2000 characters.
    pub note: Option<String>,
    /// What supports the move (messages, conversations, ...); Chatwoot ids must be this
    /// project's.
    pub evidence: Vec<EvidenceRef>,
    /// Why it was lost (kept only when entering a lost stage).
    pub lost_reason: Option<String>,
}

/// Open or closed, for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunityState {
    /// In an open stage.
    Open,
    /// In a won or lost stage.
    Closed,
}

/// Listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct OpportunityFilter {
    /// Account.
    pub account_id: Option<Uuid>,
    /// Stage.
    pub stage_id: Option<Uuid>,
    /// Owner.
    pub owner_user_id: Option<Uuid>,
    /// Open or closed.
    pub state: Option<OpportunityState>,
}

/// Amount and weighted forecast of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of amounts.
    pub amount: Decimal,
    /// Sum of amount x effective probability / 100 (exact, up to four decimals).
    pub weighted: Decimal,
}

/// One stage of the pipeline board.
#[derive(Debug, Clone)]
pub struct BoardColumn {
    /// The stage.
    pub stage: Stage,
    /// Its opportunities, most recently changed first, at most the board's per-stage limit.
    pub opportunities: Vec<Opportunity>,
    /// All opportunities in the stage.
    pub count: u64,
    /// Totals per currency, by currency code.
    pub totals: Vec<CurrencyTotal>,
}

/// Board filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    /// Only this account's opportunities.
    pub account_id: Option<Uuid>,
    /// Only this owner's opportunities.
    pub owner_user_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_take_two_decimals_at_most() {
        assert_eq!(
            check_amount(Decimal::new(1050, 2)),
            Ok(Decimal::new(105, 1))
        );
        assert_eq!(
            check_amount(Decimal::new(10500, 3)),
            Ok(Decimal::new(105, 1))
        );
        assert!(check_amount(Decimal::new(1001, 3)).is_err());
        assert!(check_amount(Decimal::new(-1, 0)).is_err());
        assert!(check_amount(Decimal::ZERO).is_ok());
        assert!(check_amount(max_amount()).is_ok());
        assert!(check_amount(max_amount() + Decimal::new(1, 2)).is_err());
    }

    #[test]
    fn currencies_are_three_capitals() {
        assert!(check_currency("EUR").is_ok());
        for bad in ["eur", "EU", "EURO", "E1R", ""] {
            assert!(check_currency(bad).is_err(), "{bad}");
        }
    }
}
