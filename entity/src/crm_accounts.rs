//! `crm_accounts`: CRM accounts (companies/customers).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::CrmAccountStatus;

/// A row of `crm_accounts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "crm_accounts")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Account name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Primary email domain, lowercase.
    #[sea_orm(column_type = "Text", nullable)]
    pub domain: Option<String>,
    /// Website URL.
    #[sea_orm(column_type = "Text", nullable)]
    pub website: Option<String>,
    /// Industry.
    #[sea_orm(column_type = "Text", nullable)]
    pub industry: Option<String>,
    /// Owning user (`app_users.id`).
    #[sea_orm(nullable)]
    pub owner_user_id: Option<Uuid>,
    /// Account status.
    pub status: CrmAccountStatus,
    /// Surviving account when `status` is `merged`.
    #[sea_orm(nullable)]
    pub merged_into_id: Option<Uuid>,
    /// Free attributes, e.g. Chatwoot company attributes (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub attributes: Json,
    /// When it was archived (soft delete); null = live.
    #[sea_orm(nullable)]
    pub archived_at: Option<DateTimeWithTimeZone>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `crm_accounts`.
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
    /// `owner_user_id` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::OwnerUserId",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    AppUsers,
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

impl Related<super::app_users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AppUsers.def()
    }
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
