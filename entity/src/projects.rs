//! `projects`: Project registry; every scoped row belongs to one project.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `projects`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Display name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Account scope the project belongs to (immutable).
    pub account_scope_id: Uuid,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
    /// When the project was archived; projects with audit events cannot be hard-deleted.
    #[sea_orm(nullable)]
    pub archived_at: Option<DateTimeWithTimeZone>,
}

/// Foreign keys of `projects`.
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
}

impl Related<super::account_scopes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AccountScopes.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
