//! `evidence_items`: Normalized evidence index with full-text search over `search_text`.
//!
//! The generated column `search_tsv` (`to_tsvector('simple', search_text)`, GIN-indexed) is
//! deliberately not part of the model: SeaORM would try to write it. Query it with raw SQL.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::EvidenceSourceKind;

/// A row of `evidence_items`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "evidence_items")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Kind of evidence.
    pub source_kind: EvidenceSourceKind,
    /// Id of the source row (cw global id or uuid text).
    #[sea_orm(column_type = "Text")]
    pub source_id: String,
    /// Title.
    #[sea_orm(column_type = "Text", nullable)]
    pub title: Option<String>,
    /// Text indexed for full-text search.
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    /// Chatwoot conversation global id (`cw:<project_id>:<account_id>:<conversation_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub conversation_global_id: Option<String>,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub contact_global_id: Option<String>,
    /// Free-form metadata (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub meta: Json,
    /// When the evidence happened.
    #[sea_orm(nullable)]
    pub occurred_at: Option<DateTimeWithTimeZone>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `evidence_items`.
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
