//! The `Project` API type.
use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::projects::Project;

/// A project: one team's workspace, isolated from every other.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Project")]
pub struct ProjectNode {
    /// Project id (a UUID).
    pub id: ID,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<Project> for ProjectNode {
    fn from(p: Project) -> Self {
        Self {
            id: ID(p.id.to_string()),
            name: p.name,
            created_at: p.created_at,
        }
    }
}
