//! `job_runs`: Audit of job executions (one row per sync/chunk/embed run).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::JobRunStatus;

/// A row of `job_runs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Job name, e.g. `chatwoot_sync`.
    #[sea_orm(column_type = "Text")]
    pub job_name: String,
    /// Run status.
    pub status: JobRunStatus,
    /// When it started.
    pub started_at: DateTimeWithTimeZone,
    /// When it finished.
    #[sea_orm(nullable)]
    pub finished_at: Option<DateTimeWithTimeZone>,
    /// Items processed so far.
    pub processed_count: i32,
    /// Error message of a failed run.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Per-kind counts and details (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub meta: Json,
    /// Project source the run worked on (`project_sources.id`).
    #[sea_orm(nullable)]
    pub source_id: Option<Uuid>,
    /// Last progress update (kept by trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `job_runs`.
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
    /// `source_id` -> `project_sources.id`.
    #[sea_orm(
        belongs_to = "super::project_sources::Entity",
        from = "Column::SourceId",
        to = "super::project_sources::Column::Id",
        on_delete = "SetNull"
    )]
    ProjectSources,
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

impl Related<super::project_sources::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectSources.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
