//! Projects: the unit of tenancy. Each belongs to one account scope.

use chrono::{DateTime, Utc};
use entity::{account_scopes, enums::MemberRole, project_members, projects};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::Condition,
};
use serde_json::json;
use uuid::Uuid;

use crate::kernel::{
    DomainError,
    audit::{self, AuditEntry, EvidenceRef},
    error::{DomainResult, FieldError},
};
use crate::{
    auth::{self, UserRef, session},
    kernel::Scope,
};

/// A project as the rest of the app sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Project id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// The account scope isolating this project's data.
    pub account_scope_id: Uuid,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<projects::Model> for Project {
    fn from(m: projects::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            account_scope_id: m.account_scope_id,
            created_at: m.created_at.with_timezone(&Utc),
        }
    }
}

/// A keyset position in the (created_at, id) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectCursor {
    /// created_at of the last row seen.
    pub created_at: DateTime<Utc>,
    /// id of the last row seen.
    pub id: Uuid,
}

/// One page of projects, oldest first.
#[derive(Debug, Clone)]
pub struct ProjectPage {
    /// The rows of this page.
    pub items: Vec<Project>,
    /// Whether more rows follow.
    pub has_next_page: bool,
    /// Rows in the whole listing.
    pub total_count: u64,
}

/// Lists the live projects `user` is a member of (`only` that one, for an API token), oldest
/// first, `first` at a time after `after`. Membership is the visibility rule.
pub async fn list_for_user<C: ConnectionTrait>(
    db: &C,
    user: &UserRef,
    only: Option<Uuid>,
    first: u64,
    after: Option<ProjectCursor>,
) -> DomainResult<ProjectPage> {
    let member_of = Condition::all()
        .add_option(only.map(|id| projects::Column::Id.eq(id)))
        .add(projects::Column::ArchivedAt.is_null())
        .add(
            projects::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(project_members::Column::ProjectId)
                    .from(project_members::Entity)
                    .and_where(project_members::Column::UserId.eq(user.id))
                    .to_owned(),
            ),
        );
    let total_count = projects::Entity::find()
        .filter(member_of.clone())
        .count(db)
        .await?;
    let mut query = projects::Entity::find()
        .filter(member_of)
        .order_by_asc(projects::Column::CreatedAt)
        .order_by_asc(projects::Column::Id)
        .limit(first + 1);
    if let Some(cursor) = after {
        query = query.filter(
            Condition::any()
                .add(projects::Column::CreatedAt.gt(cursor.created_at))
                .add(
                    Condition::all()
                        .add(projects::Column::CreatedAt.eq(cursor.created_at))
                        .add(projects::Column::Id.gt(cursor.id)),
                ),
        );
    }
    let mut rows: Vec<Project> = query.all(db).await?.into_iter().map(Into::into).collect();
    let has_next_page = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok(ProjectPage {
        items: rows,
        has_next_page,
        total_count,
    })
}

/// Checks a project name: 1-120 characters after trimming.
pub fn check_project_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(FieldError::new("name", "use 1-120 characters"));
    }
    Ok(name.to_owned())
}

/// Creates a project in a new account scope with `user` as its owner, and records it.
pub async fn create(
    db: &DatabaseConnection,
    user: &UserRef,
    actor: &str,
    name: &str,
) -> DomainResult<Project> {
    let name = check_project_name(name).map_err(|e| DomainError::Validation(vec![e]))?;
    let txn = db.begin().await?;
    let scope_id = Uuid::new_v4();
    account_scopes::ActiveModel {
        id: Set(scope_id),
        scope_key: Set(Some(format!("scope-{}", scope_id.simple()))),
        name: Set(Some(name.clone())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let project = projects::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name),
        account_scope_id: Set(scope_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    add_member(&txn, project.id, scope_id, user.id, MemberRole::Owner).await?;
    let scope = Scope::for_project(&txn, project.id).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(scope),
            actor: actor.to_owned(),
            action: "project.created",
            target_kind: Some("project"),
            target_id: Some(project.id.to_string()),
            evidence: vec![EvidenceRef::new("project", project.id)],
            meta: json!({ "name": project.name }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(project.into())
}

/// Adds `user_id` to a project with `role`.
pub async fn add_member<C: ConnectionTrait>(
    db: &C,
    project_id: Uuid,
    account_scope_id: Uuid,
    user_id: Uuid,
    role: MemberRole,
) -> DomainResult<()> {
    project_members::ActiveModel {
        project_id: Set(project_id),
        user_id: Set(user_id),
        account_scope_id: Set(account_scope_id),
        role: Set(role),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Makes `project_id` the session's working project; only members may switch to it, and a
/// project the user cannot see reads as not found.
pub async fn switch(
    db: &DatabaseConnection,
    user: &UserRef,
    session_id: &str,
    project_id: Uuid,
) -> DomainResult<Project> {
    if auth::membership(db, user.id, project_id).await?.is_none() {
        return Err(DomainError::NotFound("project"));
    }
    session::set_active_project(db, session_id, project_id).await?;
    let project = projects::Entity::find_by_id(project_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("project"))?;
    Ok(project.into())
}

/// The project behind `scope`.
pub async fn get<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<Project> {
    projects::Entity::find_by_id(scope.project_id())
        .filter(projects::Column::AccountScopeId.eq(scope.account_scope_id()))
        .one(db)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound("project"))
}
