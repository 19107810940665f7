//! `worker_runs`: One row per execution attempt of a scheduled job.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::WorkerRunStatus;

/// A row of `worker_runs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "worker_runs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Job that ran (`scheduled_jobs.id`).
    #[sea_orm(nullable)]
    pub job_id: Option<i64>,
    /// Worker process identifier.
    #[sea_orm(column_type = "Text")]
    pub worker_id: String,
    /// Which attempt of the job this run is.
    pub attempt: i32,
    /// Run status (`lost` when the lease expired).
    pub status: WorkerRunStatus,
    /// When it started.
    pub started_at: DateTimeWithTimeZone,
    /// When it finished.
    #[sea_orm(nullable)]
    pub finished_at: Option<DateTimeWithTimeZone>,
    /// Error message of a failed run.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Run details (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub meta: Json,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `worker_runs`.
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
    /// `job_id` -> `scheduled_jobs.id`.
    #[sea_orm(
        belongs_to = "super::scheduled_jobs::Entity",
        from = "Column::JobId",
        to = "super::scheduled_jobs::Column::Id",
        on_delete = "Cascade"
    )]
    ScheduledJobs,
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

impl Related<super::scheduled_jobs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ScheduledJobs.def()
    }
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
