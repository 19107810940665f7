//! `app_users`: Application users.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `app_users`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "app_users")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique login name (constraint `app_users_username_key`).
    #[sea_orm(column_type = "Text")]
    pub username: String,
    /// Argon2id password hash (PHC string).
    #[sea_orm(column_type = "Text")]
    pub password_hash: String,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
    /// Instance administrator.
    pub is_admin: bool,
    /// When the user was disabled (cannot log in).
    #[sea_orm(nullable)]
    pub disabled_at: Option<DateTimeWithTimeZone>,
}

/// Foreign keys of `app_users`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
