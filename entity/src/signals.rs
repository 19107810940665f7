//! `signals`: Signals detected from conversations (buying intent, churn risk, ...), with evidence.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{SignalDetector, SignalStatus, SignalType};

/// A row of `signals`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "signals")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Signal type.
    pub signal_type: SignalType,
    /// Triage status.
    pub status: SignalStatus,
    /// Detection confidence, 0..1.
    pub confidence: f64,
    /// CRM account (`crm_accounts.id`).
    #[sea_orm(nullable)]
    pub account_id: Option<Uuid>,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub contact_global_id: Option<String>,
    /// Chatwoot conversation global id (`cw:<project_id>:<account_id>:<conversation_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub conversation_global_id: Option<String>,
    /// Chatwoot message global id (`cwmsg:<project_id>:<account_id>:<message_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub message_global_id: Option<String>,
    /// Human-readable summary.
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    /// Evidence: non-empty json array pointing at the exact messages/chunks.
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence_refs: Json,
    /// Which detector found it.
    pub detector: SignalDetector,
    /// Version of the detector rules/examples.
    #[sea_orm(column_type = "Text", nullable)]
    pub detector_version: Option<String>,
    /// Idempotency key, unique per project (e.g. `<signal_type>:<message_global_id>`).
    #[sea_orm(column_type = "Text")]
    pub dedupe_key: String,
    /// Time of the evidence (the message), not of detection.
    pub occurred_at: DateTimeWithTimeZone,
    /// Free-form metadata (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub meta: Json,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `signals`.
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
    /// `project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Projects,
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

impl ActiveModelBehavior for ActiveModel {}
