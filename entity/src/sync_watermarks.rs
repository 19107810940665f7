//! `sync_watermarks`: Ingestion cursor per project and source.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `sync_watermarks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sync_watermarks")]
pub struct Model {
    /// Owning project.
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Source name, e.g. `chatwoot:<account_id>`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub source: String,
    /// Timestamp cursor.
    #[sea_orm(nullable)]
    pub cursor_ts: Option<DateTimeWithTimeZone>,
    /// Id cursor.
    #[sea_orm(column_type = "Text", nullable)]
    pub cursor_id: Option<String>,
    /// Extra cursor state (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub meta: Json,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `sync_watermarks`.
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
