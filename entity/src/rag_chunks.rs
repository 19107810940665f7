//! `rag_chunks`: Chunked message text and its embedding lifecycle.
//!
//! The generated column `search_tsv` (full-text vector of `text`) is deliberately not part of
//! the model: SeaORM would try to write it. Query it with raw SQL.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::EmbeddingStatus;

/// A row of `rag_chunks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rag_chunks")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning project.
    pub project_id: Uuid,
    /// Account scope of the project (checked by `enforce_project_scope_match`).
    pub account_scope_id: Uuid,
    /// Chatwoot conversation global id (`cw:<project_id>:<account_id>:<conversation_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub conversation_global_id: Option<String>,
    /// Chatwoot message global id (`cwmsg:<project_id>:<account_id>:<message_id>`).
    #[sea_orm(column_type = "Text", nullable)]
    pub message_global_id: Option<String>,
    /// Index of the chunk within its message.
    #[sea_orm(nullable)]
    pub chunk_index: Option<i32>,
    /// Chunk text.
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// sha256 of the normalised text (embedding reuse key with the model).
    #[sea_orm(column_type = "Text", nullable)]
    pub text_hash: Option<String>,
    /// Token count of the text.
    #[sea_orm(nullable)]
    pub content_tokens: Option<i32>,
    /// Embedding vector (1536 dimensions).
    #[sea_orm(column_type = "Vector(Some(1536))", nullable)]
    pub embedding: Option<PgVector>,
    /// Embedding lifecycle status.
    pub embedding_status: EmbeddingStatus,
    /// Model that produced `embedding`.
    #[sea_orm(column_type = "Text", nullable)]
    pub embedding_model: Option<String>,
    /// Failed embedding attempts so far.
    pub embedding_attempts: i32,
    /// Last embedding error.
    #[sea_orm(column_type = "Text", nullable)]
    pub embedding_error: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeWithTimeZone,
    /// Last update (kept by the `set_updated_at` trigger).
    pub updated_at: DateTimeWithTimeZone,
    /// When the embedding was last written.
    #[sea_orm(nullable)]
    pub last_embedded_at: Option<DateTimeWithTimeZone>,
    /// Embedding worker holding the lease while `processing`.
    #[sea_orm(column_type = "Text", nullable)]
    pub locked_by: Option<String>,
    /// When the current lease expires (then another worker may take it).
    #[sea_orm(nullable)]
    pub lease_expires_at: Option<DateTimeWithTimeZone>,
    /// Not retried before this time (backoff); null = now.
    #[sea_orm(nullable)]
    pub next_attempt_at: Option<DateTimeWithTimeZone>,
}

/// Foreign keys of `rag_chunks`.
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
