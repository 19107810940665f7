//! `crm_opportunities`: Opportunities (deals) in the pipeline.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `crm_opportunities`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "crm_opportunities")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// CRM account (`crm_accounts.id`).
    pub account_id: Uuid,
    /// Opportunity name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Amount in `currency`.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency: String,
    /// Current stage (`crm_pipeline_stages.id`).
    pub stage_id: Uuid,
    /// Win probability (0..100); null = the stage default.
    #[sea_orm(nullable)]
    pub probability: Option<i32>,
    /// Expected close date.
    #[sea_orm(nullable)]
    pub expected_close_date: Option<Date>,
    /// Owning user (`app_users.id`).
    #[sea_orm(nullable)]
    pub owner_user_id: Option<Uuid>,
    /// Conversation it was created from.
    #[sea_orm(column_type = "Text", nullable)]
    pub source_conversation_global_id: Option<String>,
    /// When it entered a won/lost stage.
    #[sea_orm(nullable)]
    pub closed_at: Option<DateTimeWithTimeZone>,
    /// Why it was lost.
    #[sea_orm(column_type = "Text", nullable)]
    pub lost_reason: Option<String>,
    /// User who created it (null: system or deleted user).
    #[sea_orm(nullable)]
    pub created_by: Option<Uuid>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `crm_opportunities`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `account_id` -> `crm_accounts.id`.
    #[sea_orm(
        belongs_to = "super::crm_accounts::Entity",
        from = "Column::AccountId",
        to = "super::crm_accounts::Column::Id",
        on_delete = "Cascade"
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
    CreatedBy,
    /// `owner_user_id` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::OwnerUserId",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    OwnerUser,
    /// `project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Projects,
    /// `stage_id` -> `crm_pipeline_stages.id`.
    #[sea_orm(
        belongs_to = "super::crm_pipeline_stages::Entity",
        from = "Column::StageId",
        to = "super::crm_pipeline_stages::Column::Id",
        on_delete = "NoAction"
    )]
    CrmPipelineStages,
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

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl Related<super::crm_pipeline_stages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CrmPipelineStages.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
