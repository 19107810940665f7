//! `rag_index_builds`: when each vector index was last (re)built and at what size; a row with
//! `building_since` set is a rebuild lease (unscoped: indexes are database-wide).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `rag_index_builds`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rag_index_builds")]
pub struct Model {
    /// The index's name.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub index_name: String,
    /// Rows in `rag_chunks` when it was built.
    pub rows_at_build: i64,
    /// ivfflat `lists` it was built with.
    pub lists: i32,
    /// When it was built.
    pub built_at: DateTimeWithTimeZone,
    /// Set while a process rebuilds it.
    #[sea_orm(nullable)]
    pub building_since: Option<DateTimeWithTimeZone>,
}

/// No foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
