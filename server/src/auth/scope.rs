//! `Scope`: the tenant a piece of work runs in. Only this module makes one, from a project that
//! exists; services take it and filter every query by it.
use entity::projects;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::domain::{DomainError, error::DomainResult};

/// The active project and its account scope: every scoped row carries both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope {
    project_id: Uuid,
    account_scope_id: Uuid,
}

impl Scope {
    /// The scope of `project_id`, read from the database (workers and system jobs run in the
    /// scope of the project their job belongs to). Archived projects have no scope.
    pub async fn for_project<C: ConnectionTrait>(db: &C, project_id: Uuid) -> DomainResult<Scope> {
        let project = projects::Entity::find_by_id(project_id)
            .one(db)
            .await?
            .filter(|p| p.archived_at.is_none())
            .ok_or(DomainError::NotFound("project"))?;
        Ok(Scope {
            project_id: project.id,
            account_scope_id: project.account_scope_id,
        })
    }

    /// The project.
    pub fn project_id(&self) -> Uuid {
        self.project_id
    }

    /// The project's account scope.
    pub fn account_scope_id(&self) -> Uuid {
        self.account_scope_id
    }
}
