//! `sessions`: Cookie-backed login sessions.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `sessions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Random session id (the cookie value).
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub session_id: String,
    /// User the session belongs to.
    #[sea_orm(column_type = "Text")]
    pub username: String,
    /// Project the session currently works in.
    #[sea_orm(nullable)]
    pub active_project_id: Option<Uuid>,
    /// Synchronizer token required on cookie-authenticated mutations.
    #[sea_orm(column_type = "Text")]
    pub csrf_token: String,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last request time (idle timeout).
    pub last_seen_at: DateTimeWithTimeZone,
}

/// Foreign keys of `sessions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `active_project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ActiveProjectId",
        to = "super::projects::Column::Id",
        on_delete = "SetNull"
    )]
    Projects,
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
