//! `campaigns`: Outbound campaigns.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::CampaignStatus;

/// A row of `campaigns`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Display name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Description.
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// Channel name (lowercase identifier, e.g. `whatsapp`, `email`).
    #[sea_orm(column_type = "Text")]
    pub channel: String,
    /// Campaign status.
    pub status: CampaignStatus,
    /// Segment (`campaign_segments.id`).
    #[sea_orm(nullable)]
    pub segment_id: Option<Uuid>,
    /// Segment definition when members were snapshotted.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub segment_snapshot: Option<Json>,
    /// Message template.
    #[sea_orm(column_type = "Text")]
    pub message_template: String,
    /// Sending pace; null = unthrottled.
    #[sea_orm(nullable)]
    pub send_rate_per_minute: Option<i32>,
    /// User who created it (null: system or deleted user).
    #[sea_orm(nullable)]
    pub created_by: Option<Uuid>,
    /// User who approved it.
    #[sea_orm(nullable)]
    pub approved_by: Option<Uuid>,
    /// When it was approved (required to schedule or run).
    #[sea_orm(nullable)]
    pub approved_at: Option<DateTimeWithTimeZone>,
    /// When it is scheduled to start.
    #[sea_orm(nullable)]
    pub scheduled_at: Option<DateTimeWithTimeZone>,
    /// When it started.
    #[sea_orm(nullable)]
    pub started_at: Option<DateTimeWithTimeZone>,
    /// When it was last paused.
    #[sea_orm(nullable)]
    pub paused_at: Option<DateTimeWithTimeZone>,
    /// When it finished.
    #[sea_orm(nullable)]
    pub finished_at: Option<DateTimeWithTimeZone>,
    /// When it was cancelled.
    #[sea_orm(nullable)]
    pub cancelled_at: Option<DateTimeWithTimeZone>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `campaigns`.
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
    /// `approved_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::ApprovedBy",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    ApprovedBy,
    /// `created_by` -> `app_users.id`.
    #[sea_orm(
        belongs_to = "super::app_users::Entity",
        from = "Column::CreatedBy",
        to = "super::app_users::Column::Id",
        on_delete = "SetNull"
    )]
    CreatedBy,
    /// `project_id` -> `projects.id`.
    #[sea_orm(
        belongs_to = "super::projects::Entity",
        from = "Column::ProjectId",
        to = "super::projects::Column::Id",
        on_delete = "Cascade"
    )]
    Projects,
    /// `segment_id` -> `campaign_segments.id`.
    #[sea_orm(
        belongs_to = "super::campaign_segments::Entity",
        from = "Column::SegmentId",
        to = "super::campaign_segments::Column::Id",
        on_delete = "SetNull"
    )]
    CampaignSegments,
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

impl Related<super::campaign_segments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CampaignSegments.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
