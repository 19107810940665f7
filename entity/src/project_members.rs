//! `project_members`: Who may see a project, and with which role.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::MemberRole;

/// A row of `project_members`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "project_members")]
pub struct Model {
    /// Owning project.
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: Uuid,
    /// Member (`app_users.id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Member role.
    pub role: MemberRole,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `project_members`.
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
    /// `user_id` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::UserId",
        to = "super::app_users::Column::Id",
        on_delete = "Cascade"
    )]
    AppUsers,
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

impl Related<super::app_users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AppUsers.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
