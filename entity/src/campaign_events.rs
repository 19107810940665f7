//! `campaign_events`: Per-member campaign events (queued, sent, delivered, ...).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::CampaignEventType;

/// A row of `campaign_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaign_events")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Campaign (`campaigns.id`).
    pub campaign_id: Uuid,
    /// Member (`campaign_members.id`).
    #[sea_orm(nullable)]
    pub member_id: Option<Uuid>,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub contact_global_id: Option<String>,
    /// Event type.
    pub event_type: CampaignEventType,
    /// Outbound message (`outbound_messages.id`).
    #[sea_orm(nullable)]
    pub outbound_message_id: Option<Uuid>,
    /// When the underlying event happened.
    pub occurred_at: DateTimeWithTimeZone,
    /// Free-form metadata (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub meta: Json,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `campaign_events`.
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
    /// `campaign_id` -> `campaigns.id`.
    #[sea_orm(
        belongs_to = "super::campaigns::Entity",
        from = "Column::CampaignId",
        to = "super::campaigns::Column::Id",
        on_delete = "Cascade"
    )]
    Campaigns,
    /// `member_id` -> `campaign_members.id`.
    #[sea_orm(
        belongs_to = "super::campaign_members::Entity",
        from = "Column::MemberId",
        to = "super::campaign_members::Column::Id",
        on_delete = "Cascade"
    )]
    CampaignMembers,
    /// `outbound_message_id` -> `outbound_messages.id`.
    #[sea_orm(
        belongs_to = "super::outbound_messages::Entity",
        from = "Column::OutboundMessageId",
        to = "super::outbound_messages::Column::Id",
        on_delete = "SetNull"
    )]
    OutboundMessages,
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

impl Related<super::campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaigns.def()
    }
}

impl Related<super::campaign_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CampaignMembers.def()
    }
}

impl Related<super::outbound_messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutboundMessages.def()
    }
}

impl Related<super::projects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Projects.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
