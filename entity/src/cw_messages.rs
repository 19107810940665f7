//! `cw_messages`: Raw Chatwoot messages.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `cw_messages`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cw_messages")]
pub struct Model {
    /// Global id `cwmsg:<project_id>:<account_id>:<message_id>`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Chatwoot account id.
    #[sea_orm(nullable)]
    pub account_id: Option<i64>,
    /// Chatwoot message id.
    #[sea_orm(nullable)]
    pub message_id: Option<i64>,
    /// Chatwoot conversation display id.
    #[sea_orm(nullable)]
    pub conversation_id: Option<i64>,
    /// Chatwoot conversation global id (`cw:<project_id>:<account_id>:<conversation_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub conversation_global_id: Option<String>,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub contact_global_id: Option<String>,
    /// Sender type (`Contact`, `User`, `AgentBot`).
    #[sea_orm(column_type = "Text", nullable)]
    pub sender_type: Option<String>,
    /// Chatwoot id of the sender.
    #[sea_orm(nullable)]
    pub sender_id: Option<i64>,
    /// Private note (not visible to the contact).
    pub private: bool,
    /// Message type (`incoming`, `outgoing`, `activity`, `template`).
    #[sea_orm(column_type = "Text", nullable)]
    pub message_type: Option<String>,
    /// Message text (may be null for attachment-only messages).
    #[sea_orm(column_type = "Text", nullable)]
    pub content: Option<String>,
    /// Raw Chatwoot payload.
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Json,
    /// Chatwoot's creation time.
    #[sea_orm(nullable)]
    pub created_at: Option<DateTimeWithTimeZone>,
    /// Chatwoot's last update time.
    #[sea_orm(nullable)]
    pub updated_at: Option<DateTimeWithTimeZone>,
}

/// Foreign keys of `cw_messages`.
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
