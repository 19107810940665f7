//! `campaign_members`: Contacts snapshotted into a campaign when it starts.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::CampaignMemberStatus;

/// A row of `campaign_members`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaign_members")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Campaign (`campaigns.id`).
    pub campaign_id: Uuid,
    /// Chatwoot contact global id (`cwc:<project_id>:<account_id>:<contact_id>`).
    #[sea_orm(column_type = "Text")]
    pub contact_global_id: String,
    /// CRM account (`crm_accounts.id`).
    #[sea_orm(nullable)]
    pub account_id: Option<Uuid>,
    /// Latest member state.
    pub status: CampaignMemberStatus,
    /// Outbound message (`outbound_messages.id`).
    #[sea_orm(nullable)]
    pub outbound_message_id: Option<Uuid>,
    /// Contact/account attributes at snapshot time (json object).
    #[sea_orm(column_type = "JsonBinary")]
    pub snapshot: Json,
    /// Time of the latest event.
    #[sea_orm(nullable)]
    pub last_event_at: Option<DateTimeWithTimeZone>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
}

/// Foreign keys of `campaign_members`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `account_id` -> `crm_accounts.id`.
    #[sea_orm(
        belongs_to = "super::crm_accounts::Entity",
        from = "Column::AccountId",
        to = "super::crm_accounts::Column::Id",
        on_delete = "SetNull"
    )]
    CrmAccounts,
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

impl Related<super::crm_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CrmAccounts.def()
    }
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
