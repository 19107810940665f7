//! Creating and switching projects, binding sources.
use async_graphql::{Context, ID, InputObject, Object};

use crate::graphql::context::parse_uuid;
use crate::{
    auth::Caller,
    domain::{
        conversations::binding::{self, BindChatwoot},
        identity::projects,
    },
    graphql::{
        context::ContextExt,
        conversations::sources::{BindChatwootSourceInput, ProjectSource},
        error::IntoGqlError,
        identity::projects_types::ProjectNode,
    },
    integrations::chatwoot::ClientOptions,
    kernel::DomainError,
};

/// A new project.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// Display name (1-120 characters).
    pub name: String,
}

/// Project mutations.
#[derive(Default)]
pub struct ProjectsMutation;

#[Object]
impl ProjectsMutation {
    /// Creates a project (in its own account scope) owned by the caller.
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
    ) -> async_graphql::Result<ProjectNode> {
        let db = ctx.db()?;
        let auth = ctx.auth()?;
        let user = auth.require_person().map_err(IntoGqlError::into_gql)?;
        projects::create(db, user, &auth.caller.actor(), &input.name)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Makes a project the session's working project (members only; sessions only).
    async fn switch_project(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
    ) -> async_graphql::Result<ProjectNode> {
        let db = ctx.db()?;
        let project_id = parse_uuid("projectId", &project_id)?;
        let Caller::Session {
            user, session_id, ..
        } = &ctx.auth()?.caller
        else {
            return Err(match ctx.auth()?.caller {
                Caller::Anonymous => DomainError::Unauthenticated,
                _ => DomainError::Forbidden,
            }
            .into_gql());
        };
        projects::switch(db, user, session_id, project_id)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Binds a Chatwoot account to the active project (owners and admins).
    async fn bind_chatwoot_source(
        &self,
        ctx: &Context<'_>,
        input: BindChatwootSourceInput,
    ) -> async_graphql::Result<ProjectSource> {
        let db = ctx.db()?;
        let auth = ctx.auth()?;
        auth.require_person().map_err(IntoGqlError::into_gql)?;
        let (user, scope, role) = auth
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let input = BindChatwoot {
            base_url: input.base_url,
            account_id: input.account_id,
            api_access_token: input.api_access_token,
            webhook_secret: input.webhook_secret,
            verify_signatures: input.verify_signatures,
        };
        let client = ctx.data::<ClientOptions>()?;
        binding::bind_chatwoot(db, &scope, &user, role, &auth.caller.actor(), input, client)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }
}
