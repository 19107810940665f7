//! `offers`: Commercial offers with server-computed totals and an approval workflow.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::OfferStatus;

/// A row of `offers`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// CRM account (`crm_accounts.id`).
    #[sea_orm(nullable)]
    pub account_id: Option<Uuid>,
    /// Related opportunity (`crm_opportunities.id`).
    #[sea_orm(nullable)]
    pub opportunity_id: Option<Uuid>,
    /// Recipient contact.
    #[sea_orm(column_type = "Text", nullable)]
    pub contact_global_id: Option<String>,
    /// Title.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// ISO 4217 currency code.
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency: String,
    /// Sum of quantity * unit price.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub subtotal: Decimal,
    /// Sum of line discounts.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub discount_total: Decimal,
    /// Total after discounts (server-computed).
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub total: Decimal,
    /// Largest line discount in percent.
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub max_discount_pct: Decimal,
    /// Whether an approver other than the author is required.
    pub requires_approval: bool,
    /// Offer status.
    pub status: OfferStatus,
    /// Offer validity end.
    #[sea_orm(nullable)]
    pub valid_until: Option<DateTimeWithTimeZone>,
    /// Terms and conditions.
    #[sea_orm(column_type = "Text", nullable)]
    pub terms: Option<String>,
    /// Internal notes.
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    /// User who created it (null: system or deleted user).
    #[sea_orm(nullable)]
    pub created_by: Option<Uuid>,
    /// When it was submitted for approval.
    #[sea_orm(nullable)]
    pub submitted_at: Option<DateTimeWithTimeZone>,
    /// When it was approved (required for approved/sent/accepted/declined).
    #[sea_orm(nullable)]
    pub approved_at: Option<DateTimeWithTimeZone>,
    /// When it was rejected.
    #[sea_orm(nullable)]
    pub rejected_at: Option<DateTimeWithTimeZone>,
    /// When it was sent.
    #[sea_orm(nullable)]
    pub sent_at: Option<DateTimeWithTimeZone>,
    /// When it was accepted, declined or expired.
    #[sea_orm(nullable)]
    pub closed_at: Option<DateTimeWithTimeZone>,
    /// Outbound message that carried it.
    #[sea_orm(nullable)]
    pub outbound_message_id: Option<Uuid>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `offers`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `account_id` -> `crm_accounts.id`.
    #[sea_orm(
        belongs_to = "super::crm_accounts::Entity",
        from = "Column::AccountId",
        to = "super::crm_accounts::Column::Id",
        on_delete = "SetNull"
    )]
    CrmAccounts,
    /// `account_scope_id` -> `account_scopes.id`.
    #[sea_orm(
        belongs_to = "super::account_scopes::Entity",
        from = "Column::AccountScopeId",
        to = "super::account_scopes::Column::Id",
        on_delete = "NoAction"
    )]
    AccountScopes,
    /// `created_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::CreatedBy",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    AppUsers,
    /// `opportunity_id` -> `crm_opportunities.id`.
    #[sea_orm(
        belongs_to = "super::crm_opportunities::Entity",
        from = "Column::OpportunityId",
        to = "super::crm_opportunities::Column::Id",
        on_delete = "SetNull"
    )]
    CrmOpportunities,
    /// `outbound_message_id` -> `outbound_messages.id`.
    #[sea_orm(
        belongs_to = "super::outbound_messages::Entity",
        from = "Column::OutboundMessageId",
        to = "super::outbound_messages::Column::Id",
        on_delete = "SetNull"
    )]
    OutboundMessages,
    /// `project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Projects,
}

impl Related<super::crm_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CrmAccounts.def()
    }
}

impl Related<super::account_scopes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AccountScopes.def()
    }
}

impl Related<super::app_users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AppUsers.def()
    }
}

impl Related<super::crm_opportunities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CrmOpportunities.def()
    }
}

impl Related<super::outbound_messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutboundMessages.def()
    }
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
