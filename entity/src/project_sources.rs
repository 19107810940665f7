//! `project_sources`: External source bindings per project (a Chatwoot account feeds one project only).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::SourceKind;

/// A row of `project_sources`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "project_sources")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Kind of source (`chatwoot_account`).
    pub source_kind: SourceKind,
    /// External id; for Chatwoot the account id in decimal.
    #[sea_orm(column_type = "Text")]
    pub external_id: String,
    /// Opaque key used in the webhook URL `/webhooks/chatwoot/<source_key>`.
    #[sea_orm(column_type = "Text")]
    pub source_key: String,
    /// Chatwoot base URL (`http(s)://...`).
    #[sea_orm(column_type = "Text")]
    pub base_url: String,
    /// Secret Chatwoot API token (never returned by the API).
    #[sea_orm(column_type = "Text")]
    pub api_access_token: String,
    /// Secret HMAC key for `X-Chatwoot-Signature`.
    #[sea_orm(column_type = "Text", nullable)]
    pub webhook_secret: Option<String>,
    /// Whether webhook signatures are required.
    pub verify_signatures: bool,
    /// Seconds between scheduled syncs.
    pub sync_interval_seconds: i32,
    /// Whether sync and webhooks are active.
    pub enabled: bool,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `project_sources`.
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
