//! `outbound_messages`: Outbound messages: approval, send, retry pipeline (nothing unapproved is sent).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{OutboundOriginKind, OutboundStatus};

/// A row of `outbound_messages`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "outbound_messages")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Channel name (lowercase identifier, e.g. `whatsapp`, `email`).
    #[sea_orm(column_type = "Text")]
    pub channel: String,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text")]
    pub contact_global_id: String,
    /// Chatwoot conversation to post into.
    #[sea_orm(column_type = "Text", nullable)]
    pub conversation_global_id: Option<String>,
    /// Where the message comes from.
    pub origin_kind: OutboundOriginKind,
    /// Id (uuid text) of the originating campaign, offer or next-best-action.
    #[sea_orm(column_type = "Text", nullable)]
    pub origin_id: Option<String>,
    /// Message text.
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// Lifecycle status.
    pub status: OutboundStatus,
    /// User who created it (null: system or deleted user).
    #[sea_orm(nullable)]
    pub created_by: Option<Uuid>,
    /// User who approved it.
    #[sea_orm(nullable)]
    pub approved_by: Option<Uuid>,
    /// When it was approved (required for approved/queued/sent).
    #[sea_orm(nullable)]
    pub approved_at: Option<DateTimeWithTimeZone>,
    /// Why the send-time check blocked it (`opted_out`, `frequency_cap`, ...).
    #[sea_orm(column_type = "Text", nullable)]
    pub blocked_reason: Option<String>,
    /// Send attempts so far.
    pub attempts: i32,
    /// Maximum number of attempts before `failed`.
    pub max_attempts: i32,
    /// Not retried before this time (backoff); null = now.
    #[sea_orm(nullable)]
    pub next_attempt_at: Option<DateTimeWithTimeZone>,
    /// Worker holding the lease.
    #[sea_orm(column_type = "Text", nullable)]
    pub locked_by: Option<String>,
    /// When the current lease expires (then another worker may take it).
    #[sea_orm(nullable)]
    pub lease_expires_at: Option<DateTimeWithTimeZone>,
    /// Error of the last failed attempt.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When it was queued for sending.
    #[sea_orm(nullable)]
    pub queued_at: Option<DateTimeWithTimeZone>,
    /// When it was sent.
    #[sea_orm(nullable)]
    pub sent_at: Option<DateTimeWithTimeZone>,
    /// Id of the message Chatwoot created.
    #[sea_orm(nullable)]
    pub chatwoot_message_id: Option<i64>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `outbound_messages`.
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
    /// `approved_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::ApprovedBy",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    ApprovedBy,
    /// `created_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::CreatedBy",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    CreatedBy,
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
