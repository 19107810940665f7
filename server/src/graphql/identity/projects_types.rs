//! The `Project` API type.
use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::MemberRole;

use uuid::Uuid;

use crate::domain::identity::{members::Member, projects::Project};
use crate::graphql::identity::types::User;
use crate::kernel::Scope;

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

/// What a member may do in a project.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "MemberRole")]
pub enum MemberRoleGql {
    /// Owns the project.
    Owner,
    /// Manages sources, members and tokens.
    Admin,
    /// Uses the project.
    Member,
}

impl From<MemberRole> for MemberRoleGql {
    fn from(r: MemberRole) -> Self {
        match r {
            MemberRole::Owner => Self::Owner,
            MemberRole::Admin => Self::Admin,
            MemberRole::Member => Self::Member,
        }
    }
}

/// A member of the active project: who can own accounts and deals, approve and be assigned.
#[derive(SimpleObject, Debug, Clone)]
pub struct ProjectMember {
    /// The user.
    pub user: User,
    /// Their role here.
    pub role: MemberRoleGql,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for ProjectMember {
    fn from(m: Member) -> Self {
        Self {
            user: User {
                id: ID(m.user_id.to_string()),
                username: m.username,
            },
            role: m.role.into(),
            joined_at: m.joined_at,
        }
    }
}

/// The member `user_id` of `scope`'s project, if there is one.
pub async fn member_of(
    ctx: &async_graphql::Context<'_>,
    scope: Scope,
    user_id: Option<Uuid>,
) -> async_graphql::Result<Option<ProjectMember>> {
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let loader =
        ctx.data::<async_graphql::dataloader::DataLoader<crate::graphql::loaders::MemberLoader>>()?;
    Ok(loader.load_one((scope, user_id)).await?.map(Into::into))
}
