//! Projects: the unit of tenancy. Each belongs to one account scope.
use chrono::{DateTime, Utc};
use entity::projects;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Condition,
};
use uuid::Uuid;

use super::error::DomainResult;

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

/// Lists active (not archived) projects oldest first, `first` at a time after `after`.
///
/// Until identity lands (issue 3) every project is visible: the demo workspace is the only
/// tenant. Membership filtering replaces this listing's visibility rule then.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    first: u64,
    after: Option<ProjectCursor>,
) -> DomainResult<ProjectPage> {
    let total_count = projects::Entity::find()
        .filter(projects::Column::ArchivedAt.is_null())
        .count(db)
        .await?;
    let mut query = projects::Entity::find()
        .filter(projects::Column::ArchivedAt.is_null())
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
