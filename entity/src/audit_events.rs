//! `audit_events`: Append-only audit trail of critical actions, each with evidence references.
//!
//! The database rejects UPDATE, DELETE and TRUNCATE (SQLSTATE 23001), so a project with audit
//! events cannot be hard-deleted; archive it instead.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `audit_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Project; null for instance-wide events (then `account_scope_id` is null too).
    #[sea_orm(nullable)]
    pub project_id: Option<Uuid>,
    /// Account scope of the project; null exactly when `project_id` is null.
    #[sea_orm(nullable)]
    pub account_scope_id: Option<Uuid>,
    /// Actor: `user:<id>`, `token:<id>` or `system:<component>`.
    #[sea_orm(column_type = "Text")]
    pub actor: String,
    /// Action, e.g. `auth.login`, `project.create`.
    #[sea_orm(column_type = "Text")]
    pub action: String,
    /// Kind of the target, e.g. `project`.
    #[sea_orm(column_type = "Text", nullable)]
    pub target_kind: Option<String>,
    /// Id of the target.
    #[sea_orm(column_type = "Text", nullable)]
    pub target_id: Option<String>,
    /// Evidence references: non-empty json array (constraint `audit_events_evidence_required`).
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence_refs: Json,
    /// Free-form metadata (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub meta: Json,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `audit_events`.
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
