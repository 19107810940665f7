//! `signal_example_phrases`: Editable per-type example phrases for similarity-based signal detection.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::SignalType;

/// A row of `signal_example_phrases`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "signal_example_phrases")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Signal type.
    pub signal_type: SignalType,
    /// Example phrase.
    #[sea_orm(column_type = "Text")]
    pub phrase: String,
    /// BCP 47 language tag; null = any.
    #[sea_orm(column_type = "Text", nullable)]
    pub language: Option<String>,
    /// Whether it is active.
    pub enabled: bool,
    /// Cached embedding of the phrase.
    #[sea_orm(column_type = "Vector(Some(1536))", nullable)]
    pub embedding: Option<PgVector>,
    /// Model that produced `embedding`.
    #[sea_orm(column_type = "Text", nullable)]
    pub embedding_model: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `signal_example_phrases`.
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
