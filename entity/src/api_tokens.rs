//! `api_tokens`: Personal API tokens for external tools, scoped to one project; only hashes are stored.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `api_tokens`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Token owner (`app_users.id`).
    pub user_id: Uuid,
    /// User-given token name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// First characters of the token, to recognise it in a list.
    #[sea_orm(column_type = "Text")]
    pub token_prefix: String,
    /// Hash of the full token (unique).
    #[sea_orm(column_type = "Text")]
    pub token_hash: String,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last successful use.
    #[sea_orm(nullable)]
    pub last_used_at: Option<DateTimeWithTimeZone>,
    /// Expiry time; null = never.
    #[sea_orm(nullable)]
    pub expires_at: Option<DateTimeWithTimeZone>,
    /// When the token was revoked.
    #[sea_orm(nullable)]
    pub revoked_at: Option<DateTimeWithTimeZone>,
    /// What the token may do: `read` (queries) and optionally `write` (mutations).
    pub scopes: Vec<String>,
}

/// Foreign keys of `api_tokens`.
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
