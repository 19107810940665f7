//! `health_scores`: Account health score history (one row per computation).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{HealthBand, HealthTrend};

/// A row of `health_scores`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "health_scores")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Scored account (`crm_accounts.id`).
    pub account_id: Uuid,
    /// Score, 0..100.
    pub score: f64,
    /// Band of the score.
    pub band: HealthBand,
    /// Previous score of the account.
    #[sea_orm(nullable)]
    pub previous_score: Option<f64>,
    /// Previous band of the account.
    #[sea_orm(nullable)]
    pub previous_band: Option<HealthBand>,
    /// Trend against the previous score.
    pub trend: HealthTrend,
    /// Per-measure value, score and weight (json object keyed by measure).
    #[sea_orm(column_type = "JsonBinary")]
    pub measures: Json,
    /// Evidence behind the inputs (json array).
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence_refs: Json,
    /// When it was computed.
    pub computed_at: DateTimeWithTimeZone,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `health_scores`.
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
