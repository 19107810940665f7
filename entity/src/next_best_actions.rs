//! `next_best_actions`: Suggested next-best-actions with reason, evidence and lifecycle.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::NbaStatus;

/// A row of `next_best_actions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "next_best_actions")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// CRM account (`crm_accounts.id`).
    #[sea_orm(nullable)]
    pub account_id: Option<Uuid>,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub contact_global_id: Option<String>,
    /// Chatwoot conversation global id (`cw:<project_id>:<account_id>:<conversation_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub conversation_global_id: Option<String>,
    /// Signal this row stems from (`signals.id`).
    #[sea_orm(nullable)]
    pub signal_id: Option<Uuid>,
    /// Documented rule that produced it.
    #[sea_orm(column_type = "Text")]
    pub rule_key: String,
    /// Title.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Why this action is suggested.
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    /// Evidence: non-empty json array.
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence_refs: Json,
    /// 0..100, higher = more urgent.
    pub priority: i32,
    /// When it should be done.
    #[sea_orm(nullable)]
    pub due_at: Option<DateTimeWithTimeZone>,
    /// Lifecycle status.
    pub status: NbaStatus,
    /// User it is assigned to.
    #[sea_orm(nullable)]
    pub assignee_user_id: Option<Uuid>,
    /// User who accepted or dismissed it.
    #[sea_orm(nullable)]
    pub decided_by: Option<Uuid>,
    /// When it was decided.
    #[sea_orm(nullable)]
    pub decided_at: Option<DateTimeWithTimeZone>,
    /// When it was done.
    #[sea_orm(nullable)]
    pub completed_at: Option<DateTimeWithTimeZone>,
    /// Why it was dismissed.
    #[sea_orm(column_type = "Text", nullable)]
    pub dismiss_reason: Option<String>,
    /// Unique per project among open/accepted actions.
    #[sea_orm(column_type = "Text", nullable)]
    pub dedupe_key: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `next_best_actions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `account_id` -> `crm_accounts.id`.
    #[sea_orm(
        belongs_to = "super::crm_accounts::Entity",
        from = "Column::AccountId",
        to = "super::crm_accounts::Column::Id",
        on_delete = "SetNull"
    )]
    CrmAccounts,
    /// `account_scope_id` -> `account_scopes.id`.
    #[sea_orm(
        belongs_to = "super::account_scopes::Entity",
        from = "Column::AccountScopeId",
        to = "super::account_scopes::Column::Id",
        on_delete = "NoAction"
    )]
    AccountScopes,
    /// `assignee_user_id` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::AssigneeUserId",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    AssigneeUser,
    /// `decided_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::DecidedBy",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    DecidedBy,
    /// `project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Projects,
    /// `signal_id` -> `signals.id`.
    #[sea_orm(
        belongs_to = "super::signals::Entity",
        from = "Column::SignalId",
        to = "super::signals::Column::Id",
        on_delete = "SetNull"
    )]
    Signals,
}

impl Related<super::crm_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CrmAccounts.def()
    }
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

impl Related<super::signals::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Signals.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
