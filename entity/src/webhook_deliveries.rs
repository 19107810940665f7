//! `webhook_deliveries`: Received Chatwoot webhook deliveries, deduplicated on `X-Chatwoot-Delivery`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::WebhookDeliveryStatus;

/// A row of `webhook_deliveries`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Project source that received it (`project_sources.id`).
    pub source_id: Uuid,
    /// `X-Chatwoot-Delivery` header (unique per source).
    #[sea_orm(column_type = "Text")]
    pub delivery_id: String,
    /// Webhook event name, e.g. `message_created`.
    #[sea_orm(column_type = "Text", nullable)]
    pub event: Option<String>,
    /// Raw webhook body.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub payload: Option<Json>,
    /// sha256 of what a signed delivery's signature covers ("{timestamp}.{body}"); unique per
    /// source, so a replay under a new delivery id is still a duplicate. Null when unsigned.
    #[sea_orm(column_type = "Text", nullable)]
    pub signed_digest: Option<String>,
    /// Processing status.
    pub status: WebhookDeliveryStatus,
    /// Processing error.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// When it was received.
    pub received_at: DateTimeWithTimeZone,
    /// When it was processed.
    #[sea_orm(nullable)]
    pub processed_at: Option<DateTimeWithTimeZone>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `webhook_deliveries`.
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
    /// `source_id` -> `project_sources.id`.
    #[sea_orm(
        belongs_to = "super::project_sources::Entity",
        from = "Column::SourceId",
        to = "super::project_sources::Column::Id",
        on_delete = "Cascade"
    )]
    ProjectSources,
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

impl Related<super::project_sources::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectSources.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
