//! `scheduled_jobs`: Postgres-backed job queue (claimed with `FOR UPDATE SKIP LOCKED` under a lease).
//!
//! Inserting a `queued` row sends `NOTIFY scheduled_jobs, '<kind>'`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ScheduledJobStatus;

/// A row of `scheduled_jobs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "scheduled_jobs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Job kind, e.g. `chatwoot_sync`, `embed`, `send_outbound`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// Job arguments (json).
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    /// Queue status.
    pub status: ScheduledJobStatus,
    /// Higher runs first.
    pub priority: i32,
    /// Not claimed before this time.
    pub run_at: DateTimeWithTimeZone,
    /// Claims so far.
    pub attempts: i32,
    /// Maximum number of attempts before `failed`.
    pub max_attempts: i32,
    /// Worker holding the lease.
    #[sea_orm(column_type = "Text", nullable)]
    pub locked_by: Option<String>,
    /// When the current lease expires (then another worker may take it).
    #[sea_orm(nullable)]
    pub lease_expires_at: Option<DateTimeWithTimeZone>,
    /// Error of the last failed attempt.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// At most one queued/running job per (project, kind, dedupe_key).
    #[sea_orm(column_type = "Text", nullable)]
    pub dedupe_key: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
    /// When it reached a terminal status.
    #[sea_orm(nullable)]
    pub finished_at: Option<DateTimeWithTimeZone>,
}

/// Foreign keys of `scheduled_jobs`.
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
