//! `offer_items`: Line items of an offer (money in the offer's currency).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `offer_items`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "offer_items")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Offer (`offers.id`).
    pub offer_id: Uuid,
    /// Zero-based order.
    pub position: i32,
    /// Item name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Description.
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// Stock keeping unit.
    #[sea_orm(column_type = "Text", nullable)]
    pub sku: Option<String>,
    /// Quantity (> 0).
    #[sea_orm(column_type = "Decimal(Some((18, 4)))")]
    pub quantity: Decimal,
    /// Unit price in the offer's currency.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub unit_price: Decimal,
    /// Line discount in percent (0..100).
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub discount_pct: Decimal,
    /// quantity * unit_price * (1 - discount_pct / 100), rounded by the server.
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub line_total: Decimal,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `offer_items`.
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
    /// `offer_id` -> `offers.id`.
    #[sea_orm(
        belongs_to = "super::offers::Entity",
        from = "Column::OfferId",
        to = "super::offers::Column::Id",
        on_delete = "Cascade"
    )]
    Offers,
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

impl Related<super::offers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Offers.def()
    }
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
