//! `outbound_attempts`: One row per send attempt of an outbound message.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::OutboundAttemptStatus;

/// A row of `outbound_attempts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "outbound_attempts")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Message being sent (`outbound_messages.id`).
    pub outbound_message_id: Uuid,
    /// Attempt number, from 1.
    pub attempt_no: i32,
    /// Attempt outcome.
    pub status: OutboundAttemptStatus,
    /// For failures: whether the sender will retry.
    #[sea_orm(nullable)]
    pub retryable: Option<bool>,
    /// HTTP status Chatwoot answered.
    #[sea_orm(nullable)]
    pub http_status: Option<i32>,
    /// Error of a failed attempt.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Worker process identifier.
    #[sea_orm(column_type = "Text", nullable)]
    pub worker_id: Option<String>,
    /// Id of the message Chatwoot created.
    #[sea_orm(nullable)]
    pub chatwoot_message_id: Option<i64>,
    /// When it started.
    pub started_at: DateTimeWithTimeZone,
    /// When it finished.
    #[sea_orm(nullable)]
    pub finished_at: Option<DateTimeWithTimeZone>,
}

/// Foreign keys of `outbound_attempts`.
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
    /// `outbound_message_id` -> `outbound_messages.id`.
    #[sea_orm(
        belongs_to = "super::outbound_messages::Entity",
        from = "Column::OutboundMessageId",
        to = "super::outbound_messages::Column::Id",
        on_delete = "Cascade"
    )]
    OutboundMessages,
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

impl Related<super::outbound_messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutboundMessages.def()
    }
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
