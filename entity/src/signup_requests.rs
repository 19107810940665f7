//! `signup_requests`: Pending signups confirmed with a PIN sent to the owner over Telegram.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `signup_requests`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "signup_requests")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Requested login name.
    #[sea_orm(column_type = "Text")]
    pub username: String,
    /// Argon2id hash of the requested password.
    #[sea_orm(column_type = "Text")]
    pub password_hash: String,
    /// Hash of the 6-digit PIN.
    #[sea_orm(column_type = "Text")]
    pub pin_hash: String,
    /// Salt of the PIN hash.
    #[sea_orm(column_type = "Text")]
    pub pin_salt: String,
    /// Wrong PIN entries so far.
    pub attempt_count: i32,
    /// When the PIN expires.
    pub expires_at: DateTimeWithTimeZone,
    /// When the PIN was used (single use).
    #[sea_orm(nullable)]
    pub used_at: Option<DateTimeWithTimeZone>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
}

/// Foreign keys of `signup_requests`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
