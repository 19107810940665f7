//! `cw_conversations`: Raw Chatwoot conversations.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `cw_conversations`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cw_conversations")]
pub struct Model {
    /// Global id `cw:<project_id>:<account_id>:<conversation_id>`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Chatwoot account id.
    #[sea_orm(nullable)]
    pub account_id: Option<i64>,
    /// Chatwoot conversation display id.
    #[sea_orm(nullable)]
    pub conversation_id: Option<i64>,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub contact_global_id: Option<String>,
    /// Chatwoot inbox id.
    #[sea_orm(nullable)]
    pub inbox_id: Option<i64>,
    /// Chatwoot status (`open`, `resolved`, `pending`, `snoozed`).
    #[sea_orm(column_type = "Text", nullable)]
    pub status: Option<String>,
    /// Chatwoot assignee (agent) id.
    #[sea_orm(nullable)]
    pub assignee_id: Option<i64>,
    /// Raw Chatwoot payload.
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Json,
    /// Last activity time in Chatwoot.
    #[sea_orm(nullable)]
    pub updated_at: Option<DateTimeWithTimeZone>,
    /// When the row was first ingested.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `cw_conversations`.
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
