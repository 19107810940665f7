//! `contact_channel_policies`: Per contact and channel opt-out and frequency cap.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `contact_channel_policies`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contact_channel_policies")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text")]
    pub contact_global_id: String,
    /// Channel name; `all` covers every channel.
    #[sea_orm(column_type = "Text")]
    pub channel: String,
    /// Whether the contact opted out of this channel.
    pub opted_out: bool,
    /// Why the contact opted out.
    #[sea_orm(column_type = "Text", nullable)]
    pub opt_out_reason: Option<String>,
    /// Evidence of the opt-out (json array, e.g. the inbound message).
    #[sea_orm(column_type = "JsonBinary")]
    pub opt_out_evidence: Json,
    /// When the contact opted out.
    #[sea_orm(nullable)]
    pub opted_out_at: Option<DateTimeWithTimeZone>,
    /// Actor who last opted the contact out or in.
    #[sea_orm(column_type = "Text", nullable)]
    pub changed_by: Option<String>,
    /// When the contact was opted in again.
    #[sea_orm(nullable)]
    pub opted_in_at: Option<DateTimeWithTimeZone>,
    /// At most this many messages per window; null = project default.
    #[sea_orm(nullable)]
    pub frequency_cap: Option<i32>,
    /// Length of the frequency window in seconds.
    #[sea_orm(nullable)]
    pub frequency_window_seconds: Option<i32>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `contact_channel_policies`.
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
