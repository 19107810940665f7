//! `app_settings`: Instance-wide key/value settings (e.g. the Telegram owner binding).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `app_settings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "app_settings")]
pub struct Model {
    /// Setting key.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub key: String,
    /// Setting value.
    #[sea_orm(column_type = "Text")]
    pub value: String,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `app_settings`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
