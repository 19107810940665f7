//! `case_library_entries`: Curated case stories (won/lost deals, churn, saves) with evidence.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{CaseStatus, CaseType};

/// A row of `case_library_entries`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "case_library_entries")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Title.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Kind of case.
    pub case_type: CaseType,
    /// Publication status.
    pub status: CaseStatus,
    /// Short summary.
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    /// Markdown body.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Outcome.
    #[sea_orm(column_type = "Text", nullable)]
    pub outcome: Option<String>,
    /// Tags (json array of strings).
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: Json,
    /// CRM account (`crm_accounts.id`).
    #[sea_orm(nullable)]
    pub account_id: Option<Uuid>,
    /// Related opportunity (`crm_opportunities.id`).
    #[sea_orm(nullable)]
    pub opportunity_id: Option<Uuid>,
    /// User who created it (null: system or deleted user).
    #[sea_orm(nullable)]
    pub created_by: Option<Uuid>,
    /// When it was published.
    #[sea_orm(nullable)]
    pub published_at: Option<DateTimeWithTimeZone>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `case_library_entries`.
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

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
