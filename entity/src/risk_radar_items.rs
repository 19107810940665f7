//! `risk_radar_items`: Accounts on the risk radar, each with an explanation and evidence.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{HealthBand, RiskItemStatus, RiskKind};

/// A row of `risk_radar_items`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "risk_radar_items")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Account at risk (`crm_accounts.id`).
    pub account_id: Uuid,
    /// Why it is on the radar.
    pub kind: RiskKind,
    /// Triage status.
    pub status: RiskItemStatus,
    /// Ranking score, higher first.
    pub risk_score: f64,
    /// Explanation shown to the user.
    #[sea_orm(column_type = "Text")]
    pub explanation: String,
    /// Evidence: non-empty json array.
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence_refs: Json,
    /// Health score that triggered it (`health_scores.id`).
    #[sea_orm(nullable)]
    pub health_score_id: Option<Uuid>,
    /// Signal this row stems from (`signals.id`).
    #[sea_orm(nullable)]
    pub signal_id: Option<Uuid>,
    /// Band before the drop.
    #[sea_orm(nullable)]
    pub from_band: Option<HealthBand>,
    /// Band after the drop.
    #[sea_orm(nullable)]
    pub to_band: Option<HealthBand>,
    /// Unique per project among open/acknowledged items (e.g. `band_drop:<account_id>`).
    #[sea_orm(column_type = "Text")]
    pub dedupe_key: String,
    /// When it was detected.
    pub detected_at: DateTimeWithTimeZone,
    /// When it was resolved or dismissed.
    #[sea_orm(nullable)]
    pub resolved_at: Option<DateTimeWithTimeZone>,
    /// User who resolved or dismissed it.
    #[sea_orm(nullable)]
    pub resolved_by: Option<Uuid>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `risk_radar_items`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `account_id` -> `crm_accounts.id`.
    #[sea_orm(
        belongs_to = "super::crm_accounts::Entity",
        from = "Column::AccountId",
        to = "super::crm_accounts::Column::Id",
        on_delete = "Cascade"
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
    /// `health_score_id` -> `health_scores.id`.
    #[sea_orm(
        belongs_to = "super::health_scores::Entity",
        from = "Column::HealthScoreId",
        to = "super::health_scores::Column::Id",
        on_delete = "SetNull"
    )]
    HealthScores,
    /// `project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Projects,
    /// `resolved_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::ResolvedBy",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    AppUsers,
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

impl Related<super::health_scores::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::HealthScores.def()
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

impl Related<super::signals::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Signals.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
