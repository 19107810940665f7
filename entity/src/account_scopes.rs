//! `account_scopes`: Account-level isolation boundary that projects belong to.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `account_scopes`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "account_scopes")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stable external key of the scope.
    #[sea_orm(column_type = "Text", nullable)]
    pub scope_key: Option<String>,
    /// Display name.
    #[sea_orm(column_type = "Text", nullable)]
    pub name: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `account_scopes`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
