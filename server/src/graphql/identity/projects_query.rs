//! Project queries.
use async_graphql::{Context, Object, connection::Connection};

use crate::{
    auth::Caller,
    domain::{
        conversations::binding,
        identity::{
            members,
            projects::{self, ProjectCursor},
        },
    },
    graphql::{
        context::{ContextExt, project_scope},
        conversations::sources::ProjectSource,
        error::{IntoGqlError, validation},
        identity::projects_types::{ProjectMember, ProjectNode},
        pagination::{self, ConnectionTotals},
    },
};

/// Project queries.
#[derive(Default)]
pub struct ProjectsQuery;

#[Object]
impl ProjectsQuery {
    /// Projects the caller is a member of, oldest first; an API token sees only its own.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ProjectNode, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = after
            .map(|c| pagination::decode_time_id(&c))
            .transpose()
            .map_err(|e| validation("after", &e.to_string()))?
            .map(|(created_at, id)| ProjectCursor { created_at, id });
        let db = ctx.db()?;
        let auth = ctx.auth()?;
        let user = auth.require_user().map_err(IntoGqlError::into_gql)?;
        let only = match auth.caller {
            Caller::Token { project_id, .. } => Some(project_id),
            _ => None,
        };
        let page = projects::list_for_user(db, user, only, first, after)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |p| pagination::encode_time_id(p.created_at, p.id),
            ProjectNode::from,
        ))
    }

    /// Members of the active project, by username (a project has a team, not thousands, so
    /// this is one list rather than a connection).
    async fn project_members(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProjectMember>> {
        let (db, scope) = project_scope(ctx).await?;
        let list = members::list(db, &scope)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Sources bound to the active project (secrets are never returned).
    async fn project_sources(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProjectSource>> {
        let (db, scope) = project_scope(ctx).await?;
        let list = binding::list(db, &scope)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(list.into_iter().map(Into::into).collect())
    }
}
