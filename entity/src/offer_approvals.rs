//! `offer_approvals`: Approval decisions on offers (an author cannot approve their own offer when approval is required).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::OfferDecision;

/// A row of `offer_approvals`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "offer_approvals")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Offer (`offers.id`).
    pub offer_id: Uuid,
    /// Decision.
    pub decision: OfferDecision,
    /// Approver (`app_users.id`).
    pub decided_by: Uuid,
    /// Approver's comment.
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    /// Evidence (json array).
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence_refs: Json,
    /// Policy as applied (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub policy: Json,
    /// When the decision was made.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `offer_approvals`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `account_scope_id` -> `account_scopes.id`.
    #[sea_orm(
        belongs_to = "super::account_scopes::Entity",
        from = "Column::AccountScopeId",
        to = "super::account_scopes::Column::Id",
        on_delete = "NoAction"
    )]
    AccountScopes,
    /// `decided_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::DecidedBy",
        to = "super::app_users::Column::Id",
        on_delete = "NoAction"
    )]
    AppUsers,
    /// `offer_id` -> `offers.id`.
    #[sea_orm(
        belongs_to = "super::offers::Entity",
        from = "Column::OfferId",
        to = "super::offers::Column::Id",
        on_delete = "Cascade"
    )]
    Offers,
    /// `project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Projects,
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

impl Related<super::offers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Offers.def()
    }
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
