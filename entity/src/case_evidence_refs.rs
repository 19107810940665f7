//! `case_evidence_refs`: Evidence cited by a case library entry.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::EvidenceSourceKind;

/// A row of `case_evidence_refs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "case_evidence_refs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Case (`case_library_entries.id`).
    pub case_id: Uuid,
    /// Kind of evidence (as in `evidence_items`).
    pub source_kind: EvidenceSourceKind,
    /// Id of the source (as in `evidence_items`).
    #[sea_orm(column_type = "Text")]
    pub source_id: String,
    /// Resolved evidence item (`evidence_items.id`).
    #[sea_orm(nullable)]
    pub evidence_item_id: Option<Uuid>,
    /// Cited passage.
    #[sea_orm(column_type = "Text", nullable)]
    pub quote: Option<String>,
    /// Why it matters.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// Zero-based order.
    pub position: i32,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `case_evidence_refs`.
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
    /// `case_id` -> `case_library_entries.id`.
    #[sea_orm(
        belongs_to = "super::case_library_entries::Entity",
        from = "Column::CaseId",
        to = "super::case_library_entries::Column::Id",
        on_delete = "Cascade"
    )]
    CaseLibraryEntries,
    /// `evidence_item_id` -> `evidence_items.id`.
    #[sea_orm(
        belongs_to = "super::evidence_items::Entity",
        from = "Column::EvidenceItemId",
        to = "super::evidence_items::Column::Id",
        on_delete = "SetNull"
    )]
    EvidenceItems,
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

impl Related<super::case_library_entries::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CaseLibraryEntries.def()
    }
}

impl Related<super::evidence_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EvidenceItems.def()
    }
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
