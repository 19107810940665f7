//! `rate_limits`: Fixed-window counters shared by all replicas (login and PIN throttling).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `rate_limits`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rate_limits")]
pub struct Model {
    /// Limited key, e.g. `login:ip:<addr>`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub key: String,
    /// Start of the current window.
    pub window_started_at: DateTimeWithTimeZone,
    /// Hits in the current window.
    pub hits: i32,
    /// Blocked until this time.
    #[sea_orm(nullable)]
    pub blocked_until: Option<DateTimeWithTimeZone>,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `rate_limits`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
