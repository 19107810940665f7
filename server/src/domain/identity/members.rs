//! A project's members as other features show them: owner pickers, names in histories.
//! Only members of the scope's project are ever returned, so a user id from elsewhere (or of
//! someone who left) resolves to nothing rather than to another tenant's username.
use chrono::{DateTime, Utc};
use entity::{app_users, enums::MemberRole, project_members};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use uuid::Uuid;

use crate::{kernel::Scope, kernel::error::DomainResult};

/// A member of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub user_id: Uuid,
    /// Their login name.
    pub username: String,
    /// Their role in the project.
    pub role: MemberRole,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

/// Every member of the scope's project, by username.
pub async fn list<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<Vec<Member>> {
    load(db, scope, None).await
}

/// The members among `user_ids` (ids of non-members are left out).
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    user_ids: &[Uuid],
) -> DomainResult<Vec<Member>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    load(db, scope, Some(user_ids)).await
}

async fn load<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    user_ids: Option<&[Uuid]>,
) -> DomainResult<Vec<Member>> {
    let mut query = project_members::Entity::find()
        .select_only()
        .column(project_members::Column::UserId)
        .column(app_users::Column::Username)
        .column(project_members::Column::Role)
        .column(project_members::Column::CreatedAt)
        .join(
            JoinType::InnerJoin,
            project_members::Relation::AppUsers.def(),
        )
        .filter(scope.filter_for::<project_members::Entity>())
        .order_by_asc(app_users::Column::Username);
    if let Some(ids) = user_ids {
        query = query.filter(project_members::Column::UserId.is_in(ids.iter().copied()));
    }
    let rows: Vec<(
        Uuid,
        String,
        MemberRole,
        sea_orm::prelude::DateTimeWithTimeZone,
    )> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, username, role, joined)| Member {
            user_id,
            username,
            role,
            joined_at: joined.with_timezone(&Utc),
        })
        .collect())
}
