//! `crm_opportunity_stage_events`: History of opportunity stage changes.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `crm_opportunity_stage_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "crm_opportunity_stage_events")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Related opportunity (`crm_opportunities.id`).
    pub opportunity_id: Uuid,
    /// Previous stage; null for the first event or a deleted stage.
    #[sea_orm(nullable)]
    pub from_stage_id: Option<Uuid>,
    /// New stage; null if the stage was deleted since.
    #[sea_orm(nullable)]
    pub to_stage_id: Option<Uuid>,
    /// Key of the previous stage (snapshot).
    #[sea_orm(column_type = "Text", nullable)]
    pub from_stage_key: Option<String>,
    /// Key of the new stage (snapshot).
    #[sea_orm(column_type = "Text")]
    pub to_stage_key: String,
    /// User who moved it (null: system).
    #[sea_orm(nullable)]
    pub changed_by: Option<Uuid>,
    /// When the stage changed.
    pub changed_at: DateTimeWithTimeZone,
    /// Free-text note.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// Optional evidence (json array).
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence_refs: Json,
    /// Opportunity amount at the time (snapshot).
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub amount: Option<Decimal>,
    /// Currency of `amount`.
    #[sea_orm(column_type = "Char(Some(3))", nullable)]
    pub currency: Option<String>,
    /// Probability at the time (snapshot).
    #[sea_orm(nullable)]
    pub probability: Option<i32>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `crm_opportunity_stage_events`.
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
    /// `changed_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::ChangedBy",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    AppUsers,
    /// `from_stage_id` -> `crm_pipeline_stages.id`.
    #[sea_orm(
        belongs_to = "super::crm_pipeline_stages::Entity",
        from = "Column::FromStageId",
        to = "super::crm_pipeline_stages::Column::Id",
        on_delete = "SetNull"
    )]
    FromStage,
    /// `opportunity_id` -> `crm_opportunities.id`.
    #[sea_orm(
        belongs_to = "super::crm_opportunities::Entity",
        from = "Column::OpportunityId",
        to = "super::crm_opportunities::Column::Id",
        on_delete = "Cascade"
    )]
    CrmOpportunities,
    /// `project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Projects,
    /// `to_stage_id` -> `crm_pipeline_stages.id`.
    #[sea_orm(
        belongs_to = "super::crm_pipeline_stages::Entity",
        from = "Column::ToStageId",
        to = "super::crm_pipeline_stages::Column::Id",
        on_delete = "SetNull"
    )]
    ToStage,
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

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
