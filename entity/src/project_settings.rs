//! `project_settings`: Per-project settings (absent row = defaults).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `project_settings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "project_settings")]
pub struct Model {
    /// Project (primary key).
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Default ISO 4217 currency for new offers and opportunities.
    #[sea_orm(column_type = "Char(Some(3))")]
    pub default_currency: String,
    /// Line discount (percent) above which an offer needs an approver other than its author.
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub offer_discount_approval_threshold: Decimal,
    /// Default messages per window per contact and channel.
    pub default_frequency_cap: i32,
    /// Default frequency window in seconds.
    pub default_frequency_window_seconds: i32,
    /// Inbound phrases that opt a contact out (json array of strings; empty = app defaults).
    #[sea_orm(column_type = "JsonBinary")]
    pub opt_out_phrases: Json,
    /// Other per-project settings (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub settings: Json,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `project_settings`.
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
