//! `cw_contacts`: Normalized Chatwoot contacts.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `cw_contacts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cw_contacts")]
pub struct Model {
    /// Global id `cwc:<project_id>:<account_id>:<contact_id>`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot contact id.
    pub contact_id: i64,
    /// Contact name.
    #[sea_orm(column_type = "Text", nullable)]
    pub name: Option<String>,
    /// Email address.
    #[sea_orm(column_type = "Text", nullable)]
    pub email: Option<String>,
    /// Phone number.
    #[sea_orm(column_type = "Text", nullable)]
    pub phone_number: Option<String>,
    /// Chatwoot identifier (external id).
    #[sea_orm(column_type = "Text", nullable)]
    pub identifier: Option<String>,
    /// Chatwoot custom attributes.
    #[sea_orm(column_type = "JsonBinary")]
    pub custom_attributes: Json,
    /// Raw Chatwoot payload.
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Json,
    /// Chatwoot's last update time.
    #[sea_orm(nullable)]
    pub updated_at: Option<DateTimeWithTimeZone>,
    /// When the row was first ingested.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `cw_contacts`.
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
