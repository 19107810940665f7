//! `analytics_revenue_snapshots`: Periodic revenue/pipeline snapshots per project and currency.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::SnapshotGranularity;

/// A row of `analytics_revenue_snapshots`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "analytics_revenue_snapshots")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Start of the period.
    pub snapshot_date: Date,
    /// Period length.
    pub granularity: SnapshotGranularity,
    /// ISO 4217 currency code.
    #[sea_orm(column_type = "Char(Some(3))")]
    pub currency: String,
    /// Open pipeline total.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub open_pipeline_amount: Decimal,
    /// Probability-weighted open pipeline.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub weighted_pipeline_amount: Decimal,
    /// Amount won in the period.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub won_amount: Decimal,
    /// Amount lost in the period.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub lost_amount: Decimal,
    /// Open opportunities.
    pub open_opportunities: i32,
    /// Opportunities won in the period.
    pub won_opportunities: i32,
    /// Opportunities lost in the period.
    pub lost_opportunities: i32,
    /// Total of offers sent in the period.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub offers_sent_amount: Decimal,
    /// Total of offers accepted in the period.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub offers_accepted_amount: Decimal,
    /// Per-stage breakdown (json array).
    #[sea_orm(column_type = "JsonBinary")]
    pub by_stage: Json,
    /// Free-form metadata (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub meta: Json,
    /// When it was computed.
    pub computed_at: DateTimeWithTimeZone,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `analytics_revenue_snapshots`.
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
