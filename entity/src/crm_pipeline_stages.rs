//! `crm_pipeline_stages`: A project's ordered pipeline stages, with won/lost terminals.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `crm_pipeline_stages`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "crm_pipeline_stages")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Stable stage key (`[a-z0-9_]+`, unique per project).
    #[sea_orm(column_type = "Text")]
    pub key: String,
    /// Stage name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Order in the pipeline (unique per project, deferred).
    pub position: i32,
    /// Forecast probability (0..100) for opportunities without their own.
    pub default_probability: i32,
    /// Terminal won stage.
    pub is_won: bool,
    /// Terminal lost stage.
    pub is_lost: bool,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `crm_pipeline_stages`.
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

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
